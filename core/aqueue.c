/* SPDX-License-Identifier: MIT */
/*
 * aqueue.c - the asynchronous queue (acore_queue_t): bounded or unbounded,
 * FIFO, LIFO or priority; put/get as futures, nowait variants,
 * task_done/join and shutdown. (Not to be confused with core/queue.h, the
 * intrusive list.)
 *
 * Design notes
 * - Items live in one array: a ring for FIFO, a stack for LIFO, a binary
 *   heap on (compare, seq) for priority, so equal items come out in put
 *   order. Growth happens before anything changes, so ENOMEM is clean.
 * - Getters wait only while the store is empty, putters only while it is
 *   full: a put with a getter waiting hands the item straight to it, a get
 *   that frees room admits the first waiting putter. Each side is FIFO.
 * - An admitted putter's future completes and room is kept for its item
 *   (`reserved`), but the item goes in only when the putter's task has
 *   resumed (asyncio's order): acore_queue_put_finish() in that step puts
 *   it in, or - a cancellation delivered to that step - gives the room to
 *   the next putter and keeps the item out, so a cancelled put never
 *   inserts. A commit callback queued behind the task's wake-up puts the
 *   item in if nobody finished the put (a caller that never calls finish).
 * - A getter's future owns the item it was given (pointer result with the
 *   item's destructor); a putter owns its item until it is admitted, and
 *   frees it if it never is (cancelled, shut down).
 * - get_finish() on a served-then-cancelled getter puts the item back at
 *   the front (priority: ahead of its equals) or to the next getter, and
 *   flags the future STOLEN so it is given back once.
 */
#include "alloc.h"
#include "future.h"
#include "loop.h"
#include "waitq.h"

#include <assert.h>
#include <string.h>

enum { PRIO = 2 };
/* A putter's stage, in its waiter's `n`. */
enum { PUT_WAITING = 2, PUT_ADMITTED, PUT_IN, PUT_GIVEN_UP };
#define FRONT_SEQ ((uint64_t)1 << 63)

typedef struct slot {
  void *item;
  acore_free_fn item_free;
  uint64_t seq;
} slot;

/* A putter: a waiter of the queue's own kind, with the item it brings
 * (owned until the put is admitted) and the record its admission uses
 * (reserved when it starts waiting, so admitting never allocates). */
typedef struct putter {
  acore__waiter w;         /* first; w.n: its stage (PUT_*) */
  void *item;
  acore_free_fn item_free;
  acore__cbrec *spare;     /* NULL once used */
} putter;

struct acore_queue {
  atomic_uint refs;
  int order;
  bool shutdown;
  acore_loop_t *loop;
  size_t maxsize;
  slot *buf;
  size_t cap, head, len;
  uint64_t seq, front_seq;
  acore_compare_fn cmp;
  void *cmp_ud;
  acore_free_fn cmp_ud_free;
  size_t unfinished;
  size_t reserved; /* admitted puts whose item is not in yet */
  acore__waitq getters, putters, joiners;
};

/* ---- putters ---- */

static void putter_destroy(acore_future_t *f) {
  putter *p = (putter *)f;

  acore__waiter_destroy(f);
  acore__cbrec_unreserve(f->loop, p->spare);
  p->spare = NULL;
  if (p->item_free != NULL)
    p->item_free(p->item);
  p->item = NULL;
  p->item_free = NULL;
}

static const acore__future_ops putter_ops = {
    .cancel = acore__waiter_cancel, .destroy = putter_destroy,
    .name = "waiter", .describe = acore__waiter_describe};
static const acore__waiter_kind putter_kind = { sizeof(putter), &putter_ops };

/* ---- the store ---- */

static slot *at(acore_queue_t *q, size_t i) {
  return &q->buf[(q->head + i) % q->cap];
}

