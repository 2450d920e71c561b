/* SPDX-License-Identifier: MIT */
/*
 * pyac_queue.c - the C halves of acore.Event and acore.Queue / LifoQueue /
 * PriorityQueue on acore's C event and queue (acore/sync.h). The Python
 * classes in acore/_sync.py add asyncio's coroutine methods on top.
 *
 * Design notes
 * - Like the semaphore, each C object is made on first use that needs the
 *   running loop; before that an event only remembers whether it is set,
 *   and a queue keeps what put_nowait() gave it in a Python list (in put
 *   order, with its count of unfinished items) that moves into the C queue
 *   when it is bound. Items taken and not yet task_done() by then are
 *   stood for by placeholders put and taken at once, so join() counts
 *   them.
 * - Queue items go to C in boxes (struct qbox: the strong reference, freed
 *   by box_free, which is also the tag of a result that holds one). Every
 *   box lives on its queue's list until it is taken out or freed, so the
 *   queue's tp_traverse shows the collector every item C holds: a queue
 *   that holds itself, directly or through its items, is collected.
 * - A get that must wait returns a waiter (pyac_waiter.c) whose C future
 *   the task awaits; when the task resumes, acore_queue_get_finish() either
 *   hands the item over (moved out with acore_future_steal_result) or -
 *   when a cancellation is delivered at that step - puts it back at the
 *   front of the queue, so a cancelled getter never loses an item. A put
 *   that waited is finished the same way (acore_queue_put_finish): its
 *   item goes in when the task resumes, and stays out if a cancellation
 *   is delivered then, so a cancelled put() never inserts (asyncio).
 * - shutdown() (asyncio 3.13) is acore_queue_shutdown(); the C queue's
 *   ACORE_ECLOSED for a put, a get of an empty queue or a waiter woken by
 *   it becomes QueueShutDown (the loop's own closing is checked first).
 * - A priority queue compares with Python's `<` from a C callback. Every
 *   call that can compare (put, get, a getter giving its item back) is made
 *   from Python with the GIL held; the callback still takes the GIL
 *   (re-entrant) and keeps the first exception `<` raised in the queue
 *   object, re-raised once the C call returns (the item stays queued, as
 *   with heapq).
 */
#include "pyac.h"

#include "acore/sync.h"

enum { QFIFO = 0, QLIFO = 1, QPRIO = 2 };

typedef struct qbox {
  PyObject *obj;         /* strong, or NULL once cleared by the collector */
  struct qbox *prev, *next;
} qbox;

typedef struct PyQueue {
  PyObject_HEAD
  acore_queue_t *q;
  qbox boxes;            /* list head: every box C holds for this queue */
  PyLoop *loop;          /* strong, once bound */
  Py_ssize_t maxsize;
  int order;
  PyObject *cmp_exc;     /* first exception raised by `<`, or NULL */
  PyObject *pending;     /* list: items put before binding, or NULL */
  Py_ssize_t pre_unfinished; /* unfinished items before binding */
  int shut;              /* shutdown() was called */
} PyQueue;

typedef struct PyEvent {
  PyObject_HEAD
  acore_event_t *ev;
  PyLoop *loop;
  int set;               /* before binding */
} PyEvent;

static PyTypeObject PyacQueue_Type, PyacEvent_Type;
static PyObject *exc_empty, *exc_full, *exc_shut;

static PyLoop *bind_loop(void) {
  PyLoop *loop = pyac_running_loop();

  if (loop == NULL)
    PyErr_SetString(PyExc_RuntimeError, "no running event loop");
  return loop;
}

/* An error code of a queue call: QueueShutDown once the queue is shut
 * down and the C queue refused with ACORE_ECLOSED. */
static PyObject *queue_raise(PyQueue *self, int rc) {
  if (rc == ACORE_ECLOSED && self->shut)
    return PyErr_SetNone(exc_shut), NULL;
  return pyac_raise(rc);
}

/* ---- item boxes ---------------------------------------------------------------- */

