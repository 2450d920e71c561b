/* SPDX-License-Identifier: MIT */
/*
 * pyac_waiter.c - the awaitable that acore.Semaphore, acore.Lock and the
 * queues return when a call must wait (see pyac.h): one type, with a kind
 * per primitive that finishes the call (take) or undoes it (give_back).
 *
 * Design notes
 * - While its C future is pending the waiter yields that future's wrapper:
 *   the task's step awaits it in C. Once it is done the task resumes, and
 *   send() calls take() exactly once: a waiter is awaited at most once (a
 *   second await raises RuntimeError, as a reused coroutine does).
 * - settle() runs when the outcome will never be taken - an exception
 *   thrown in (a cancellation) or the waiter dropped unawaited: it cancels
 *   a pending future (a waiter future leaves its wait queue at once) or has
 *   give_back() return what a done one was granted, so nothing is lost.
 */
#include "pyac.h"

static PyTypeObject PyacWaiter_Type;

/* The outcome will never be taken: undo the call (see the design notes). */
static void settle(PyWaiter *w) {
  if (w->finished || w->fut == NULL || w->fut->fut == NULL)
    return;
  w->finished = 1;
  if (acore_future_is_done(w->fut->fut) != 1)
    acore_future_cancel(w->fut->fut, NULL);
  else if (w->kind->give_back != NULL)
    w->kind->give_back(w);
}

static PySendResult waiter_send(PyWaiter *w, PyObject *arg, PyObject **res) {
  (void)arg;
  if (w->finished) {
    PyErr_SetString(PyExc_RuntimeError, "cannot reuse already awaited waiter");
    *res = NULL;
    return PYGEN_ERROR;
  }
  if (acore_future_is_done(w->fut->fut) != 1) {
    w->fut->blocking = 1;
    *res = Py_NewRef(w->fut); /* the task awaits the C future */
    return PYGEN_NEXT;
  }
  w->finished = 1;
  *res = w->kind->take(w);
  return *res ? PYGEN_RETURN : PYGEN_ERROR;
}

static PyObject *waiter_next(PyWaiter *w) {
  PyObject *r;
  PySendResult sr = waiter_send(w, Py_None, &r);

  return pyac_next_from_send(sr, r);
}

/* throw(exc...): settle the call first, then raise `exc`. */
static PyObject *waiter_throw(PyWaiter *w, PyObject *args) {
  PyObject *typ = PyTuple_GET_SIZE(args) > 0 ? PyTuple_GET_ITEM(args, 0) : NULL;
  PyObject *val = PyTuple_GET_SIZE(args) > 1 ? PyTuple_GET_ITEM(args, 1) : NULL;

  settle(w);
  if (typ == NULL)
    return PyErr_Format(PyExc_TypeError, "throw expects an exception");
  if (PyExceptionInstance_Check(typ))
    PyErr_SetObject((PyObject *)Py_TYPE(typ), typ);
  else
    PyErr_SetObject(typ, val && val != Py_None ? val : NULL);
  return NULL;
}

static void waiter_dealloc(PyWaiter *w) {
  PyObject *et, *ev, *tb;

  PyErr_Fetch(&et, &ev, &tb);
  settle(w); /* dropped unawaited */
  PyErr_Restore(et, ev, tb);
  Py_CLEAR(w->fut);
  Py_CLEAR(w->owner);
  pyac_live--;
  PyObject_Free(w);
}

PyObject *pyac_waiter_new(const pyac_waiter_kind *kind, PyObject *owner,
                          PyLoop *loop, acore_future_t *fut) {
  PyWaiter *w = PyObject_New(PyWaiter, &PyacWaiter_Type);

  if (w == NULL) {
    acore_future_cancel(fut, NULL);
    acore_future_unref(fut);
    return NULL;
  }
  pyac_live++;
  w->kind = kind;
  w->owner = Py_NewRef(owner);
  w->finished = 0;
  w->fut = pyac_future_wrap(loop, fut); /* NULL: fut dropped, left its queue */
  if (w->fut == NULL) {
    Py_DECREF(w);
    return NULL;
  }
  return (PyObject *)w;
}

static PyMethodDef waiter_methods[] = {
    {"throw", (PyCFunction)waiter_throw, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyAsyncMethods waiter_async = {.am_await = pyac_self,
                                      .am_send = (sendfunc)waiter_send};

static PyTypeObject PyacWaiter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore._Waiter",
    .tp_basicsize = sizeof(PyWaiter),
    .tp_dealloc = (destructor)waiter_dealloc,
    .tp_as_async = &waiter_async,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = pyac_self,
    .tp_iternext = (iternextfunc)waiter_next,
    .tp_methods = waiter_methods,
};

int pyac_waiter_type_init(void) { return PyType_Ready(&PyacWaiter_Type); }
