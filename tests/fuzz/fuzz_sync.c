/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sync.c - the harness's operations on semaphores, the lock, the
 * event, the condition, queues, groups and the executor
 * (docs/internals/fuzzing.md). They run outside any task: the lock is
 * then owned by "no task", so the condition can be waited on and
 * notified from here as well as from sync scripts (fuzz_task.c).
 */
#include "fuzz.h"

#include <string.h>

static int pred_value; /* what the predicates of condition waits answer */

/* A predicate of acore_cond_wait_for(): called with the lock held, any
 * number of times, never after its ud_free. */
int pred_true(void *ud) {
  track *t = ud;

  FZ_CHECK(atomic_load(&t->frees) == 0);
  return pred_value;
}

void op_sem(void) {
  unsigned which = next() & 1, how = next(), i = next();
  acore_sem_t **sp = &S[which];
  acore_future_t *f;
  int rc;

  if (*sp == NULL || how % 8 == 0) {
    acore_sem_unref(*sp);
    *sp = NULL;
    S_cap[which] = how & 0x80 ? how >> 3 & 3 : SIZE_MAX;
    rc = acore_sem_new(L, how >> 3 & 3, how & 0x80 ? ACORE_SEM_BOUNDED : 0, sp);
    expect_rc(rc, 0);
    return;
  }
  switch (how % 8) {
  case 1:
  case 2:
    rc = acore_sem_acquire(*sp, 1 + (how >> 3 & 1), &f);
    if (1 + (how >> 3 & 1) > S_cap[which]) /* above a bounded one's value */
      FZ_CHECK(rc == ACORE_EINVAL || (closed && rc == ACORE_ECLOSED));
    else
      expect_rc(rc, ACORE_ECLOSED); /* the semaphore is closed */
    if (rc == ACORE_OK)
      slot_put(i, f);
    break;
  case 3:
    rc = acore_sem_release(*sp, 1);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EOVERFLOW || rc == ACORE_ECLOSED);
    break;
  case 4:
    rc = acore_sem_try_acquire(*sp, 1);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EAGAIN || rc == ACORE_ECLOSED);
    break;
  case 5:
    rc = acore_sem_close(*sp);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_ECLOSED);
    break;
  case 6:
    rc = acore_sem_release(*sp, 0);
    FZ_CHECK(rc == ACORE_EINVAL || rc == ACORE_ECLOSED);
    break;
  default:
    acore_sem_unref(*sp);
    *sp = NULL;
    break;
  }
}

void op_lock_event(void) {
  unsigned how = next(), i = next();
  acore_future_t *f;
  int rc, was_locked;

  if (LK == NULL && (rc = acore_lock_new(L, &LK)) != ACORE_OK) {
    expect_rc(rc, 0);
    return;
  }
  if (EV == NULL && (rc = acore_event_new(L, &EV)) != ACORE_OK) {
    expect_rc(rc, 0);
    return;
  }
  switch (how % 8) {
  case 0:
    rc = acore_lock_acquire(LK, &f);
    expect_rc(rc, 0);
    if (rc == ACORE_OK)
      slot_put(i, f);
    break;
  case 1:
    rc = acore_lock_try_acquire(LK);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EAGAIN || rc == ACORE_ECLOSED ||
             rc == ACORE_ENOMEM);
    break;
  case 2:
    was_locked = acore_lock_is_locked(LK);
    rc = acore_lock_release(LK);
    if (!closed && !was_locked)
      FZ_CHECK(rc == ACORE_EINVALIDSTATE);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EINVALIDSTATE ||
             rc == ACORE_ENOTOWNER || rc == ACORE_ECLOSED);
    break;
  case 3:
    expect_rc(acore_event_set(EV), 0);
    break;
  case 4:
    FZ_CHECK(acore_event_clear(EV) == ACORE_OK); /* also once closed */
    break;
  case 5:
    rc = acore_event_wait(EV, &f);
    expect_rc(rc, 0);
    if (rc == ACORE_OK)
      slot_put(i, f);
    break;
  case 6:
    acore_lock_unref(LK);
    LK = NULL;
    break;
  default:
    acore_event_unref(EV);
    EV = NULL;
    break;
  }
}

