/* SPDX-License-Identifier: MIT */
/*
 * pyac_loop.c - acore.LoopBase: the C half of acore.Loop. It owns the
 * acore_loop_t, runs it with the GIL released, forwards the loop's reports
 * to Python, and has the loop watch the signal wake-up fd so Ctrl-C stops a
 * loop that is blocked waiting.
 *
 * Design notes
 * - The runner releases the GIL around acore_loop_run*(); trampolines take
 *   it back lazily; the loop's poll hook gives it back before a wait that
 *   may block (acore announces only those), so workers and other threads
 *   run while the loop sleeps, and a busy loop does not bounce the GIL.
 * - Ctrl-C: Python's signal wake-up fd is the loop's wake-up fd
 *   (acore_loop_set_wakeup_fd); the hook's WAKEUP phase runs the signal
 *   handlers and stops the loop when one raises.
 * - An exception that must leave the loop (KeyboardInterrupt, SystemExit,
 *   a callback error with no handler set) is stored in `fatal`, the loop is
 *   stopped, and the runner raises it when acore returns.
 * - The error handler's user data is the LoopBase itself, borrowed: the
 *   wrapper owns the C loop, and detaches the handler before closing it
 *   from its destructor.
 */
#include "pyac.h"


static __thread PyLoop *tls_running;
static PyLoop *pyac_loops; /* every initialised loop (GIL held) */

static void loops_link(PyLoop *self) {
  self->lprev = NULL;
  self->lnext = pyac_loops;
  if (pyac_loops != NULL)
    pyac_loops->lprev = self;
  pyac_loops = self;
}

static void loops_unlink(PyLoop *self) {
  if (self->lprev == NULL && pyac_loops != self)
    return; /* never linked */
  if (self->lprev != NULL)
    self->lprev->lnext = self->lnext;
  else
    pyac_loops = self->lnext;
  if (self->lnext != NULL)
    self->lnext->lprev = self->lprev;
  self->lprev = self->lnext = NULL;
}

PyObject *pyac_every_task(void) {
  PyObject *list = PyList_New(0);
  PyLoop *l;
  PyTask *t;

  for (l = pyac_loops; list != NULL && l != NULL; l = l->lnext)
    for (t = l->tasks; list != NULL && t != NULL; t = t->next)
      if (PyList_Append(list, (PyObject *)t) < 0)
        Py_CLEAR(list);
  return list;
}

Py_ssize_t pyac_every_task_count(void) {
  Py_ssize_t n = 0;
  PyLoop *l;

  for (l = pyac_loops; l != NULL; l = l->lnext)
    n += l->ntasks;
  return n;
}

PyLoop *pyac_running_loop(void) { return tls_running; }

PyLoop *pyac_loop_arg(PyObject *loop) {
  if (loop == Py_None)
    loop = (PyObject *)tls_running;
  if (loop == NULL || !PyObject_TypeCheck(loop, &PyacLoop_Type)) {
    PyErr_SetString(PyExc_RuntimeError, "no running acore loop");
    return NULL;
  }
  return (PyLoop *)loop;
}

int pyac_loop_check(PyLoop *loop) {
  if (loop->loop != NULL && !acore_loop_is_closed(loop->loop))
    return 0;
  PyErr_SetString(PyExc_RuntimeError, "Event loop is closed");
  return -1;
}

/* ---- the poll hook ------------------------------------------------------------ */

/* Before a wait that may block: give the GIL back if a trampoline took it.
 * On a signal wake-up: run the signal handlers; one that raises (Ctrl-C's
 * KeyboardInterrupt) stops the loop and is re-raised by the runner. */
static void on_poll(acore_loop_t *l, int phase, void *ud) {
  PyLoop *self = ud;
  pyac_gil g;

  (void)l;
  if (phase == ACORE_POLL_BEFORE) {
    if (pyac_tls_depth > 0 && pyac_tls_saved == NULL && PyGILState_Check())
      pyac_tls_saved = PyEval_SaveThread();
    return;
  }
  if (phase != ACORE_POLL_WAKEUP)
    return;
  g = pyac_gil_enter();
  if (PyErr_CheckSignals() < 0) {
    PyObject *exc = pyac_fetch_exc();
    if (exc != NULL) {
      pyac_set_fatal(self, exc);
      Py_DECREF(exc);
    }
  }
  pyac_gil_leave(g);
}

