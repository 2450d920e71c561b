/* SPDX-License-Identifier: MIT */
/*
 * pyac_task.c - acore.Task: a Python coroutine run as an acore task. The
 * task's C step drives the coroutine (send / throw) and turns what it does
 * into the step's verdict.
 *
 * Design notes
 * - The step's user data is the Task wrapper (a strong reference), so the
 *   loop keeps every unfinished task - and its coroutine - alive; the
 *   reference is dropped when the task finishes or the loop closes, and the
 *   coroutine with it.
 * - Yielded values: an acore.Future of the same loop is awaited in C
 *   (acore_task_await_take consumes a new reference); a bare `yield` (asyncio's
 *   sleep(0)) is acore_task_yield; anything else is thrown back into the
 *   coroutine as RuntimeError on the next step, as asyncio does.
 * - Verdicts: a return value becomes the task's result (ints and floats as
 *   C values); CancelledError finishes the task cancelled (any other
 *   outcome of a step that got a cancel marks it handled: the coroutine
 *   caught it); any other
 *   exception fails it with an error whose payload is the exception object
 *   (KeyboardInterrupt / SystemExit also stop the loop and are re-raised by
 *   the runner).
 * - Each step runs in the task's contextvars.Context. A task made from an
 *   empty context has none of its own (Py_None) and runs in the loop's
 *   shared empty one until a step leaves a variable set there, or someone
 *   asks for get_context(): that context then becomes the task's own.
 */
#include "pyac.h"

static __thread PyTask *tls_current;
static PyObject *str_throw, *str_blocking, *str_waiter, *str_cancel;

PyTask *pyac_current_task(void) { return tls_current; }

PyTask *pyac_step_task(PyObject *loop) {
  if (!PyObject_TypeCheck(loop, &PyacLoop_Type))
    return NULL;
  return ((PyLoop *)loop)->step_task;
}

/* The C task (borrowed), or NULL once the wrapper was cleared. */
static acore_task_t *c_task(PyTask *t) {
  return t->base.fut ? acore_task_from_future(t->base.fut) : NULL;
}

/* ---- the task list of a loop --------------------------------------------- */

static void task_link(PyLoop *loop, PyTask *t) {
  t->prev = NULL;
  t->next = loop->tasks;
  if (loop->tasks != NULL)
    loop->tasks->prev = t;
  loop->tasks = t;
  loop->ntasks++;
}

static void task_unlink(PyLoop *loop, PyTask *t) {
  if (t->prev == NULL && loop->tasks != t)
    return; /* not linked */
  if (t->prev != NULL)
    t->prev->next = t->next;
  else
    loop->tasks = t->next;
  if (t->next != NULL)
    t->next->prev = t->prev;
  t->prev = t->next = NULL;
  loop->ntasks--;
}

/* coro.close() raised: KeyboardInterrupt and SystemExit leave close()
 * once it is done (the loop's fatal exception); the others are reported
 * as unraisable. */
static void close_failed(PyTask *t) {
  PyObject *exc = pyac_fetch_exc();

  if (exc == NULL)
    return;
  if (pyac_is_fatal(exc)) {
    if (t->base.loop->fatal == NULL)
      t->base.loop->fatal = Py_NewRef(exc);
  } else {
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    PyErr_WriteUnraisable(t->coro);
  }
  Py_DECREF(exc);
}

/* The step's ud_free: the task finished (or its loop closed). */
static void task_release(void *ud) {
  PyTask *t = ud;
  pyac_gil g = pyac_gil_enter();

  task_unlink(t->base.loop, t);
  if (t->coro != NULL && !t->base.exhausted) {
    /* ended before its coroutine did (the loop closed): close the
     * coroutine now (its finally blocks run; an unstarted one is not
     * "never awaited") */
    PyObject *r = PyObject_CallMethod(t->coro, "close", NULL);
    if (r == NULL)
      close_failed(t);
    Py_XDECREF(r);
  }
  Py_CLEAR(t->coro);
  Py_CLEAR(t->throw_exc);
  Py_CLEAR(t->awaited);
  pyac_crefs--;
  Py_DECREF(t);
  pyac_gil_leave(g);
}

