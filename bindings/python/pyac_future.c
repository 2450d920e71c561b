/* SPDX-License-Identifier: MIT */
/*
 * pyac_future.c - acore.Future: an acore_future_t with asyncio.Future's
 * methods, awaitable from Python coroutines.
 *
 * Design notes
 * - Values: None, exact ints that fit int64 and exact floats are stored as
 *   C values (C code reads them with acore_future_result_int/double); any other
 *   object is stored as a pointer tagged pyac_obj_free. c_obj remembers the
 *   object this wrapper put in C, so the garbage collector sees it.
 * - Done callbacks are kept in the wrapper (cb0 + list, visible to the
 *   garbage collector); one C done callback ("armed") holding the wrapper
 *   dispatches them, each with the wrapper itself as argument. A callback
 *   added once the future is done gets a C registration of its own, so it
 *   runs behind whatever was queued before it (asyncio's call_soon), and
 *   remove_done_callback() then finds nothing to remove.
 *   Each entry is (fn, context): add_done_callback(context=None) copies
 *   the caller's context, as asyncio does, and the callback runs in it
 *   (Py_None stands for an empty one: see pyac_ctx_capture).
 * - `await fut`: the future is its own iterator; am_send yields the future
 *   while it is pending (the task's step then awaits it in C) and returns
 *   its result, or raises its exception, once done.
 */
#include "pyac.h"

#include <string.h>

/* ---- creation and lifetime ------------------------------------------------ */

PyFuture *pyac_future_new(PyLoop *loop, PyTypeObject *type) {
  PyFuture *f;
  int rc;

  if (pyac_loop_check(loop) < 0)
    return NULL;
  f = (PyFuture *)type->tp_alloc(type, 0);
  if (f == NULL)
    return NULL;
  pyac_live++;
  f->loop = (PyLoop *)Py_NewRef(loop);
  if (type == &PyacFuture_Type || !PyType_IsSubtype(type, &PyacTask_Type)) {
    rc = acore_future_new(loop->loop, &f->fut);
    if (rc < 0) {
      Py_DECREF(f);
      return (PyFuture *)pyac_raise(rc);
    }
  } else {
    f->shared = 1; /* a task: its C task holds the future */
  }
  return f;
}

PyFuture *pyac_future_wrap(PyLoop *loop, acore_future_t *fut) {
  PyFuture *f = (PyFuture *)PyacFuture_Type.tp_alloc(&PyacFuture_Type, 0);

  if (f == NULL) {
    acore_future_unref(fut);
    return NULL;
  }
  pyac_live++;
  f->loop = (PyLoop *)Py_NewRef(loop);
  f->fut = fut;
  f->shared = 1; /* made by C */
  return f;
}

static PyObject *future_tp_new(PyTypeObject *type, PyObject *args,
                               PyObject *kw) {
  static char *kwlist[] = {"loop", NULL};
  PyObject *loop = Py_None;

  PyLoop *l;

  if (!PyArg_ParseTupleAndKeywords(args, kw, "|$O:Future", kwlist, &loop) ||
      (l = pyac_loop_arg(loop)) == NULL)
    return NULL;
  return (PyObject *)pyac_future_new(l, type);
}

acore_future_t *pyac_c_future(PyObject *o) {
  if (PyacFuture_Check(o) && ((PyFuture *)o)->fut != NULL)
    return ((PyFuture *)o)->fut;
  PyErr_SetString(PyExc_TypeError, "an acore future was expected");
  return NULL;
}

/* c_obj if C still holds it: a pointer result can be moved out of the
 * future by C (acore_wait_for hands results over), an error cannot. */
static PyObject *held_obj(PyFuture *f) {
  void *p = NULL;

  if (f->c_obj == NULL || f->fut == NULL)
    return NULL;
  if (acore_future_state(f->fut) == ACORE_FUTURE_RESULT &&
      (acore_future_result(f->fut, &p) != ACORE_OK || p != f->c_obj)) {
    f->c_obj = NULL; /* moved away: no longer ours to report or read */
    return NULL;
  }
  return f->c_obj;
}

/* The reference a pending registration holds on `f` (see pyac.h). */
static int held_by_registration(PyFuture *f) {
  return f->armed && !f->shared && f->fut != NULL &&
         acore_future_state(f->fut) == ACORE_FUTURE_PENDING;
}