/* ---- reports ------------------------------------------------------------------- */

static void report_trampoline(acore_loop_t *l, const acore_context_t *ctx,
                              void *ud) {
  PyLoop *self = ud;
  pyac_gil g = pyac_gil_enter();
  PyObject *et, *ev, *etb, *exc, *r;
  acore_error_t *err = acore_context_error(ctx);

  (void)l;
  PyErr_Fetch(&et, &ev, &etb);
  exc = err ? pyac_exc_from_error(err) : Py_NewRef(Py_None);
  if (exc == NULL) {
    PyErr_Clear();
    exc = Py_NewRef(Py_None);
  }
  r = PyObject_CallMethod((PyObject *)self, "_c_report", "isOs",
                          acore_context_kind(ctx), acore_context_message(ctx),
                          exc, acore_context_name(ctx));
  if (r == NULL)
    PyErr_WriteUnraisable((PyObject *)self);
  Py_XDECREF(r);
  Py_DECREF(exc);
  PyErr_Restore(et, ev, etb);
  pyac_gil_leave(g);
}

/* ---- creation and close -------------------------------------------------------- */

static int loop_init(PyLoop *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"flags", "slow_callback", NULL};
  unsigned flags = 0;
  double slow = 0.1;
  acore_loop_options_t *opts = NULL;
  int rc;

  if (!PyArg_ParseTupleAndKeywords(args, kw, "|Id:LoopBase", kwlist, &flags,
                                   &slow))
    return -1;
  if (self->loop != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "loop already initialised");
    return -1;
  }
  rc = acore_loop_options_new(&opts);
  if (rc == ACORE_OK)
    rc = acore_loop_options_set_flags(opts, flags);
  if (rc == ACORE_OK)
    rc = acore_loop_options_set_slow_callback(opts, slow);
  if (rc == ACORE_OK)
    rc = acore_loop_new(opts, &self->loop);
  acore_loop_options_free(opts);
  if (rc != ACORE_OK) {
    pyac_raise(rc);
    return -1;
  }
  rc = acore_loop_set_poll_hook(self->loop, on_poll, self, NULL);
  if (rc == ACORE_OK) /* the dumps name Python tasks' sites */
    rc = acore_loop_set_where_fn(self->loop, pyac_task_where, NULL, NULL);
  if (rc != ACORE_OK) {
    pyac_raise(rc);
    return -1;
  }
  acore_loop_set_error_handler(self->loop, report_trampoline, self, NULL);
  loops_link(self);
  return 0;
}

/* Close the C loop with the GIL released (executor joins may need it). */
static int close_c_loop(PyLoop *self) {
  PyThreadState *prev = pyac_tls_saved;
  int rc;

  if (acore_loop_is_running(self->loop) == 1)
    return ACORE_EBUSY;
  pyac_tls_saved = PyEval_SaveThread();
  pyac_exec_loop_closing(self);
  rc = acore_loop_close(self->loop);
  if (rc == ACORE_OK)
    pyac_exec_loop_closed(self);
  pyac_gil_retake();
  pyac_tls_saved = prev;
  pyac_exec_reap();
  return rc;
}

static PyObject *raise_fatal(PyLoop *self);

/* A KeyboardInterrupt or SystemExit raised by a coroutine that close
 * closed leaves close() once the C loop is closed. A close() called from
 * inside (a __del__ that close runs) returns at once. */
static PyObject *loop_close(PyLoop *self, PyObject *noarg) {
  int rc;

  (void)noarg;
  if (self->loop == NULL || self->closing ||
      acore_loop_is_closed(self->loop) == 1)
    Py_RETURN_NONE;
  Py_CLEAR(self->fatal);
  self->closing = 1;
  if (acore_loop_is_running(self->loop) != 1)
    pyac_io_clear(self); /* its libuv handle closes with the loop */
  rc = close_c_loop(self);
  self->closing = 0;
  if (rc == ACORE_EBUSY) {
    PyErr_SetString(PyExc_RuntimeError, "Cannot close a running event loop");
    return NULL;
  }
  if (rc < 0)
    return pyac_raise(rc);
  Py_CLEAR(self->empty_ctx);
  if (self->fatal != NULL)
    return raise_fatal(self);
  Py_RETURN_NONE;
}

