/* SPDX-License-Identifier: MIT */
/*
 * pyac_exec.c - acore.Executor: acore's own thread pool (acore/executor.h)
 * running Python callables, and loop.run_in_executor() on it.
 *
 * Design notes
 * - A job's user data is the tuple (fn, args), handed to C as one
 *   reference. The work function takes the GIL on the worker, calls
 *   fn(*args) and hands C the result (ints, floats and None as C values,
 *   any other object tagged pyac_obj_free) or the exception as an error
 *   payload, so `await` re-raises the very exception object.
 * - Everything that may wait for workers (shutdown with wait, the last
 *   unref that joins idle workers) runs with the GIL released: the
 *   workers may need it to finish.
 * - A worker thread of an executor made here (acore.Executor, and the
 *   loop's default, which the binding makes on first use) keeps one Python
 *   thread state for all its jobs: made at its first job, without the GIL.
 *   Taking the GIL with a new state per job (PyGILState_Ensure on a thread
 *   that has none) maps and unmaps the state's frame stack every time, and
 *   on a machine with several CPUs each unmap interrupts all of them.
 *   When the worker leaves, its STOP hook cannot wait for the GIL (the
 *   thread that joins it may hold the GIL: a submit joins workers that
 *   left), so it only puts the state on `dead`; a thread that holds the
 *   GIL frees it later (reap_states). Python 3.12 and later cannot free
 *   another thread's state safely, so there each job takes its own.
 */
#include "pyac.h"

#include "acore/executor.h"

#include <pthread.h>

#if PY_VERSION_HEX < 0x030C0000
#define PYAC_KEEP_TSTATE 1
#endif

typedef struct PyExecutor {
  PyObject_HEAD
  acore_executor_t *ex;
} PyExecutor;

static PyTypeObject PyacExecutor_Type;

static int set_value(acore_work_t *w, PyObject *r) {
  int overflow = 0, rc;
  long long i;

  if (r == Py_None)
    return ACORE_OK; /* a NULL pointer result reads as None */
  if (PyLong_CheckExact(r)) {
    i = PyLong_AsLongLongAndOverflow(r, &overflow);
    if (!overflow)
      return acore_work_set_int(w, (int64_t)i);
  } else if (PyFloat_CheckExact(r)) {
    return acore_work_set_double(w, PyFloat_AS_DOUBLE(r));
  }
  rc = acore_work_set_result(w, pyac_give(Py_NewRef(r)), pyac_obj_free);
  if (rc != ACORE_OK) {
    pyac_crefs--;
    Py_DECREF(r);
  }
  return rc;
}

static int set_exception(acore_work_t *w) {
  PyObject *exc = pyac_fetch_exc(), *x;
  acore_error_t *err;
  int rc;

  if (exc == NULL)
    return ACORE_EHOST;
  x = pyac_convert_cf_exc(exc); /* as asyncio's run_in_executor shows it */
  Py_DECREF(exc);
  if (x == NULL)
    exc = pyac_fetch_exc();
  else
    exc = x;
  if (exc == NULL)
    return ACORE_EHOST;
  rc = pyac_error_from_exc(exc, &err);
  Py_DECREF(exc);
  if (rc != ACORE_OK)
    return rc;
  rc = acore_work_set_error(w, err);
  acore_error_unref(err);
  return rc;
}

/* ---- the workers' thread states ---------------------------------------------- */

/* A worker's record: made by its START hook, its state set at its first
 * job, handed to `dead` by its STOP hook. */
typedef struct worker_state {
  struct worker_state *next;
  PyThreadState *ts;
} worker_state;

static PyInterpreterState *exec_interp;
static pthread_mutex_t dead_mutex = PTHREAD_MUTEX_INITIALIZER;
static worker_state *dead; /* states of workers that left, to free */
static __thread worker_state *this_worker; /* NULL: not one of ours */

#ifdef PYAC_KEEP_TSTATE
static void worker_hook(int phase, void *ud) {
  worker_state *ws = this_worker;

  (void)ud;
  if (phase == ACORE_WORKER_START) {
    /* NULL on ENOMEM: its jobs then take a state each, as before */
    this_worker = PyMem_RawCalloc(1, sizeof(worker_state));
    return;
  }
  this_worker = NULL;
  if (ws == NULL)
    return;
  if (ws->ts == NULL) {
    PyMem_RawFree(ws);
    return;
  }
  pthread_mutex_lock(&dead_mutex);
  ws->next = dead;
  __atomic_store_n(&dead, ws, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&dead_mutex);
}
#endif

/* With the GIL: free the states of the workers that left. */
void pyac_exec_reap(void) {
  worker_state *ws, *next;

  if (__atomic_load_n(&dead, __ATOMIC_ACQUIRE) == NULL)
    return;
  pthread_mutex_lock(&dead_mutex);
  ws = dead;
  dead = NULL;
  pthread_mutex_unlock(&dead_mutex);
  for (; ws != NULL; ws = next) {
    next = ws->next;
    PyThreadState_Clear(ws->ts);
    PyThreadState_Delete(ws->ts);
    PyMem_RawFree(ws);
  }
}

