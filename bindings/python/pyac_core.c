/* SPDX-License-Identifier: MIT */
/*
 * pyac_core.c - the Python binding's shared machinery: the GIL discipline,
 * the destructor/tag of Python objects stored in C, the mapping between
 * acore errors and Python exceptions, and the module's initialisation.
 *
 * Design notes
 * - pyac_tls_saved is the thread state a runner released on this thread
 *   (NULL while the thread holds the GIL). A trampoline that finds it set
 *   takes the GIL back and leaves it taken; the loop's poll hook (told
 *   before a wait that may block) and the runner's exit give it back.
 *   pyac_tls_tstate is the runner's thread state: when it is the one
 *   holding the GIL, a trampoline needs no further check.
 * - Errors carry exceptions as payloads tagged with pyac_obj_free, so
 *   `await` re-raises the very exception object (with its traceback).
 * - contextvars: a callback runs in a copy of the context current when it
 *   was scheduled. When that context is empty (the common case) no copy is
 *   made: the callback runs in its loop's shared empty context, which is
 *   dropped (and made afresh when next needed) as soon as a callback leaves
 *   a variable set in it, or a Token that refers to it, so no callback ever
 *   sees another's variables or can reset one in another's context.
 */
#include "pyac.h"

Py_ssize_t pyac_crefs;
Py_ssize_t pyac_live;
__thread PyThreadState *pyac_tls_saved;
__thread int pyac_tls_depth;
__thread PyThreadState *pyac_tls_tstate;

PyObject *pyac_CancelledError, *pyac_InvalidStateError, *pyac_Error;

/* ---- the GIL --------------------------------------------------------------- */

void pyac_gil_retake(void) {
  PyThreadState *ts = pyac_tls_saved;

  if (ts != NULL) {
    pyac_tls_saved = NULL;
    PyEval_RestoreThread(ts);
  }
}

pyac_gil pyac_gil_enter(void) {
  pyac_gil g = {0, PyGILState_UNLOCKED};

  if (pyac_tls_saved != NULL) {
    pyac_gil_retake();
  } else if ((pyac_tls_tstate == NULL ||
              _PyThreadState_UncheckedGet() != pyac_tls_tstate) &&
             !PyGILState_Check()) {
    g.st = PyGILState_Ensure();
    g.how = 1;
  }
  return g;
}

void pyac_gil_leave(pyac_gil g) {
  if (g.how)
    PyGILState_Release(g.st);
}

void pyac_obj_free(void *obj) {
  pyac_gil g;

  if (obj == NULL)
    return;
  g = pyac_gil_enter();
  pyac_crefs--;
  Py_DECREF((PyObject *)obj);
  pyac_gil_leave(g);
}

/* ---- small shared pieces ------------------------------------------------- */

PyObject *pyac_counted_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
  PyObject *self = type->tp_alloc(type, 0);

  (void)args;
  (void)kw;
  if (self != NULL)
    pyac_live++;
  return self;
}

PyObject *pyac_self(PyObject *o) { return Py_NewRef(o); }

PyObject *pyac_next_from_send(PySendResult sr, PyObject *r) {
  PyObject *stop;

  if (sr == PYGEN_NEXT || r == NULL)
    return sr == PYGEN_NEXT ? r : NULL;
  stop = PyObject_CallOneArg(PyExc_StopIteration, r);
  Py_DECREF(r);
  if (stop != NULL) {
    PyErr_SetObject(PyExc_StopIteration, stop);
    Py_DECREF(stop);
  }
  return NULL;
}

/* ---- contextvars ---------------------------------------------------------- */

static int ctx_is_empty(PyObject *ctx) {
  return ctx == NULL || Py_TYPE(ctx)->tp_as_mapping->mp_length(ctx) == 0;
}

PyObject *pyac_ctx_capture(void) {
  if (ctx_is_empty(PyThreadState_Get()->context))
    return Py_NewRef(Py_None);
  return PyContext_CopyCurrent();
}