static int loop_traverse(PyLoop *self, visitproc visit, void *arg) {
  Py_VISIT(self->fatal);
  Py_VISIT(self->empty_ctx);
  Py_VISIT(self->task_factory);
  return pyac_io_traverse(self, visit, arg);
}

static int loop_clear(PyLoop *self) {
  Py_CLEAR(self->fatal);
  Py_CLEAR(self->empty_ctx);
  Py_CLEAR(self->task_factory);
  pyac_io_clear(self);
  return 0;
}

static void loop_dealloc(PyLoop *self) {
  PyTypeObject *tp = Py_TYPE(self);

  PyObject_GC_UnTrack(self);
  if (self->weakreflist != NULL)
    PyObject_ClearWeakRefs((PyObject *)self);
  if (self->loop != NULL) {
    loops_unlink(self);
    if (!acore_loop_is_closed(self->loop)) {
      acore_loop_set_error_handler(self->loop, NULL, NULL, NULL);
      pyac_io_clear(self);
      close_c_loop(self);
    }
    pyac_io_clear(self);
    acore_loop_unref(self->loop);
    self->loop = NULL;
  }
  loop_clear(self);
  pyac_live--;
  tp->tp_free((PyObject *)self);
}

/* ---- running ------------------------------------------------------------------- */

static PyObject *raise_fatal(PyLoop *self) {
  PyObject *exc = self->fatal;

  self->fatal = NULL;
  PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
  Py_DECREF(exc);
  return NULL;
}

/* -1 + RuntimeError if the loop is closed or already running. */
static int check_startable(PyLoop *self) {
  if (pyac_loop_check(self) < 0)
    return -1;
  if (acore_loop_is_running(self->loop) != 1)
    return 0;
  PyErr_SetString(PyExc_RuntimeError, "This event loop is already running");
  return -1;
}

static int run_released(PyLoop *self, acore_future_t *f) {
  PyThreadState *prev_saved = pyac_tls_saved, *prev_ts = pyac_tls_tstate;
  PyLoop *prev_running = tls_running;
  int rc;

  tls_running = self;
  pyac_tls_depth++;
  pyac_tls_saved = pyac_tls_tstate = PyEval_SaveThread();
  rc = f ? acore_loop_run_until_complete(self->loop, f)
         : acore_loop_run(self->loop);
  pyac_gil_retake();
  pyac_tls_saved = prev_saved;
  pyac_tls_tstate = prev_ts;
  pyac_tls_depth--;
  tls_running = prev_running;
  return rc;
}

/* _run(fut=None): run until fut is done (or until no work is left / stop).
 * Returns True when fut is done (or, without fut, when the loop ran). */
static PyObject *loop_run(PyLoop *self, PyObject *arg) {
  acore_future_t *f = NULL;
  int rc;

  if (check_startable(self) < 0)
    return NULL;
  if (arg != Py_None && (f = pyac_c_future(arg)) == NULL)
    return NULL;
  Py_XINCREF(arg);
  if (f != NULL && (rc = acore_loop_hold(self->loop)) < 0) {
    Py_DECREF(arg);
    return pyac_raise(rc);
  }
  rc = run_released(self, f); /* held: waits like asyncio until f is done */
  if (f != NULL)
    acore_loop_release(self->loop);
  Py_XDECREF(arg);
  if (self->fatal != NULL)
    return raise_fatal(self);
  if (rc < 0 && rc != ACORE_EAGAIN)
    return pyac_raise(rc);
  return PyBool_FromLong(rc == ACORE_OK);
}

/* _run_forever(): run until stop(), even when idle. */
static PyObject *loop_run_forever(PyLoop *self, PyObject *noarg) {
  int rc;

  (void)noarg;
  if (check_startable(self) < 0)
    return NULL;
  rc = acore_loop_hold(self->loop);
  if (rc == ACORE_OK) {
    rc = run_released(self, NULL);
    acore_loop_release(self->loop);
  }
  if (self->fatal != NULL)
    return raise_fatal(self);
  if (rc < 0)
    return pyac_raise(rc);
  Py_RETURN_NONE;
}

/* _hold() / _release(): keep the loop waiting for another thread's work
 * (acore_loop_hold); any thread. */
static PyObject *loop_hold(PyLoop *self, PyObject *noarg) {
  int rc = self->loop ? acore_loop_hold(self->loop) : ACORE_ECLOSED;
  (void)noarg;
  return rc < 0 ? pyac_raise(rc) : Py_NewRef(Py_None);
}