void op_queue(void) {
  unsigned which = next() & 1, how = next(), i = next();
  acore_queue_t **qp = &Q[which];
  acore_future_t *f;
  acore_free_fn item_free;
  void *item;
  track *t;
  int rc;

  if (*qp == NULL || how % 10 == 0) {
    acore_queue_unref(*qp);
    *qp = NULL;
    rc = acore_queue_new(L, how >> 4 & 3, how >> 6 & 1, qp);
    expect_rc(rc, 0);
    return;
  }
  switch (how % 10) {
  case 1:
  case 2:
    if ((t = track_new()) == NULL)
      return;
    if (how & 0x10) {
      rc = acore_queue_put_nowait(*qp, t, track_free);
      FZ_CHECK(rc == ACORE_OK || rc == ACORE_EFULL || rc == ACORE_ECLOSED);
      if (rc != ACORE_OK) /* the item stays the caller's on error */
        track_free(t);
      return;
    }
    rc = acore_queue_put(*qp, t, track_free, &f);
    expect_rc(rc, ACORE_ECLOSED); /* shut down */
    if (rc == ACORE_OK)
      slot_put(i, f);
    else
      track_free(t);
    break;
  case 3:
  case 4:
    rc = acore_queue_get(*qp, &f);
    expect_rc(rc, ACORE_ECLOSED); /* shut down and empty */
    if (rc == ACORE_OK)
      slot_put(i, f);
    break;
  case 5:
    rc = acore_queue_get_nowait(*qp, &item, &item_free);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EEMPTY || rc == ACORE_ECLOSED);
    if (rc == ACORE_OK && item_free != NULL)
      item_free(item);
    break;
  case 6:
    rc = acore_queue_task_done(*qp);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EINVALIDSTATE ||
             rc == ACORE_ECLOSED);
    break;
  case 7:
    rc = acore_queue_join(*qp, &f);
    expect_rc(rc, 0);
    if (rc == ACORE_OK)
      slot_put(i, f);
    break;
  case 8:
    rc = acore_queue_shutdown(*qp, how >> 4 & 1);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_ECLOSED);
    break;
  default:
    acore_queue_unref(*qp);
    *qp = NULL;
    break;
  }
}

void op_group(void) {
  unsigned which = next() & 1, how = next(), i = next();
  acore_group_t **gp = &G[which];
  acore_task_t *t;
  script *sc;
  int rc;

  if (*gp == NULL || how % 6 == 0) {
    acore_group_unref(*gp);
    *gp = NULL;
    rc = acore_group_new(L, gp);
    expect_rc(rc, 0);
    return;
  }
  switch (how % 6) {
  case 1:
  case 2:
    if ((sc = script_new(0)) == NULL)
      return;
    rc = acore_group_spawn(*gp, script_step, sc, script_free,
                           how & 8 ? &t : NULL);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EINVALIDSTATE ||
             rc == ACORE_ECLOSED || rc == ACORE_ENOMEM);
    if (rc != ACORE_OK)
      FZ_CHECK(script_freed(sc));
    else if (how & 8)
      slot_put(i, acore_task_future(t));
    break;
  case 3:
    FZ_CHECK(acore_group_seal(*gp) == ACORE_OK || closed);
    break;
  case 4:
    slot_put(i, acore_future_ref(acore_group_future(*gp)));
    break;
  default:
    acore_group_unref(*gp);
    *gp = NULL;
    break;
  }
}

static int on_work(acore_work_t *w, void *ud) {
  track_call(ud);
  if (acore_work_is_cancelled(w))
    return ACORE_ECANCELLED;
  return acore_work_set_int(w, 7);
}

