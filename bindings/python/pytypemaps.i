/* SPDX-License-Identifier: MIT */
/*
 * pytypemaps.i - Python typemaps for acore.i: callbacks, out-handles,
 * error codes, numeric out-values.
 *
 * A callable becomes (trampoline, PyObject *, pyac_obj_free), one typemap
 * per callback type. The reference is taken in the `check` phase, that is
 * after every argument converted, so a bad argument leaks nothing; from
 * then on acore owns it and releases it exactly once (also on failure).
 * Every trampoline takes the GIL (pyac_gil_enter).
 */

%{
#include "pyac.h"

static void pyac_raw_call(void *ud) {
  pyac_gil g = pyac_gil_enter();
  PyObject *r = PyObject_CallNoArgs((PyObject *)ud);

  if (r == NULL)
    PyErr_WriteUnraisable((PyObject *)ud);
  Py_XDECREF(r);
  pyac_gil_leave(g);
}

static void pyac_raw_done(acore_future_t *fut, void *ud) {
  pyac_gil g = pyac_gil_enter();
  PyObject *p = SWIG_InternalNewPointerObj(acore_future_ref(fut),
                                   SWIGTYPE_p_acore_future, SWIG_POINTER_OWN);
  PyObject *r = p ? PyObject_CallOneArg((PyObject *)ud, p) : NULL;

  if (r == NULL)
    PyErr_WriteUnraisable((PyObject *)ud);
  Py_XDECREF(r);
  Py_XDECREF(p);
  pyac_gil_leave(g);
}

static int pyac_raw_step(acore_task_t *task, void *ud) {
  pyac_gil g = pyac_gil_enter();
  PyObject *p = SWIG_InternalNewPointerObj(acore_task_ref(task),
                                   SWIGTYPE_p_acore_task, SWIG_POINTER_OWN);
  PyObject *r = p ? PyObject_CallOneArg((PyObject *)ud, p) : NULL;
  int v = ACORE_EHOST;

  if (r == NULL)
    PyErr_WriteUnraisable((PyObject *)ud);
  else if (PyLong_Check(r))
    v = (int)PyLong_AsLong(r);
  Py_XDECREF(r);
  Py_XDECREF(p);
  pyac_gil_leave(g);
  return v;
}

static void pyac_raw_report(acore_loop_t *loop, const acore_context_t *ctx,
                            void *ud) {
  pyac_gil g = pyac_gil_enter();
  PyObject *r = PyObject_CallFunction((PyObject *)ud, "iss",
                                      acore_context_kind(ctx),
                                      acore_context_message(ctx),
                                      acore_context_name(ctx));
  (void)loop;
  if (r == NULL)
    PyErr_WriteUnraisable((PyObject *)ud);
  Py_XDECREF(r);
  pyac_gil_leave(g);
}
%}

/* ---- callbacks ----------------------------------------------------------- */

%define PYAC_CALLBACK(FNTYPE, TRAMPOLINE)
%typemap(in) (FNTYPE fn, void *ud, acore_free_fn ud_free) {
  if (!PyCallable_Check($input))
    SWIG_exception_fail(SWIG_TypeError, "a callable was expected");
  $1 = TRAMPOLINE;
  $2 = (void *)$input;
  $3 = pyac_obj_free;
}
%typemap(check) (FNTYPE fn, void *ud, acore_free_fn ud_free) {
  pyac_give(Py_NewRef((PyObject *)$2));
}
%enddef

PYAC_CALLBACK(acore_callback_fn, pyac_raw_call)
PYAC_CALLBACK(acore_done_fn, pyac_raw_done)
PYAC_CALLBACK(acore_step_fn, pyac_raw_step)
PYAC_CALLBACK(acore_error_handler_fn, pyac_raw_report)

/* remove_done_callback has no ud_free: not offered at this level */
%ignore acore_future_remove_done_callback;

/* ---- new handles through out-parameters ------------------------------------ */

%define PYAC_OUT_HANDLE(TYPE, STRUCT)
%typemap(in, numinputs=0) TYPE **out (TYPE *tmp = NULL) { $1 = &tmp; }
%typemap(argout) TYPE **out {
  Py_XDECREF($result);
  $result = tmp$argnum
      ? SWIG_NewPointerObj(tmp$argnum, $descriptor(struct STRUCT *),
                           SWIG_POINTER_OWN)
      : Py_NewRef(Py_None);
}
%enddef

