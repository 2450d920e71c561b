/* SPDX-License-Identifier: MIT */
/*
 * cond.c - the condition variable bound to a lock: wait (releasing the
 * lock and re-acquiring it before completing, also when cancelled),
 * notify(n), notify_all, and wait with a predicate.
 *
 * Design notes
 * - A waiter moves IN_COND (queued on the condition) -> IN_LOCK (queued
 *   for the lock, after a notification or a cancel) -> DONE (completed by
 *   the lock's grant, see lock.h's on_grant). It never completes while the
 *   lock is not held for its task.
 * - Cancelling an IN_COND waiter moves it to the lock queue with the
 *   cancellation pending: it completes cancelled once it holds the lock.
 *   Cancelling a notified (IN_LOCK) waiter passes its notification to the
 *   next IN_COND waiter, so no wake-up is lost.
 * - The owner watch (lock.c) travels with the waiter: it is taken from the
 *   lock at wait() and given back at the grant, so re-acquiring never
 *   allocates.
 * - Each waiter holds a reference to its condition.
 */
#include "alloc.h"
#include "future.h"
#include "loop.h"
#include "lock.h"
#include "value.h"

#include <assert.h>
#include <string.h>

struct acore_cond {
  atomic_uint refs;
  acore_loop_t *loop;
  acore_lock_t *lock;
  acore__waitq wq;
};

enum { IN_COND = 1, IN_LOCK, DONE };

typedef struct cwaiter {
  acore__lwaiter lw; /* first: it re-acquires the lock as the lock's waiter */
  acore_cond_t *cond;
  int state;
  bool notified;
  bool cancel_pending;
  char *cancel_msg;
  acore_pred_fn fn;
  void *ud;
  acore_free_fn ud_free;
} cwaiter;

static void drop_pred(cwaiter *c) {
  acore_free_fn ud_free = c->ud_free;

  c->fn = NULL;
  c->ud_free = NULL;
  if (ud_free != NULL)
    ud_free(c->ud);
}

/* Wake up to n IN_COND waiters: they queue for the lock. */
static int wake(acore_cond_t *cond, size_t n) {
  acore__waiter *w;
  int count = 0;

  while (n-- > 0 && (w = acore__waitq_head(&cond->wq)) != NULL) {
    cwaiter *c = (cwaiter *)w;

    acore__waiter_unlink(w);
    c->state = IN_LOCK;
    c->notified = true;
    acore__lock_enqueue(cond->lock, &c->lw);
    count++;
  }
  return count;
}

/* The lock is ours again (lock.c calls this instead of completing). */
static void on_grant(acore__lwaiter *lw) {
  cwaiter *c = (cwaiter *)lw;
  acore__waiter *w = &lw->w;
  acore__value v;

  memset(&v, 0, sizeof(v));
  if (c->cancel_pending) {
    v.msg = c->cancel_msg;
    c->cancel_msg = NULL;
    c->state = DONE;
    acore__future_complete(&w->x.fut, ACORE_FUTURE_CANCELLED,
                           ACORE_VALUE_NONE, v);
    return;
  }
  if (c->fn != NULL && !c->fn(c->ud)) { /* not yet: wait again */
    c->notified = false;
    c->state = IN_COND;
    acore__waitq_push(&c->cond->wq, w);
    acore__lock_release_to(c->cond->lock, &lw->watch);
    return;
  }
  c->state = DONE;
  drop_pred(c);
  v.i = 1;
  acore__future_complete(&w->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_INT, v);
}

static int cw_cancel(acore_future_t *f, const char *message) {
  cwaiter *c = (cwaiter *)f;
  char *msg = NULL;

  if (message != NULL && (msg = acore__strdup(message)) == NULL)
    return ACORE_ENOMEM;
  acore__free(c->cancel_msg);
  c->cancel_msg = msg;
  if (c->cancel_pending)
    return 1;
  c->cancel_pending = true;
  if (c->state == IN_COND) {
    acore__waiter_unlink(&c->lw.w);
    c->state = IN_LOCK;
    acore__lock_enqueue(c->cond->lock, &c->lw);
  } else if (c->notified) {
    wake(c->cond, 1); /* pass the notification on */
  }
  return 1;
}

static void cw_destroy(acore_future_t *f) {
  cwaiter *c = (cwaiter *)f;

  acore__waiter_unlink(&c->lw.w);
  acore__watch_drop(f->loop, &c->lw.watch);
  acore__free(c->cancel_msg);
  drop_pred(c);
  acore_cond_unref(c->cond);
}

