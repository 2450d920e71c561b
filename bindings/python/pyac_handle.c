/* SPDX-License-Identifier: MIT */
/*
 * pyac_handle.c - acore.Handle and the scheduling calls that return it:
 * call_soon, call_later, call_at, call_soon_threadsafe.
 *
 * Design notes
 * - The Handle is the callback's user data: C holds one reference to it
 *   until the call ran, was cancelled or the loop closed (handle_release).
 * - Once the call ran or was cancelled, the handle lets go of the callable
 *   and its arguments at once; it keeps its context (get_context()).
 * - call_later and call_at return an acore.TimerHandle (a Handle with
 *   when() and asyncio's ordering by due time); the others a Handle.
 * - An exception escaping the callable goes to the loop (pyac_callback_error)
 *   with the handle, which the handler's context gets as "handle".
 * - contextvars as asyncio: every call runs inside a Context, the one given
 *   with context= or else a copy of the scheduling thread's current context
 *   taken at the call (pyac_ctx_capture: no copy when one is given, none
 *   either when the current context is empty).
 */
#include "pyac.h"

/* The callable's exception goes to the loop with the handle, which shows
 * the callable again while it is reported. */
static void handle_error(PyHandle *h, PyObject *fn) {
  h->fn = Py_NewRef(fn);
  pyac_callback_error(h->loop, (PyObject *)h);
  Py_CLEAR(h->fn);
}

static void handle_run(void *ud) {
  PyHandle *h = ud;
  pyac_gil g = pyac_gil_enter();
  PyObject *r, *fn = h->fn, *args = h->args;

  if (!h->cancelled && fn != NULL) {
    h->fn = NULL;
    h->args = NULL;
    PyObject *ctx = h->context ? pyac_ctx_enter(h->loop, h->context) : NULL;
    if (h->context == NULL || ctx != NULL) {
      Py_ssize_t n = args ? PyTuple_GET_SIZE(args) : 0;
      r = PyObject_Vectorcall(fn, n ? &PyTuple_GET_ITEM(args, 0) : NULL,
                              (size_t)n, NULL);
      if (ctx != NULL)
        pyac_ctx_exit_keeping_error(h->loop, ctx);
      if (r == NULL)
        handle_error(h, fn); /* outside the callback's context */
      Py_XDECREF(r);
    } else {
      handle_error(h, fn);
    }
    Py_DECREF(fn);
    Py_XDECREF(args);
  }
  pyac_gil_leave(g);
}

static void handle_release(void *ud) { pyac_obj_free(ud); }

static int parse_kw(PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames, PyObject **ctx) {
  Py_ssize_t i;

  *ctx = NULL;
  for (i = 0; kwnames != NULL && i < PyTuple_GET_SIZE(kwnames); i++) {
    PyObject *k = PyTuple_GET_ITEM(kwnames, i);
    if (PyUnicode_CompareWithASCIIString(k, "context") != 0) {
      PyErr_Format(PyExc_TypeError, "unexpected keyword argument %R", k);
      return -1;
    }
    if (args[nargs + i] != Py_None)
      *ctx = args[nargs + i];
  }
  return 0;
}

PyHandle *pyac_handle_new(PyTypeObject *type, PyLoop *loop, PyObject *fn,
                          PyObject *const *args, Py_ssize_t n, PyObject *ctx) {
  PyHandle *h;
  Py_ssize_t i;

  if (!PyCallable_Check(fn)) {
    PyErr_Format(PyExc_TypeError, "a callable object was expected, got %R",
                 fn);
    return NULL;
  }
  h = PyObject_GC_New(PyHandle, type);
  if (h == NULL)
    return NULL;
  pyac_live++;
  h->h = NULL;
  h->fn = Py_NewRef(fn);
  h->args = NULL;
  /* asyncio: context=None means a copy of the caller's context */
  h->context = ctx ? Py_NewRef(ctx) : pyac_ctx_capture();
  h->loop = (PyLoop *)Py_NewRef(loop);
  h->cancelled = 0;
  if (n > 0 && (h->args = PyTuple_New(n)) != NULL)
    for (i = 0; i < n; i++)
      PyTuple_SET_ITEM(h->args, i, Py_NewRef(args[i]));
  PyObject_GC_Track(h);
  if (h->context == NULL || (n > 0 && h->args == NULL)) {
    Py_DECREF(h);
    return NULL;
  }
  return h;
}