static PyObject *loop_release(PyLoop *self, PyObject *noarg) {
  int rc = self->loop ? acore_loop_release(self->loop) : ACORE_ECLOSED;
  (void)noarg;
  return rc < 0 ? pyac_raise(rc) : Py_NewRef(Py_None);
}

static PyObject *loop_stop(PyLoop *self, PyObject *noarg) {
  (void)noarg;
  if (self->loop != NULL && !acore_loop_is_closed(self->loop))
    acore_loop_stop(self->loop);
  Py_RETURN_NONE;
}

static PyObject *loop_set_fatal(PyLoop *self, PyObject *exc) {
  pyac_set_fatal(self, exc);
  Py_RETURN_NONE;
}

static PyObject *loop_signal_fd(PyLoop *self, PyObject *arg) {
  int fd = PyLong_AsLong(arg), rc;

  if (fd == -1 && PyErr_Occurred())
    return NULL;
  if (fd < 0 && (self->loop == NULL || acore_loop_is_closed(self->loop) == 1))
    Py_RETURN_NONE;
  if (pyac_loop_check(self) < 0)
    return NULL;
  rc = acore_loop_set_wakeup_fd(self->loop, fd < 0 ? -1 : fd);
  if (rc == ACORE_EIO)
    return PyErr_Format(PyExc_OSError, "cannot watch fd %d", fd);
  return rc < 0 ? pyac_raise(rc) : Py_NewRef(Py_None);
}

/* ---- small methods ------------------------------------------------------------- */

static PyObject *loop_time(PyLoop *self, PyObject *noarg) {
  (void)noarg;
  return PyFloat_FromDouble(acore_loop_time(self->loop));
}

static PyObject *loop_is_closed(PyLoop *self, PyObject *noarg) {
  (void)noarg;
  return PyBool_FromLong(self->loop == NULL ||
                         acore_loop_is_closed(self->loop) == 1);
}

static PyObject *loop_is_running(PyLoop *self, PyObject *noarg) {
  (void)noarg;
  return PyBool_FromLong(self->loop != NULL &&
                         acore_loop_is_running(self->loop) == 1);
}

static PyObject *loop_create_future(PyLoop *self, PyObject *noarg) {
  (void)noarg;
  return (PyObject *)pyac_future_new(self, &PyacFuture_Type);
}

/* create_task through loop.set_task_factory()'s factory, as the running
 * interpreter's asyncio calls it: 3.13+ factory(loop, coro, **kwargs);
 * before, factory(loop, coro[, context=]) and then task.set_name(name). */
static PyObject *factory_task(PyLoop *self, PyObject *coro, PyObject *name,
                              PyObject *ctx) {
  PyObject *kw = PyDict_New(), *args, *task = NULL, *r;

  args = kw ? PyTuple_Pack(2, (PyObject *)self, coro) : NULL;
  if (args == NULL ||
#if PY_VERSION_HEX >= 0x030D0000
      (name != Py_None && PyDict_SetItemString(kw, "name", name) < 0) ||
#endif
      (ctx != Py_None && PyDict_SetItemString(kw, "context", ctx) < 0))
    goto out;
  task = PyObject_Call(self->task_factory, args, kw);
#if PY_VERSION_HEX < 0x030D0000
  if (task != NULL && name != Py_None) {
    r = PyObject_CallMethod(task, "set_name", "O", name);
    if (r == NULL)
      Py_CLEAR(task);
    Py_XDECREF(r);
  }
#else
  (void)r;
#endif
out:
  Py_XDECREF(args);
  Py_XDECREF(kw);
  return task;
}

/* create_task(coro, *, name=None, context=None)'s arguments, parsed from
 * a vector call (no argument tuple or dict is built). 0, or -1 + TypeError.
 */
