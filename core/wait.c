/* SPDX-License-Identifier: MIT */
/*
 * wait.c - acore_wait(), acore_wait_at_least() and acore_as_completed():
 * watching many futures without ever cancelling them.
 *
 * Design notes
 * - One composite future ("waiter") serves both: per input position a
 *   reference to the future and a registration whose ud is its slot;
 *   arrays live in the same allocation as the future.
 * - As in gather.c, registrations are reserved first and attached last,
 *   and the waiter holds a reference to itself while any is attached; its
 *   timer holds one too, until the timer's cleanup has run.
 * - A wait completes once: when its condition is met, when its timer
 *   fires, or when it is cancelled. It then removes its registrations that
 *   have not run (asyncio removes its callbacks too) and its timer, and
 *   snapshots the done and pending futures in input order.
 * - as_completed queues each future as its callback runs (completion
 *   order); fn is called there; acore_as_completed_next() hands out the
 *   queue's head, or one future that the next completion fulfils.
 */
#include "comb.h"
#include "future.h"
#include "value.h"

#include <assert.h>
#include <string.h>

enum { MODE_WAIT = 1, MODE_AS_COMPLETED };

struct waiter;

typedef struct wslot {
  struct waiter *w;
  acore__cbrec *rec; /* reserved or attached; NULL once run or removed */
} wslot;

typedef struct waiter {
  acore__xfuture x; /* first */
  int mode;
  bool on_error;          /* FIRST_ERROR */
  size_t n, count;        /* inputs; how many done complete a wait */
  size_t ndone, narmed;
  acore_handle_t *timer;
  acore_future_t **futs;  /* n references, input order */
  acore_future_t **parts; /* wait: done then pending; as_completed: queue */
  size_t nparts_done;     /* wait: size of the done part */
  size_t qhead, qtail;    /* as_completed queue */
  acore_future_t *next;   /* as_completed: the last next future */
  acore_done_fn fn;
  void *ud;
  acore_free_fn ud_free;
  bool in_fn, free_later;
  wslot *slots;
} waiter;

static const acore__future_ops wait_ops;

static waiter *waiter_of(const acore_future_t *f, int mode) {
  const waiter *w = (const waiter *)f;

  if (f == NULL || !(f->flags & ACORE__F_CUSTOM) || w->x.ops != &wait_ops ||
      w->mode != mode)
    return NULL;
  return (waiter *)w;
}

static int next_done(struct waiter *w, acore_future_t *next);

/* ---- ending ---------------------------------------------------------------------- */

static void free_ud(waiter *w) {
  acore_free_fn ud_free = w->ud_free;

  if (w->in_fn) { /* fn is running: free after it returns */
    w->free_later = true;
    return;
  }
  w->fn = NULL;
  w->ud_free = NULL;
  if (ud_free != NULL)
    ud_free(w->ud);
}

/* Stop watching: remove the registrations that have not run, the timer. */
static void disarm(waiter *w) {
  size_t i;

  acore__comb_timer_cancel(&w->timer);
  for (i = 0; i < w->n; i++) {
    acore__cbrec *r = w->slots[i].rec;
    if (r != NULL) {
      w->slots[i].rec = NULL;
      acore__cbrec_drop(w->x.fut.loop, r); /* runs slot_gone */
    }
  }
}

static void snapshot(waiter *w) {
  size_t i, d = 0, p;

  for (i = 0; i < w->n; i++)
    if (w->futs[i]->state != ACORE_FUTURE_PENDING)
      d++;
  w->nparts_done = p = d;
  d = 0;
  for (i = 0; i < w->n; i++) {
    if (w->futs[i]->state != ACORE_FUTURE_PENDING)
      w->parts[d++] = w->futs[i];
    else
      w->parts[p++] = w->futs[i];
  }
}