/* Options for an executor of the binding's: the hook, and `max_workers`
 * unless 0. */
static int options_new(unsigned max_workers, acore_executor_options_t **out) {
  acore_executor_options_t *opts;
  int rc = acore_executor_options_new(&opts);

  if (rc != ACORE_OK)
    return rc;
#ifdef PYAC_KEEP_TSTATE
  rc = acore_executor_options_set_worker_hook(opts, worker_hook, NULL);
#endif
  if (rc == ACORE_OK && max_workers > 0)
    rc = acore_executor_options_set_max_workers(opts, max_workers);
  if (rc != ACORE_OK) {
    acore_executor_options_free(opts);
    return rc;
  }
  *out = opts;
  return ACORE_OK;
}

/* The work function: fn(*args) on a worker, with the GIL (on the
 * worker's own kept state if it is one of ours). */
static int py_work(acore_work_t *w, void *ud) {
  PyObject *job = ud, *r;
  worker_state *ws = this_worker;
  PyGILState_STATE st = PyGILState_UNLOCKED;
  int rc;

  if (ws != NULL && ws->ts == NULL)
    ws->ts = PyThreadState_New(exec_interp);
  if (ws != NULL && ws->ts != NULL)
    PyEval_RestoreThread(ws->ts);
  else
    st = PyGILState_Ensure();
  r = PyObject_Call(PyTuple_GET_ITEM(job, 0), PyTuple_GET_ITEM(job, 1), NULL);
  rc = r != NULL ? set_value(w, r) : set_exception(w);
  Py_XDECREF(r);
  if (ws != NULL && ws->ts != NULL)
    PyEval_SaveThread();
  else
    PyGILState_Release(st);
  return rc;
}

/* ---- the loop's default executor ---------------------------------------------- */

/* The loop's default executor (borrowed), made and given to the C loop on
 * first use so that its workers keep their states; NULL with an
 * exception set on failure. */
static acore_executor_t *loop_default(PyLoop *pl) {
  acore_executor_options_t *opts;
  acore_executor_t *ex;
  int rc;

  if (pl->dflt_ex != NULL)
    return pl->dflt_ex;
  if ((rc = options_new(0, &opts)) == ACORE_OK) {
    rc = acore_executor_new(opts, &ex);
    acore_executor_options_free(opts);
  }
  if (rc == ACORE_OK &&
      (rc = acore_loop_set_default_executor(pl->loop, ex)) != ACORE_OK)
    acore_executor_unref(ex); /* no job yet: nothing to join */
  if (rc != ACORE_OK) {
    pyac_raise(rc);
    return NULL;
  }
  pl->dflt_ex = ex;
  return ex;
}

/* At the loop's close (GIL released), before the C loop closes: shut the
 * default down as the C loop does one it made itself (its queued jobs
 * cancelled). */
void pyac_exec_loop_closing(PyLoop *pl) {
  if (pl->dflt_ex != NULL)
    acore_executor_shutdown(pl->dflt_ex, ACORE_EXECUTOR_CANCEL_PENDING);
}

/* After the C loop closed (GIL released): drop the default, joining its
 * idle workers. */
void pyac_exec_loop_closed(PyLoop *pl) {
  acore_executor_t *ex = pl->dflt_ex;

  pl->dflt_ex = NULL;
  if (ex != NULL)
    acore_executor_unref(ex);
}

/* _run_in_executor(loop, executor_or_None, fn, args) -> Future */
static PyObject *run_in_executor(PyObject *m, PyObject *args) {
  PyObject *loop, *exo, *fn, *fargs, *job;
  acore_executor_t *ex = NULL;
  acore_future_t *fut;
  int rc;

  (void)m;
  if (!PyArg_ParseTuple(args, "O!OOO!:_run_in_executor", &PyacLoop_Type,
                        &loop, &exo, &fn, &PyTuple_Type, &fargs))
    return NULL;
  if (exo != Py_None) {
    if (!PyObject_TypeCheck(exo, &PyacExecutor_Type) ||
        ((PyExecutor *)exo)->ex == NULL)
      return PyErr_Format(PyExc_TypeError, "an acore executor was expected");
    ex = ((PyExecutor *)exo)->ex;
  } else if (pyac_loop_check((PyLoop *)loop) < 0 ||
             (ex = loop_default((PyLoop *)loop)) == NULL) {
    return NULL;
  }
  pyac_exec_reap();
  if (!PyCallable_Check(fn))
    return PyErr_Format(PyExc_TypeError, "%R is not callable", fn);
  if (pyac_loop_check((PyLoop *)loop) < 0 ||
      (job = PyTuple_Pack(2, fn, fargs)) == NULL)
    return NULL;
  rc = acore_run_in_executor(((PyLoop *)loop)->loop, ex, py_work,
                             pyac_give(job), pyac_obj_free, &fut);
  if (rc < 0)
    return rc == ACORE_ECLOSED
               ? PyErr_Format(PyExc_RuntimeError,
                              "cannot schedule new futures after shutdown")
               : pyac_raise(rc);
  return (PyObject *)pyac_future_wrap((PyLoop *)loop, fut);
}