/* ---- verdicts ---------------------------------------------------------------- */

static int throw_later(PyTask *t, acore_task_t *task, PyObject *type,
                       const char *fmt, PyObject *obj) {
  PyObject *msg = PyUnicode_FromFormat(fmt, obj);
  PyObject *exc = msg ? PyObject_CallOneArg(type, msg) : NULL;

  Py_XDECREF(msg);
  if (exc == NULL) {
    PyErr_Clear();
    return acore_task_fail_code(task, ACORE_ENOMEM, NULL);
  }
  Py_XSETREF(t->throw_exc, exc);
  return acore_task_yield(task);
}

/* The pending exception goes into the coroutine at the next step. */
static int throw_exc_later(PyTask *t, acore_task_t *task) {
  PyObject *exc = pyac_fetch_exc();

  if (exc == NULL)
    return acore_task_fail_code(task, ACORE_EHOST, "unknown error");
  Py_XSETREF(t->throw_exc, exc);
  return acore_task_yield(task);
}

/* The coroutine yielded `y`, which is no acore future: anything asyncio's
 * Task accepts (an object whose _asyncio_future_blocking is set: an
 * asyncio.Future, a concurrent library's future) is awaited through
 * acore._ForeignWait, which completes an acore future once `y` is done.
 * Consumes nothing. */
static int await_foreign(PyTask *t, acore_task_t *task, PyObject *y) {
  PyObject *b = PyObject_GetAttr(y, str_blocking), *fw, *w;
  int blocking;

  if (b == NULL) {
    if (!PyErr_ExceptionMatches(PyExc_AttributeError))
      return throw_exc_later(t, task);
    PyErr_Clear();
  }
  if (b == NULL || b == Py_None || pyac_aio_foreign == NULL) {
    Py_XDECREF(b);
    return throw_later(t, task, PyExc_RuntimeError, "Task got bad yield: %R",
                       y);
  }
  blocking = PyObject_IsTrue(b);
  Py_DECREF(b);
  if (blocking < 0)
    return throw_exc_later(t, task);
  if (!blocking)
    return throw_later(t, task, PyExc_RuntimeError,
                       "yield was used instead of yield from with %R", y);
  fw = PyObject_CallFunctionObjArgs(pyac_aio_foreign, (PyObject *)t, y, NULL);
  if (fw == NULL)
    return throw_exc_later(t, task); /* e.g. a future of another loop */
  w = PyObject_GetAttr(fw, str_waiter);
  if (w == NULL || !PyacFuture_Check(w) || ((PyFuture *)w)->fut == NULL) {
    Py_XDECREF(w);
    Py_DECREF(fw);
    if (!PyErr_Occurred())
      PyErr_SetString(PyExc_TypeError, "_ForeignWait.waiter: no acore future");
    return throw_exc_later(t, task);
  }
  Py_XSETREF(t->awaited, fw);
  ((PyFuture *)w)->shared = 1;
  blocking = acore_task_await_take(task, acore_future_ref(((PyFuture *)w)->fut));
  Py_DECREF(w);
  return blocking;
}

/* The first step after a foreign wait. As asyncio's Task, a cancel of the
 * task cancels the foreign future and waits for it to finish (the
 * coroutine then reads its outcome); only a future that refuses the
 * cancel makes CancelledError go into the coroutine. Returns 1 when the
 * task waits again (*v its verdict); 0 to run the coroutine, with
 * *read_future set when it must read the future instead of a cancel. */