/* Complete the waiter (state as given; ACORE_OK means a result). */
static void finish(waiter *w, int code) {
  acore_future_t *f = &w->x.fut;

  acore_future_ref(f); /* disarm may drop the self-reference */
  if (w->mode == MODE_WAIT && code == ACORE_OK)
    snapshot(w);
  if (code == ACORE_OK)
    acore__comb_set_none(f);
  else if (code != ACORE_ECANCELLED)
    acore__comb_set_code(f, code, NULL);
  if (w->next != NULL && w->next->state == ACORE_FUTURE_PENDING &&
      f->state != ACORE_FUTURE_RESULT)
    next_done(w, w->next); /* timed out or cancelled: tell the reader */
  disarm(w);
  free_ud(w);
  acore_future_unref(f);
}

/* A registration is gone (ran, removed, or dropped at close): forget it,
 * so a later disarm does not drop it again. */
static void slot_gone(void *ud) {
  wslot *s = ud;
  waiter *w = s->w;

  s->rec = NULL;
  if (--w->narmed == 0) {
    free_ud(w); /* fn can no longer be called */
    acore_future_unref(&w->x.fut);
  }
}

static void on_timeout(void *ud) {
  waiter *w = ud;

  if (w->x.fut.state == ACORE_FUTURE_PENDING)
    finish(w, w->mode == MODE_WAIT ? ACORE_OK : ACORE_ETIMEDOUT);
}

/* The timer holds a reference to the waiter: its cleanup runs after
 * on_timeout returns, which may have dropped the waiter's last other. */
static void timer_gone(void *ud) {
  waiter *w = ud;

  w->timer = NULL;
  acore_future_unref(&w->x.fut);
}

/* ---- as_completed's queue ---------------------------------------------------------- */

static void unref_fut(void *p) { acore_future_unref(p); }

/* Complete `next` with the queue's head future. */
static void deliver(waiter *w, acore_future_t *next) {
  acore__value v;

  v = acore__value_ptr(acore_future_ref(w->parts[w->qhead++]), unref_fut);
  acore__future_complete(next, ACORE_FUTURE_RESULT, ACORE_VALUE_PTR, v);
}

static void ac_push(waiter *w, acore_future_t *c) {
  w->parts[w->qtail++] = c;
  if (w->next != NULL && w->next->state == ACORE_FUTURE_PENDING)
    deliver(w, w->next);
  if (w->fn == NULL)
    return;
  w->in_fn = true;
  w->fn(c, w->ud);
  w->in_fn = false;
  if (w->free_later)
    free_ud(w);
}

/* ---- callbacks and ops ----------------------------------------------------------- */

static void on_child(acore_future_t *c, void *ud) {
  wslot *s = ud;
  waiter *w = s->w;

  s->rec = NULL;
  w->ndone++;
  if (w->x.fut.state != ACORE_FUTURE_PENDING)
    return;
  if (w->mode == MODE_AS_COMPLETED) {
    ac_push(w, c);
    if (w->ndone == w->n && w->x.fut.state == ACORE_FUTURE_PENDING)
      finish(w, ACORE_OK);
    return;
  }
  if (w->ndone >= w->count ||
      (w->on_error && c->state == ACORE_FUTURE_ERROR))
    finish(w, ACORE_OK);
}

static int wait_cancel(acore_future_t *f, const char *message) {
  waiter *w = (waiter *)f;
  int rc = acore__future_cancel(f, message);

  if (rc != 1)
    return rc;
  finish(w, ACORE_ECANCELLED);
  return 1;
}

static void wait_destroy(acore_future_t *f) {
  waiter *w = (waiter *)f;
  size_t i;

  assert(w->narmed == 0 && w->timer == NULL);
  free_ud(w);
  acore_future_unref(w->next);
  for (i = 0; i < w->n; i++)
    acore_future_unref(w->futs[i]);
}

static size_t wait_children(const acore_future_t *f, acore_future_t **out,
                            size_t cap) {
  const waiter *w = (const waiter *)f;
  size_t i, k = 0;

  for (i = 0; i < w->n; i++)
    if (w->futs[i] != NULL && k++ < cap)
      out[k - 1] = w->futs[i];
  return k;
}

static const acore__future_ops wait_ops = {
    .cancel = wait_cancel, .destroy = wait_destroy, .name = "wait",
    .children = wait_children};