static int task_args(PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames, PyObject **v) {
  static const char *const names[] = {"coro", "name", "context"};
  Py_ssize_t i, nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  int j;

  if (nargs > 1) {
    PyErr_Format(PyExc_TypeError, "create_task() takes 1 positional "
                 "argument but %zd were given", nargs);
    return -1;
  }
  v[0] = nargs ? args[0] : NULL;
  v[1] = v[2] = NULL;
  for (i = 0; i < nkw; i++) {
    PyObject *k = PyTuple_GET_ITEM(kwnames, i);
    for (j = 0; j < 3 && PyUnicode_CompareWithASCIIString(k, names[j]); j++)
      ;
    if (j == 3 || v[j] != NULL) {
      PyErr_Format(PyExc_TypeError, j == 3 ? "create_task() got an "
                   "unexpected keyword argument '%U'" : "create_task() got "
                   "multiple values for argument '%U'", k);
      return -1;
    }
    v[j] = args[nargs + i];
  }
  if (v[0] == NULL) {
    PyErr_SetString(PyExc_TypeError,
                    "create_task() missing required argument 'coro' (pos 1)");
    return -1;
  }
  for (j = 1; j < 3; j++)
    if (v[j] == NULL)
      v[j] = Py_None;
  return 0;
}

static PyObject *loop_create_task(PyLoop *self, PyObject *const *args,
                                  Py_ssize_t nargs, PyObject *kwnames) {
  PyObject *v[3], *coro, *name, *ctx;

  if (task_args(args, nargs, kwnames, v) < 0)
    return NULL;
  coro = v[0];
  name = v[1];
  ctx = v[2];
  if (self->task_factory != NULL) {
    if (pyac_loop_check(self) < 0)
      return NULL;
    return factory_task(self, coro, name, ctx);
  }
  return pyac_task_create(self, coro, name, ctx);
}

static PyObject *loop_set_task_factory(PyLoop *self, PyObject *factory) {
  if (factory != Py_None && !PyCallable_Check(factory))
    return PyErr_Format(PyExc_TypeError,
                        "task factory must be a callable or None");
  Py_XSETREF(self->task_factory,
             factory == Py_None ? NULL : Py_NewRef(factory));
  Py_RETURN_NONE;
}

static PyObject *loop_get_task_factory(PyLoop *self, PyObject *noarg) {
  (void)noarg;
  return Py_NewRef(self->task_factory ? self->task_factory : Py_None);
}

#define SCHED(name, kind)                                                      \
  static PyObject *name(PyLoop *self, PyObject *const *args, Py_ssize_t n,     \
                        PyObject *kwn) {                                       \
    return pyac_schedule(self, kind, args, n, kwn);                            \
  }
SCHED(loop_call_soon, PYAC_SOON)
SCHED(loop_call_later, PYAC_LATER)
SCHED(loop_call_at, PYAC_AT)
SCHED(loop_call_soon_threadsafe, PYAC_THREADSAFE)

static PyObject *loop_address(PyLoop *self, PyObject *noarg) {
  (void)noarg;
  if (pyac_loop_check(self) < 0)
    return NULL;
  return PyLong_FromVoidPtr(self->loop);
}

/* _wrap_future(address): a Future wrapping the acore_future_t * at
 * `address`, taking over one reference the caller owns. */
static PyObject *loop_wrap_future(PyLoop *self, PyObject *arg) {
  acore_future_t *fut = PyLong_AsVoidPtr(arg);

  if (fut == NULL)
    return PyErr_Occurred() ? NULL
                            : PyErr_Format(PyExc_ValueError, "NULL future");
  if (acore_future_loop(fut) != self->loop)
    return PyErr_Format(PyExc_ValueError, "future of another loop");
  return (PyObject *)pyac_future_wrap(self, fut); /* shared: C made it */
}

static PyObject *loop_advance(PyLoop *self, PyObject *arg) {
  double s = PyFloat_AsDouble(arg);
  int rc;

  if (s == -1.0 && PyErr_Occurred())
    return NULL;
  rc = acore_loop_advance(self->loop, s);
  return rc < 0 ? pyac_raise(rc) : Py_NewRef(Py_None);
}

static PyObject *loop_all_tasks(PyLoop *self, PyObject *noarg) {
  (void)noarg;
  return pyac_all_tasks(self);
}

static PyObject *loop_task_count(PyLoop *self, PyObject *noarg) {
  (void)noarg;
  return PyLong_FromSize_t(acore_loop_task_count(self->loop));
}