static int foreign_resume(PyTask *t, acore_task_t *task, int *v,
                          int *read_future) {
  PyObject *fw = t->awaited, *msg, *r;
  const char *m;

  t->awaited = NULL;
  *read_future = 0;
  if (acore_task_step_status(task) != ACORE_ECANCELLED) {
    Py_DECREF(fw);
    return 0;
  }
  m = acore_task_cancel_message(task);
  msg = m ? PyUnicode_FromString(m) : Py_NewRef(Py_None);
  r = msg ? PyObject_CallMethodOneArg(fw, str_cancel, msg) : NULL;
  Py_XDECREF(msg);
  if (r == NULL) { /* the exception goes into the coroutine */
    Py_XSETREF(t->throw_exc, pyac_fetch_exc());
    *read_future = 1;
  } else if (PyacFuture_Check(r) && ((PyFuture *)r)->fut != NULL) {
    t->awaited = fw; /* still cancelling: wait for it */
    ((PyFuture *)r)->shared = 1;
    acore_task_cancel_handled(task);
    *v = acore_task_await_take(task, acore_future_ref(((PyFuture *)r)->fut));
    Py_DECREF(r);
    return 1;
  } else {
    *read_future = r == Py_True;
  }
  Py_XDECREF(r);
  Py_DECREF(fw);
  return 0;
}

static int on_yield(PyTask *t, acore_task_t *task, PyObject *y) {
  PyFuture *f;
  int v;

  if (y == Py_None) {
    Py_DECREF(y);
    return acore_task_yield(task);
  }
  if (!PyacFuture_Check(y) || ((PyFuture *)y)->fut == NULL) {
    v = await_foreign(t, task, y);
    Py_DECREF(y);
    return v;
  }
  f = (PyFuture *)y;
  if (f->loop->loop != t->base.loop->loop || (PyObject *)f == (PyObject *)t) {
    v = throw_later(t, task, PyExc_RuntimeError,
                    (PyObject *)f == (PyObject *)t
                        ? "Task cannot await on itself: %R"
                        : "Task got Future %R attached to a different loop",
                    y);
    Py_DECREF(y);
    return v;
  }
  f->blocking = 0;
  f->shared = 1; /* the C task holds it, and cancels it if cancelled */
  v = acore_task_await_take(task, acore_future_ref(f->fut));
  Py_XSETREF(t->awaited, y); /* its CancelledError is what a cancel throws */
  return v;
}

static int on_return(PyTask *t, acore_task_t *task, PyObject *r) {
  int overflow = 0, v;
  long long i;

  if (r == Py_None) {
    Py_DECREF(r);
    return acore_task_return(task, NULL, NULL);
  }
  if (PyLong_CheckExact(r)) {
    i = PyLong_AsLongLongAndOverflow(r, &overflow);
    if (!overflow) {
      Py_DECREF(r);
      return acore_task_return_int(task, (int64_t)i);
    }
  } else if (PyFloat_CheckExact(r)) {
    double d = PyFloat_AS_DOUBLE(r);
    Py_DECREF(r);
    return acore_task_return_double(task, d);
  }
  v = acore_task_return(task, pyac_give(r), pyac_obj_free);
  if (v == ACORE_TASK_DONE)
    t->base.c_obj = r;
  else
    pyac_obj_free(r);
  return v;
}

static int on_error(PyTask *t, acore_task_t *task) {
  PyObject *exc = pyac_fetch_exc();
  acore_error_t *err;
  int rc;

  if (exc == NULL)
    return acore_task_fail_code(task, ACORE_EHOST, "unknown error");
  if (PyObject_TypeCheck(exc, (PyTypeObject *)pyac_CancelledError)) {
    Py_XSETREF(t->base.extra, exc); /* result() raises it, as asyncio */
    return acore_task_finish_cancelled(task);
  }
  if (pyac_is_fatal(exc))
    pyac_set_fatal(t->base.loop, exc);
  rc = pyac_error_from_exc(exc, &err);
  if (rc == ACORE_OK) {
    t->base.c_obj = exc;
    rc = acore_task_fail_take(task, err);
  }
  Py_DECREF(exc);
  return rc;
}