/* ---- creation ---------------------------------------------------------------------- */

static waiter *waiter_new(acore_loop_t *loop, size_t n, int mode) {
  size_t each = 2 * sizeof(acore_future_t *) + sizeof(wslot);
  acore_future_t *f;
  waiter *w;

  if (n > (SIZE_MAX - sizeof(waiter)) / each)
    return NULL;
  f = acore__xfuture_new(loop, sizeof(waiter) + n * each, &wait_ops,
                         ACORE__F_NOSET);
  if (f == NULL)
    return NULL;
  w = (waiter *)f;
  w->mode = mode;
  w->futs = (acore_future_t **)(w + 1);
  w->parts = w->futs + n;
  w->slots = (wslot *)(w->parts + n);
  return w;
}

static int reserve(waiter *w, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    w->slots[i].w = w;
    w->slots[i].rec = acore__cbrec_reserve(w->x.fut.loop);
    if (w->slots[i].rec == NULL) {
      while (i-- > 0) {
        acore__cbrec_unreserve(w->x.fut.loop, w->slots[i].rec);
        w->slots[i].rec = NULL;
      }
      return ACORE_ENOMEM;
    }
  }
  return ACORE_OK;
}

static void attach(waiter *w, acore_future_t *const *futures) {
  size_t i;

  w->narmed = w->n;
  acore_future_ref(&w->x.fut); /* the self-reference, while armed */
  for (i = 0; i < w->n; i++) {
    w->futs[i] = acore_future_ref(futures[i]);
    acore__cbrec_attach(w->futs[i], w->slots[i].rec, on_child, &w->slots[i],
                        slot_gone);
  }
}

/* Build, arm and hand out a waiter; on error nothing is left behind. */
static int start(acore_loop_t *loop, acore_future_t *const *futures, size_t n,
                 double timeout, waiter *w, acore_future_t **out) {
  int rc = reserve(w, n);

  if (rc == ACORE_OK && n > 0 && !acore__comb_no_timeout(timeout)) {
    acore_future_ref(&w->x.fut); /* the timer's; timer_gone drops it */
    rc = acore__comb_timer(loop, timeout, 0, on_timeout, w, timer_gone,
                           &w->timer);
  }
  if (rc != ACORE_OK) {
    size_t i;
    for (i = 0; i < n && w->slots[i].rec != NULL; i++)
      acore__cbrec_unreserve(loop, w->slots[i].rec);
    acore_future_unref(&w->x.fut);
    return rc;
  }
  w->n = n;
  if (n == 0)
    finish(w, ACORE_OK);
  else
    attach(w, futures);
  *out = &w->x.fut;
  return ACORE_OK;
}

static int check_args(acore_loop_t *loop, acore_future_t *const *futures,
                      size_t n, double timeout, acore_future_t **out) {
  if (out == NULL || acore__comb_check_timeout(timeout) != ACORE_OK)
    return ACORE_EINVAL;
  return acore__comb_check(loop, futures, n);
}

static int wait_common(acore_loop_t *loop, acore_future_t *const *futures,
                       size_t n, size_t count, bool on_error, double timeout,
                       acore_future_t **out) {
  waiter *w;
  int rc = check_args(loop, futures, n, timeout, out);

  if (rc != ACORE_OK)
    return rc;
  if ((w = waiter_new(loop, n, MODE_WAIT)) == NULL)
    return ACORE_ENOMEM;
  w->count = count;
  w->on_error = on_error;
  return start(loop, futures, n, timeout, w, out);
}

int acore_wait(acore_loop_t *loop, acore_future_t *const *futures, size_t n,
               int return_when, double timeout, acore_future_t **out) {
  switch (return_when) {
  case ACORE_WAIT_ALL_COMPLETED:
    return wait_common(loop, futures, n, n, false, timeout, out);
  case ACORE_WAIT_FIRST_COMPLETED:
    return wait_common(loop, futures, n, 1, false, timeout, out);
  case ACORE_WAIT_FIRST_ERROR:
    return wait_common(loop, futures, n, n, true, timeout, out);
  default:
    return ACORE_EINVAL;
  }
}