static void box_unlink(qbox *b) {
  b->prev->next = b->next;
  b->next->prev = b->prev;
  b->prev = b->next = b;
}

/* A box holding a new reference to `obj`, on `self`'s list. GIL held. */
static qbox *box_new(PyQueue *self, PyObject *obj) {
  qbox *b = PyObject_Malloc(sizeof(*b));

  if (b == NULL)
    return (qbox *)PyErr_NoMemory();
  if (self->boxes.next == NULL)
    self->boxes.next = self->boxes.prev = &self->boxes;
  b->obj = Py_NewRef(obj);
  b->next = &self->boxes;
  b->prev = self->boxes.prev;
  b->prev->next = b;
  self->boxes.prev = b;
  pyac_crefs++;
  return b;
}

/* The item out of box `p` (a new reference; None if cleared); frees it. */
static PyObject *box_take(void *p) {
  qbox *b = p;
  PyObject *obj = b->obj ? b->obj : Py_NewRef(Py_None);

  box_unlink(b);
  pyac_crefs--;
  PyObject_Free(b);
  return obj;
}

/* acore_free_fn of a box (any thread). */
static void box_free(void *p) {
  pyac_gil g;

  if (p == NULL)
    return;
  g = pyac_gil_enter();
  Py_DECREF(box_take(p));
  pyac_gil_leave(g);
}

/* Put a box of `item` without waiting; ACORE_ENOMEM on a failed box. */
static int put_box(PyQueue *self, PyObject *item) {
  qbox *b = box_new(self, item);
  int rc;

  if (b == NULL)
    return ACORE_ENOMEM;
  rc = acore_queue_put_nowait(self->q, b, box_free);
  if (rc != ACORE_OK)
    box_free(b); /* not taken */
  return rc;
}

/* ---- the priority comparison ------------------------------------------------- */

static int prio_cmp(const void *a, const void *b, void *ud) {
  PyQueue *self = ud;
  pyac_gil g = pyac_gil_enter();
  int r = 0, lt;

  PyObject *x = ((const qbox *)a)->obj, *y = ((const qbox *)b)->obj;

  if (self->cmp_exc == NULL && x != NULL && y != NULL) {
    lt = PyObject_RichCompareBool(x, y, Py_LT);
    if (lt == 0)
      lt = PyObject_RichCompareBool(y, x, Py_LT) > 0 ? 2 : 0;
    if (lt < 0 || PyErr_Occurred())
      self->cmp_exc = pyac_fetch_exc();
    else
      r = lt == 1 ? -1 : lt == 2 ? 1 : 0;
  }
  pyac_gil_leave(g);
  return r;
}

/* Re-raise what `<` raised during the last C call; -1 if it did. */
static int cmp_check(PyQueue *self) {
  PyObject *e = self->cmp_exc;

  if (e == NULL)
    return 0;
  self->cmp_exc = NULL;
  PyErr_SetObject((PyObject *)Py_TYPE(e), e);
  Py_DECREF(e);
  return -1;
}

static int move_pending(PyQueue *self);

static int queue_bind(PyQueue *self) {
  PyLoop *loop;
  int rc;

  if (self->q != NULL)
    return pyac_loop_check(self->loop);
  if ((loop = bind_loop()) == NULL)
    return -1;
  if (self->pending == NULL && (self->pending = PyList_New(0)) == NULL)
    return -1;
  if (self->order == QPRIO)
    rc = acore_queue_new_priority(loop->loop, (size_t)self->maxsize,
                                  prio_cmp, self, NULL, &self->q);
  else
    rc = acore_queue_new(loop->loop, (size_t)self->maxsize,
                         self->order == QLIFO ? ACORE_QUEUE_LIFO
                                              : ACORE_QUEUE_FIFO,
                         &self->q);
  if (rc < 0) {
    pyac_raise(rc);
    return -1;
  }
  self->loop = (PyLoop *)Py_NewRef(loop);
  return move_pending(self);
}