void op_executor(void) {
  unsigned i = next();
  acore_executor_options_t *o;
  acore_future_t *f;
  track *t;
  int rc;

  if (EX == NULL) {
    if (acore_executor_options_new(&o) != ACORE_OK)
      return;
    acore_executor_options_set_max_workers(o, 1);
    rc = acore_executor_new(o, &EX);
    acore_executor_options_free(o);
    if (rc != ACORE_OK)
      return;
  }
  if ((t = track_new()) == NULL)
    return;
  rc = acore_run_in_executor(L, EX, on_work, t, track_free, &f);
  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, f);
}


/* A condition wait from outside any task: the lock must be held by "no
 * task" (acquired here). */
static void cond_wait(unsigned with_pred, unsigned i) {
  acore_future_t *f;
  track *p = NULL;
  int rc;

  if (with_pred && (p = track_new()) == NULL)
    return;
  if (p != NULL)
    rc = acore_cond_wait_for(CV, pred_true, p, track_free, &f);
  else
    rc = acore_cond_wait(CV, &f);
  FZ_CHECK(rc == ACORE_OK || rc == ACORE_ENOTOWNER || rc == ACORE_ECLOSED);
  if (p != NULL && rc != ACORE_OK)
    FZ_CHECK(atomic_load(&p->frees) == 1);
  if (rc == ACORE_OK)
    slot_put(i, f);
}

/* Misuse: a lock of another loop, NULL arguments. */
static void cond_misuse(void) {
  acore_lock_t *l2;
  acore_cond_t *c;
  acore_future_t *f;
  track *p;

  if (L2 == NULL && acore_loop_new(NULL, &L2) != ACORE_OK)
    return;
  if (acore_lock_new(L2, &l2) == ACORE_OK) {
    FZ_CHECK(acore_cond_new(L, l2, &c) == ACORE_EINVAL);
    acore_lock_unref(l2);
  }
  FZ_CHECK(acore_cond_notify(NULL, 1) == ACORE_EINVAL);
  FZ_CHECK(acore_cond_wait(NULL, &f) == ACORE_EINVAL);
  if ((p = track_new()) != NULL) { /* ud_free runs also on error */
    FZ_CHECK(acore_cond_wait_for(CV, pred_true, p, track_free, NULL) ==
             ACORE_EINVAL);
    FZ_CHECK(atomic_load(&p->frees) == 1);
  }
}

/* how & 15 picks the call; how >> 4 is its argument. */
void op_cond(void) {
  unsigned how = next(), i = next();
  acore_lock_t *lk;
  acore_future_t *f;
  int rc;

  if (CV == NULL || (how & 15) == 0) {
    acore_cond_unref(CV);
    CV = NULL;
    rc = acore_cond_new(L, how & 0x10 ? LK : NULL, &CV);
    expect_rc(rc, 0);
    return;
  }
  lk = acore_cond_lock(CV);
  FZ_CHECK(lk != NULL);
  switch (how & 15) {
  case 1:
  case 2:
  case 10:
    cond_wait((how & 15) != 1, i);
    break;
  case 3:
  case 4:
  case 11:
    rc = (how & 15) == 4 ? acore_cond_notify_all(CV)
                         : acore_cond_notify(CV, how >> 4 & 3);
    FZ_CHECK(rc >= 0 || rc == ACORE_ENOTOWNER || rc == ACORE_ECLOSED);
    break;
  case 5:
    pred_value = how >> 4 & 1;
    break;
  case 6:
  case 12:
    rc = acore_lock_acquire(lk, &f);
    expect_rc(rc, 0);
    if (rc == ACORE_OK)
      slot_put(i, f);
    break;
  case 7:
  case 13:
    rc = acore_lock_release(lk);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EINVALIDSTATE ||
             rc == ACORE_ENOTOWNER || rc == ACORE_ECLOSED);
    break;
  case 8:
    cond_misuse();
    break;
  case 9:
    acore_cond_unref(CV);
    CV = NULL;
    break;
  default:
    FZ_CHECK(acore_cond_waiter_count(CV) < 1000);
    break;
  }
}