int acore_wait_at_least(acore_loop_t *loop, acore_future_t *const *futures,
                        size_t n, size_t count, double timeout,
                        acore_future_t **out) {
  if (count > n || (count == 0 && n > 0))
    return ACORE_EINVAL;
  return wait_common(loop, futures, n, count, false, timeout, out);
}

/* ---- results ------------------------------------------------------------------------- */

static waiter *done_wait(const acore_future_t *f) {
  waiter *w = waiter_of(f, MODE_WAIT);
  return w != NULL && w->x.fut.state == ACORE_FUTURE_RESULT ? w : NULL;
}

size_t acore_wait_done_count(const acore_future_t *wait) {
  waiter *w = done_wait(wait);
  return w ? w->nparts_done : 0;
}

size_t acore_wait_pending_count(const acore_future_t *wait) {
  waiter *w = done_wait(wait);
  return w ? w->n - w->nparts_done : 0;
}

acore_future_t *acore_wait_done(const acore_future_t *wait, size_t i) {
  waiter *w = done_wait(wait);
  return w != NULL && i < w->nparts_done ? w->parts[i] : NULL;
}

acore_future_t *acore_wait_pending(const acore_future_t *wait, size_t i) {
  waiter *w = done_wait(wait);
  return w != NULL && i < w->n - w->nparts_done ? w->parts[w->nparts_done + i]
                                                : NULL;
}

/* ---- as_completed ---------------------------------------------------------------------- */

int acore_as_completed(acore_loop_t *loop, acore_future_t *const *futures,
                       size_t n, double timeout, acore_done_fn fn, void *ud,
                       acore_free_fn ud_free, acore_future_t **out) {
  waiter *w;
  int rc = check_args(loop, futures, n, timeout, out);

  if (rc == ACORE_OK && (w = waiter_new(loop, n, MODE_AS_COMPLETED)) == NULL)
    rc = ACORE_ENOMEM;
  if (rc != ACORE_OK) {
    if (ud_free != NULL)
      ud_free(ud);
    return rc;
  }
  w->fn = fn;
  w->ud = ud;
  w->ud_free = ud_free;
  w->count = n;
  return start(loop, futures, n, timeout, w, out); /* frees ud on error */
}

/* The already-decided outcome for a next() call with an empty queue. */
static int next_done(waiter *w, acore_future_t *next) {
  acore_future_t *ac = &w->x.fut;

  switch (ac->state) {
  case ACORE_FUTURE_ERROR:
    ACORE__FUTURE_FLAG(ac, ACORE__F_RETRIEVED); /* handed on to the next future */
    acore__comb_handover(next, ac);
    return ACORE_OK;
  case ACORE_FUTURE_CANCELLED:
    acore__comb_set_cancelled(next, ac->v.msg);
    return ACORE_OK;
  default:
    return ACORE_EEMPTY;
  }
}

int acore_as_completed_next(acore_future_t *ac, acore_future_t **next) {
  waiter *w = waiter_of(ac, MODE_AS_COMPLETED);
  acore_future_t *f;
  int rc;

  if (w == NULL || next == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__comb_check(ac->loop, NULL, 0)) != ACORE_OK)
    return rc;
  if (w->next != NULL && w->next->state == ACORE_FUTURE_PENDING)
    return ACORE_EBUSY;
  if (w->qhead == w->qtail && ac->state == ACORE_FUTURE_RESULT)
    return ACORE_EEMPTY;
  f = acore__xfuture_new(ac->loop, sizeof(acore__xfuture), NULL,
                         ACORE__F_NOSET);
  if (f == NULL)
    return ACORE_ENOMEM;
  if (w->qhead < w->qtail)
    deliver(w, f);
  else if (ac->state != ACORE_FUTURE_PENDING)
    next_done(w, f);
  acore_future_unref(w->next);
  w->next = acore_future_ref(f);
  *next = f;
  return ACORE_OK;
}