/* Items put before binding into the new C queue (see the design notes). */
static int move_pending(PyQueue *self) {
  PyObject *list = self->pending;
  Py_ssize_t i, n = PyList_GET_SIZE(list);
  acore_free_fn f;
  void *item;
  int rc = ACORE_OK;

  self->pending = NULL;
  for (i = n; i < self->pre_unfinished && rc == ACORE_OK; i++) {
    rc = put_box(self, Py_None);
    if (rc == ACORE_OK &&
        (rc = acore_queue_get_nowait(self->q, &item, &f)) == ACORE_OK)
      f(item);
  }
  for (i = 0; i < n && rc == ACORE_OK; i++)
    rc = put_box(self, PyList_GET_ITEM(list, i));
  Py_DECREF(list);
  self->pre_unfinished = 0;
  if (rc == ACORE_OK && self->shut) /* shut down before it was bound */
    rc = acore_queue_shutdown(self->q, 0);
  if (cmp_check(self) < 0)
    return -1;
  return rc == ACORE_OK ? 0 : (pyac_raise(rc), -1);
}

/* Unbound get_nowait(): the next item of the pending list by the order. */
static PyObject *pending_pop(PyQueue *self) {
  PyObject *list = self->pending, *item;
  Py_ssize_t n = list ? PyList_GET_SIZE(list) : 0, i, best = 0;
  int lt;

  if (n == 0)
    return PyErr_SetNone(self->shut ? exc_shut : exc_empty), NULL;
  if (self->order == QLIFO)
    best = n - 1;
  for (i = 1; self->order == QPRIO && i < n; i++) {
    lt = PyObject_RichCompareBool(PyList_GET_ITEM(list, i),
                                  PyList_GET_ITEM(list, best), Py_LT);
    if (lt < 0)
      return NULL;
    if (lt)
      best = i;
  }
  item = Py_NewRef(PyList_GET_ITEM(list, best));
  if (PySequence_DelItem(list, best) < 0) {
    Py_DECREF(item);
    return NULL;
  }
  return item;
}

/* Unbound put_nowait(). */
static PyObject *pending_put(PyQueue *self, PyObject *item) {
  if (self->pending == NULL && (self->pending = PyList_New(0)) == NULL)
    return NULL;
  if (self->maxsize > 0 && PyList_GET_SIZE(self->pending) >= self->maxsize)
    return PyErr_SetNone(exc_full), NULL;
  if (PyList_Append(self->pending, item) < 0)
    return NULL;
  self->pre_unfinished++;
  Py_RETURN_NONE;
}

/* ---- the waiter kinds of a get and a put ------------------------------- */

/* A get's outcome: the item, moved out of the future, or an exception. */
static PyObject *get_take(PyWaiter *w) {
  PyQueue *self = (PyQueue *)w->owner;
  acore_future_t *fut = w->fut->fut;
  void *item = NULL;
  int rc;

  rc = acore_queue_get_finish(self->q, fut);
  if (cmp_check(self) < 0)
    return NULL;
  if (rc != ACORE_OK)
    return rc == ACORE_ECANCELLED ? (PyErr_SetNone(pyac_CancelledError), NULL)
                                  : queue_raise(self, rc);
  rc = acore_future_steal_result(fut, box_free, &item);
  if (rc != ACORE_OK || item == NULL)
    return rc != ACORE_OK ? pyac_raise(rc) : Py_NewRef(Py_None);
  return box_take(item); /* the reference C held is now ours */
}

/* A served get whose item will never be taken: unless the finish put it
 * back already (a cancellation delivered to the task's step), it goes back
 * with put_nowait. */
static void get_give_back(PyWaiter *w) {
  PyQueue *self = (PyQueue *)w->owner;
  void *item = NULL;

  if (acore_queue_get_finish(self->q, w->fut->fut) == ACORE_OK &&
      acore_future_steal_result(w->fut->fut, box_free, &item) == ACORE_OK &&
      item != NULL &&
      acore_queue_put_nowait(self->q, item, box_free) != ACORE_OK)
    box_free(item);
  (void)cmp_check(self);
  PyErr_Clear();
}