static int future_traverse(PyFuture *f, visitproc visit, void *arg) {
  PyObject *held = held_obj(f);

  if (held_by_registration(f))
    Py_VISIT((PyObject *)f);

  Py_VISIT(f->loop);
  Py_VISIT(f->cb0);
  Py_VISIT(f->ctx0);
  Py_VISIT(f->cbs);
  Py_VISIT(f->result);
  Py_VISIT(f->extra);
  Py_VISIT(held);
  return 0;
}

/* Drop everything; the C future last (it may report to the loop). */
static int future_clear(PyFuture *f) {
  acore_future_t *fut = f->fut;

  Py_CLEAR(f->cb0);
  Py_CLEAR(f->ctx0);
  Py_CLEAR(f->cbs);
  Py_CLEAR(f->result);
  Py_CLEAR(f->extra);
  f->c_obj = NULL;
  f->fut = NULL;
  acore_future_unref(fut);
  return 0;
}

void pyac_future_dealloc_body(PyFuture *f) {
  if (f->weakreflist != NULL)
    PyObject_ClearWeakRefs((PyObject *)f);
  future_clear(f);
  Py_CLEAR(f->loop);
}

static void future_dealloc(PyFuture *f) {
  PyTypeObject *tp = Py_TYPE(f);

  PyObject_GC_UnTrack(f);
  pyac_future_dealloc_body(f);
  pyac_live--;
  tp->tp_free((PyObject *)f);
}

static int check_fut(PyFuture *f) {
  if (f->fut != NULL)
    return 0;
  PyErr_SetString(PyExc_RuntimeError, "the future was cleared");
  return -1;
}

/* ---- reading ----------------------------------------------------------------- */

static PyObject *read_value(PyFuture *f) {
  void *p = NULL;
  int64_t i;
  double d;
  const void *b;
  size_t n;

  switch (acore_future_result_kind(f->fut)) {
  case ACORE_VALUE_INT:
    acore_future_result_int(f->fut, &i);
    return PyLong_FromLongLong(i);
  case ACORE_VALUE_DOUBLE:
    acore_future_result_double(f->fut, &d);
    return PyFloat_FromDouble(d);
  case ACORE_VALUE_BYTES:
    acore_future_result_bytes(f->fut, &b, &n);
    return PyBytes_FromStringAndSize(b, (Py_ssize_t)n);
  case ACORE_VALUE_PTR:
    if (acore_future_steal_result(f->fut, pyac_obj_free, &p) == ACORE_OK) {
      pyac_crefs--; /* the reference moves from C to the wrapper */
      f->result = p;
      return Py_NewRef(f->result);
    }
    acore_future_result(f->fut, &p);
    if (p == NULL) /* moved out by C */
      Py_RETURN_NONE;
    return PyLong_FromVoidPtr(p);
  default:
    Py_RETURN_NONE;
  }
}

PyObject *pyac_cancelled_error(PyFuture *f, const char *msg) {
  PyObject *x = f->kind == PYAC_FUT_PLAIN ? f->extra : NULL, *text;
  int same;

  if (x != NULL && PyObject_TypeCheck(x, (PyTypeObject *)pyac_CancelledError)) {
    f->extra = NULL; /* raised once, as asyncio's _cancelled_exc */
    return x;
  }
  if (x != NULL && msg != NULL) {
    text = PyObject_Str(x);
    same = text != NULL && PyUnicode_Check(text) &&
           PyUnicode_CompareWithASCIIString(text, msg) == 0;
    Py_XDECREF(text);
    PyErr_Clear();
    if (same)
      return PyObject_CallOneArg(pyac_CancelledError, x);
  }
  return msg ? PyObject_CallFunction(pyac_CancelledError, "s", msg)
             : PyObject_CallNoArgs(pyac_CancelledError);
}

static PyObject *cancelled_error(PyFuture *f) {
  return pyac_cancelled_error(f, f->fut ? acore_future_cancel_message(f->fut)
                                        : NULL);
}

static PyObject *raise_cancelled(PyFuture *f) {
  PyObject *exc = cancelled_error(f);

  if (exc != NULL) {
    PyErr_SetObject(pyac_CancelledError, exc);
    Py_DECREF(exc);
  }
  return NULL;
}

