/* SPDX-License-Identifier: MIT */
/* test_map.c - the bounded map: at most k in flight, results in order,
 * fail-first, settle-all, cancel-on-error, drain, cancel. */
#include "testutil.h"
#include "acore/sync.h"

#include <stdlib.h>
#include <string.h>

typedef struct jobs {
  int in_flight, peak, started, finished;
  int fail_at;     /* job index that fails (-1: none) */
  int hang_from;   /* jobs >= this never complete (-1: none) */
  int start_error; /* fn returns this for job fail_at instead */
  acore_future_t *hung[64];
  int nhung;
} jobs;

static jobs J;

static void job_end(acore_future_t *f, void *ud) {
  (void)f;
  (void)ud;
  J.in_flight--;
  J.finished++;
}

typedef struct reply { acore_future_t *f; int i; } reply;

static void do_reply(void *ud) {
  reply *r = ud;

  if (acore_future_is_done(r->f) == 0) {
    if (r->i == J.fail_at)
      acore_future_set_error_code(r->f, ACORE_EIO, "job failed");
    else
      acore_future_set_int(r->f, r->i * 2);
  }
  acore_future_unref(r->f);
  free(r);
}

static int job_fn(acore_loop_t *loop, size_t i, void *ud, acore_future_t **out) {
  acore_future_t *f;
  reply *r;

  (void)ud;
  if ((int)i == J.fail_at && J.start_error != 0)
    return J.start_error;
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  J.started++;
  if (++J.in_flight > J.peak)
    J.peak = J.in_flight;
  assert_int_equal(acore_future_add_done_callback(f, job_end, NULL, NULL),
                   ACORE_OK);
  if (J.hang_from >= 0 && (int)i >= J.hang_from) {
    J.hung[J.nhung++] = acore_future_ref(f);
  } else {
    r = malloc(sizeof(*r));
    r->f = acore_future_ref(f);
    r->i = (int)i;
    assert_int_equal(acore_loop_call_soon(loop, do_reply, r, NULL, NULL),
                     ACORE_OK);
  }
  *out = f;
  return ACORE_OK;
}

static void reset(void) {
  memset(&J, 0, sizeof(J));
  J.fail_at = -1;
  J.hang_from = -1;
}

static void unref_hung(void) {
  int i;

  for (i = 0; i < J.nhung; i++)
    acore_future_unref(J.hung[i]);
  J.nhung = 0;
}

static void test_map_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;

  tu_frees = 0;
  assert_int_equal(acore_map(NULL, 1, 1, job_fn, NULL, tu_count_free, 0, &m),
                   ACORE_EINVAL);
  assert_int_equal(acore_map(loop, 1, 1, NULL, NULL, tu_count_free, 0, &m),
                   ACORE_EINVAL);
  assert_int_equal(acore_map(loop, 1, 0, job_fn, NULL, tu_count_free, 0, &m),
                   ACORE_EINVAL);
  assert_int_equal(acore_map(loop, 1, 1, job_fn, NULL, tu_count_free, 0x80,
                             &m), ACORE_EINVAL);
  assert_int_equal(acore_map(loop, 1, 1, job_fn, NULL, tu_count_free, 0,
                             NULL), ACORE_EINVAL);
  assert_int_equal(tu_frees, 5);
  assert_null(acore_map_job(NULL, 0));
  assert_int_equal(acore_map_in_flight_count(NULL), 0);
  assert_int_equal(acore_map_peak_count(NULL), 0);
  assert_int_equal(acore_future_new(loop, &m), ACORE_OK);
  assert_null(acore_map_job(m, 0)); /* not a map */
  acore_future_unref(m);
}

static void test_map_bounded_results_in_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;
  int64_t v;
  size_t i;

  reset();
  tu_frees = 0;
  assert_int_equal(acore_map(loop, 20, 3, job_fn, NULL, tu_count_free, 0, &m),
                   ACORE_OK);
  assert_int_equal(J.started, 0); /* never inside the call */
  assert_int_equal(acore_loop_run_until_complete(loop, m), ACORE_OK);
  assert_int_equal(acore_future_result(m, NULL), ACORE_OK);
  assert_int_equal(J.started, 20);
  assert_int_equal(J.peak, 3);
  assert_int_equal(acore_map_peak_count(m), 3);
  assert_int_equal(acore_map_in_flight_count(m), 0);
  assert_int_equal(tu_frees, 1);
  for (i = 0; i < 20; i++) {
    assert_int_equal(acore_future_result_int(acore_map_job(m, i), &v), ACORE_OK);
    assert_int_equal(v, (int64_t)i * 2);
  }
  assert_null(acore_map_job(m, 20));
  acore_future_unref(m);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
}

static void test_map_empty(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;

  reset();
  assert_int_equal(acore_map(loop, 0, 4, job_fn, NULL, NULL, 0, &m), ACORE_OK);
  assert_int_equal(acore_future_is_done(m), 0);
  assert_int_equal(acore_loop_run_until_complete(loop, m), ACORE_OK);
  assert_int_equal(acore_future_result(m, NULL), ACORE_OK);
  acore_future_unref(m);
}

