/* SPDX-License-Identifier: MIT */
/*
 * lock.c - the lock: FIFO, owned by the task that acquired it, with a
 * watch that reports a task finishing while it holds the lock.
 *
 * Design notes
 * - locked == false implies nobody waits: release hands the lock straight
 *   to the first waiter (with its owner task), so a newcomer never
 *   overtakes.
 * - The owner watch is an internal done callback on the owner task's
 *   future, allocated when the acquire is made (so a grant never
 *   allocates) and kept in a slot: the waiter's w->watch while it waits,
 *   lock->watch while it owns. The record's ud is the slot and its ud_free
 *   clears the slot, so a slot never points at a freed record, whatever
 *   frees it (release, the task's end, the loop's close); in the lock's
 *   slot it clears lock->owner too, which is borrowed: the task may go
 *   once its watch did.
 * - watch_fire runs a loop iteration after the owner finished while still
 *   owning: it reports (ACORE_REPORT_CALLBACK_ERROR, ACORE_ENOTOWNER) and
 *   passes the lock on, so nobody hangs.
 * - The lock's waiters are acore__lwaiter (lock.h), of the lock's own kind:
 *   their destroy drops the watch, so the wait queue knows no lock.
 */
#include "alloc.h"
#include "future.h"
#include "loop.h"
#include "lock.h"
#include "task.h"
#include "value.h"

#include <assert.h>
#include <stdio.h>

struct acore_lock {
  atomic_uint refs;
  bool locked;
  acore_loop_t *loop;
  acore_task_t *owner;  /* borrowed; NULL: no task (or unlocked) */
  acore__cbrec *watch;  /* on the owner's future, or NULL */
  acore__waitq wq;
};

/* ---- the owner watch ---- */

/* A waiter's watch went (its task finished while it waited, or the loop
 * closed): the task may be freed from now on, so the waiter forgets it
 * (lw->owner is borrowed) and a grant makes nobody the owner. */
static void watch_gone(void *ud) {
  acore__lwaiter *lw = (acore__lwaiter *)((char *)ud -
                                          offsetof(acore__lwaiter, watch));

  lw->watch = NULL;
  lw->owner = NULL;
}

static void watch_idle(acore_future_t *f, void *ud) {
  (void)f;
  (void)ud;
}

static void do_release(acore_lock_t *lock, acore__cbrec **watch_slot);

static void watch_fire(acore_future_t *f, void *ud) {
  acore_lock_t *lock = (acore_lock_t *)((char *)ud -
                                        offsetof(acore_lock_t, watch));
  acore_error_t *err;

  assert(lock->locked && &lock->owner->fut == f);
  lock->watch->ud_free = NULL; /* running: do not let release drop it */
  lock->watch = NULL;
  err = acore__error_make(ACORE_ENOTOWNER, "task finished holding a lock");
  acore__loop_report(lock->loop, ACORE_REPORT_CALLBACK_ERROR,
                     "a task finished while holding a lock; released", err,
                     f);
  acore_error_unref(err);
  do_release(lock, NULL);
}

/* The owning lock's watch went without firing (loop close drops it with
 * the owner's callbacks): the owner task may be freed from now on, so the
 * lock forgets it too (lock->owner is borrowed). */
static void lock_watch_gone(void *ud) {
  acore_lock_t *lock = (acore_lock_t *)((char *)ud -
                                        offsetof(acore_lock_t, watch));

  lock->watch = NULL;
  lock->owner = NULL;
}

/* Move a watch record from one slot to another, with its new callback
 * (watch_fire: the lock's own slot). */
static void watch_move(acore__cbrec **from, acore__cbrec **to,
                       acore_done_fn fn) {
  acore__cbrec *r = *from;

  *from = NULL;
  *to = r;
  if (r != NULL) {
    r->ud = to;
    r->fn = fn;
    r->ud_free = fn == watch_fire ? lock_watch_gone : watch_gone;
  }
}

void acore__watch_drop(acore_loop_t *loop, acore__cbrec **slot) {
  if (*slot != NULL)
    acore__cbrec_drop(loop, *slot); /* its ud_free clears *slot */
  *slot = NULL;
}