/* Schedule: args are [time,] fn, *args (kind decides). */
PyObject *pyac_schedule(PyLoop *loop, int kind, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames) {
  Py_ssize_t skip = (kind == PYAC_LATER || kind == PYAC_AT) ? 1 : 0;
  double t = 0;
  PyObject *ctx;
  PyHandle *h;
  int rc;

  if (nargs < skip + 1)
    return PyErr_Format(PyExc_TypeError, "missing the callback argument");
  if (parse_kw(args, nargs, kwnames, &ctx) < 0 || pyac_loop_check(loop) < 0)
    return NULL;
  if (skip && (t = PyFloat_AsDouble(args[0])) == -1.0 && PyErr_Occurred())
    return NULL;
  h = pyac_handle_new(skip ? &PyacTimerHandle_Type : &PyacHandle_Type, loop,
                 args[skip], args + skip + 1, nargs - skip - 1, ctx);
  if (h == NULL)
    return NULL;
  switch (kind) {
  case PYAC_SOON:
    rc = acore_loop_call_soon(loop->loop, handle_run, pyac_give(Py_NewRef(h)),
                              handle_release, &h->h);
    break;
  case PYAC_LATER:
    rc = acore_loop_call_later(loop->loop, t < 0 ? 0 : t, handle_run,
                               pyac_give(Py_NewRef(h)), handle_release, &h->h);
    break;
  case PYAC_AT:
    rc = acore_loop_call_at(loop->loop, t, handle_run, pyac_give(Py_NewRef(h)),
                            handle_release, &h->h);
    break;
  default:
    rc = acore_loop_call_soon_threadsafe(loop->loop, handle_run,
                                         pyac_give(Py_NewRef(h)),
                                         handle_release);
  }
  if (rc < 0) {
    Py_DECREF(h);
    return pyac_raise(rc);
  }
  return (PyObject *)h;
}

/* ---- the Handle type -------------------------------------------------------- */

static PyObject *handle_cancel(PyHandle *h, PyObject *noarg) {
  (void)noarg;
  if (!h->cancelled) {
    h->cancelled = 1;
    Py_CLEAR(h->fn);
    Py_CLEAR(h->args);
    if (h->h != NULL)
      acore_handle_cancel(h->h);
  }
  Py_RETURN_NONE;
}

static PyObject *handle_cancelled(PyHandle *h, PyObject *noarg) {
  (void)noarg;
  return PyBool_FromLong(h->cancelled);
}

/* get_context(): the context the call runs (or ran) in; an empty one
 * made now (and kept) when it was scheduled from an empty context. */
static PyObject *handle_get_context(PyHandle *h, PyObject *noarg) {
  (void)noarg;
  if (h->context == NULL || h->context == Py_None) {
    PyObject *ctx = PyContext_New();

    if (ctx == NULL)
      return NULL;
    Py_XSETREF(h->context, ctx);
  }
  return Py_NewRef(h->context);
}

static PyObject *handle_repr(PyHandle *h) {
  return PyUnicode_FromFormat("<%s %s%R>", Py_TYPE(h)->tp_name + 6,
                              h->cancelled ? "cancelled " : "",
                              h->fn ? h->fn : Py_None);
}

/* ---- TimerHandle: when() and asyncio's ordering ------------------------------ */

/* The loop time the call is (or was) due at. */
static double timer_when(PyHandle *h) { return acore_handle_when(h->h); }

static PyObject *timer_when_m(PyHandle *h, PyObject *noarg) {
  (void)noarg;
  return PyFloat_FromDouble(timer_when(h));
}

/* As asyncio.TimerHandle: ordered by due time; equal when due at the same
 * time with the same callable, arguments and cancelled state. */
