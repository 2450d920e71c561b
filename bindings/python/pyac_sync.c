/* SPDX-License-Identifier: MIT */
/*
 * pyac_sync.c - acore.Semaphore / acore.BoundedSemaphore on acore's C
 * semaphore (acore/sync.h), with asyncio.Semaphore's API: acquire(),
 * release(), locked(), `async with`.
 *
 * Design notes
 * - The C semaphore is made on first use, on the running loop (asyncio
 *   binds its primitives to a loop the same way); releases before that
 *   just count.
 * - acquire() returns a ready-made awaitable when a permit is free and
 *   nobody waits (no future at all); otherwise a waiter (pyac_waiter.c)
 *   whose C future the task awaits. The waiter finishes the acquisition
 *   when the task resumes (acore_sem_acquire_finish): a cancellation
 *   thrown in at that point gives a granted permit back to the next
 *   waiter, so nothing is lost.
 * - acore.Lock's locked() is asyncio's: true once a task has acquired the
 *   lock and resumed (`held`), false from release() on, also while the
 *   permit waits for the woken waiter to resume; release() then raises.
 * - acore.Lock is an ACORE_SEM_LOCK semaphore (any task may release it, as
 *   in asyncio, which acore_lock refuses): the task that takes it is named
 *   its holder (acore_sem_set_holder), so the dumps read "lock ...; held
 *   by left (#2)" as for a C lock.
 */
#include "pyac.h"

#include "acore/sync.h"

typedef struct PySem {
  PyObject_HEAD
  acore_sem_t *sem;
  PyLoop *loop;        /* strong, once bound */
  Py_ssize_t value;    /* permits before binding */
  Py_ssize_t initial;
  int bounded;
  int is_lock;           /* acore.Lock: over-release is a RuntimeError */
  int held;              /* acore.Lock: acquired by a task that resumed */
} PySem;

/* An awaitable that is already done with `value` (stateless: shared). */
typedef struct PyDone {
  PyObject_HEAD
  PyObject *value;
} PyDone;

static PyTypeObject PyacSem_Type, PyacDone_Type;
static PyObject *done_true, *done_none;

/* ---- the done awaitable --------------------------------------------------- */

static PySendResult done_send(PyDone *d, PyObject *arg, PyObject **res) {
  (void)arg;
  *res = Py_NewRef(d->value);
  return PYGEN_RETURN;
}

static PyObject *done_next(PyDone *d) {
  return pyac_next_from_send(PYGEN_RETURN, Py_NewRef(d->value));
}

static PyAsyncMethods done_async = {.am_await = pyac_self,
                                    .am_send = (sendfunc)done_send};

static PyTypeObject PyacDone_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore._Done",
    .tp_basicsize = sizeof(PyDone),
    .tp_as_async = &done_async,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = pyac_self,
    .tp_iternext = (iternextfunc)done_next,
};

static PyObject *done_new(PyObject *value) {
  PyDone *d = PyObject_New(PyDone, &PyacDone_Type);
  if (d != NULL)
    d->value = Py_NewRef(value); /* immortal singletons: never freed */
  return (PyObject *)d;
}

/* ---- binding and errors ----------------------------------------------------- */

static int sem_bind(PySem *s) {
  PyLoop *loop;
  int rc;

  if (s->sem != NULL)
    return pyac_loop_check(s->loop);
  loop = pyac_running_loop();
  if (loop == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "no running event loop");
    return -1;
  }
  rc = acore_sem_new(loop->loop, (size_t)s->value,
                     (s->bounded ? ACORE_SEM_BOUNDED : 0) |
                         (s->is_lock ? ACORE_SEM_LOCK : 0),
                     &s->sem);
  if (rc < 0) {
    pyac_raise(rc);
    return -1;
  }
  s->loop = (PyLoop *)Py_NewRef(loop);
  return 0;
}

static PyObject *finish_rc(int rc) {
  if (rc == ACORE_OK)
    return Py_NewRef(Py_True);
  if (rc == ACORE_ECANCELLED)
    return PyErr_SetNone(pyac_CancelledError), NULL;
  if (rc == ACORE_ECLOSED)
    return PyErr_Format(PyExc_RuntimeError, "semaphore closed");
  return pyac_raise(rc);
}

/* The lock is taken (by the current task, if any): the dumps name it. */
static void took(PySem *s) {
  s->held = 1;
  if (s->is_lock) /* ENOMEM cannot happen: a reference, no allocation */
    (void)acore_sem_set_holder(s->sem,
                               acore_loop_current_task(s->loop->loop));
}

/* ---- the waiter kind ----------------------------------------------------- */

static PyObject *sem_take(PyWaiter *w) {
  PySem *s = (PySem *)w->owner;
  int rc = acore_sem_acquire_finish(s->sem, w->fut->fut);

  if (rc == ACORE_OK)
    took(s);
  return finish_rc(rc);
}

/* Granted, never taken: the permit goes back (unless the finish already
 * gave it back for a cancellation delivered to the task's step). */
static void sem_give_back(PyWaiter *w) {
  acore_sem_t *sem = ((PySem *)w->owner)->sem;

  if (acore_sem_acquire_finish(sem, w->fut->fut) == ACORE_OK)
    acore_sem_release(sem, 1);
}

static const pyac_waiter_kind sem_waiter = {sem_take, sem_give_back};

/* ---- the semaphore ---------------------------------------------------------- */