/* A put's outcome once the task resumed: None with the item in, or an
 * exception (a cancellation delivered now keeps the item out, as asyncio's
 * put() does). */
static PyObject *put_take(PyWaiter *w) {
  PyQueue *self = (PyQueue *)w->owner;
  int rc = acore_queue_put_finish(self->q, w->fut->fut);

  if (cmp_check(self) < 0)
    return NULL;
  if (rc == ACORE_ECANCELLED)
    return PyErr_SetNone(pyac_CancelledError), NULL;
  return rc == ACORE_OK ? Py_NewRef(Py_None) : queue_raise(self, rc);
}

/* An admitted put whose outcome will never be taken (an exception thrown
 * in: a cancellation keeps the item out; see put_take). */
static void put_give_back(PyWaiter *w) {
  PyQueue *self = (PyQueue *)w->owner;

  (void)acore_queue_put_finish(self->q, w->fut->fut);
  (void)cmp_check(self);
  PyErr_Clear();
}

/* (a put given up before it was served never inserts its item) */
static const pyac_waiter_kind get_waiter = {get_take, get_give_back};
static const pyac_waiter_kind put_waiter = {put_take, put_give_back};

/* ---- the queue ----------------------------------------------------------------- */

/* put_nowait(item): QueueFull when there is no room. */
static PyObject *queue_put_nowait(PyQueue *self, PyObject *item) {
  int rc;

  if (self->shut)
    return PyErr_SetNone(exc_shut), NULL;
  if (self->q == NULL && pyac_running_loop() == NULL)
    return pending_put(self, item);
  if (queue_bind(self) < 0)
    return NULL;
  rc = put_box(self, item);
  if (rc != ACORE_OK) {
    if (rc == ACORE_ENOMEM && PyErr_Occurred())
      return NULL;
    if (cmp_check(self) < 0)
      return NULL;
    if (rc == ACORE_EFULL)
      return PyErr_SetNone(exc_full), NULL;
    return queue_raise(self, rc);
  }
  return cmp_check(self) < 0 ? NULL : Py_NewRef(Py_None);
}

/* _put(item): None when put at once, else a waiter to await. */
static PyObject *queue_put(PyQueue *self, PyObject *item) {
  acore_future_t *fut;
  qbox *b;
  int rc;

  if (self->shut)
    return PyErr_SetNone(exc_shut), NULL;
  if (queue_bind(self) < 0)
    return NULL;
  rc = put_box(self, item);
  if (rc == ACORE_OK)
    return cmp_check(self) < 0 ? NULL : Py_NewRef(Py_None);
  if (rc == ACORE_ENOMEM && PyErr_Occurred())
    return NULL;
  if (rc != ACORE_EFULL)
    return cmp_check(self) < 0 ? NULL : queue_raise(self, rc);
  if ((b = box_new(self, item)) == NULL)
    return NULL;
  rc = acore_queue_put(self->q, b, box_free, &fut);
  if (rc != ACORE_OK) {
    box_free(b);
    return queue_raise(self, rc);
  }
  return pyac_waiter_new(&put_waiter, (PyObject *)self, self->loop, fut);
}

static PyObject *queue_get_nowait(PyQueue *self, PyObject *noarg) {
  acore_free_fn item_free = NULL;
  void *item = NULL;
  int rc;

  (void)noarg;
  if (self->q == NULL)
    return pending_pop(self);
  if (pyac_loop_check(self->loop) < 0)
    return NULL;
  rc = acore_queue_get_nowait(self->q, &item, &item_free);
  if (cmp_check(self) < 0) {
    if (rc == ACORE_OK && item_free != NULL)
      item_free(item);
    return NULL;
  }
  if (rc == ACORE_EEMPTY)
    return PyErr_SetNone(exc_empty), NULL;
  if (rc != ACORE_OK)
    return queue_raise(self, rc);
  if (item_free != box_free || item == NULL) {
    if (item_free != NULL)
      item_free(item);
    Py_RETURN_NONE;
  }
  return box_take(item);
}