static PyObject *timer_richcompare(PyObject *a, PyObject *b, int op) {
  PyHandle *x = (PyHandle *)a, *y = (PyHandle *)b;
  double wa, wb;
  int eq;

  if (!PyObject_TypeCheck(b, &PyacTimerHandle_Type))
    Py_RETURN_NOTIMPLEMENTED;
  wa = timer_when(x);
  wb = timer_when(y);
  if (op == Py_LT || op == Py_GT)
    Py_RETURN_RICHCOMPARE(wa, wb, op);
  eq = wa == wb && x->cancelled == y->cancelled;
  if (eq && a != b) {
    PyObject *fa = x->fn ? x->fn : Py_None, *fb = y->fn ? y->fn : Py_None;
    PyObject *aa = x->args ? x->args : Py_None;
    PyObject *ab = y->args ? y->args : Py_None;

    if ((eq = PyObject_RichCompareBool(fa, fb, Py_EQ)) > 0)
      eq = PyObject_RichCompareBool(aa, ab, Py_EQ);
    if (eq < 0)
      return NULL;
  }
  switch (op) {
  case Py_EQ:
    return PyBool_FromLong(eq);
  case Py_NE:
    return PyBool_FromLong(!eq);
  case Py_LE:
    return PyBool_FromLong(wa < wb || eq);
  default: /* Py_GE */
    return PyBool_FromLong(wa > wb || eq);
  }
}

static Py_hash_t timer_hash(PyObject *h) {
  PyObject *when = PyFloat_FromDouble(timer_when((PyHandle *)h));
  Py_hash_t hash;

  if (when == NULL)
    return -1;
  hash = PyObject_Hash(when);
  Py_DECREF(when);
  return hash;
}

static int handle_traverse(PyHandle *h, visitproc visit, void *arg) {
  Py_VISIT(h->fn);
  Py_VISIT(h->args);
  Py_VISIT(h->context);
  Py_VISIT(h->loop);
  return 0;
}

static int handle_clear(PyHandle *h) {
  Py_CLEAR(h->fn);
  Py_CLEAR(h->args);
  Py_CLEAR(h->context);
  return 0;
}

static void handle_dealloc(PyHandle *h) {
  PyObject_GC_UnTrack(h);
  handle_clear(h);
  Py_CLEAR(h->loop);
  acore_handle_unref(h->h);
  pyac_live--;
  PyObject_GC_Del(h);
}

static PyMethodDef handle_methods[] = {
    {"cancel", (PyCFunction)handle_cancel, METH_NOARGS, NULL},
    {"cancelled", (PyCFunction)handle_cancelled, METH_NOARGS, NULL},
    {"get_context", (PyCFunction)handle_get_context, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyMethodDef timer_methods[] = {
    {"when", (PyCFunction)timer_when_m, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

PyTypeObject PyacHandle_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore.Handle",
    .tp_basicsize = sizeof(PyHandle),
    .tp_dealloc = (destructor)handle_dealloc,
    .tp_repr = (reprfunc)handle_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A scheduled call (asyncio.Handle).",
    .tp_traverse = (traverseproc)handle_traverse,
    .tp_clear = (inquiry)handle_clear,
    .tp_methods = handle_methods,
};

PyTypeObject PyacTimerHandle_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore.TimerHandle",
    .tp_basicsize = sizeof(PyHandle),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A call due at a loop time (asyncio.TimerHandle): when().",
    .tp_dealloc = (destructor)handle_dealloc,
    .tp_repr = (reprfunc)handle_repr,
    .tp_traverse = (traverseproc)handle_traverse,
    .tp_clear = (inquiry)handle_clear,
    .tp_richcompare = timer_richcompare,
    .tp_hash = timer_hash,
    .tp_methods = timer_methods,
};

int pyac_handle_type_init(PyObject *m) {
  PyacTimerHandle_Type.tp_base = &PyacHandle_Type;
  if (PyType_Ready(&PyacHandle_Type) < 0 ||
      PyType_Ready(&PyacTimerHandle_Type) < 0)
    return -1;
  if (PyModule_AddObjectRef(m, "Handle", (PyObject *)&PyacHandle_Type) < 0)
    return -1;
  return PyModule_AddObjectRef(m, "TimerHandle",
                               (PyObject *)&PyacTimerHandle_Type);
}
