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
 *   frees it (release, the task's end, the loop's close).
 * - watch_fire runs a loop iteration after the owner finished while still
 *   owning: it reports (ACORE_REPORT_CALLBACK_ERROR, ACORE_ENOTOWNER) and
 *   passes the lock on, so nobody hangs.
 */
#include "alloc.h"
#include "future.h"
#include "loop.h"
#include "task.h"
#include "value.h"
#include "waitq.h"

#include <assert.h>

struct acore_lock {
  atomic_uint refs;
  bool locked;
  acore_loop_t *loop;
  acore_task_t *owner;  /* borrowed; NULL: no task (or unlocked) */
  acore__cbrec *watch;  /* on the owner's future, or NULL */
  acore__waitq wq;
};

/* ---- the owner watch ---- */

static void watch_gone(void *ud) { *(acore__cbrec **)ud = NULL; }

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

/* Move a watch record from one slot to another, with its new callback. */
static void watch_move(acore__cbrec **from, acore__cbrec **to,
                       acore_done_fn fn) {
  acore__cbrec *r = *from;

  *from = NULL;
  *to = r;
  if (r != NULL) {
    r->ud = to;
    r->fn = fn;
  }
}

void acore__watch_drop(acore_loop_t *loop, acore__cbrec **slot) {
  if (*slot != NULL)
    acore__cbrec_drop(loop, *slot); /* its ud_free clears *slot */
  *slot = NULL;
}

int acore__lock_watch_new(acore__waiter *w) {
  acore__cbrec *r;

  if (w->owner == NULL)
    return ACORE_OK;
  if (acore__future_add_internal(acore_task_future(w->owner), watch_idle,
                                 &w->watch, &r) != ACORE_OK)
    return ACORE_ENOMEM;
  r->ud_free = watch_gone;
  w->watch = r;
  return ACORE_OK;
}

/* ---- grant and release ---- */

static void grant(acore_lock_t *lock, acore__waiter *w) {
  lock->locked = true;
  lock->owner = w->owner;
  watch_move(&w->watch, &lock->watch, watch_fire);
  acore__waiter_unlink(w);
  if (w->on_grant != NULL)
    w->on_grant(w);
  else
    acore__waiter_grant(w, 1);
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
    grant(lock, w);
}

void acore__lock_release_to(acore_lock_t *lock, acore__cbrec **watch_slot) {
  do_release(lock, watch_slot);
}

void acore__lock_enqueue(acore_lock_t *lock, acore__waiter *w) {
  if (!lock->locked && lock->wq.len == 0)
    grant(lock, w);
  else
    acore__waitq_push(&lock->wq, w);
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
  acore__waitq_init(&lock->wq, lock, NULL);
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
  acore__waiter tmp;

  tmp.owner = acore__loop_current(lock->loop);
  tmp.watch = NULL;
  if (acore__lock_watch_new(&tmp) != ACORE_OK)
    return ACORE_ENOMEM;
  lock->locked = true;
  lock->owner = tmp.owner;
  watch_move(&tmp.watch, &lock->watch, watch_fire);
  return ACORE_OK;
}

int acore_lock_acquire(acore_lock_t *lock, acore_future_t **out) {
  acore__waiter *w;
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
  if ((w = acore__waiter_new(lock->loop, sizeof(*w), NULL)) == NULL)
    return ACORE_ENOMEM;
  w->owner = acore__loop_current(lock->loop);
  if (acore__lock_watch_new(w) != ACORE_OK) {
    acore_future_unref(&w->x.fut);
    return ACORE_ENOMEM;
  }
  acore__waitq_push(&lock->wq, w);
  *out = &w->x.fut;
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

size_t acore_lock_waiter_count(const acore_lock_t *lock) {
  return lock ? lock->wq.len : 0;
}