/* A child's outcome as gather(return_exceptions=True) shows it. */
static PyObject *settled(PyFuture *c) {
  PyObject *r = pyac_future_result(c);

  if (r == NULL && (PyErr_ExceptionMatches(PyExc_Exception) ||
                    PyErr_ExceptionMatches(pyac_CancelledError)))
    r = pyac_fetch_exc();
  return r;
}

/* The result list of a gather, in input order (cached). */
static PyObject *gather_result(PyFuture *f) {
  Py_ssize_t i, n = PyTuple_GET_SIZE(f->extra);
  PyObject *list = PyList_New(n);

  for (i = 0; list != NULL && i < n; i++) {
    PyFuture *c = (PyFuture *)PyTuple_GET_ITEM(f->extra, i);
    PyObject *r = f->kind == PYAC_FUT_GATHER_SETTLED ? settled(c)
                                                     : pyac_future_result(c);
    if (r == NULL)
      Py_CLEAR(list);
    else
      PyList_SET_ITEM(list, i, r);
  }
  if (list != NULL)
    f->result = Py_NewRef(list);
  return list;
}

PyObject *pyac_future_result(PyFuture *f) {
  PyObject *exc;

  if (check_fut(f) < 0)
    return NULL;
  switch (acore_future_state(f->fut)) {
  case ACORE_FUTURE_RESULT:
    if (f->result != NULL)
      return Py_NewRef(f->result);
    if (held_obj(f) != NULL)
      return Py_NewRef(f->c_obj);
    if (f->kind != PYAC_FUT_PLAIN)
      return gather_result(f);
    return read_value(f);
  case ACORE_FUTURE_ERROR:
    exc = pyac_exc_from_error(acore_future_error(f->fut));
    if (exc != NULL) {
      PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
      Py_DECREF(exc);
    }
    return NULL;
  case ACORE_FUTURE_CANCELLED:
    return raise_cancelled(f);
  default:
    PyErr_SetString(pyac_InvalidStateError, "Result is not set.");
    return NULL;
  }
}

static PyObject *future_result(PyFuture *f, PyObject *noarg) {
  (void)noarg;
  return pyac_future_result(f);
}

static PyObject *future_exception(PyFuture *f, PyObject *noarg) {
  (void)noarg;
  if (check_fut(f) < 0)
    return NULL;
  switch (acore_future_state(f->fut)) {
  case ACORE_FUTURE_ERROR:
    return pyac_exc_from_error(acore_future_error(f->fut));
  case ACORE_FUTURE_CANCELLED:
    return raise_cancelled(f);
  case ACORE_FUTURE_RESULT:
    Py_RETURN_NONE;
  default:
    PyErr_SetString(pyac_InvalidStateError, "Exception is not set.");
    return NULL;
  }
}

static PyObject *future_done(PyFuture *f, PyObject *noarg) {
  (void)noarg;
  return PyBool_FromLong(f->fut != NULL && acore_future_is_done(f->fut) == 1);
}

static PyObject *future_cancelled(PyFuture *f, PyObject *noarg) {
  (void)noarg;
  return PyBool_FromLong(f->fut != NULL && acore_future_is_cancelled(f->fut) == 1);
}

/* ---- completing -------------------------------------------------------------- */

static PyObject *set_rc(int rc) {
  if (rc == ACORE_OK)
    Py_RETURN_NONE;
  if (rc == ACORE_EINVALIDSTATE) {
    PyErr_SetString(pyac_InvalidStateError, "invalid state");
    return NULL;
  }
  if (rc == ACORE_EINVAL) {
    PyErr_SetString(PyExc_RuntimeError,
                    "Task does not support set_result/set_exception");
    return NULL;
  }
  return pyac_raise(rc);
}

static PyObject *future_set_result(PyFuture *f, PyObject *v) {
  int rc, overflow = 0;
  long long i;

  if (check_fut(f) < 0)
    return NULL;
  if (v == Py_None)
    return set_rc(acore_future_set_result(f->fut, NULL, NULL));
  if (PyLong_CheckExact(v)) {
    i = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (!overflow)
      return set_rc(acore_future_set_int(f->fut, (int64_t)i));
  } else if (PyFloat_CheckExact(v)) {
    return set_rc(acore_future_set_double(f->fut, PyFloat_AS_DOUBLE(v)));
  }
  rc = acore_future_set_result(f->fut, pyac_give(Py_NewRef(v)), pyac_obj_free);
  if (rc != ACORE_OK) {
    pyac_crefs--;
    Py_DECREF(v);
    return set_rc(rc);
  }
  f->c_obj = v;
  Py_RETURN_NONE;
}

