/* SPDX-License-Identifier: MIT */
/*
 * sem.c - the semaphore: permits handed out first come, first served, with
 * requests for several permits, a bounded flag and close.
 *
 * Design notes
 * - `value` counts free permits; a granted waiter's permits are taken from
 *   it at the moment of the grant, so value + (permits held) is constant
 *   between releases, and value never passes `bound` when bounded.
 * - FIFO: a request is granted at once only when nobody waits; otherwise
 *   it queues. wake() serves the head while its request fits and stops at
 *   the first that does not (a big request blocks smaller ones behind it).
 * - A waiter leaving the queue (cancel, drop) runs wake(): the head may
 *   have changed. Waiter futures complete with the int result n.
 * - acquire_finish() gives a granted-then-cancelled waiter's permits back
 *   and zeroes the future's result, so a second call gives back nothing.
 *   It accepts only futures this semaphore handed out (every acquire's
 *   future is a waiter made for its queue, also when granted at once), so
 *   no other future can add permits past the bound.
 * - ACORE_SEM_LOCK (a binding's asyncio-style lock) changes only what the
 *   dumps read: the queue is named "lock" and its waiters (a kind of
 *   their own, same size) add the holder the binding named.
 */
#include "alloc.h"
#include "loop.h"
#include "task.h"
#include "waitq.h"

#include <stdio.h>

struct acore_sem {
  atomic_uint refs;
  bool closed;
  unsigned flags;
  acore_loop_t *loop;
  size_t value;
  size_t bound;
  acore_task_t *holder; /* ACORE_SEM_LOCK: a reference, or NULL */
  acore__waitq wq;
};

static int check_sem(const acore_sem_t *sem) {
  return sem == NULL ? ACORE_EINVAL : acore__loop_check(sem->loop);
}

/* Serve waiters in order while the first one's request fits. */
static void wake(acore_sem_t *sem) {
  acore__waiter *w;

  if (sem->closed || acore__loop_closed(sem->loop))
    return;
  while ((w = acore__waitq_head(&sem->wq)) != NULL && w->n <= sem->value) {
    sem->value -= w->n;
    acore__waiter_grant(w, (int64_t)w->n);
  }
}

static void on_leave(acore__waitq *wq, acore__waiter *w) {
  (void)w;
  wake(wq->owner);
}

/* A lock-semaphore's waiter: the queue and place, and the holder. */
static int lockw_describe(const acore_future_t *f, char *buf, size_t cap) {
  const acore__waiter *w = (const acore__waiter *)f;
  const acore_sem_t *sem = w->wq ? w->wq->owner : NULL; /* queued: alive */

  if (sem == NULL || sem->holder == NULL)
    return acore__waiter_describe(f, buf, cap);
  return acore__waiter_describe_held(f, buf, cap, sem->holder);
}

static const acore__future_ops lockw_ops = {
    .cancel = acore__waiter_cancel, .destroy = acore__waiter_destroy,
    .name = "waiter", .describe = lockw_describe};
static const acore__waiter_kind lockw_kind = {sizeof(acore__waiter),
                                              &lockw_ops};

int acore_sem_new(acore_loop_t *loop, size_t value, unsigned flags,
                  acore_sem_t **out) {
  acore_sem_t *sem;
  int rc;

  if (out == NULL ||
      (flags & ~(unsigned)(ACORE_SEM_BOUNDED | ACORE_SEM_LOCK)))
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if ((sem = acore__calloc(1, sizeof(*sem))) == NULL)
    return ACORE_ENOMEM;
  atomic_init(&sem->refs, 1);
  sem->flags = flags;
  sem->loop = acore_loop_ref(loop);
  sem->value = value;
  sem->bound = value;
  acore__waitq_init(&sem->wq, sem, on_leave,
                    (flags & ACORE_SEM_LOCK) ? &lockw_kind : NULL);
  sem->wq.name = (flags & ACORE_SEM_LOCK) ? "lock" : "semaphore";
  *out = sem;
  return ACORE_OK;
}

acore_sem_t *acore_sem_ref(acore_sem_t *sem) {
  if (sem != NULL)
    ACORE__REF(sem);
  return sem;
}