/* A watch on lw->owner's future kept in lw->watch (none for no owner).
 * ACORE_OK or ACORE_ENOMEM. */
static int watch_new(acore__lwaiter *lw) {
  acore__cbrec *r;

  if (lw->owner == NULL)
    return ACORE_OK;
  if (acore__future_add_internal(acore_task_future(lw->owner), watch_idle,
                                 &lw->watch, &r) != ACORE_OK)
    return ACORE_ENOMEM;
  r->ud_free = watch_gone;
  lw->watch = r;
  return ACORE_OK;
}

/* ---- the lock's waiters ---- */

static void lwaiter_destroy(acore_future_t *f) {
  acore__waiter_destroy(f);
  acore__watch_drop(f->loop, &((acore__lwaiter *)f)->watch);
}

/* The waiter's queue and place, and who holds the lock it waits for. */
static int lwaiter_describe(const acore_future_t *f, char *buf, size_t cap) {
  const acore__waiter *w = (const acore__waiter *)f;
  const acore_lock_t *lock = w->wq ? w->wq->owner : NULL; /* queued: alive */

  if (lock == NULL || !lock->locked)
    return acore__waiter_describe(f, buf, cap);
  return acore__waiter_describe_held(f, buf, cap, lock->owner);
}

static const acore__future_ops lwaiter_ops = {
    .cancel = acore__waiter_cancel, .destroy = lwaiter_destroy,
    .name = "waiter", .describe = lwaiter_describe};
const acore__waiter_kind acore__lwaiter_kind = { sizeof(acore__lwaiter),
                                                 &lwaiter_ops };

/* ---- grant and release ---- */

static void grant(acore_lock_t *lock, acore__lwaiter *lw) {
  lock->locked = true;
  lock->owner = lw->owner;
  watch_move(&lw->watch, &lock->watch, watch_fire);
  acore__waiter_unlink(&lw->w);
  if (lw->on_grant != NULL)
    lw->on_grant(lw);
  else
    acore__waiter_grant(&lw->w, 1);
}

static void do_release(acore_lock_t *lock, acore__cbrec **watch_slot) {
  acore__waiter *w;

  if (watch_slot != NULL)
    watch_move(&lock->watch, watch_slot, watch_idle);
  else
    acore__watch_drop(lock->loop, &lock->watch);
  lock->locked = false;
  lock->owner = NULL;
  if (!acore__loop_closed(lock->loop) &&
      (w = acore__waitq_head(&lock->wq)) != NULL)
    grant(lock, (acore__lwaiter *)w); /* every waiter here is one */
}

void acore__lock_release_to(acore_lock_t *lock, acore__cbrec **watch_slot) {
  do_release(lock, watch_slot);
}

void acore__lock_enqueue(acore_lock_t *lock, acore__lwaiter *lw) {
  if (!lock->locked && lock->wq.len == 0)
    grant(lock, lw);
  else
    acore__waitq_push(&lock->wq, &lw->w);
}

int acore__lock_check_owner(const acore_lock_t *lock) {
  if (!lock->locked || lock->owner != acore__loop_current(lock->loop))
    return ACORE_ENOTOWNER;
  return ACORE_OK;
}

acore_loop_t *acore__lock_loop(const acore_lock_t *lock) { return lock->loop; }

/* ---- public ---- */

static int check_lock(const acore_lock_t *lock) {
  return lock == NULL ? ACORE_EINVAL : acore__loop_check(lock->loop);
}

int acore_lock_new(acore_loop_t *loop, acore_lock_t **out) {
  int rc;
  acore_lock_t *lock;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if ((lock = acore__calloc(1, sizeof(*lock))) == NULL)
    return ACORE_ENOMEM;
  atomic_init(&lock->refs, 1);
  lock->loop = acore_loop_ref(loop);
  acore__waitq_init(&lock->wq, lock, NULL, &acore__lwaiter_kind);
  lock->wq.name = "lock";
  *out = lock;
  return ACORE_OK;
}

acore_lock_t *acore_lock_ref(acore_lock_t *lock) {
  if (lock != NULL)
    ACORE__REF(lock);
  return lock;
}