static PyObject *future_set_exception(PyFuture *f, PyObject *exc) {
  acore_error_t *err;
  PyObject *inst = NULL;
  int rc;

  if (check_fut(f) < 0)
    return NULL;
  if (PyType_Check(exc) && PyType_IsSubtype((PyTypeObject *)exc,
                                            (PyTypeObject *)PyExc_BaseException))
    exc = inst = PyObject_CallNoArgs(exc);
  if (exc == NULL)
    return NULL;
  if (!PyExceptionInstance_Check(exc)) {
    Py_XDECREF(inst);
    PyErr_SetString(PyExc_TypeError, "invalid exception object");
    return NULL;
  }
  /* asyncio 3.12+: a StopIteration is stored as a RuntimeError caused by it */
  if (PyObject_TypeCheck(exc, (PyTypeObject *)PyExc_StopIteration)) {
    PyObject *wrap = PyObject_CallFunction(
        PyExc_RuntimeError, "s",
        "StopIteration interacts badly with generators and cannot be raised "
        "into a Future");
    if (wrap == NULL) {
      Py_XDECREF(inst);
      return NULL;
    }
    PyException_SetCause(wrap, Py_NewRef(exc));
    PyException_SetContext(wrap, Py_NewRef(exc));
    Py_XDECREF(inst);
    exc = inst = wrap;
  }
  rc = pyac_error_from_exc(exc, &err);
  if (rc == ACORE_OK) {
    rc = acore_future_set_error(f->fut, err);
    acore_error_unref(err);
  }
  if (rc == ACORE_OK)
    f->c_obj = exc;
  Py_XDECREF(inst);
  return set_rc(rc);
}

/* cancel(msg=None): any object is accepted as the message, as asyncio
 * does; C carries messages as text, so one that is not a str is stored as
 * str(msg) (docs/python.md). */
static PyObject *future_cancel(PyFuture *f, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"msg", NULL};
  PyObject *obj = Py_None, *text = NULL;
  const char *msg = NULL;
  int rc;

  if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:cancel", kwlist, &obj) ||
      check_fut(f) < 0)
    return NULL;
  if (obj != Py_None) {
    text = PyUnicode_Check(obj) ? Py_NewRef(obj) : PyObject_Str(obj);
    if (text == NULL || (msg = PyUnicode_AsUTF8(text)) == NULL) {
      Py_XDECREF(text);
      return NULL;
    }
  }
  rc = acore_future_cancel(f->fut, msg);
  Py_XDECREF(text);
  if (rc == 1 && f->kind == PYAC_FUT_PLAIN) /* a message C keeps as text */
    Py_XSETREF(f->extra, obj == Py_None || PyUnicode_CheckExact(obj)
                             ? NULL : Py_NewRef(obj));
  if (rc == ACORE_ECLOSED)
    Py_RETURN_FALSE;
  if (rc < 0)
    return pyac_raise(rc);
  return PyBool_FromLong(rc);
}

/* ---- done callbacks ---------------------------------------------------------- */

/* Run entry `cb` (a callable, or (fn, context)); `ctx`: cb0's context. */
static void run_callback(PyFuture *f, PyObject *cb, PyObject *ctx) {
  PyObject *fn = cb, *r;

  if (ctx == NULL && PyTuple_CheckExact(cb)) {
    fn = PyTuple_GET_ITEM(cb, 0);
    ctx = PyTuple_GET_ITEM(cb, 1);
  }
  if (ctx != NULL && (ctx = pyac_ctx_enter(f->loop, ctx)) == NULL) {
    pyac_callback_error(f->loop, fn);
    return;
  }
  r = PyObject_CallOneArg(fn, (PyObject *)f);
  if (ctx != NULL)
    pyac_ctx_exit_keeping_error(f->loop, ctx);
  if (r == NULL)
    pyac_callback_error(f->loop, fn); /* outside the callback's context */
  Py_XDECREF(r);
}