#define FASTKW (METH_FASTCALL | METH_KEYWORDS)
static PyMethodDef loop_methods[] = {
    {"time", (PyCFunction)loop_time, METH_NOARGS, NULL},
    {"create_future", (PyCFunction)loop_create_future, METH_NOARGS, NULL},
    {"create_task", (PyCFunction)(void (*)(void))loop_create_task, FASTKW,
     NULL},
    {"set_task_factory", (PyCFunction)loop_set_task_factory, METH_O, NULL},
    {"get_task_factory", (PyCFunction)loop_get_task_factory, METH_NOARGS,
     NULL},
    {"call_soon", (PyCFunction)(void (*)(void))loop_call_soon, FASTKW, NULL},
    {"call_later", (PyCFunction)(void (*)(void))loop_call_later, FASTKW, NULL},
    {"call_at", (PyCFunction)(void (*)(void))loop_call_at, FASTKW, NULL},
    {"call_soon_threadsafe",
     (PyCFunction)(void (*)(void))loop_call_soon_threadsafe, FASTKW, NULL},
    {"stop", (PyCFunction)loop_stop, METH_NOARGS, NULL},
    {"is_closed", (PyCFunction)loop_is_closed, METH_NOARGS, NULL},
    {"is_running", (PyCFunction)loop_is_running, METH_NOARGS, NULL},
    {"_run", (PyCFunction)loop_run, METH_O, NULL},
    {"_close", (PyCFunction)loop_close, METH_NOARGS, NULL},
    {"_set_fatal", (PyCFunction)loop_set_fatal, METH_O, NULL},
    {"_signal_fd", (PyCFunction)loop_signal_fd, METH_O, NULL},
    {"_address", (PyCFunction)loop_address, METH_NOARGS,
     "the acore_loop_t * as an integer (borrowed; valid until close)"},
    {"_wrap_future", (PyCFunction)loop_wrap_future, METH_O, NULL},
    {"_advance", (PyCFunction)loop_advance, METH_O, NULL},
    {"_all_tasks", (PyCFunction)loop_all_tasks, METH_NOARGS, NULL},
    {"_task_count", (PyCFunction)loop_task_count, METH_NOARGS, NULL},
    {"_run_forever", (PyCFunction)loop_run_forever, METH_NOARGS, NULL},
    {"_hold", (PyCFunction)loop_hold, METH_NOARGS, NULL},
    {"_release", (PyCFunction)loop_release, METH_NOARGS, NULL},
    {"_sleep", (PyCFunction)pyac_loop_sleep, METH_O, NULL},
    {"_add_reader", (PyCFunction)(void (*)(void))pyac_loop_add_reader,
     METH_FASTCALL, NULL},
    {"_add_writer", (PyCFunction)(void (*)(void))pyac_loop_add_writer,
     METH_FASTCALL, NULL},
    {"_remove_reader", (PyCFunction)pyac_loop_remove_reader, METH_O, NULL},
    {"_remove_writer", (PyCFunction)pyac_loop_remove_writer, METH_O, NULL},
    {"_fd_watched", (PyCFunction)pyac_loop_fd_watched, METH_O, NULL},
    {"_gather", (PyCFunction)pyac_loop_gather, METH_VARARGS, NULL},
    {"_wait", (PyCFunction)pyac_loop_wait, METH_VARARGS, NULL},
    {"_wait_split", (PyCFunction)pyac_loop_wait_split, METH_VARARGS, NULL},
    {"_as_completed", (PyCFunction)pyac_loop_as_completed, METH_VARARGS, NULL},
    {"_as_completed_next", (PyCFunction)pyac_loop_as_completed_next, METH_O,
     NULL},
    {"_as_completed_pick", (PyCFunction)pyac_loop_as_completed_pick, METH_O,
     NULL},
    {NULL, NULL, 0, NULL}};

PyTypeObject PyacLoop_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore.LoopBase",
    .tp_basicsize = sizeof(PyLoop),
    .tp_dealloc = (destructor)loop_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C half of acore.Loop.",
    .tp_traverse = (traverseproc)loop_traverse,
    .tp_clear = (inquiry)loop_clear,
    .tp_weaklistoffset = offsetof(PyLoop, weakreflist),
    .tp_methods = loop_methods,
    .tp_init = (initproc)loop_init,
    .tp_new = pyac_counted_new,
};

int pyac_loop_type_init(PyObject *m) {
  if (PyType_Ready(&PyacLoop_Type) < 0)
    return -1;
  return PyModule_AddObjectRef(m, "LoopBase", (PyObject *)&PyacLoop_Type);
}
