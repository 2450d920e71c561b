/* SPDX-License-Identifier: MIT */
/*
 * comb_util.h - helpers shared by the combinator tests: a scriptable job
 * task (sleep, then return / fail / absorb a cancel) and a driver that runs
 * the loop on the virtual clock until a future is done.
 */
#ifndef ACORE_COMB_UTIL_H
#define ACORE_COMB_UTIL_H

#include "testutil.h"

#include <string.h>

typedef struct job {
  int at;
  double delay;       /* sleep before finishing */
  int64_t value;      /* result */
  int fail_code;      /* < 0: fail with it */
  int absorb;         /* on cancel: still return value */
  double cleanup;     /* on cancel: sleep this long before finishing */
  int steps;          /* steps run */
  int saw_cancel;
} job;

static int job_step(acore_task_t *t, void *ud) {
  job *j = ud;
  acore_future_t *s;

  j->steps++;
  if (acore_task_resume(t, NULL) == ACORE_ECANCELLED) {
    j->saw_cancel++;
    if (j->absorb || j->cleanup > 0) /* caught: it decides below */
      assert_int_equal(acore_task_cancel_handled(t), ACORE_OK);
  }
  switch (j->at++) {
  case 0:
    assert_int_equal(acore_sleep(acore_task_loop(t), j->delay, &s), ACORE_OK);
    return acore_task_await_take(t, s);
  case 1:
    if (acore_task_step_status(t) == ACORE_ECANCELLED && j->cleanup > 0) {
      assert_int_equal(acore_sleep(acore_task_loop(t), j->cleanup, &s),
                       ACORE_OK);
      return acore_task_await_take(t, s);
    }
    break;
  default:
    break;
  }
  if (j->saw_cancel && !j->absorb)
    return acore_task_finish_cancelled(t);
  if (j->fail_code < 0)
    return acore_task_fail_code(t, j->fail_code, "job failed");
  return acore_task_return_int(t, j->value);
}

/* A task written the naive way: it sleeps `rounds` times `delay` seconds,
 * never looking at the step status, then returns `value`. */
typedef struct naive {
  int rounds;
  double delay;
  int64_t value;
  int steps;
} naive;

static inline int naive_step(acore_task_t *t, void *ud) {
  naive *n = ud;
  acore_future_t *s;

  if (n->steps++ < n->rounds) {
    assert_int_equal(acore_sleep(acore_task_loop(t), n->delay, &s), ACORE_OK);
    return acore_task_await_take(t, s);
  }
  return acore_task_return_int(t, n->value);
}

static inline acore_task_t *spawn_job(acore_loop_t *loop, job *j) {
  acore_task_t *t;

  assert_int_equal(acore_task_spawn(loop, job_step, j, NULL, &t), ACORE_OK);
  return t;
}

/* Run (virtual clock) until `f` is done, advancing time as needed. */
static inline void drive(acore_loop_t *loop, acore_future_t *f) {
  int i;

  for (i = 0; i < 10000 && !acore_future_is_done(f); i++) {
    int rc = acore_loop_run_until_complete(loop, f);
    assert_true(rc == ACORE_OK || rc == ACORE_EAGAIN);
    if (!acore_future_is_done(f))
      assert_int_equal(acore_loop_advance(loop, 0.25), ACORE_OK);
  }
  assert_true(acore_future_is_done(f));
}

/* Run `k` iterations without waiting. */
static inline void spin(acore_loop_t *loop, int k) {
  while (k-- > 0)
    acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
}

static inline int64_t int_of(acore_future_t *f) {
  int64_t v = -1;
  assert_int_equal(acore_future_result_int(f, &v), ACORE_OK);
  return v;
}

static inline acore_loop_t *other_loop(void) { return tu_loop_new(0); }

#endif /* ACORE_COMB_UTIL_H */