static void done_trampoline(acore_future_t *fut, void *ud) {
  PyFuture *f = ud;
  pyac_gil g = pyac_gil_enter();
  PyObject *cb0 = f->cb0, *ctx0 = f->ctx0, *cbs = f->cbs;
  Py_ssize_t i;

  (void)fut;
  f->armed = 0;
  f->cb0 = NULL;
  f->ctx0 = NULL;
  f->cbs = NULL;
  if (cb0 != NULL) {
    run_callback(f, cb0, ctx0);
    Py_DECREF(cb0);
  }
  Py_XDECREF(ctx0);
  if (cbs != NULL) {
    for (i = 0; i < PyList_GET_SIZE(cbs); i++)
      run_callback(f, PyList_GET_ITEM(cbs, i), NULL);
    Py_DECREF(cbs);
  }
  pyac_gil_leave(g);
}

/* The C registration is released: if it never ran (the loop closed, the
 * future died pending), its callbacks never will: let them go. */
static void done_release(void *ud) {
  PyFuture *f = ud;
  pyac_gil g = pyac_gil_enter();

  if (f->armed) {
    f->armed = 0;
    Py_CLEAR(f->cb0);
    Py_CLEAR(f->ctx0);
    Py_CLEAR(f->cbs);
  }
  pyac_crefs--;
  Py_DECREF(f);
  pyac_gil_leave(g);
}

/* Add `entry` (a callable, or (fn, context)); the first one may come with
 * its context apart (`ctx`, or NULL), which saves the tuple. */
static int add_callback(PyFuture *f, PyObject *entry, PyObject *ctx) {
  int rc;

  if (f->cb0 == NULL && f->cbs == NULL) {
    f->cb0 = Py_NewRef(entry);
    f->ctx0 = Py_XNewRef(ctx);
  } else {
    if (ctx != NULL) {
      PyObject *t = PyTuple_Pack(2, entry, ctx);
      rc = t ? add_callback(f, t, NULL) : -1;
      Py_XDECREF(t);
      return rc;
    }
    if (f->cbs == NULL && (f->cbs = PyList_New(0)) == NULL)
      return -1;
    if (PyList_Append(f->cbs, entry) < 0)
      return -1;
  }
  if (f->armed)
    return 0;
  f->armed = 1;
  rc = acore_future_add_done_callback(f->fut, done_trampoline,
                                      pyac_give(Py_NewRef(f)), done_release);
  if (rc < 0) { /* done_release ran */
    pyac_raise(rc);
    return -1;
  }
  return 0;
}

/* A callback added to a done future runs on its own, queued behind what is
 * already queued (asyncio's call_soon): it does not join a dispatch
 * queued at completion. `ud`: the tuple (future, entry). */
static void late_trampoline(acore_future_t *fut, void *ud) {
  pyac_gil g = pyac_gil_enter();
  PyObject *pair = ud;

  (void)fut;
  run_callback((PyFuture *)PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1),
               NULL);
  pyac_gil_leave(g);
}

static void late_release(void *ud) {
  pyac_gil g = pyac_gil_enter();

  pyac_crefs--;
  Py_DECREF((PyObject *)ud);
  pyac_gil_leave(g);
}

static int add_late(PyFuture *f, PyObject *entry, PyObject *ctx) {
  PyObject *e = ctx ? PyTuple_Pack(2, entry, ctx) : Py_NewRef(entry);
  PyObject *pair = e ? PyTuple_Pack(2, (PyObject *)f, e) : NULL;
  int rc;

  Py_XDECREF(e);
  if (pair == NULL)
    return -1;
  rc = acore_future_add_done_callback(f->fut, late_trampoline,
                                      pyac_give(pair), late_release);
  if (rc < 0) { /* late_release ran */
    pyac_raise(rc);
    return -1;
  }
  return 0;
}

/* add_callback, or add_late once the future is done. */
static int add_entry(PyFuture *f, PyObject *entry, PyObject *ctx) {
  if (acore_future_is_done(f->fut) == 1)
    return add_late(f, entry, ctx);
  return add_callback(f, entry, ctx);
}

int pyac_future_add_callback(PyFuture *f, PyObject *entry) {
  return add_entry(f, entry, NULL);
}

