/* SPDX-License-Identifier: MIT */
/*
 * pyac_comb.c - the combinators of acore/combinators.h for Python: sleep
 * and gather run in C; the Python layer (acore/_combinators.py) shapes
 * their results the way asyncio does.
 *
 * Design notes
 * - wait() runs on acore_wait: the Python layer awaits the C wait future
 *   and then splits the futures into done and pending itself, as asyncio
 *   does when its wait resumes (the sets hold the original wrappers).
 * - A gather's C future completes with no value; its Python wrapper keeps
 *   the children (the wrappers given, in input order) and builds the
 *   result list from them once, when first read.
 */
#include "pyac.h"

#include "acore/combinators.h"

/* The C futures of the tuple `children`, in a new PyMem array in `*out`,
 * marked shared (the combinator will hold them). 0; 1 when an item is not
 * an acore future (of `loop`, unless NULL): nothing done; -1 + exception. */
static int c_futures(PyObject *children, PyLoop *loop, acore_future_t ***out) {
  Py_ssize_t i, n = PyTuple_GET_SIZE(children);
  acore_future_t **v;

  for (i = 0; i < n; i++) {
    PyFuture *c = (PyFuture *)PyTuple_GET_ITEM(children, i);
    if (!PyacFuture_Check(c) || c->fut == NULL || (loop && c->loop != loop))
      return 1;
  }
  v = PyMem_Malloc(sizeof(*v) * (size_t)(n ? n : 1));
  if (v == NULL) {
    PyErr_NoMemory();
    return -1;
  }
  for (i = 0; i < n; i++) {
    PyFuture *c = (PyFuture *)PyTuple_GET_ITEM(children, i);
    v[i] = c->fut;
    c->shared = 1;
  }
  *out = v;
  return 0;
}

/* ---- sleep(0) ------------------------------------------------------------
 * acore.sleep(0) (with no result) is a _Yield: a coroutine-like object
 * (send, throw, close, __await__; am_send for the interpreter) that yields
 * None once - the task then yields its turn (acore_task_yield) - and
 * returns None. It refers to nothing, so it is not tracked by the garbage
 * collector: a sleep(0) adds no collector work, where a coroutine and the
 * generator it awaits add two tracked objects. */
typedef struct {
  PyObject_HEAD
  int state; /* 0: not started; 1: yielded; 2: finished */
} PyYield;

static PySendResult yield_am_send(PyYield *y, PyObject *arg, PyObject **res) {
  (void)arg;
  if (y->state == 2) { /* as a coroutine awaited twice */
    *res = NULL;
    PyErr_SetString(PyExc_RuntimeError,
                    "cannot reuse already awaited coroutine");
    return PYGEN_ERROR;
  }
  *res = Py_NewRef(Py_None);
  y->state++;
  return y->state == 1 ? PYGEN_NEXT : PYGEN_RETURN;
}

static PyObject *yield_send(PyYield *y, PyObject *arg) {
  PyObject *r;
  PySendResult sr = yield_am_send(y, arg, &r);

  return pyac_next_from_send(sr, r);
}

static PyObject *yield_next(PyYield *y) { return yield_send(y, Py_None); }

/* throw(exc) / throw(type[, value[, tb]]): raised where it yields, as a
 * generator's yield point raises it. */
static PyObject *yield_throw(PyYield *y, PyObject *args) {
  PyObject *typ, *val = NULL, *tb = NULL, *exc;

  if (!PyArg_UnpackTuple(args, "throw", 1, 3, &typ, &val, &tb))
    return NULL;
  y->state = 2;
  if (PyExceptionInstance_Check(typ)) {
    exc = Py_NewRef(typ);
  } else if (PyExceptionClass_Check(typ)) {
    exc = val == NULL || val == Py_None ? PyObject_CallNoArgs(typ)
          : PyObject_TypeCheck(val, (PyTypeObject *)typ)
              ? Py_NewRef(val)
              : PyObject_CallOneArg(typ, val);
    if (exc == NULL)
      return NULL;
  } else {
    PyErr_SetString(PyExc_TypeError, "exceptions must be classes or "
                                     "instances deriving from BaseException");
    return NULL;
  }
  if (tb != NULL && tb != Py_None)
    PyException_SetTraceback(exc, tb);
  PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
  Py_DECREF(exc);
  return NULL;
}

static PyObject *yield_close(PyYield *y, PyObject *noarg) {
  (void)noarg;
  y->state = 2;
  Py_RETURN_NONE;
}

static void yield_dealloc(PyYield *y) { PyObject_Free(y); }