static void lock_destroy(void *ud) {
  acore_lock_t *lock = ud;

  acore__waitq_fail_all(&lock->wq, ACORE_ECLOSED, "lock freed");
  acore__watch_drop(lock->loop, &lock->watch);
  acore_loop_unref(lock->loop);
  acore__free(lock);
}

void acore_lock_unref(acore_lock_t *lock) {
  if (lock != NULL && ACORE__UNREF_LAST(lock))
    acore__sync_destroy(lock->loop, lock_destroy, lock);
}

/* Take the free lock now for the current task. */
static int take_now(acore_lock_t *lock) {
  acore__lwaiter tmp;

  tmp.owner = acore__loop_current(lock->loop);
  tmp.watch = NULL;
  if (watch_new(&tmp) != ACORE_OK)
    return ACORE_ENOMEM;
  lock->locked = true;
  lock->owner = tmp.owner;
  watch_move(&tmp.watch, &lock->watch, watch_fire);
  return ACORE_OK;
}

int acore_lock_acquire(acore_lock_t *lock, acore_future_t **out) {
  acore__waiter *w;
  acore__lwaiter *lw;
  int rc;

  if (out == NULL)
    return ACORE_EINVAL;
  if ((rc = check_lock(lock)) != ACORE_OK)
    return rc;
  if (!lock->locked && lock->wq.len == 0) {
    if ((w = acore__waiter_for(&lock->wq, lock->loop)) == NULL)
      return ACORE_ENOMEM;
    if ((rc = take_now(lock)) != ACORE_OK) {
      acore_future_unref(&w->x.fut);
      return rc;
    }
    acore__waiter_grant(w, 1);
    *out = &w->x.fut;
    return ACORE_OK;
  }
  if ((lw = (acore__lwaiter *)acore__waiter_for(&lock->wq, lock->loop)) ==
      NULL)
    return ACORE_ENOMEM;
  lw->owner = acore__loop_current(lock->loop);
  if (watch_new(lw) != ACORE_OK) {
    acore_future_unref(&lw->w.x.fut);
    return ACORE_ENOMEM;
  }
  acore__waitq_push(&lock->wq, &lw->w);
  *out = &lw->w.x.fut;
  return ACORE_OK;
}

int acore_lock_acquire_finish(acore_lock_t *lock, acore_future_t *fut) {
  int rc;

  if (lock == NULL || fut == NULL || acore__waiter_of(fut, &lock->wq) == NULL)
    return ACORE_EINVAL; /* only this lock's acquires */
  if ((rc = acore_future_result(fut, NULL)) != ACORE_OK)
    return rc;
  if (!acore__cancel_delivered(fut))
    return ACORE_OK;
  if (fut->kind == ACORE_VALUE_INT && fut->v.i == 1 && lock->locked &&
      lock->owner == acore__loop_current(lock->loop)) {
    fut->v.i = 0;
    do_release(lock, NULL);
  }
  return ACORE_ECANCELLED;
}

int acore_lock_try_acquire(acore_lock_t *lock) {
  int rc;

  if ((rc = check_lock(lock)) != ACORE_OK)
    return rc;
  if (lock->locked || lock->wq.len > 0)
    return ACORE_EAGAIN;
  return take_now(lock);
}

int acore_lock_release(acore_lock_t *lock) {
  int rc;

  if ((rc = check_lock(lock)) != ACORE_OK)
    return rc;
  if (!lock->locked)
    return ACORE_EINVALIDSTATE;
  if (lock->owner != acore__loop_current(lock->loop))
    return ACORE_ENOTOWNER;
  do_release(lock, NULL);
  return ACORE_OK;
}

int acore_lock_is_locked(const acore_lock_t *lock) {
  return lock ? lock->locked : ACORE_EINVAL;
}

acore_task_t *acore_lock_owner(const acore_lock_t *lock) {
  return lock ? lock->owner : NULL;
}

acore_loop_t *acore_lock_loop(const acore_lock_t *lock) {
  return lock ? lock->loop : NULL;
}

size_t acore_lock_waiter_count(const acore_lock_t *lock) {
  return lock ? lock->wq.len : 0;
}