/* ---- the step ---------------------------------------------------------------- */

static PySendResult coro_throw(PyObject *coro, PyObject *exc, PyObject **res) {
  PyObject *r = PyObject_CallMethodOneArg(coro, str_throw, exc), *e;

  *res = r;
  if (r != NULL)
    return PYGEN_NEXT;
  if (!PyErr_ExceptionMatches(PyExc_StopIteration))
    return PYGEN_ERROR;
  e = pyac_fetch_exc();
  *res = PyObject_GetAttrString(e, "value");
  Py_DECREF(e);
  return *res ? PYGEN_RETURN : PYGEN_ERROR;
}

/* The CancelledError a delivered cancel throws into the coroutine: as in
 * asyncio, the awaited future's own (a cancelled task's is the one its
 * coroutine raised), else the task's. */
static PyObject *cancelled_error(PyTask *t, acore_task_t *task) {
  PyFuture *a = (PyFuture *)t->awaited;
  PyObject *x;

  if (a != NULL && PyacFuture_Check(a) && a->fut != NULL &&
      acore_future_is_cancelled(a->fut) == 1) {
    x = a->kind == PYAC_FUT_PLAIN ? a->extra : NULL;
    if (x != NULL || t->base.extra == NULL)
      return pyac_cancelled_error(a, acore_future_cancel_message(a->fut));
  }
  return pyac_cancelled_error(&t->base, acore_task_cancel_message(task));
}

static PySendResult step_coro(PyTask *t, acore_task_t *task, int read_future,
                              PyObject **res) {
  PyObject *exc = NULL;
  PySendResult sr;

  if (!read_future && acore_task_step_status(task) == ACORE_ECANCELLED) {
    Py_CLEAR(t->throw_exc);
    exc = cancelled_error(t, task);
    if (exc == NULL)
      return PYGEN_ERROR;
  } else if (t->throw_exc != NULL) {
    exc = t->throw_exc;
    t->throw_exc = NULL;
  }
  if (exc != NULL) {
    sr = coro_throw(t->coro, exc, res);
    Py_DECREF(exc);
    return sr;
  }
  return PyIter_Send(t->coro, Py_None, res);
}

/* Where asyncio.current_task() reads asyncio's {loop: task} dict (Python
 * 3.12+: acore/__init__.py serves the others from loop->step_task), a step
 * enters its task there and leaves it (restoring what was there). */
static PyObject *aio_enter(PyTask *t) {
  PyObject *loop = (PyObject *)t->base.loop, *prev = NULL;

  if (pyac_aio_current == NULL)
    return NULL;
  if (PyDict_GET_SIZE(pyac_aio_current) > 0)
    prev = PyDict_GetItemWithError(pyac_aio_current, loop);
  Py_XINCREF(prev);
  if (PyDict_SetItem(pyac_aio_current, loop, (PyObject *)t) < 0)
    PyErr_WriteUnraisable(loop);
  return prev;
}

static void aio_leave(PyTask *t, PyObject *prev) {
  PyObject *loop = (PyObject *)t->base.loop;

  if (pyac_aio_current == NULL)
    return;
  if (prev != NULL) {
    if (PyDict_SetItem(pyac_aio_current, loop, prev) < 0)
      PyErr_WriteUnraisable(loop);
    Py_DECREF(prev);
  } else if (PyDict_DelItem(pyac_aio_current, loop) < 0) {
    PyErr_Clear();
  }
}