static void test_map_fail_first_others_go_on(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;
  tu_reports r;

  reset();
  tu_capture_reports(loop, &r);
  J.fail_at = 2;
  assert_int_equal(acore_map(loop, 10, 2, job_fn, NULL, NULL, 0, &m),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, m), ACORE_OK);
  assert_int_equal(acore_future_result(m, NULL), ACORE_EIO);
  assert_true(J.started < 10);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(J.started, 10); /* the rest still ran */
  assert_int_equal(acore_future_result(acore_map_job(m, 2), NULL), ACORE_EIO);
  assert_int_equal(r.count, 0); /* job errors count as retrieved */
  acore_future_unref(m);
}

static void test_map_settle_all(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;
  int64_t v;

  reset();
  J.fail_at = 1;
  assert_int_equal(acore_map(loop, 5, 2, job_fn, NULL, NULL,
                             ACORE_MAP_SETTLE_ALL, &m), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, m), ACORE_OK);
  assert_int_equal(acore_future_result(m, NULL), ACORE_OK);
  assert_int_equal(J.finished, 5);
  assert_int_equal(acore_future_result(acore_map_job(m, 1), NULL), ACORE_EIO);
  assert_int_equal(acore_future_result_int(acore_map_job(m, 4), &v), ACORE_OK);
  assert_int_equal(v, 8);
  acore_future_unref(m);
}

static void test_map_cancel_on_error(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;

  reset();
  J.fail_at = 0;
  J.hang_from = 1;
  assert_int_equal(acore_map(loop, 10, 3, job_fn, NULL, NULL,
                             ACORE_MAP_CANCEL_ON_ERROR, &m), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, m), ACORE_OK);
  assert_int_equal(acore_future_result(m, NULL), ACORE_EIO);
  assert_int_equal(J.started, 3);
  assert_int_equal(acore_future_is_cancelled(acore_map_job(m, 1)), 1);
  assert_int_equal(acore_future_is_cancelled(acore_map_job(m, 2)), 1);
  assert_null(acore_map_job(m, 3)); /* never started */
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(J.started, 3);
  unref_hung();
  acore_future_unref(m);
}

/* Drain: the error is delivered only after the cancelled jobs finished.
 * A slow job is a task that takes one more step to finish once cancelled. */
static int slow_done;

static int slow_step(acore_task_t *t, void *ud) {
  int *at = ud;
  acore_future_t *f;

  switch ((*at)++) {
  case 0:
    assert_int_equal(acore_future_new(acore_task_loop(t), &f), ACORE_OK);
    return acore_task_await_take(t, f); /* completed only by a cancel */
  case 1:
    acore_task_cancel_handled(t); /* clean up over one more step */
    return acore_task_yield(t);
  default:
    slow_done++;
    return acore_task_finish_cancelled(t);
  }
}

static int slow_cancel_fn(acore_loop_t *loop, size_t i, void *ud,
                          acore_future_t **out) {
  acore_task_t *t;

  (void)ud;
  if (i == 0)
    return job_fn(loop, i, NULL, out);
  assert_int_equal(acore_task_spawn(loop, slow_step, calloc(1, sizeof(int)),
                                    free, &t), ACORE_OK);
  J.started++;
  *out = acore_task_future(t);
  return ACORE_OK;
}

static void test_map_drain_waits_for_cancelled(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;

  reset();
  slow_done = 0;
  J.fail_at = 0;
  assert_int_equal(acore_map(loop, 3, 3, slow_cancel_fn, NULL, NULL,
                             ACORE_MAP_CANCEL_ON_ERROR | ACORE_MAP_DRAIN, &m),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, m), ACORE_OK);
  assert_int_equal(acore_future_result(m, NULL), ACORE_EIO);
  assert_int_equal(slow_done, 2); /* both finished before the map */
  assert_int_equal(acore_map_in_flight_count(m), 0);
  acore_future_unref(m);
}