/* _get(): a tuple (item,) when one is ready, else a waiter to await. */
static PyObject *queue_get(PyQueue *self, PyObject *noarg) {
  acore_future_t *fut;
  PyObject *item, *t;
  int rc;

  (void)noarg;
  if (queue_bind(self) < 0)
    return NULL;
  if (acore_queue_item_count(self->q) > 0) {
    item = queue_get_nowait(self, NULL);
    if (item == NULL)
      return NULL;
    t = PyTuple_Pack(1, item);
    Py_DECREF(item);
    return t;
  }
  rc = acore_queue_get(self->q, &fut);
  if (rc != ACORE_OK)
    return queue_raise(self, rc);
  return pyac_waiter_new(&get_waiter, (PyObject *)self, self->loop, fut);
}

static PyObject *queue_task_done(PyQueue *self, PyObject *noarg) {
  int rc;

  (void)noarg;
  if (self->q == NULL) {
    rc = self->pre_unfinished > 0 ? ACORE_OK : ACORE_EINVALIDSTATE;
    if (rc == ACORE_OK)
      self->pre_unfinished--;
  } else {
    rc = acore_queue_task_done(self->q);
  }
  if (rc == ACORE_EINVALIDSTATE)
    return PyErr_Format(PyExc_ValueError, "task_done() called too many times");
  return rc < 0 ? pyac_raise(rc) : Py_NewRef(Py_None);
}

/* _join(): None when nothing is unfinished, else a future to await. */
static PyObject *queue_join(PyQueue *self, PyObject *noarg) {
  acore_future_t *fut;
  int rc;

  (void)noarg;
  if (self->q == NULL && self->pre_unfinished == 0)
    Py_RETURN_NONE;
  if (queue_bind(self) < 0)
    return NULL;
  if (acore_queue_unfinished_count(self->q) == 0)
    Py_RETURN_NONE;
  rc = acore_queue_join(self->q, &fut);
  if (rc != ACORE_OK)
    return pyac_raise(rc);
  return (PyObject *)pyac_future_wrap(self->loop, fut);
}

/* shutdown(immediate=False): asyncio 3.13's Queue.shutdown(). Puts fail
 * with QueueShutDown from now on, waiting putters too; getters drain what
 * is queued and then fail (waiting ones at once). immediate=True drops the
 * queued items, each counting as a task_done(). Any thread of the loop's
 * own; no running loop needed. */
static PyObject *queue_shutdown(PyQueue *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"immediate", NULL};
  int immediate = 0, rc;

  if (!PyArg_ParseTupleAndKeywords(args, kw, "|p:shutdown", kwlist,
                                   &immediate))
    return NULL;
  self->shut = 1;
  if (self->q == NULL) {
    Py_ssize_t n = self->pending ? PyList_GET_SIZE(self->pending) : 0;

    if (immediate && n > 0) {
      self->pre_unfinished -= n < self->pre_unfinished ? n
                                                      : self->pre_unfinished;
      Py_CLEAR(self->pending);
    }
    Py_RETURN_NONE;
  }
  rc = acore_queue_shutdown(self->q, immediate ? ACORE_QUEUE_IMMEDIATE : 0);
  if (rc < 0 && rc != ACORE_ECLOSED) /* a closed loop: nothing waits */
    return pyac_raise(rc);
  Py_RETURN_NONE;
}

static PyObject *queue_qsize(PyQueue *self, PyObject *noarg) {
  (void)noarg;
  if (self->q == NULL)
    return PyLong_FromSsize_t(self->pending ? PyList_GET_SIZE(self->pending)
                                            : 0);
  return PyLong_FromSize_t(acore_queue_item_count(self->q));
}

static PyObject *queue_unfinished(PyQueue *self, PyObject *noarg) {
  (void)noarg;
  if (self->q == NULL)
    return PyLong_FromSsize_t(self->pre_unfinished);
  return PyLong_FromSize_t(acore_queue_unfinished_count(self->q));
}

static PyObject *queue_maxsize(PyQueue *self, void *closure) {
  (void)closure;
  return PyLong_FromSsize_t(self->maxsize);
}