PYAC_OUT_HANDLE(acore_loop_t, acore_loop)
PYAC_OUT_HANDLE(acore_future_t, acore_future)
PYAC_OUT_HANDLE(acore_task_t, acore_task)
PYAC_OUT_HANDLE(acore_handle_t, acore_handle)
PYAC_OUT_HANDLE(acore_error_t, acore_error)
PYAC_OUT_HANDLE(acore_loop_options_t, acore_loop_options)
/* the handles of the sub-headers (acore/combinators.h, sync.h, executor.h) */
PYAC_OUT_HANDLE(acore_timeout_t, acore_timeout)
PYAC_OUT_HANDLE(acore_group_t, acore_group)
PYAC_OUT_HANDLE(acore_sem_t, acore_sem)
PYAC_OUT_HANDLE(acore_lock_t, acore_lock)
PYAC_OUT_HANDLE(acore_event_t, acore_event)
PYAC_OUT_HANDLE(acore_cond_t, acore_cond)
PYAC_OUT_HANDLE(acore_queue_t, acore_queue)
PYAC_OUT_HANDLE(acore_executor_t, acore_executor)
PYAC_OUT_HANDLE(acore_executor_options_t, acore_executor_options)
/* acore_as_completed_next() names its out-parameter `next` */
%apply acore_future_t **out { acore_future_t **next };

/* ---- numbers through out-parameters ---------------------------------------- */

%typemap(in, numinputs=0) int64_t *out (int64_t tmp = 0) { $1 = &tmp; }
%typemap(argout) int64_t *out { Py_XDECREF($result); $result = PyLong_FromLongLong(tmp$argnum); }
%typemap(in, numinputs=0) double *out (double tmp = 0) { $1 = &tmp; }
%typemap(argout) double *out { Py_XDECREF($result); $result = PyFloat_FromDouble(tmp$argnum); }
%typemap(in, numinputs=0) size_t *n (size_t tmp = 0) { $1 = &tmp; }

/* ---- strings copied into a caller's buffer (acore_task_name, ...) ---------
 * The function returns the full length: a longer string is read again
 * into a buffer of that size. */
%typemap(in, numinputs=0) (char *buf, size_t cap) (char tmp[128]) {
  $1 = tmp;
  $2 = sizeof(tmp);
}
%typemap(argout) (char *buf, size_t cap) {
  char *big = NULL;
  Py_XDECREF($result);
  if ((size_t)result >= sizeof(tmp$argnum)) {
    if ((big = PyMem_Malloc((size_t)result + 1)) == NULL)
      SWIG_fail;
    $symname(arg1, big, (size_t)result + 1);
  }
  $result = PyUnicode_FromStringAndSize(big ? big : tmp$argnum, result);
  PyMem_Free(big);
}

/* ---- error codes -------------------------------------------------------------
 * A negative int return raises the mapped Python exception; non-negative
 * values (0/1 answers, counts) are returned. */
%typemap(out) int {
  if ($1 < 0) {
    pyac_raise($1);
    SWIG_fail;
  }
  $result = PyLong_FromLong($1);
}
%typemap(out) int acore_error_code { $result = PyLong_FromLong($1); }
%typemap(out) int acore_context_kind { $result = PyLong_FromLong($1); }

%typemap(in) int64_t {
  $1 = (int64_t)PyLong_AsLongLong($input);
  if ($1 == -1 && PyErr_Occurred())
    SWIG_fail;
}
%typemap(in) uint64_t {
  $1 = (uint64_t)PyLong_AsUnsignedLongLong($input);
  if (PyErr_Occurred())
    SWIG_fail;
}
%typemap(out) uint64_t { $result = PyLong_FromUnsignedLongLong($1); }
/* int64_t returns (acore_executor_stat): a value >= 0 or an error code */
%typemap(out) int64_t {
  if ($1 < 0) {
    pyac_raise((int)$1);
    SWIG_fail;
  }
  $result = PyLong_FromLongLong($1);
}

/* ---- the GIL ---------------------------------------------------------------
 * Running or closing a loop releases the GIL (workers and other threads
 * keep running); its trampolines take it back for each callback. */
%define PYAC_RELEASE_GIL(FN)
%exception FN {
  Py_BEGIN_ALLOW_THREADS
  $action
  Py_END_ALLOW_THREADS
}
%enddef
PYAC_RELEASE_GIL(acore_loop_run)
PYAC_RELEASE_GIL(acore_loop_run_until_complete)
PYAC_RELEASE_GIL(acore_loop_run_once)
PYAC_RELEASE_GIL(acore_loop_close)