static PyObject *sem_acquire(PySem *s, PyObject *noarg) {
  acore_future_t *fut;
  int rc;

  (void)noarg;
  if (sem_bind(s) < 0)
    return NULL;
  if (acore_sem_try_acquire(s->sem, 1) == ACORE_OK) {
    took(s);
    return Py_NewRef(done_true);
  }
  rc = acore_sem_acquire(s->sem, 1, &fut);
  if (rc < 0)
    return pyac_raise(rc);
  return pyac_waiter_new(&sem_waiter, (PyObject *)s, s->loop, fut);
}

static PyObject *released_too_often(PySem *s) {
  if (s->is_lock)
    PyErr_SetString(PyExc_RuntimeError, "Lock is not acquired.");
  else
    PyErr_SetString(PyExc_ValueError,
                    "BoundedSemaphore released too many times");
  return NULL;
}

static PyObject *sem_release(PySem *s, PyObject *noarg) {
  int rc;

  (void)noarg;
  if (s->sem == NULL) {
    if (s->bounded && s->value >= s->initial)
      return released_too_often(s);
    s->value++;
    Py_RETURN_NONE;
  }
  if (s->is_lock && !s->held)
    return released_too_often(s);
  rc = acore_sem_release(s->sem, 1);
  if (rc == ACORE_EOVERFLOW)
    return released_too_often(s);
  s->held = 0;
  if (s->is_lock && rc == ACORE_OK)
    (void)acore_sem_set_holder(s->sem, NULL);
  return rc < 0 ? pyac_raise(rc) : Py_NewRef(Py_None);
}

static PyObject *sem_aexit(PySem *s, PyObject *args) {
  PyObject *r;

  (void)args;
  r = sem_release(s, NULL);
  if (r == NULL)
    return NULL;
  Py_DECREF(r);
  return Py_NewRef(done_none);
}

static PyObject *sem_locked(PySem *s, PyObject *noarg) {
  (void)noarg;
  if (s->sem == NULL)
    return PyBool_FromLong(s->value == 0);
  if (s->is_lock) /* asyncio.Lock: unlocked from release() until the
                     woken waiter resumes */
    return PyBool_FromLong(s->held);
  return PyBool_FromLong(acore_sem_available_count(s->sem) == 0 ||
                         acore_sem_waiter_count(s->sem) > 0);
}

static int sem_init(PySem *s, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"value", NULL};
  Py_ssize_t value = 1;

  if (!PyArg_ParseTupleAndKeywords(args, kw, "|n:Semaphore", kwlist, &value))
    return -1;
  if (value < 0) {
    PyErr_SetString(PyExc_ValueError, "Semaphore initial value must be >= 0");
    return -1;
  }
  s->value = s->initial = value;
  s->bounded = PyType_IsSubtype(Py_TYPE(s), &PyacSem_Type) &&
               PyObject_HasAttrString((PyObject *)s, "_bounded");
  s->is_lock = s->bounded && PyObject_HasAttrString((PyObject *)s, "_is_lock");
  return 0;
}

static void sem_dealloc(PySem *s) {
  acore_sem_unref(s->sem);
  s->sem = NULL;
  Py_CLEAR(s->loop);
  pyac_live--;
  Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyObject *sem_repr(PySem *s) {
  return PyUnicode_FromFormat("<%s [%s]>", Py_TYPE(s)->tp_name,
                              (s->is_lock ? s->held
                                          : s->sem &&
                                                acore_sem_available_count(s->sem) == 0)
                                  ? "locked"
                                  : "unlocked");
}

/* _loop: the loop the semaphore is bound to (None before first use), so
 * that a Condition built on this lock can refuse another loop. */
static PyObject *sem_get_loop(PySem *s, void *closure) {
  (void)closure;
  return Py_NewRef(s->loop != NULL ? (PyObject *)s->loop : Py_None);
}

static PyGetSetDef sem_getset[] = {
    {"_loop", (getter)sem_get_loop, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef sem_methods[] = {
    {"_acquire", (PyCFunction)sem_acquire, METH_NOARGS, NULL},
    {"release", (PyCFunction)sem_release, METH_NOARGS, NULL},
    {"locked", (PyCFunction)sem_locked, METH_NOARGS, NULL},
    {"__aenter__", (PyCFunction)sem_acquire, METH_NOARGS, NULL},
    {"__aexit__", (PyCFunction)sem_aexit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject PyacSem_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore.SemaphoreBase",
    .tp_basicsize = sizeof(PySem),
    .tp_dealloc = (destructor)sem_dealloc,
    .tp_repr = (reprfunc)sem_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "The C half of acore.Semaphore (acore/sync.h).",
    .tp_methods = sem_methods,
    .tp_getset = sem_getset,
    .tp_init = (initproc)sem_init,
    .tp_new = pyac_counted_new,
};

int pyac_sync_init(PyObject *m) {
  if (PyType_Ready(&PyacDone_Type) < 0 || PyType_Ready(&PyacSem_Type) < 0)
    return -1;
  done_true = done_new(Py_True);
  done_none = done_new(Py_None);
  if (done_true == NULL || done_none == NULL)
    return -1;
  /* The shared ready awaitables, for acore.Condition's fast paths. */
  if (PyModule_AddObjectRef(m, "_done_true", done_true) < 0 ||
      PyModule_AddObjectRef(m, "_done_none", done_none) < 0)
    return -1;
  return PyModule_AddObjectRef(m, "SemaphoreBase", (PyObject *)&PyacSem_Type);
}