static int queue_init(PyQueue *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"maxsize", NULL};
  Py_ssize_t maxsize = 0;
  PyObject *order;

  if (!PyArg_ParseTupleAndKeywords(args, kw, "|n:Queue", kwlist, &maxsize))
    return -1;
  if (self->q != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "queue already in use");
    return -1;
  }
  self->maxsize = maxsize < 0 ? 0 : maxsize; /* asyncio: <= 0 is unbounded */
  order = PyObject_GetAttrString((PyObject *)self, "_order");
  if (order == NULL) {
    PyErr_Clear();
    self->order = QFIFO;
  } else {
    self->order = (int)PyLong_AsLong(order);
    Py_DECREF(order);
    if (self->order < QFIFO || self->order > QPRIO) {
      PyErr_Clear();
      self->order = QFIFO;
    }
  }
  return 0;
}

/* The pending list and the boxed items are visible to the collector
 * through the Python subclass (subtype_traverse reaches a base's
 * tp_traverse). */
static int queue_traverse(PyQueue *self, visitproc visit, void *arg) {
  qbox *b;

  Py_VISIT(self->pending);
  Py_VISIT(self->cmp_exc);
  for (b = self->boxes.next; b != NULL && b != &self->boxes; b = b->next)
    Py_VISIT(b->obj);
  return 0;
}

static int queue_clear(PyQueue *self) {
  qbox *b;

  for (b = self->boxes.next; b != NULL && b != &self->boxes; b = b->next)
    Py_CLEAR(b->obj); /* the box stays with C, empty */
  Py_CLEAR(self->pending);
  Py_CLEAR(self->cmp_exc);
  return 0;
}