PyObject *pyac_ctx_enter(PyLoop *loop, PyObject *ctx) {
  if (ctx == Py_None) {
    if (loop->empty_ctx == NULL && (loop->empty_ctx = PyContext_New()) == NULL)
      return NULL;
    ctx = loop->empty_ctx;
    if (PyContext_Enter(ctx) == 0)
      return Py_NewRef(ctx);
    /* entered already (a callback running another's dispatch): a new one */
    PyErr_Clear();
    if ((ctx = PyContext_New()) == NULL)
      return NULL;
    if (PyContext_Enter(ctx) == 0)
      return ctx;
    Py_DECREF(ctx);
    return NULL;
  }
  if (PyContext_Enter(ctx) < 0)
    return NULL;
  return Py_NewRef(ctx);
}

/* Whether `entered`, just exited, may no longer stand for an empty context
 * shared by others: it holds a variable, or something besides the loop and
 * the caller holds it (a Token of a set() since reset, which must find this
 * very context again to be used). */
static int ctx_is_private(PyLoop *loop, PyObject *entered) {
  Py_ssize_t ours = entered == loop->empty_ctx ? 2 : 1;

  return !ctx_is_empty(entered) || Py_REFCNT(entered) > ours;
}

void pyac_ctx_exit(PyLoop *loop, PyObject *entered) {
  PyContext_Exit(entered);
  if (entered == loop->empty_ctx && ctx_is_private(loop, entered))
    Py_CLEAR(loop->empty_ctx); /* not shared from now on */
  Py_DECREF(entered);
}

void pyac_ctx_exit_keeping_error(PyLoop *loop, PyObject *entered) {
  PyObject *et, *ev, *tb;

  PyErr_Fetch(&et, &ev, &tb);
  pyac_ctx_exit(loop, entered);
  PyErr_Restore(et, ev, tb);
}

int pyac_ctx_adopt(PyLoop *loop, PyObject *entered, PyObject **own) {
  PyObject *ctx = entered ? Py_NewRef(entered) : PyContext_New();

  if (ctx == NULL)
    return -1;
  if (ctx == loop->empty_ctx)
    Py_CLEAR(loop->empty_ctx); /* private from now on */
  Py_SETREF(*own, ctx);
  return 0;
}

void pyac_ctx_exit_adopt(PyLoop *loop, PyObject *entered, PyObject **own) {
  PyContext_Exit(entered);
  if (*own == Py_None && ctx_is_private(loop, entered) &&
      pyac_ctx_adopt(loop, entered, own) < 0)
    PyErr_Clear(); /* not reached: adopting `entered` allocates nothing */
  Py_DECREF(entered);
}

/* ---- errors ---------------------------------------------------------------- */

static PyObject *exc_type_for(int code) {
  switch (code) {
  case ACORE_ECANCELLED: return pyac_CancelledError;
  case ACORE_ETIMEDOUT: return PyExc_TimeoutError;
  case ACORE_EINVALIDSTATE: return pyac_InvalidStateError;
  case ACORE_EINVAL: return PyExc_ValueError;
  case ACORE_ENOMEM: return PyExc_MemoryError;
  case ACORE_ECLOSED:
  case ACORE_EBUSY:
  case ACORE_EWRONGTHREAD: return PyExc_RuntimeError;
  default: return pyac_Error;
  }
}

static PyObject *exc_new(int code, const char *msg) {
  PyObject *type = exc_type_for(code), *exc;

  if (code == ACORE_ECANCELLED && (msg == NULL || msg[0] == '\0'))
    return PyObject_CallNoArgs(type);
  exc = PyObject_CallFunction(type, "s", msg ? msg : acore_strerror(code));
  if (exc != NULL && type == pyac_Error) {
    PyObject *c = PyLong_FromLong(code);
    if (c == NULL || PyObject_SetAttrString(exc, "code", c) < 0)
      Py_CLEAR(exc);
    Py_XDECREF(c);
  }
  return exc;
}