static int reserve(acore_queue_t *q) {
  size_t cap, i;
  slot *nb;

  if (q->len + q->reserved < q->cap)
    return ACORE_OK;
  cap = q->cap ? q->cap * 2 : 8;
  if (cap > SIZE_MAX / sizeof(slot) || (nb = acore__malloc(cap * sizeof(slot))) == NULL)
    return ACORE_ENOMEM;
  for (i = 0; i < q->len; i++)
    nb[i] = *at(q, i);
  acore__free(q->buf);
  q->buf = nb;
  q->cap = cap;
  q->head = 0;
  return ACORE_OK;
}

static bool before(acore_queue_t *q, const slot *a, const slot *b) {
  int c = q->cmp(a->item, b->item, q->cmp_ud);

  return c < 0 || (c == 0 && a->seq < b->seq);
}

static void heap_up(acore_queue_t *q, size_t i) {
  while (i > 0) {
    size_t p = (i - 1) / 2;
    slot tmp;

    if (!before(q, &q->buf[i], &q->buf[p]))
      break;
    tmp = q->buf[i];
    q->buf[i] = q->buf[p];
    q->buf[p] = tmp;
    i = p;
  }
}

static void heap_down(acore_queue_t *q, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    slot tmp;

    if (l < q->len && before(q, &q->buf[l], &q->buf[m]))
      m = l;
    if (r < q->len && before(q, &q->buf[r], &q->buf[m]))
      m = r;
    if (m == i)
      return;
    tmp = q->buf[i];
    q->buf[i] = q->buf[m];
    q->buf[m] = tmp;
    i = m;
  }
}

/* Insert (capacity reserved); `front` puts it where it comes out next. */
static void store_push(acore_queue_t *q, slot s, bool front) {
  assert(q->len < q->cap);
  if (q->order == PRIO) {
    s.seq = front ? --q->front_seq : q->seq++;
    q->buf[q->len] = s;
    heap_up(q, q->len++);
  } else if (q->order == ACORE_QUEUE_FIFO && front) {
    q->head = (q->head + q->cap - 1) % q->cap;
    q->buf[q->head] = s;
    q->len++;
  } else {
    *at(q, q->len++) = s;
  }
}