static void queue_dealloc(PyQueue *self) {
  acore_queue_unref(self->q); /* frees the queued items */
  self->q = NULL;
  while (self->boxes.next != NULL && self->boxes.next != &self->boxes)
    box_unlink(self->boxes.next); /* boxes C still holds elsewhere */
  Py_CLEAR(self->pending);
  Py_CLEAR(self->cmp_exc);
  Py_CLEAR(self->loop);
  pyac_live--;
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef queue_methods[] = {
    {"put_nowait", (PyCFunction)queue_put_nowait, METH_O, NULL},
    {"get_nowait", (PyCFunction)queue_get_nowait, METH_NOARGS, NULL},
    {"_put", (PyCFunction)queue_put, METH_O, NULL},
    {"_get", (PyCFunction)queue_get, METH_NOARGS, NULL},
    {"_join", (PyCFunction)queue_join, METH_NOARGS, NULL},
    {"task_done", (PyCFunction)queue_task_done, METH_NOARGS, NULL},
    {"qsize", (PyCFunction)queue_qsize, METH_NOARGS, NULL},
    {"_unfinished", (PyCFunction)queue_unfinished, METH_NOARGS, NULL},
    {"shutdown", (PyCFunction)(void (*)(void))queue_shutdown,
     METH_VARARGS | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef queue_getset[] = {
    {"maxsize", (getter)queue_maxsize, NULL, "Number of items allowed.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject PyacQueue_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore.QueueBase",
    .tp_basicsize = sizeof(PyQueue),
    .tp_dealloc = (destructor)queue_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "The C half of acore.Queue (acore/sync.h).",
    .tp_traverse = (traverseproc)queue_traverse,
    .tp_clear = (inquiry)queue_clear,
    .tp_methods = queue_methods,
    .tp_getset = queue_getset,
    .tp_init = (initproc)queue_init,
    .tp_new = pyac_counted_new,
};

/* ---- the event ----------------------------------------------------------------- */

static int event_bind(PyEvent *self) {
  PyLoop *loop;
  int rc;

  if (self->ev != NULL)
    return pyac_loop_check(self->loop);
  if ((loop = bind_loop()) == NULL)
    return -1;
  rc = acore_event_new(loop->loop, &self->ev);
  if (rc == ACORE_OK && self->set)
    rc = acore_event_set(self->ev);
  if (rc < 0) {
    acore_event_unref(self->ev);
    self->ev = NULL;
    pyac_raise(rc);
    return -1;
  }
  self->loop = (PyLoop *)Py_NewRef(loop);
  return 0;
}

static PyObject *event_is_set(PyEvent *self, PyObject *noarg) {
  (void)noarg;
  if (self->ev == NULL)
    return PyBool_FromLong(self->set);
  return PyBool_FromLong(acore_event_is_set(self->ev) == 1);
}

static PyObject *event_set(PyEvent *self, PyObject *noarg) {
  int rc;

  (void)noarg;
  if (self->ev == NULL) {
    self->set = 1;
    Py_RETURN_NONE;
  }
  rc = acore_event_set(self->ev);
  return rc < 0 ? pyac_raise(rc) : Py_NewRef(Py_None);
}

static PyObject *event_clear(PyEvent *self, PyObject *noarg) {
  (void)noarg;
  self->set = 0;
  if (self->ev != NULL)
    acore_event_clear(self->ev);
  Py_RETURN_NONE;
}

/* _wait(): None when set, else a future that completes when it is. */
static PyObject *event_wait(PyEvent *self, PyObject *noarg) {
  acore_future_t *fut;
  int rc;

  (void)noarg;
  if (self->ev == NULL && self->set)
    Py_RETURN_NONE;
  if (event_bind(self) < 0)
    return NULL;
  if (acore_event_is_set(self->ev) == 1)
    Py_RETURN_NONE;
  rc = acore_event_wait(self->ev, &fut);
  if (rc != ACORE_OK)
    return pyac_raise(rc);
  return (PyObject *)pyac_future_wrap(self->loop, fut);
}

static PyObject *event_waiting(PyEvent *self, PyObject *noarg) {
  (void)noarg;
  return PyLong_FromSize_t(acore_event_waiter_count(self->ev));
}

static void event_dealloc(PyEvent *self) {
  acore_event_unref(self->ev);
  self->ev = NULL;
  Py_CLEAR(self->loop);
  pyac_live--;
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef event_methods[] = {
    {"is_set", (PyCFunction)event_is_set, METH_NOARGS, NULL},
    {"set", (PyCFunction)event_set, METH_NOARGS, NULL},
    {"clear", (PyCFunction)event_clear, METH_NOARGS, NULL},
    {"_wait", (PyCFunction)event_wait, METH_NOARGS, NULL},
    {"_waiting", (PyCFunction)event_waiting, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject PyacEvent_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore.EventBase",
    .tp_basicsize = sizeof(PyEvent),
    .tp_dealloc = (destructor)event_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "The C half of acore.Event (acore/sync.h).",
    .tp_methods = event_methods,
    .tp_new = pyac_counted_new,
};

int pyac_queue_init(PyObject *m) {
  PyObject *mod;

  if (PyType_Ready(&PyacQueue_Type) < 0 || PyType_Ready(&PyacEvent_Type) < 0)
    return -1;
  mod = PyImport_ImportModule("asyncio.queues");
  if (mod == NULL)
    return -1;
  exc_empty = PyObject_GetAttrString(mod, "QueueEmpty");
  exc_full = PyObject_GetAttrString(mod, "QueueFull");
  exc_shut = PyObject_GetAttrString(mod, "QueueShutDown"); /* 3.13 */
  if (exc_shut == NULL) {
    PyErr_Clear();
    exc_shut = PyErr_NewExceptionWithDoc(
        "acore.QueueShutDown",
        "Raised by put() or get() on a queue that was shut down.", NULL,
        NULL);
  }
  Py_DECREF(mod);
  if (exc_empty == NULL || exc_full == NULL || exc_shut == NULL)
    return -1;
  if (PyModule_AddObjectRef(m, "QueueShutDown", exc_shut) < 0)
    return -1;
  if (PyModule_AddObjectRef(m, "QueueBase", (PyObject *)&PyacQueue_Type) < 0)
    return -1;
  return PyModule_AddObjectRef(m, "EventBase", (PyObject *)&PyacEvent_Type);
}