PyObject *pyac_raise(int rc) {
  PyObject *exc = exc_new(rc, NULL);

  if (exc != NULL) {
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
  }
  return NULL;
}

static PyObject *group_from_error(acore_error_t *err) {
  size_t i, n = acore_error_child_count(err);
  PyObject *list = PyList_New((Py_ssize_t)n), *eg;

  if (list == NULL)
    return NULL;
  for (i = 0; i < n; i++) {
    PyObject *c = pyac_exc_from_error(acore_error_child(err, i));
    if (c == NULL) {
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, (Py_ssize_t)i, c);
  }
  eg = PyObject_CallFunction(PyExc_BaseExceptionGroup, "sO",
                             acore_error_message(err), list);
  Py_DECREF(list);
  return eg;
}

PyObject *pyac_exc_from_error(acore_error_t *err) {
  PyObject *payload = acore_error_payload(err, pyac_obj_free);

  if (payload != NULL)
    return Py_NewRef(payload);
  if (acore_error_child_count(err) > 0)
    return group_from_error(err);
  return exc_new(acore_error_code(err), acore_error_message(err));
}

int pyac_error_from_exc(PyObject *exc, acore_error_t **out) {
  PyObject *s = PyObject_Str(exc);
  const char *msg = s ? PyUnicode_AsUTF8(s) : NULL;
  int rc;

  if (msg == NULL) {
    PyErr_Clear();
    msg = Py_TYPE(exc)->tp_name;
  }
  rc = acore_error_new_payload(ACORE_EHOST, msg, pyac_give(Py_NewRef(exc)),
                               pyac_obj_free, out);
  Py_XDECREF(s);
  return rc;
}

PyObject *pyac_fetch_exc(void) {
  PyObject *type, *val, *tb;

  PyErr_Fetch(&type, &val, &tb);
  if (type == NULL)
    return NULL;
  PyErr_NormalizeException(&type, &val, &tb);
  if (tb != NULL && val != NULL)
    PyException_SetTraceback(val, tb);
  Py_XDECREF(type);
  Py_XDECREF(tb);
  return val;
}

void pyac_set_fatal(PyLoop *loop, PyObject *exc) {
  if (loop->fatal == NULL)
    loop->fatal = Py_NewRef(exc);
  if (loop->loop != NULL)
    acore_loop_stop(loop->loop);
}

void pyac_callback_error(PyLoop *loop, PyObject *source) {
  PyObject *exc = pyac_fetch_exc(), *r;

  if (exc == NULL)
    return;
  if (pyac_is_fatal(exc)) {
    pyac_set_fatal(loop, exc); /* KeyboardInterrupt, SystemExit */
    Py_DECREF(exc);
    return;
  }
  r = PyObject_CallMethod((PyObject *)loop, "_callback_error", "OO", exc,
                          source ? source : Py_None);
  if (r == NULL)
    PyErr_WriteUnraisable((PyObject *)loop);
  Py_XDECREF(r);
  Py_DECREF(exc);
}

/* ---- module functions --------------------------------------------------------- */

static PyObject *mod_live(PyObject *m, PyObject *noarg) {
  (void)m;
  (void)noarg;
  return Py_BuildValue("nn", pyac_live, pyac_crefs);
}

static PyObject *mod_running(PyObject *m, PyObject *noarg) {
  PyLoop *l = pyac_running_loop();
  (void)m;
  (void)noarg;
  return Py_NewRef(l ? (PyObject *)l : Py_None);
}

static PyObject *mod_current_task(PyObject *m, PyObject *noarg) {
  PyTask *t = pyac_current_task();
  (void)m;
  (void)noarg;
  return Py_NewRef(t ? (PyObject *)t : Py_None);
}

