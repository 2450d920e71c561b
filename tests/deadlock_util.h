/* SPDX-License-Identifier: MIT */
/*
 * deadlock_util.h - the tasks of the deadlock test_graph.c and
 * test_stuck.c build (two tasks over two locks under a gather; also
 * examples/deadlock.c's shape): a locker takes its first lock, yields,
 * then waits for its second; main gathers the two lockers.
 */
#ifndef ACORE_DEADLOCK_UTIL_H
#define ACORE_DEADLOCK_UTIL_H

#include "testutil.h"

/* ---- a task that takes two locks in turn ---------------------------------------- */

typedef struct locker {
  acore_lock_t *first, *second;
  int at;
} locker;

static inline int locker_step(acore_task_t *t, void *ud) {
  locker *l = ud;
  acore_future_t *f = NULL;

  if (acore_task_step_status(t) == ACORE_ECANCELLED)
    return acore_task_finish_cancelled(t);
  switch (l->at++) {
  case 0:
    assert_int_equal(acore_lock_acquire(l->first, &f), ACORE_OK);
    return acore_task_await_take(t, f);
  case 1:
    assert_int_equal(acore_lock_acquire_finish(l->first, acore_task_awaited(t)),
                     ACORE_OK);
    return acore_task_yield(t); /* let the other take its first lock */
  case 2:
    assert_int_equal(acore_lock_acquire(l->second, &f), ACORE_OK);
    return acore_task_await_take(t, f);
  default:
    return acore_task_return_int(t, 0);
  }
}

/* main: awaits a gather of its two lockers. */
typedef struct mainj {
  acore_task_t *kids[2];
  int at;
} mainj;

static inline int main_step(acore_task_t *t, void *ud) {
  mainj *m = ud;
  acore_future_t *f[2], *g = NULL;

  if (m->at++ > 0)
    return acore_task_finish_cancelled(t);
  f[0] = acore_task_future(m->kids[0]);
  f[1] = acore_task_future(m->kids[1]);
  assert_int_equal(acore_gather(acore_task_loop(t), f, 2, 0, &g), ACORE_OK);
  return acore_task_await_take(t, g);
}

#endif /* ACORE_DEADLOCK_UTIL_H */