static void semaphore_destroy(void *ud) {
  acore_sem_t *sem = ud;

  sem->closed = true;
  acore__waitq_fail_all(&sem->wq, ACORE_ECLOSED, "semaphore freed");
  acore_task_unref(sem->holder);
  acore_loop_unref(sem->loop);
  acore__free(sem);
}

void acore_sem_unref(acore_sem_t *sem) {
  if (sem != NULL && ACORE__UNREF_LAST(sem))
    acore__sync_destroy(sem->loop, semaphore_destroy, sem);
}

int acore_sem_acquire(acore_sem_t *sem, size_t n, acore_future_t **out) {
  acore__waiter *w;
  int rc;

  if (sem == NULL || out == NULL || n == 0 ||
      ((sem->flags & ACORE_SEM_BOUNDED) && n > sem->bound))
    return ACORE_EINVAL;
  if ((rc = check_sem(sem)) != ACORE_OK)
    return rc;
  if (sem->closed)
    return ACORE_ECLOSED;
  if (sem->wq.len == 0 && sem->value >= n) {
    if ((w = acore__waiter_for(&sem->wq, sem->loop)) == NULL)
      return ACORE_ENOMEM;
    sem->value -= n;
    w->n = n;
    acore__waiter_grant(w, (int64_t)n);
    *out = &w->x.fut;
    return ACORE_OK;
  }
  if ((w = acore__waiter_new(sem->loop, sizeof(*w), sem->wq.kind->ops)) ==
      NULL)
    return ACORE_ENOMEM;
  w->n = n;
  acore__waitq_push(&sem->wq, w);
  *out = &w->x.fut;
  return ACORE_OK;
}

int acore_sem_acquire_finish(acore_sem_t *sem, acore_future_t *fut) {
  int rc;

  if (sem == NULL || fut == NULL || acore__waiter_of(fut, &sem->wq) == NULL)
    return ACORE_EINVAL; /* only this semaphore's acquires give back */
  if ((rc = acore_future_result(fut, NULL)) != ACORE_OK)
    return rc;
  if (!acore__cancel_delivered(fut))
    return ACORE_OK;
  if (fut->kind == ACORE_VALUE_INT && fut->v.i > 0) {
    sem->value += (size_t)fut->v.i; /* taken from value: cannot overflow */
    fut->v.i = 0;
    wake(sem);
  }
  return ACORE_ECANCELLED;
}

int acore_sem_try_acquire(acore_sem_t *sem, size_t n) {
  int rc;

  if (sem == NULL || n == 0)
    return ACORE_EINVAL;
  if ((rc = check_sem(sem)) != ACORE_OK)
    return rc;
  if (sem->closed)
    return ACORE_ECLOSED;
  if (sem->wq.len > 0 || sem->value < n)
    return ACORE_EAGAIN;
  sem->value -= n;
  return ACORE_OK;
}

int acore_sem_release(acore_sem_t *sem, size_t n) {
  int rc;

  if (sem == NULL || n == 0)
    return ACORE_EINVAL;
  if ((rc = check_sem(sem)) != ACORE_OK)
    return rc;
  if (sem->value > SIZE_MAX - n ||
      ((sem->flags & ACORE_SEM_BOUNDED) && sem->value + n > sem->bound))
    return ACORE_EOVERFLOW;
  sem->value += n;
  wake(sem);
  return ACORE_OK;
}

int acore_sem_close(acore_sem_t *sem) {
  int rc;

  if ((rc = check_sem(sem)) != ACORE_OK)
    return rc;
  sem->closed = true;
  acore__waitq_fail_all(&sem->wq, ACORE_ECLOSED, "semaphore closed");
  return ACORE_OK;
}

int acore_sem_set_holder(acore_sem_t *sem, acore_task_t *task) {
  int rc;

  if (sem == NULL || (task != NULL && acore_task_loop(task) != sem->loop))
    return ACORE_EINVAL;
  if ((rc = check_sem(sem)) != ACORE_OK)
    return rc;
  acore_task_ref(task);
  acore_task_unref(sem->holder);
  sem->holder = task;
  return ACORE_OK;
}

size_t acore_sem_available_count(const acore_sem_t *sem) {
  return sem ? sem->value : 0;
}

size_t acore_sem_waiter_count(const acore_sem_t *sem) {
  return sem ? sem->wq.len : 0;
}