static PyObject *mod_step_task(PyObject *m, PyObject *loop) {
  PyTask *t = pyac_step_task(loop);
  (void)m;
  return Py_NewRef(t ? (PyObject *)t : Py_None);
}

static PyObject *mod_every_task(PyObject *m, PyObject *noarg) {
  (void)m;
  (void)noarg;
  return pyac_every_task();
}

static PyObject *mod_every_task_count(PyObject *m, PyObject *noarg) {
  (void)m;
  (void)noarg;
  return PyLong_FromSsize_t(pyac_every_task_count());
}

PyObject *pyac_aio_foreign, *pyac_aio_current, *pyac_aio_register;
static PyObject *aio_tasks_data, *aio_tasks_iterating, *aio_tasks_pending;
static PyObject *aio_unregister;

/* A registered task died: its weak reference leaves asyncio's task set
 * (later, when someone iterates the set: as WeakSet's own callback). */
static PyObject *aio_task_gone(PyObject *m, PyObject *ref) {
  (void)m;
  if (PySet_GET_SIZE(aio_tasks_iterating) > 0) {
    if (PyList_Append(aio_tasks_pending, ref) < 0)
      return NULL;
  } else if (PySet_Discard(aio_tasks_data, ref) < 0) {
    return NULL;
  }
  Py_RETURN_NONE;
}

static PyMethodDef aio_task_gone_def = {"_task_gone", aio_task_gone, METH_O,
                                        NULL};

int pyac_aio_register_task(PyObject *task) {
  PyObject *ref, *r;
  int rc;

  if (aio_unregister != NULL) { /* asyncio's WeakSet, entered directly */
    ref = PyWeakref_NewRef(task, aio_unregister);
    if (ref == NULL)
      return -1;
    rc = PySet_Add(aio_tasks_data, ref);
    Py_DECREF(ref);
    return rc;
  }
  if (pyac_aio_register == NULL)
    return 0;
  r = PyObject_CallOneArg(pyac_aio_register, task);
  Py_XDECREF(r);
  return r ? 0 : -1;
}

/* asyncio's task set is a weakref.WeakSet with its usual fields: tasks
 * are entered as WeakSet.add() would (a weak reference in .data whose
 * callback honours ._iterating / ._pending_removals), without a Python
 * call per task. Anything else: its register function is called. */
static void aio_use_set(PyObject *set) {
  PyObject *d = PyObject_GetAttrString(set, "data");
  PyObject *it = PyObject_GetAttrString(set, "_iterating");
  PyObject *pend = PyObject_GetAttrString(set, "_pending_removals");

  PyErr_Clear();
  if (d != NULL && PySet_CheckExact(d) && it != NULL && PySet_CheckExact(it) &&
      pend != NULL && PyList_CheckExact(pend)) {
    Py_XSETREF(aio_tasks_data, d);
    Py_XSETREF(aio_tasks_iterating, it);
    Py_XSETREF(aio_tasks_pending, pend);
    if (aio_unregister == NULL)
      aio_unregister = PyCFunction_New(&aio_task_gone_def, NULL);
    PyErr_Clear();
    return;
  }
  Py_XDECREF(d);
  Py_XDECREF(it);
  Py_XDECREF(pend);
}

static PyObject *mod_set_asyncio(PyObject *m, PyObject *args) {
  PyObject *foreign, *current, *reg, *set;

  (void)m;
  if (!PyArg_ParseTuple(args, "OOOO:_set_asyncio", &foreign, &current, &reg,
                        &set))
    return NULL;
  if (!PyCallable_Check(foreign) || (current != Py_None &&
                                     !PyDict_CheckExact(current)) ||
      (reg != Py_None && !PyCallable_Check(reg)))
    return PyErr_Format(PyExc_TypeError, "_set_asyncio(callable, dict or "
                        "None, callable or None, WeakSet or None)");
  Py_XSETREF(pyac_aio_foreign, Py_NewRef(foreign));
  Py_XSETREF(pyac_aio_current, current == Py_None ? NULL : Py_NewRef(current));
  Py_XSETREF(pyac_aio_register, reg == Py_None ? NULL : Py_NewRef(reg));
  Py_CLEAR(aio_unregister);
  if (set != Py_None)
    aio_use_set(set);
  Py_RETURN_NONE;
}