static void test_map_cancel(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;

  reset();
  J.hang_from = 0;
  tu_frees = 0;
  assert_int_equal(acore_map(loop, 10, 2, job_fn, NULL, tu_count_free, 0, &m),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(J.started, 2);
  assert_int_equal(acore_future_cancel(m, "enough"), 1);
  assert_int_equal(tu_frees, 1); /* no more starts: ud freed */
  assert_int_equal(acore_future_is_cancelled(acore_map_job(m, 0)), 1);
  assert_int_equal(acore_future_is_cancelled(acore_map_job(m, 1)), 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(J.started, 2);
  assert_int_equal(acore_future_is_cancelled(m), 1);
  unref_hung();
  acore_future_unref(m);
}

static void test_map_start_error_is_job_error(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;

  reset();
  J.fail_at = 3;
  J.start_error = ACORE_EBUSY;
  assert_int_equal(acore_map(loop, 5, 2, job_fn, NULL, NULL,
                             ACORE_MAP_SETTLE_ALL, &m), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, m), ACORE_OK);
  assert_int_equal(acore_future_result(m, NULL), ACORE_OK);
  assert_int_equal(acore_future_result(acore_map_job(m, 3), NULL),
                   ACORE_EBUSY);
  assert_int_equal(J.started, 4);
  acore_future_unref(m);
}

/* Job errors the map looked at count as retrieved: freeing the jobs
 * (with the map) reports nothing, though nobody else read them. */
static void test_map_job_errors_marked_retrieved(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const unsigned modes[] = { 0, ACORE_MAP_SETTLE_ALL };
  acore_future_t *m;
  tu_reports r;
  size_t i;

  tu_capture_reports(loop, &r);
  for (i = 0; i < 2; i++) {
    reset();
    J.fail_at = 1;
    assert_int_equal(acore_map(loop, 4, 2, job_fn, NULL, NULL, modes[i], &m),
                     ACORE_OK);
    assert_int_equal(acore_loop_run_until_complete(loop, m), ACORE_OK);
    assert_int_equal(acore_loop_run(loop), ACORE_OK); /* every job ended */
    assert_int_equal(J.finished, 4);
    assert_int_equal(acore_future_result(m, NULL),
                     modes[i] ? ACORE_OK : ACORE_EIO); /* the map's own */
    acore_future_unref(m); /* frees the jobs: job 1's error unread here */
    assert_int_equal(acore_loop_run(loop), ACORE_OK);
    assert_int_equal(r.count, 0);
  }
  /* A job that could not start reads as a failed job: also retrieved. */
  reset();
  J.fail_at = 2;
  J.start_error = ACORE_EBUSY;
  assert_int_equal(acore_map(loop, 4, 2, job_fn, NULL, NULL,
                             ACORE_MAP_SETTLE_ALL, &m), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, m), ACORE_OK);
  assert_non_null(acore_map_job(m, 2));
  acore_future_unref(m);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(r.count, 0);
}

/* A job cancelled from outside is a failed job (ECANCELLED), not a
 * success. */
static void test_map_cancelled_job_fails_map(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;

  reset();
  J.hang_from = 0;
  assert_int_equal(acore_map(loop, 3, 3, job_fn, NULL, NULL, 0, &m),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_map_in_flight_count(m), 3);
  assert_int_equal(acore_future_cancel(acore_map_job(m, 1), NULL), 1);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_future_is_done(m), 1);
  assert_int_equal(acore_future_result(m, NULL), ACORE_ECANCELLED);
  assert_int_equal(acore_future_is_cancelled(m), 0); /* failed, not cancelled */
  unref_hung();
  acore_future_unref(m);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
}

static void test_map_dropped_while_running(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;

  reset();
  tu_frees = 0;
  assert_int_equal(acore_map(loop, 8, 2, job_fn, NULL, tu_count_free, 0, &m),
                   ACORE_OK);
  acore_future_unref(m); /* the map lives on while jobs run */
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(J.started, 8);
  assert_int_equal(tu_frees, 1);
}

/* The loop closes with jobs in flight and nobody holding the map. */
static void test_map_loop_close_while_running(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;

  reset();
  J.hang_from = 0;
  tu_frees = 0;
  assert_int_equal(acore_map(loop, 10, 3, job_fn, NULL, tu_count_free, 0, &m),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_map_in_flight_count(m), 3);
  acore_future_unref(m);
  unref_hung();
  assert_int_equal(acore_loop_close(loop), ACORE_OK); /* teardown: no leak */
  assert_int_equal(tu_frees, 1);
}

static void test_map_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *m;
  long nth;
  int rc;

  for (nth = 1; nth < 50; nth++) {
    reset();
    tu_frees = 0;
    tu_alloc_fail_at(nth);
    rc = acore_map(loop, 4, 2, job_fn, NULL, tu_count_free, 0, &m);
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK) {
      assert_int_equal(acore_loop_run_until_complete(loop, m), ACORE_OK);
      acore_future_unref(m);
      break;
    }
    assert_int_equal(rc, ACORE_ENOMEM);
    assert_int_equal(tu_frees, 1);
    assert_int_equal(acore_loop_run(loop), ACORE_OK);
    assert_int_equal(J.started, 0);
  }
  assert_true(nth == 4); /* the map, its job array, the start call */
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_setup, tu_teardown)
    T(test_map_einval),
    T(test_map_bounded_results_in_order),
    T(test_map_empty),
    T(test_map_fail_first_others_go_on),
    T(test_map_settle_all),
    T(test_map_cancel_on_error),
    T(test_map_drain_waits_for_cancelled),
    T(test_map_cancel),
    T(test_map_start_error_is_job_error),
    T(test_map_job_errors_marked_retrieved),
    T(test_map_cancelled_job_fails_map),
    T(test_map_dropped_while_running),
    T(test_map_loop_close_while_running),
    T(test_map_alloc_failure_walk),
#undef T
  };
  tu_cache_off(1); /* allocation walks see every object */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