static slot store_pop(acore_queue_t *q) {
  slot s;

  assert(q->len > 0);
  if (q->order == ACORE_QUEUE_FIFO) {
    s = q->buf[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
  } else if (q->order == ACORE_QUEUE_LIFO) {
    s = *at(q, --q->len);
  } else {
    s = q->buf[0];
    q->buf[0] = q->buf[--q->len];
    heap_down(q, 0);
  }
  return s;
}

static bool has_room(const acore_queue_t *q) {
  return q->maxsize == 0 || q->len + q->reserved < q->maxsize;
}

/* ---- moving items ---- */

/* An admitted item: to the first getter, or into the store (reserved). */
static void deliver(acore_queue_t *q, slot s, bool front) {
  acore__waiter *g = acore__waitq_head(&q->getters);

  if (g != NULL && !acore__loop_closed(q->loop))
    acore__waiter_give(g, s.item, s.item_free);
  else
    store_push(q, s, front);
}

static void admit_putters(acore_queue_t *q);
static void all_done(acore_queue_t *q);

/* An admitted put that will not go in: its count of unfinished items goes
 * (join counts an admitted item from its admission on). */
static void give_up(acore_queue_t *q, putter *p) {
  p->w.n = PUT_GIVEN_UP;
  if (q->unfinished > 0 && --q->unfinished == 0 &&
      !acore__loop_closed(q->loop))
    all_done(q);
}

/* An admitted put's item goes in (room reserved at admission). */
static int commit(acore_queue_t *q, putter *p) {
  slot s = { p->item, p->item_free, 0 };

  if (p->w.n != PUT_ADMITTED)
    return p->w.n == PUT_IN ? ACORE_OK : ACORE_ECANCELLED;
  p->w.n = PUT_IN;
  q->reserved--;
  if (q->shutdown || acore__loop_closed(q->loop)) { /* the future frees it */
    give_up(q, p);
    return ACORE_ECLOSED;
  }
  p->item = NULL;
  p->item_free = NULL;
  deliver(q, s, false);
  admit_putters(q); /* handed to a getter: the room is still free */
  return ACORE_OK;
}

/* Queued behind the putter task's wake-up: the put's item goes in if the
 * step did not finish the put. `ud`: the queue (a reference). */
static void commit_cb(acore_future_t *f, void *ud) {
  (void)commit(ud, (putter *)f);
}

static void queue_unref_cb(void *ud) { acore_queue_unref(ud); }

/* Room was freed: admit waiting putters in order. */
static void admit_putters(acore_queue_t *q) {
  putter *p;

  while (!acore__loop_closed(q->loop) && has_room(q) &&
         (p = (putter *)acore__waitq_head(&q->putters)) != NULL) {
    acore__cbrec *r = p->spare; /* reserved by acore_queue_put() */

    if (acore__waitq_head(&q->getters) == NULL && reserve(q) != ACORE_OK)
      return; /* no memory: it stays queued until the next get */
    p->spare = NULL;
    q->reserved++;
    q->unfinished++;
    p->w.n = PUT_ADMITTED;
    acore__waiter_grant(&p->w, 0);
    acore__cbrec_attach(&p->w.x.fut, r, commit_cb, acore_queue_ref(q),
                        queue_unref_cb);
  }
}

static void all_done(acore_queue_t *q) {
  acore__waiter *j;

  while ((j = acore__waitq_head(&q->joiners)) != NULL)
    acore__waiter_grant(j, 0);
}

static void drop_items(acore_queue_t *q) {
  while (q->len > 0) {
    slot s = store_pop(q);

    if (s.item_free != NULL)
      s.item_free(s.item);
    if (q->unfinished > 0)
      q->unfinished--;
  }
  if (q->unfinished == 0)
    all_done(q);
}

/* ---- public ---- */

static int check_queue(const acore_queue_t *q) {
  return q == NULL ? ACORE_EINVAL : acore__loop_check(q->loop);
}

static int queue_make(acore_loop_t *loop, size_t maxsize, int order,
                      acore_queue_t **out) {
  acore_queue_t *q;
  int rc;

  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if ((q = acore__calloc(1, sizeof(*q))) == NULL)
    return ACORE_ENOMEM;
  atomic_init(&q->refs, 1);
  q->order = order;
  q->loop = acore_loop_ref(loop);
  q->maxsize = maxsize;
  q->front_seq = FRONT_SEQ;
  q->seq = FRONT_SEQ;
  acore__waitq_init(&q->getters, q, NULL, NULL);
  acore__waitq_init(&q->putters, q, NULL, &putter_kind);
  acore__waitq_init(&q->joiners, q, NULL, NULL);
  q->getters.name = "queue.get";
  q->putters.name = "queue.put";
  q->joiners.name = "queue.join";
  *out = q;
  return ACORE_OK;
}

int acore_queue_new(acore_loop_t *loop, size_t maxsize, int order,
                    acore_queue_t **out) {
  if (loop == NULL || out == NULL ||
      (order != ACORE_QUEUE_FIFO && order != ACORE_QUEUE_LIFO))
    return ACORE_EINVAL;
  return queue_make(loop, maxsize, order, out);
}

int acore_queue_new_priority(acore_loop_t *loop, size_t maxsize,
                             acore_compare_fn fn, void *ud,
                             acore_free_fn ud_free, acore_queue_t **out) {
  int rc = ACORE_EINVAL;

  if (loop != NULL && out != NULL && fn != NULL &&
      (rc = queue_make(loop, maxsize, PRIO, out)) == ACORE_OK) {
    (*out)->cmp = fn;
    (*out)->cmp_ud = ud;
    (*out)->cmp_ud_free = ud_free;
    return ACORE_OK;
  }
  if (ud_free != NULL)
    ud_free(ud);
  return rc;
}

acore_queue_t *acore_queue_ref(acore_queue_t *q) {
  if (q != NULL)
    ACORE__REF(q);
  return q;
}

static void queue_destroy(void *ud) {
  acore_queue_t *q = ud;

  acore__waitq_fail_all(&q->putters, ACORE_ECLOSED, "queue freed");
  acore__waitq_fail_all(&q->getters, ACORE_ECLOSED, "queue freed");
  acore__waitq_fail_all(&q->joiners, ACORE_ECLOSED, "queue freed");
  q->unfinished = 0;
  drop_items(q);
  acore__free(q->buf);
  if (q->cmp_ud_free != NULL)
    q->cmp_ud_free(q->cmp_ud);
  acore_loop_unref(q->loop);
  acore__free(q);
}

void acore_queue_unref(acore_queue_t *q) {
  if (q != NULL && ACORE__UNREF_LAST(q))
    acore__sync_destroy(q->loop, queue_destroy, q);
}

int acore_queue_put_nowait(acore_queue_t *q, void *item,
                           acore_free_fn item_free) {
  slot s = { item, item_free, 0 };
  int rc;

  if ((rc = check_queue(q)) != ACORE_OK)
    return rc;
  if (q->shutdown)
    return ACORE_ECLOSED;
  if (!has_room(q) || q->putters.len > 0)
    return ACORE_EFULL;
  if (q->getters.len == 0 && reserve(q) != ACORE_OK)
    return ACORE_ENOMEM;
  q->unfinished++;
  deliver(q, s, false);
  return ACORE_OK;
}

int acore_queue_put(acore_queue_t *q, void *item, acore_free_fn item_free,
                    acore_future_t **out) {
  putter *p;
  acore_future_t *f;
  int rc;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((rc = check_queue(q)) != ACORE_OK)
    return rc;
  if (q->shutdown)
    return ACORE_ECLOSED;
  if (has_room(q) && q->putters.len == 0) {
    if ((f = acore__done_future(q->loop, 0)) == NULL)
      return ACORE_ENOMEM;
    if ((rc = acore_queue_put_nowait(q, item, item_free)) != ACORE_OK) {
      acore_future_unref(f);
      return rc;
    }
    *out = f;
    return ACORE_OK;
  }
  if ((p = (putter *)acore__waiter_for(&q->putters, q->loop)) == NULL)
    return ACORE_ENOMEM;
  if ((p->spare = acore__cbrec_reserve(q->loop)) == NULL) {
    acore_future_unref(&p->w.x.fut);
    return ACORE_ENOMEM;
  }
  p->item = item;
  p->item_free = item_free;
  p->w.n = PUT_WAITING;
  acore__waitq_push(&q->putters, &p->w);
  *out = &p->w.x.fut;
  return ACORE_OK;
}

int acore_queue_get_nowait(acore_queue_t *q, void **item,
                           acore_free_fn *item_free) {
  slot s;
  int rc;

  if (item == NULL)
    return ACORE_EINVAL;
  if ((rc = check_queue(q)) != ACORE_OK)
    return rc;
  if (q->len == 0)
    return q->shutdown ? ACORE_ECLOSED : ACORE_EEMPTY;
  s = store_pop(q);
  *item = s.item;
  if (item_free != NULL)
    *item_free = s.item_free;
  admit_putters(q);
  return ACORE_OK;
}

int acore_queue_get(acore_queue_t *q, acore_future_t **out) {
  acore__waiter *w;
  slot s;
  int rc;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((rc = check_queue(q)) != ACORE_OK)
    return rc;
  if (q->len > 0) {
    if ((w = acore__waiter_for(&q->getters, q->loop)) == NULL)
      return ACORE_ENOMEM;
    s = store_pop(q);
    acore__waiter_give(w, s.item, s.item_free);
    admit_putters(q);
    *out = &w->x.fut;
    return ACORE_OK;
  }
  if (q->shutdown)
    return ACORE_ECLOSED;
  if ((w = acore__waiter_new(q->loop, sizeof(*w), NULL)) == NULL)
    return ACORE_ENOMEM;
  acore__waitq_push(&q->getters, w);
  *out = &w->x.fut;
  return ACORE_OK;
}

/* Take the item back out of a served getter's future. */
static slot take_back(acore_future_t *fut) {
  slot s = { NULL, NULL, 0 };

  if (fut->kind == ACORE_VALUE_PTR) {
    s.item = fut->v.p.ptr;
    s.item_free = fut->v.p.free;
    fut->v.p.ptr = NULL;
    fut->v.p.free = NULL;
  }
  ACORE__FUTURE_FLAG(fut, ACORE__F_STOLEN);
  return s;
}

int acore_queue_put_finish(acore_queue_t *q, acore_future_t *fut) {
  putter *p = (putter *)fut;
  int rc;

  if (q == NULL || fut == NULL || fut->loop != q->loop)
    return ACORE_EINVAL;
  if ((rc = acore_future_result(fut, NULL)) != ACORE_OK)
    return rc;
  if (!(fut->flags & ACORE__F_CUSTOM)) /* put at once */
    return ACORE_OK;
  if (((acore__xfuture *)fut)->ops != &putter_ops ||
      p->w.n < PUT_ADMITTED || p->w.n > PUT_GIVEN_UP)
    return ACORE_EINVAL; /* not a put's future */
  if (p->w.n != PUT_ADMITTED || !acore__cancel_delivered(fut))
    return commit(q, p);
  q->reserved--; /* the item stays out, the room goes on */
  give_up(q, p);
  admit_putters(q);
  return ACORE_ECANCELLED;
}

int acore_queue_get_finish(acore_queue_t *q, acore_future_t *fut) {
  int rc;

  if (q == NULL || fut == NULL || acore__waiter_of(fut, &q->getters) == NULL)
    return ACORE_EINVAL; /* only this queue's gets give an item back */
  if ((rc = acore_future_result(fut, NULL)) != ACORE_OK)
    return rc;
  if (!acore__cancel_delivered(fut))
    return ACORE_OK;
  if (fut->flags & ACORE__F_STOLEN)
    return ACORE_ECANCELLED; /* given back already */
  if (q->getters.len == 0 && reserve(q) != ACORE_OK)
    return ACORE_ENOMEM;
  deliver(q, take_back(fut), true);
  return ACORE_ECANCELLED;
}

int acore_queue_task_done(acore_queue_t *q) {
  if (q == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(q->loop))
    return ACORE_EWRONGTHREAD;
  if (q->unfinished == 0)
    return ACORE_EINVALIDSTATE;
  if (--q->unfinished == 0 && !acore__loop_closed(q->loop))
    all_done(q);
  return ACORE_OK;
}

int acore_queue_join(acore_queue_t *q, acore_future_t **out) {
  acore__waiter *w;
  int rc;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((rc = check_queue(q)) != ACORE_OK)
    return rc;
  if (q->unfinished == 0) {
    if ((*out = acore__done_future(q->loop, 0)) == NULL)
      return ACORE_ENOMEM;
    return ACORE_OK;
  }
  if ((w = acore__waiter_new(q->loop, sizeof(*w), NULL)) == NULL)
    return ACORE_ENOMEM;
  acore__waitq_push(&q->joiners, w);
  *out = &w->x.fut;
  return ACORE_OK;
}

int acore_queue_shutdown(acore_queue_t *q, unsigned flags) {
  int rc;

  if (flags & ~(unsigned)ACORE_QUEUE_IMMEDIATE)
    return ACORE_EINVAL;
  if ((rc = check_queue(q)) != ACORE_OK)
    return rc;
  q->shutdown = true;
  acore__waitq_fail_all(&q->putters, ACORE_ECLOSED, "queue shut down");
  if (flags & ACORE_QUEUE_IMMEDIATE)
    drop_items(q);
  if (q->len == 0)
    acore__waitq_fail_all(&q->getters, ACORE_ECLOSED, "queue shut down");
  return ACORE_OK;
}

size_t acore_queue_item_count(const acore_queue_t *q) { return q ? q->len : 0; }

size_t acore_queue_capacity(const acore_queue_t *q) {
  return q ? q->maxsize : 0;
}

size_t acore_queue_unfinished_count(const acore_queue_t *q) {
  return q ? q->unfinished : 0;
}