static PyObject *future_add_done_callback(PyFuture *f, PyObject *const *args,
                                          Py_ssize_t nargs, PyObject *kwn) {
  PyObject *fn, *ctx = NULL;
  int rc;

  if (nargs != 1 || (kwn && (PyTuple_GET_SIZE(kwn) != 1 ||
                             !PyUnicode_Check(PyTuple_GET_ITEM(kwn, 0)) ||
                             PyUnicode_CompareWithASCIIString(
                                 PyTuple_GET_ITEM(kwn, 0), "context") != 0))) {
    PyErr_SetString(PyExc_TypeError,
                    "add_done_callback(fn, *, context=None)");
    return NULL;
  }
  fn = args[0];
  if (kwn != NULL && args[1] != Py_None)
    ctx = args[1];
  if (check_fut(f) < 0)
    return NULL;
  /* asyncio: context=None means a copy of the caller's context */
  if (ctx != NULL) {
    rc = add_entry(f, fn, ctx);
  } else {
    PyObject *copy = pyac_ctx_capture();
    rc = copy ? add_entry(f, fn, copy) : -1;
    Py_XDECREF(copy);
  }
  if (rc < 0)
    return NULL;
  Py_RETURN_NONE;
}

static int entry_is(PyObject *entry, PyObject *fn) {
  PyObject *e = PyTuple_CheckExact(entry) ? PyTuple_GET_ITEM(entry, 0) : entry;
  return PyObject_RichCompareBool(e, fn, Py_EQ);
}

/* Once the future is done its callbacks are scheduled: as in asyncio,
 * none can be removed any more (0). */
static PyObject *future_remove_done_callback(PyFuture *f, PyObject *fn) {
  Py_ssize_t removed = 0, i;
  int eq;

  if (f->fut == NULL || acore_future_is_done(f->fut) == 1)
    return PyLong_FromSsize_t(0);

  if (f->cb0 != NULL) {
    if ((eq = entry_is(f->cb0, fn)) < 0)
      return NULL;
    if (eq) {
      Py_CLEAR(f->cb0);
      Py_CLEAR(f->ctx0);
      removed++;
    }
  }
  for (i = f->cbs ? PyList_GET_SIZE(f->cbs) - 1 : -1; i >= 0; i--) {
    if ((eq = entry_is(PyList_GET_ITEM(f->cbs, i), fn)) < 0)
      return NULL;
    if (eq && PySequence_DelItem(f->cbs, i) == 0)
      removed++;
  }
  return PyLong_FromSsize_t(removed);
}

/* ---- awaiting ------------------------------------------------------------------ */

static PySendResult future_am_send(PyFuture *f, PyObject *arg,
                                   PyObject **result) {
  (void)arg;
  if (f->fut != NULL && acore_future_state(f->fut) == ACORE_FUTURE_PENDING) {
    f->blocking = 1;
    *result = Py_NewRef(f);
    return PYGEN_NEXT;
  }
  *result = pyac_future_result(f);
  return *result ? PYGEN_RETURN : PYGEN_ERROR;
}

static PyObject *future_iternext(PyFuture *f) {
  PyObject *r;
  PySendResult sr = future_am_send(f, Py_None, &r);

  return pyac_next_from_send(sr, r);
}

static PyObject *future_await_method(PyObject *f, PyObject *noarg) {
  (void)noarg;
  return Py_NewRef(f);
}

static PyObject *future_get_loop(PyFuture *f, PyObject *noarg) {
  (void)noarg;
  return Py_NewRef(f->loop);
}

static PyObject *future_address(PyFuture *f, PyObject *noarg) {
  (void)noarg;
  f->shared = 1; /* C code may keep it */
  return PyLong_FromVoidPtr(f->fut);
}

static const char *state_name(PyFuture *f) {
  switch (f->fut ? acore_future_state(f->fut) : -1) {
  case ACORE_FUTURE_PENDING: return "pending";
  case ACORE_FUTURE_CANCELLED: return "cancelled";
  case ACORE_FUTURE_RESULT:
  case ACORE_FUTURE_ERROR: return "finished";
  default: return "cleared";
  }
}

static PyObject *future_repr(PyFuture *f) {
  return PyUnicode_FromFormat("<%s %s>", Py_TYPE(f)->tp_name, state_name(f));
}

static PyObject *get_blocking(PyFuture *f, void *c) {
  (void)c;
  return PyBool_FromLong(f->blocking);
}

static int set_blocking(PyFuture *f, PyObject *v, void *c) {
  int b = v ? PyObject_IsTrue(v) : 0;
  (void)c;
  if (b < 0)
    return -1;
  f->blocking = (uint8_t)b;
  return 0;
}