static int task_step(acore_task_t *task, void *ud) {
  PyTask *t = ud, *prev, *prev_step;
  pyac_gil g = pyac_gil_enter();
  PyObject *res = NULL, *ctx, *aio_prev, *prev_ctx;
  PyLoop *loop = t->base.loop;
  PySendResult sr;
  int v, read_future = 0;

  if (t->awaited != NULL && !PyacFuture_Check(t->awaited) &&
      foreign_resume(t, task, &v, &read_future)) {
    pyac_gil_leave(g);
    return v;
  }
  prev = tls_current;
  tls_current = t;
  prev_step = loop->step_task; /* asyncio.current_task() (acore/__init__) */
  loop->step_task = t;
  aio_prev = aio_enter(t);
  if (t->coro == NULL) {
    v = acore_task_fail_code(task, ACORE_EINVALIDSTATE, "no coroutine");
  } else if ((ctx = pyac_ctx_enter(t->base.loop, t->context)) == NULL) {
    v = on_error(t, task);
  } else {
    prev_ctx = loop->step_ctx;
    loop->step_ctx = ctx;
    sr = step_coro(t, task, read_future, &res);
    if (t->awaited != NULL && PyacFuture_Check(t->awaited))
      Py_CLEAR(t->awaited);
    loop->step_ctx = prev_ctx;
    pyac_ctx_exit_adopt(loop, ctx, &t->context);
    t->base.exhausted = sr != PYGEN_NEXT;
    if (sr == PYGEN_NEXT)
      v = on_yield(t, task, res);
    else if (sr == PYGEN_RETURN)
      v = on_return(t, task, res);
    else
      v = on_error(t, task);
  }
  /* A delivered cancel was thrown into the coroutine: unless CancelledError
   * came back out, the coroutine caught it (asyncio's semantics). */
  if (v != ACORE_TASK_CANCELLED)
    acore_task_cancel_handled(task);
  aio_leave(t, aio_prev);
  loop->step_task = prev_step;
  tls_current = prev;
  pyac_gil_leave(g);
  return v;
}

/* ---- creation site ------------------------------------------------------------- */

#if PY_VERSION_HEX >= 0x030D0000
#define pyac_finalizing() Py_IsFinalizing()
#else
#define pyac_finalizing() _Py_IsFinalizing()
#endif

/* The loop's where callback (acore_loop_set_where_fn): the site of a
 * Python task ("file:line in coro()" of its coroutine, pyac_graph.c) when
 * a dump - C's alone too: the dump signal, acore-ps - asks for it; 0 for a
 * task another binding or C drives. Nothing is paid at create_task. */
int pyac_task_where(acore_task_t *task, acore_step_fn step, void *step_ud,
                    char *buf, size_t cap, void *ud) {
  PyTask *t = step_ud;
  const char *where;
  pyac_gil g;
  int n = 0;

  (void)task;
  (void)ud;
  if (step != task_step || !Py_IsInitialized() || pyac_finalizing())
    return 0;
  g = pyac_gil_enter();
  if (t->coro != NULL && (where = pyac_coro_where(t->coro)) != NULL)
    n = snprintf(buf, cap, "%s", where);
  pyac_gil_leave(g);
  return n;
}

/* ---- creation ------------------------------------------------------------------ */

static int is_coroutine(PyObject *o) {
  return PyCoro_CheckExact(o) ||
         (PyObject_HasAttrString(o, "send") &&
          PyObject_HasAttrString(o, "throw"));
}

/* str(name) (its UTF-8 form made), or None for None; NULL + exception. */
static PyObject *name_str(PyObject *name) {
  if (name == NULL || name == Py_None)
    return Py_NewRef(Py_None);
  name = PyObject_Str(name);
  if (name != NULL && PyUnicode_AsUTF8(name) == NULL)
    Py_CLEAR(name);
  return name;
}

