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
 */
#include "pyac.h"

#include "acore/executor.h"

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

/* The work function: fn(*args) on a worker, with the GIL. */
static int py_work(acore_work_t *w, void *ud) {
  PyObject *job = ud, *r;
  PyGILState_STATE st = PyGILState_Ensure();
  int rc;

  r = PyObject_Call(PyTuple_GET_ITEM(job, 0), PyTuple_GET_ITEM(job, 1), NULL);
  rc = r != NULL ? set_value(w, r) : set_exception(w);
  Py_XDECREF(r);
  PyGILState_Release(st);
  return rc;
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
  }
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
  int rc;

  if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:Executor", kwlist, &mw))
    return -1;
  if (self->ex != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "executor already initialised");
    return -1;
  }
  rc = acore_executor_options_new(&opts);
  if (rc == ACORE_OK && mw != Py_None) {
    long n = PyLong_AsLong(mw);
    if (n == -1 && PyErr_Occurred()) {
      acore_executor_options_free(opts);
      return -1;
    }
    if (n <= 0) {
      acore_executor_options_free(opts);
      PyErr_SetString(PyExc_ValueError, "max_workers must be greater than 0");
      return -1;
    }
    rc = acore_executor_options_set_max_workers(opts, (unsigned)n);
  }
  if (rc == ACORE_OK)
    rc = acore_executor_new(opts, &self->ex);
  acore_executor_options_free(opts);
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
  if (PyType_Ready(&PyacExecutor_Type) < 0 ||
      PyModule_AddFunctions(m, exec_functions) < 0)
    return -1;
  return PyModule_AddObjectRef(m, "ExecutorBase",
                               (PyObject *)&PyacExecutor_Type);
}