static const acore__future_ops cw_ops = {
    .cancel = cw_cancel, .destroy = cw_destroy, .name = "waiter",
    .describe = acore__waiter_describe};

/* ---- public ---- */

static int check_cond(const acore_cond_t *cond) {
  return cond == NULL ? ACORE_EINVAL : acore__loop_check(cond->loop);
}

int acore_cond_new(acore_loop_t *loop, acore_lock_t *lock,
                   acore_cond_t **out) {
  acore_cond_t *cond;
  int rc;

  if (loop == NULL || out == NULL ||
      (lock != NULL && acore__lock_loop(lock) != loop))
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if ((cond = acore__calloc(1, sizeof(*cond))) == NULL)
    return ACORE_ENOMEM;
  if (lock != NULL)
    cond->lock = acore_lock_ref(lock);
  else if (acore_lock_new(loop, &cond->lock) != ACORE_OK) {
    acore__free(cond);
    return ACORE_ENOMEM;
  }
  atomic_init(&cond->refs, 1);
  cond->loop = acore_loop_ref(loop);
  acore__waitq_init(&cond->wq, cond, NULL, NULL);
  cond->wq.name = "condition";
  *out = cond;
  return ACORE_OK;
}

acore_cond_t *acore_cond_ref(acore_cond_t *cond) {
  if (cond != NULL)
    ACORE__REF(cond);
  return cond;
}

static void cond_destroy(void *ud) {
  acore_cond_t *cond = ud;

  assert(cond->wq.len == 0); /* every waiter holds a reference */
  acore_lock_unref(cond->lock);
  acore_loop_unref(cond->loop);
  acore__free(cond);
}

void acore_cond_unref(acore_cond_t *cond) {
  if (cond != NULL && ACORE__UNREF_LAST(cond))
    acore__sync_destroy(cond->loop, cond_destroy, cond);
}

acore_lock_t *acore_cond_lock(const acore_cond_t *cond) {
  return cond ? cond->lock : NULL;
}

static int start_wait(acore_cond_t *cond, acore_pred_fn fn, void *ud,
                      acore_free_fn ud_free, acore_future_t **out) {
  cwaiter *c;

  c = (cwaiter *)acore__waiter_new(cond->loop, sizeof(*c), &cw_ops);
  if (c == NULL)
    return ACORE_ENOMEM;
  c->cond = acore_cond_ref(cond);
  c->state = IN_COND;
  c->fn = fn;
  c->ud = ud;
  c->ud_free = ud_free;
  c->lw.owner = acore__loop_current(cond->loop);
  c->lw.on_grant = on_grant;
  acore__waitq_push(&cond->wq, &c->lw.w);
  acore__lock_release_to(cond->lock, &c->lw.watch);
  *out = &c->lw.w.x.fut;
  return ACORE_OK;
}

int acore_cond_wait_for(acore_cond_t *cond, acore_pred_fn fn, void *ud,
                        acore_free_fn ud_free, acore_future_t **out) {
  acore_future_t *f;
  int rc;

  if (out == NULL)
    rc = ACORE_EINVAL;
  else if ((rc = check_cond(cond)) == ACORE_OK)
    rc = acore__lock_check_owner(cond->lock);
  if (rc == ACORE_OK && fn != NULL && fn(ud)) {
    if ((f = acore__done_future(cond->loop, 1)) != NULL)
      *out = f;
    rc = f ? ACORE_OK : ACORE_ENOMEM;
  } else if (rc == ACORE_OK) {
    if ((rc = start_wait(cond, fn, ud, ud_free, out)) == ACORE_OK)
      return ACORE_OK; /* ud now belongs to the waiter */
  }
  if (ud_free != NULL)
    ud_free(ud);
  return rc;
}

int acore_cond_wait(acore_cond_t *cond, acore_future_t **out) {
  return acore_cond_wait_for(cond, NULL, NULL, NULL, out);
}

int acore_cond_notify(acore_cond_t *cond, size_t n) {
  int rc;

  if ((rc = check_cond(cond)) != ACORE_OK)
    return rc;
  if ((rc = acore__lock_check_owner(cond->lock)) != ACORE_OK)
    return rc;
  return wake(cond, n);
}

int acore_cond_notify_all(acore_cond_t *cond) {
  return acore_cond_notify(cond, SIZE_MAX);
}

size_t acore_cond_waiter_count(const acore_cond_t *cond) {
  return cond ? cond->wq.len : 0;
}