static PyTask *task_spawn(PyLoop *loop, PyObject *coro, PyObject *context) {
  PyTask *t = (PyTask *)pyac_future_new(loop, &PyacTask_Type);
  acore_task_t *task;
  int rc;

  if (t == NULL)
    return NULL;
  t->coro = Py_NewRef(coro);
  t->context = context && context != Py_None ? Py_NewRef(context)
                                             : pyac_ctx_capture();
  if (t->context == NULL) {
    Py_DECREF(t);
    return NULL;
  }
  if (pyac_aio_register_task((PyObject *)t) < 0) { /* asyncio.all_tasks() */
    Py_DECREF(t);
    return NULL;
  }
  rc = acore_task_spawn(loop->loop, task_step, pyac_give(Py_NewRef(t)),
                        task_release, &task);
  if (rc < 0) {
    Py_DECREF(t);
    return (PyTask *)pyac_raise(rc);
  }
  t->base.fut = acore_task_future(task);
  task_link(loop, t);
  return t;
}

PyObject *pyac_task_create(PyLoop *loop, PyObject *coro, PyObject *name,
                           PyObject *context) {
  PyTask *t;

  if (!is_coroutine(coro))
    return PyErr_Format(PyExc_TypeError, "a coroutine was expected, got %R",
                        coro);
  /* str(name) first, as asyncio: a name that is no string spawns nothing */
  if ((name = name_str(name)) == NULL)
    return NULL;
  t = task_spawn(loop, coro, context);
  if (t != NULL && name != Py_None) /* ENOMEM: the default name stays */
    (void)acore_task_set_name(c_task(t), PyUnicode_AsUTF8(name));
  Py_DECREF(name);
  return (PyObject *)t;
}

PyObject *pyac_all_tasks(PyLoop *loop) {
  PyObject *list = PyList_New(0);
  PyTask *t;

  for (t = loop->tasks; list != NULL && t != NULL; t = t->next)
    if (PyList_Append(list, (PyObject *)t) < 0)
      Py_CLEAR(list);
  return list;
}

/* ---- methods ------------------------------------------------------------------- */

/* The C task's name as a str (acore_task_name copies it). */
static PyObject *task_name_str(acore_task_t *task) {
  char small[64], *buf = small;
  int len = task ? acore_task_name(task, small, sizeof(small)) : 0;
  PyObject *s;

  if (len < 0)
    return pyac_raise(len);
  if (task == NULL)
    small[0] = '\0';
  if ((size_t)len >= sizeof(small)) {
    if ((buf = PyMem_Malloc((size_t)len + 1)) == NULL)
      return PyErr_NoMemory();
    acore_task_name(task, buf, (size_t)len + 1);
  }
  s = PyUnicode_FromStringAndSize(buf, len);
  if (buf != small)
    PyMem_Free(buf);
  return s;
}

static PyObject *task_get_name(PyTask *t, PyObject *noarg) {
  (void)noarg;
  return task_name_str(c_task(t));
}

static PyObject *task_set_name(PyTask *t, PyObject *name) {
  PyObject *s = PyObject_Str(name);
  const char *c = s ? PyUnicode_AsUTF8(s) : NULL;
  int rc = c ? acore_task_set_name(c_task(t), c) : ACORE_OK;

  Py_XDECREF(s);
  if (c == NULL)
    return NULL;
  if (rc < 0)
    return pyac_raise(rc);
  Py_RETURN_NONE;
}

static PyObject *task_get_coro(PyTask *t, PyObject *noarg) {
  (void)noarg;
  return Py_NewRef(t->coro ? t->coro : Py_None);
}

static PyObject *task_get_context(PyTask *t, PyObject *noarg) {
  (void)noarg;
  if (t->context == Py_None &&
      pyac_ctx_adopt(t->base.loop,
                     t->base.loop->step_task == t ? t->base.loop->step_ctx
                                                  : NULL,
                     &t->context) < 0)
    return NULL;
  return Py_NewRef(t->context ? t->context : Py_None);
}

static PyObject *task_cancelling(PyTask *t, PyObject *noarg) {
  acore_task_t *task = c_task(t);

  (void)noarg;
  return PyLong_FromLong(task ? acore_task_cancelling_count(task) : 0);
}