static PyAsyncMethods yield_async = {
    .am_await = (unaryfunc)pyac_self,
    .am_send = (sendfunc)yield_am_send,
};

static PyMethodDef yield_methods[] = {
    {"send", (PyCFunction)yield_send, METH_O, NULL},
    {"throw", (PyCFunction)yield_throw, METH_VARARGS, NULL},
    {"close", (PyCFunction)yield_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject PyacYield_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore._Yield",
    .tp_basicsize = sizeof(PyYield),
    .tp_dealloc = (destructor)yield_dealloc,
    .tp_as_async = &yield_async,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "sleep(0): yields the task's turn once.",
    .tp_iter = pyac_self,
    .tp_iternext = (iternextfunc)yield_next,
    .tp_methods = yield_methods,
};

/* _yield(): a new _Yield (module function). */
static PyObject *mod_yield(PyObject *m, PyObject *noarg) {
  PyYield *y = PyObject_New(PyYield, &PyacYield_Type);

  (void)m;
  (void)noarg;
  if (y != NULL)
    y->state = 0;
  return (PyObject *)y;
}

static PyMethodDef yield_def = {"_yield", mod_yield, METH_NOARGS,
                                "sleep(0)'s awaitable: yields once"};

int pyac_comb_init(PyObject *m) {
  PyObject *f;

  if (PyType_Ready(&PyacYield_Type) < 0 ||
      (f = PyCFunction_NewEx(&yield_def, NULL, NULL)) == NULL)
    return -1;
  if (PyModule_AddObjectRef(m, "_Yield", (PyObject *)&PyacYield_Type) < 0 ||
      PyModule_AddObjectRef(m, "_yield", f) < 0) {
    Py_DECREF(f);
    return -1;
  }
  Py_DECREF(f);
  return 0;
}

/* _sleep(delay): a future done `delay` seconds from now (acore_sleep). */
PyObject *pyac_loop_sleep(PyLoop *loop, PyObject *arg) {
  double d = PyFloat_AsDouble(arg);
  acore_future_t *fut;
  int rc;

  if (d == -1.0 && PyErr_Occurred())
    return NULL;
  if (pyac_loop_check(loop) < 0)
    return NULL;
  rc = acore_sleep(loop->loop, d < 0 ? 0 : d, &fut);
  if (rc < 0)
    return pyac_raise(rc);
  return (PyObject *)pyac_future_wrap(loop, fut);
}

/* _gather(children: tuple of Futures of this loop, settle_all: bool) */
PyObject *pyac_loop_gather(PyLoop *loop, PyObject *args) {
  PyObject *children;
  int settle = 0, rc;
  acore_future_t **v, *fut;
  PyFuture *g;

  if (!PyArg_ParseTuple(args, "O!p:_gather", &PyTuple_Type, &children,
                        &settle) ||
      pyac_loop_check(loop) < 0)
    return NULL;
  if ((rc = c_futures(children, NULL, &v)) != 0)
    return rc < 0 ? NULL
                  : PyErr_Format(PyExc_TypeError,
                                 "an acore future was expected");
  rc = acore_gather(loop->loop, v, (size_t)PyTuple_GET_SIZE(children),
                    settle ? ACORE_GATHER_SETTLE_ALL : 0, &fut);
  PyMem_Free(v);
  if (rc < 0)
    return rc == ACORE_EINVAL
               ? PyErr_Format(PyExc_ValueError,
                              "futures must belong to the same loop")
               : pyac_raise(rc);
  g = pyac_future_wrap(loop, fut);
  if (g != NULL) {
    g->extra = Py_NewRef(children);
    g->kind = settle ? PYAC_FUT_GATHER_SETTLED : PYAC_FUT_GATHER;
  }
  return (PyObject *)g;
}

/* Timeout argument: None -> no timeout; a negative value -> 0. -1 on error. */
static int parse_timeout(PyObject *tmo, double *out) {
  *out = ACORE_NO_TIMEOUT;
  if (tmo == Py_None)
    return 0;
  *out = PyFloat_AsDouble(tmo);
  if (*out == -1.0 && PyErr_Occurred())
    return -1;
  if (*out != *out) {
    PyErr_SetString(PyExc_ValueError, "timeout is NaN");
    return -1;
  }
  if (*out < 0)
    *out = 0;
  return 0;
}

/* _wait(fs, return_when, timeout): (the acore_wait future, the futures
 * as a tuple), or None when an item of the iterable `fs` is not an acore
 * future of this loop (the caller then falls back). Timeout: None for
 * none, a negative value for 0. */
PyObject *pyac_loop_wait(PyLoop *loop, PyObject *args) {
  PyObject *fs, *children, *tmo = Py_None, *w;
  int when, rc;
  double timeout;
  acore_future_t **v, *fut;

  if (!PyArg_ParseTuple(args, "Oi|O:_wait", &fs, &when, &tmo) ||
      pyac_loop_check(loop) < 0 || parse_timeout(tmo, &timeout) < 0)
    return NULL;
  if ((children = PySequence_Tuple(fs)) == NULL)
    return NULL;
  if ((rc = c_futures(children, loop, &v)) != 0) {
    Py_DECREF(children);
    return rc < 0 ? NULL : Py_NewRef(Py_None);
  }
  rc = acore_wait(loop->loop, v, (size_t)PyTuple_GET_SIZE(children), when,
                  timeout, &fut);
  PyMem_Free(v);
  if (rc < 0) {
    Py_DECREF(children);
    return pyac_raise(rc);
  }
  w = (PyObject *)pyac_future_wrap(loop, fut);
  if (w == NULL) {
    Py_DECREF(children);
    return NULL;
  }
  return Py_BuildValue("(NN)", w, children);
}

/* _wait_split(children, retrieve): (done, pending) sets as they are now;
 * with `retrieve`, the errors of the done ones count as retrieved. */
PyObject *pyac_loop_wait_split(PyLoop *loop, PyObject *args) {
  PyObject *children, *done, *pending;
  int retrieve = 0;
  Py_ssize_t i;

  (void)loop;
  if (!PyArg_ParseTuple(args, "O!p:_wait_split", &PyTuple_Type, &children,
                        &retrieve))
    return NULL;
  done = PySet_New(NULL);
  pending = PySet_New(NULL);
  if (done == NULL || pending == NULL)
    goto fail;
  for (i = 0; i < PyTuple_GET_SIZE(children); i++) {
    PyFuture *c = (PyFuture *)PyTuple_GET_ITEM(children, i);
    int d = c->fut != NULL && acore_future_is_done(c->fut) == 1;
    if (PySet_Add(d ? done : pending, (PyObject *)c) < 0)
      goto fail;
    if (d && retrieve)
      (void)acore_future_error(c->fut); /* marks it retrieved */
  }
  return Py_BuildValue("(NN)", done, pending);
fail:
  Py_XDECREF(done);
  Py_XDECREF(pending);
  return NULL;
}

/* _as_completed(children: tuple of Futures of this loop, timeout): the
 * acore_as_completed future (read with _as_completed_next). */
PyObject *pyac_loop_as_completed(PyLoop *loop, PyObject *args) {
  PyObject *children, *tmo = Py_None;
  double timeout;
  acore_future_t **v, *fut;
  int rc;

  if (!PyArg_ParseTuple(args, "O!O:_as_completed", &PyTuple_Type, &children,
                        &tmo) ||
      pyac_loop_check(loop) < 0 || parse_timeout(tmo, &timeout) < 0)
    return NULL;
  if ((rc = c_futures(children, loop, &v)) != 0)
    return rc < 0 ? NULL
                  : PyErr_Format(PyExc_TypeError,
                                 "an acore future of this loop was expected");
  rc = acore_as_completed(loop->loop, v, (size_t)PyTuple_GET_SIZE(children),
                          timeout, NULL, NULL, NULL, &fut);
  PyMem_Free(v);
  if (rc < 0)
    return pyac_raise(rc);
  return (PyObject *)pyac_future_wrap(loop, fut);
}

/* _as_completed_next(ac): a Future whose result is the next completed
 * future (read its address with _as_completed_pick). */
PyObject *pyac_loop_as_completed_next(PyLoop *loop, PyObject *ac) {
  acore_future_t *f = pyac_c_future(ac), *next;
  int rc;

  if (f == NULL || pyac_loop_check(loop) < 0)
    return NULL;
  rc = acore_as_completed_next(f, &next);
  if (rc < 0)
    return pyac_raise(rc);
  return (PyObject *)pyac_future_wrap(loop, next);
}

/* _as_completed_pick(next): the address of the future `next` hands out
 * (raises as the next future does: TimeoutError, CancelledError). */
PyObject *pyac_loop_as_completed_pick(PyLoop *loop, PyObject *next) {
  acore_future_t *f = pyac_c_future(next);
  void *p = NULL;
  int rc;

  (void)loop;
  if (f == NULL)
    return NULL;
  rc = acore_future_result(f, &p);
  if (rc < 0)
    return pyac_raise(rc);
  return PyLong_FromVoidPtr(p);
}