static PyMethodDef mod_methods[] = {
    {"_set_asyncio", mod_set_asyncio, METH_VARARGS,
     "(foreign_wait, asyncio's current-task dict, asyncio's register_task, "
     "asyncio's task WeakSet)"},
    {"_live", mod_live, METH_NOARGS,
     "(live wrappers, Python references held by C)"},
    {"_get_running_loop", mod_running, METH_NOARGS,
     "the loop running on this thread, or None"},
    {"_current_task", mod_current_task, METH_NOARGS,
     "the Python task whose step is running, or None"},
    {"_step_task", mod_step_task, METH_O,
     "the task whose step runs on the loop given (any object), or None"},
    {"_every_task", mod_every_task, METH_NOARGS,
     "the unfinished Python tasks of every loop (a list)"},
    {"_every_task_count", mod_every_task_count, METH_NOARGS,
     "how many unfinished Python tasks every loop has together"},
    {NULL, NULL, 0, NULL}};

static PyObject *cf_CancelledError;

PyObject *pyac_convert_cf_exc(PyObject *exc) {
  PyObject *args;

  if (cf_CancelledError == NULL ||
      !PyObject_TypeCheck(exc, (PyTypeObject *)cf_CancelledError) ||
      PyObject_TypeCheck(exc, (PyTypeObject *)pyac_CancelledError))
    return Py_NewRef(exc);
  args = PyObject_GetAttrString(exc, "args");
  exc = args ? PyObject_Call(pyac_CancelledError, args, NULL) : NULL;
  Py_XDECREF(args);
  return exc;
}

static int import_types(void) {
  PyObject *ex = PyImport_ImportModule("concurrent.futures");

  if (ex == NULL)
    return -1;
  cf_CancelledError = PyObject_GetAttrString(ex, "CancelledError");
  Py_DECREF(ex);
  if (cf_CancelledError == NULL)
    return -1;
  ex = PyImport_ImportModule("asyncio.exceptions");
  if (ex == NULL)
    return -1;
  pyac_CancelledError = PyObject_GetAttrString(ex, "CancelledError");
  pyac_InvalidStateError = PyObject_GetAttrString(ex, "InvalidStateError");
  Py_DECREF(ex);
  if (pyac_CancelledError == NULL || pyac_InvalidStateError == NULL)
    return -1;
  pyac_Error = PyErr_NewExceptionWithDoc(
      "acore.Error", "An acore error with no closer Python type; .code is "
      "the ACORE_E* value.", NULL, NULL);
  return pyac_Error ? 0 : -1;
}

int pyac_init(PyObject *m) {
  if (import_types() < 0 || PyModule_AddFunctions(m, mod_methods) < 0 ||
      PyModule_AddObjectRef(m, "Error", pyac_Error) < 0 ||
      pyac_loop_type_init(m) < 0 || pyac_future_type_init(m) < 0 ||
      pyac_task_type_init(m) < 0 || pyac_handle_type_init(m) < 0 ||
      pyac_waiter_type_init() < 0 ||
      pyac_exec_init(m) < 0 || pyac_sync_init(m) < 0 ||
      pyac_comb_init(m) < 0 ||
      pyac_queue_init(m) < 0 || pyac_graph_init(m) < 0 ||
      pyac_signal_init(m) < 0 || pyac_proc_init(m) < 0 ||
      pyac_dns_init(m) < 0 || pyac_transport_init(m) < 0)
    return -1;
  return 0;
}