static PyObject *get_state(PyFuture *f, void *c) {
  static const char *names[] = {"PENDING", "FINISHED", "FINISHED", "CANCELLED"};
  int s = f->fut ? acore_future_state(f->fut) : 0;
  (void)c;
  return PyUnicode_FromString(names[s & 3]);
}

/* asyncio.Future's private protocol that asyncio's own code uses on any
 * future (gather, TaskGroup, wait_for): _make_cancelled_error(),
 * _cancel_message, _log_destroy_pending, _source_traceback. */
static PyObject *future_make_cancelled_error(PyFuture *f, PyObject *noarg) {
  (void)noarg;
  return cancelled_error(f);
}

static PyObject *get_cancel_message(PyFuture *f, void *c) {
  const char *msg = f->fut ? acore_future_cancel_message(f->fut) : NULL;
  (void)c;
  if (msg == NULL)
    Py_RETURN_NONE;
  return PyUnicode_FromString(msg);
}

static PyObject *get_log_destroy(PyFuture *f, void *c) {
  (void)c;
  return PyBool_FromLong(!f->quiet);
}

static int set_log_destroy(PyFuture *f, PyObject *v, void *c) {
  int b = v ? PyObject_IsTrue(v) : 0;
  (void)c;
  if (b < 0)
    return -1;
  f->quiet = (uint8_t)!b;
  return 0;
}

static PyObject *get_none(PyFuture *f, void *c) {
  (void)f;
  (void)c;
  Py_RETURN_NONE;
}

static PyGetSetDef future_getset[] = {
    {"_cancel_message", (getter)get_cancel_message, NULL, NULL, NULL},
    {"_log_destroy_pending", (getter)get_log_destroy, (setter)set_log_destroy,
     NULL, NULL},
    {"_source_traceback", (getter)get_none, NULL, NULL, NULL},
    {"_asyncio_future_blocking", (getter)get_blocking, (setter)set_blocking,
     NULL, NULL},
    {"_state", (getter)get_state, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef future_methods[] = {
    {"result", (PyCFunction)future_result, METH_NOARGS, NULL},
    {"exception", (PyCFunction)future_exception, METH_NOARGS, NULL},
    {"done", (PyCFunction)future_done, METH_NOARGS, NULL},
    {"cancelled", (PyCFunction)future_cancelled, METH_NOARGS, NULL},
    {"set_result", (PyCFunction)future_set_result, METH_O, NULL},
    {"set_exception", (PyCFunction)future_set_exception, METH_O, NULL},
    {"cancel", (PyCFunction)(void (*)(void))future_cancel,
     METH_VARARGS | METH_KEYWORDS, NULL},
    {"add_done_callback", (PyCFunction)(void (*)(void))future_add_done_callback,
     METH_FASTCALL | METH_KEYWORDS, NULL},
    {"remove_done_callback", (PyCFunction)future_remove_done_callback, METH_O,
     NULL},
    {"get_loop", (PyCFunction)future_get_loop, METH_NOARGS, NULL},
    {"_make_cancelled_error", (PyCFunction)future_make_cancelled_error,
     METH_NOARGS, NULL},
    {"__await__", future_await_method, METH_NOARGS, NULL},
    {"__iter__", future_await_method, METH_NOARGS, NULL},
    {"_address", (PyCFunction)future_address, METH_NOARGS,
     "the acore_future_t * as an integer (borrowed)"},
    {NULL, NULL, 0, NULL}};

static PyAsyncMethods future_async = {
    .am_await = pyac_self,
    .am_send = (sendfunc)future_am_send,
};

PyTypeObject PyacFuture_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore.Future",
    .tp_basicsize = sizeof(PyFuture),
    .tp_dealloc = (destructor)future_dealloc,
    .tp_as_async = &future_async,
    .tp_repr = (reprfunc)future_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A future on an acore loop (asyncio.Future's API).",
    .tp_traverse = (traverseproc)future_traverse,
    .tp_clear = (inquiry)future_clear,
    .tp_weaklistoffset = offsetof(PyFuture, weakreflist),
    .tp_iter = pyac_self,
    .tp_iternext = (iternextfunc)future_iternext,
    .tp_methods = future_methods,
    .tp_getset = future_getset,
    .tp_new = future_tp_new,
};

int pyac_future_type_init(PyObject *m) {
  if (PyType_Ready(&PyacFuture_Type) < 0)
    return -1;
  return PyModule_AddObjectRef(m, "Future", (PyObject *)&PyacFuture_Type);
}