/* ---- the Executor type --------------------------------------------------------- */

static int executor_init(PyExecutor *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"max_workers", NULL};
  PyObject *mw = Py_None;
  acore_executor_options_t *opts = NULL;
  long n = 0;
  int rc;

  if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:Executor", kwlist, &mw))
    return -1;
  if (self->ex != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "executor already initialised");
    return -1;
  }
  if (mw != Py_None) {
    n = PyLong_AsLong(mw);
    if (n == -1 && PyErr_Occurred())
      return -1;
    if (n <= 0) {
      PyErr_SetString(PyExc_ValueError, "max_workers must be greater than 0");
      return -1;
    }
  }
  rc = options_new((unsigned)n, &opts);
  if (rc == ACORE_OK) {
    rc = acore_executor_new(opts, &self->ex);
    acore_executor_options_free(opts);
  }
  if (rc < 0) {
    pyac_raise(rc);
    return -1;
  }
  return 0;
}

static PyObject *executor_shutdown(PyExecutor *self, PyObject *args,
                                   PyObject *kw) {
  static char *kwlist[] = {"wait", "cancel_futures", NULL};
  int wait = 1, cancel = 0, rc;
  unsigned flags;

  if (!PyArg_ParseTupleAndKeywords(args, kw, "|p$p:shutdown", kwlist, &wait,
                                   &cancel))
    return NULL;
  if (self->ex == NULL)
    Py_RETURN_NONE;
  flags = (wait ? ACORE_EXECUTOR_WAIT : 0) |
          (cancel ? ACORE_EXECUTOR_CANCEL_PENDING : 0);
  Py_BEGIN_ALLOW_THREADS
  rc = acore_executor_shutdown(self->ex, flags);
  Py_END_ALLOW_THREADS
  pyac_exec_reap();
  if (rc < 0)
    return pyac_raise(rc);
  Py_RETURN_NONE;
}

static PyObject *executor_stats(PyExecutor *self, PyObject *noarg) {
  (void)noarg;
  if (self->ex == NULL)
    return PyDict_New();
  return Py_BuildValue(
      "{sLsLsLsLsLsLsL}", "queued",
      (long long)acore_executor_stat(self->ex, ACORE_EXECUTOR_STAT_QUEUED),
      "running",
      (long long)acore_executor_stat(self->ex, ACORE_EXECUTOR_STAT_RUNNING),
      "idle", (long long)acore_executor_stat(self->ex, ACORE_EXECUTOR_STAT_IDLE),
      "workers",
      (long long)acore_executor_stat(self->ex, ACORE_EXECUTOR_STAT_WORKERS),
      "completed",
      (long long)acore_executor_stat(self->ex, ACORE_EXECUTOR_STAT_COMPLETED),
      "cancelled",
      (long long)acore_executor_stat(self->ex, ACORE_EXECUTOR_STAT_CANCELLED),
      "max_workers",
      (long long)acore_executor_stat(self->ex,
                                     ACORE_EXECUTOR_STAT_MAX_WORKERS));
}

static PyObject *executor_set_max_workers(PyExecutor *self, PyObject *arg) {
  long n = PyLong_AsLong(arg);
  int rc;

  if (n == -1 && PyErr_Occurred())
    return NULL;
  if (self->ex == NULL)
    return pyac_raise(ACORE_ECLOSED);
  rc = acore_executor_set_max_workers(self->ex, n > 0 ? (unsigned)n : 0);
  return rc < 0 ? pyac_raise(rc) : Py_NewRef(Py_None);
}

static void executor_dealloc(PyExecutor *self) {
  acore_executor_t *ex = self->ex;

  self->ex = NULL;
  if (ex != NULL) {
    Py_BEGIN_ALLOW_THREADS
    acore_executor_shutdown(ex, 0);
    acore_executor_unref(ex);
    Py_END_ALLOW_THREADS
    pyac_exec_reap();
  }
  pyac_live--;
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef executor_methods[] = {
    {"shutdown", (PyCFunction)(void (*)(void))executor_shutdown,
     METH_VARARGS | METH_KEYWORDS, NULL},
    {"stats", (PyCFunction)executor_stats, METH_NOARGS, NULL},
    {"set_max_workers", (PyCFunction)executor_set_max_workers, METH_O, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject PyacExecutor_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore.ExecutorBase",
    .tp_basicsize = sizeof(PyExecutor),
    .tp_dealloc = (destructor)executor_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "The C half of acore.Executor (acore/executor.h).",
    .tp_methods = executor_methods,
    .tp_init = (initproc)executor_init,
    .tp_new = pyac_counted_new,
};

static PyMethodDef exec_functions[] = {
    {"_run_in_executor", run_in_executor, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

int pyac_exec_init(PyObject *m) {
  exec_interp = PyInterpreterState_Get();
  if (PyType_Ready(&PyacExecutor_Type) < 0 ||
      PyModule_AddFunctions(m, exec_functions) < 0)
    return -1;
  return PyModule_AddObjectRef(m, "ExecutorBase",
                               (PyObject *)&PyacExecutor_Type);
}