static PyObject *task_uncancel(PyTask *t, PyObject *noarg) {
  acore_task_t *task = c_task(t);

  (void)noarg;
  return PyLong_FromLong(task ? acore_task_uncancel(task) : 0);
}

static PyObject *task_repr(PyTask *t) {
  const char *state = "pending";
  PyObject *name, *r;

  if (t->base.fut == NULL)
    state = "cleared";
  else if (acore_future_is_cancelled(t->base.fut) == 1)
    state = "cancelled";
  else if (acore_future_is_done(t->base.fut) == 1)
    state = "finished";
  if ((name = task_name_str(c_task(t))) == NULL)
    return NULL;
  r = PyUnicode_FromFormat("<Task %s name='%U' coro=%R>", state, name,
                           t->coro ? t->coro : Py_None);
  Py_DECREF(name);
  return r;
}

static int task_traverse(PyTask *t, visitproc visit, void *arg) {
  Py_VISIT(t->coro);
  Py_VISIT(t->context);
  Py_VISIT(t->throw_exc);
  Py_VISIT(t->awaited);
  return PyacFuture_Type.tp_traverse((PyObject *)t, visit, arg);
}

/* What the Task adds to its Future. */
static void task_clear_own(PyTask *t) {
  Py_CLEAR(t->coro);
  Py_CLEAR(t->context);
  Py_CLEAR(t->throw_exc);
  Py_CLEAR(t->awaited);
}

static int task_clear(PyTask *t) {
  task_clear_own(t);
  return PyacFuture_Type.tp_clear((PyObject *)t);
}

static void task_dealloc(PyTask *t) {
  PyObject_GC_UnTrack(t);
  task_clear_own(t);
  pyac_future_dealloc_body(&t->base);
  pyac_live--;
  Py_TYPE(t)->tp_free((PyObject *)t);
}

static PyMethodDef task_methods[] = {
    {"get_name", (PyCFunction)task_get_name, METH_NOARGS, NULL},
    {"set_name", (PyCFunction)task_set_name, METH_O, NULL},
    {"get_coro", (PyCFunction)task_get_coro, METH_NOARGS, NULL},
    {"get_context", (PyCFunction)task_get_context, METH_NOARGS, NULL},
    {"cancelling", (PyCFunction)task_cancelling, METH_NOARGS, NULL},
    {"uncancel", (PyCFunction)task_uncancel, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyObject *task_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"coro", "loop", "name", "context", NULL};
  PyObject *coro, *loop = Py_None, *name = Py_None, *ctx = Py_None;
  PyLoop *l;

  (void)type;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$OOO:Task", kwlist, &coro,
                                   &loop, &name, &ctx) ||
      (l = pyac_loop_arg(loop)) == NULL)
    return NULL;
  return pyac_task_create(l, coro, name, ctx);
}

PyTypeObject PyacTask_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore.Task",
    .tp_basicsize = sizeof(PyTask),
    .tp_dealloc = (destructor)task_dealloc,
    .tp_repr = (reprfunc)task_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A coroutine running as an acore task (asyncio.Task's API).",
    .tp_traverse = (traverseproc)task_traverse,
    .tp_clear = (inquiry)task_clear,
    .tp_methods = task_methods,
    .tp_base = &PyacFuture_Type,
    .tp_new = task_tp_new,
};

int pyac_task_type_init(PyObject *m) {
  str_throw = PyUnicode_InternFromString("throw");
  str_blocking = PyUnicode_InternFromString("_asyncio_future_blocking");
  str_waiter = PyUnicode_InternFromString("waiter");
  str_cancel = PyUnicode_InternFromString("cancel");
  if (str_throw == NULL || str_blocking == NULL || str_waiter == NULL ||
      str_cancel == NULL || PyType_Ready(&PyacTask_Type) < 0)
    return -1;
  return PyModule_AddObjectRef(m, "Task", (PyObject *)&PyacTask_Type);
}
