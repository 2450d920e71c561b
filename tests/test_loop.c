/* SPDX-License-Identifier: MIT */
/* test_loop.c - the loop: scheduling order, timers, running, stopping,
 * closing, the virtual clock, a host uv loop, debug mode. */
#include "testutil.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <uv.h>

/* A log of callback calls: each records its tag. */
static int order[64];
static int norder;

static void log_cb(void *ud) {
  if (norder < 64)
    order[norder++] = (int)(intptr_t)ud;
}

static void reset_log(void) { norder = 0; }

/* Schedules tag 100 + its own tag with call_soon from inside a callback. */
static acore_loop_t *sched_loop;
static void resched_cb(void *ud) {
  log_cb(ud);
  assert_int_equal(acore_loop_call_soon(sched_loop, log_cb,
                                        (void *)(100 + (intptr_t)ud), NULL,
                                        NULL), ACORE_OK);
}

static void test_loop_call_soon_never_synchronous(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  reset_log();
  assert_int_equal(acore_loop_call_soon(loop, log_cb, (void *)1, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(norder, 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(norder, 1);
}

static void test_loop_iteration_runs_only_what_was_queued(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  reset_log();
  sched_loop = loop;
  acore_loop_call_soon(loop, resched_cb, (void *)1, NULL, NULL);
  acore_loop_call_soon(loop, resched_cb, (void *)2, NULL, NULL);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 1);
  assert_int_equal(norder, 2); /* the rescheduled ones wait */
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  assert_int_equal(norder, 4);
  assert_int_equal(order[0], 1);
  assert_int_equal(order[1], 2);
  assert_int_equal(order[2], 101);
  assert_int_equal(order[3], 102);
}

static void test_loop_due_timers_join_after_queued(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  reset_log();
  acore_loop_call_later(loop, 1.0, log_cb, (void *)1, NULL, NULL);
  acore_loop_call_soon(loop, log_cb, (void *)2, NULL, NULL);
  assert_int_equal(acore_loop_advance(loop, 1.0), ACORE_OK);
  acore_loop_call_soon(loop, log_cb, (void *)3, NULL, NULL);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  assert_int_equal(norder, 3);
  assert_int_equal(order[0], 2);
  assert_int_equal(order[1], 3);
  assert_int_equal(order[2], 1);
}

static void test_loop_equal_deadlines_run_in_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  int i;

  reset_log();
  for (i = 0; i < 20; i++)
    acore_loop_call_at(loop, 5.0, log_cb, (void *)(intptr_t)i, NULL, NULL);
  acore_loop_call_at(loop, 4.0, log_cb, (void *)99, NULL, NULL);
  acore_loop_advance(loop, 10.0);
  acore_loop_run(loop);
  assert_int_equal(norder, 21);
  assert_int_equal(order[0], 99);
  for (i = 0; i < 20; i++)
    assert_int_equal(order[i + 1], i);
}

static void test_loop_virtual_clock_moves_only_when_advanced(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_handle_t *h;

  reset_log();
  assert_true(acore_loop_time(loop) == 0.0);
  acore_loop_call_later(loop, 3.0, log_cb, (void *)1, NULL, &h);
  assert_true(acore_handle_when(h) == 3.0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* returns: nothing due */
  assert_int_equal(norder, 0);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 1);
  acore_loop_advance(loop, 2.5);
  acore_loop_run(loop);
  assert_int_equal(norder, 0);
  acore_loop_advance(loop, 0.5);
  assert_true(acore_loop_time(loop) == 3.0);
  acore_loop_run(loop);
  assert_int_equal(norder, 1);
  assert_int_equal(acore_handle_cancel(h), 0); /* already ran */
  acore_handle_unref(h);
}

/* Calls whose deadlines have passed run in deadline order (asyncio), also
 * deadlines before the loop's time 0, after the calls queued before. */
static void test_loop_past_deadlines_run_in_deadline_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_handle_t *h;
  double now = acore_loop_time(loop);

  reset_log();
  acore_loop_call_at(loop, now - 1, log_cb, (void *)3, NULL, NULL);
  acore_loop_call_at(loop, now - 3, log_cb, (void *)1, NULL, &h);
  acore_loop_call_at(loop, now - 2, log_cb, (void *)2, NULL, NULL);
  acore_loop_call_at(loop, now, log_cb, (void *)4, NULL, NULL);
  acore_loop_call_soon(loop, log_cb, (void *)0, NULL, NULL);
  assert_true(acore_handle_when(h) == now - 3);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(norder, 5);
  for (int i = 0; i < 5; i++)
    assert_int_equal(order[i], i);
  acore_handle_unref(h);
}

static void test_loop_deadline_from_fresh_clock(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_handle_t *h;
  double t0 = acore_loop_time(loop), when;
  uv_sleep(20); /* the loop has not run: libuv's cached clock is stale */
  acore_loop_call_later(loop, 0.0, log_cb, (void *)1, NULL, &h);
  when = acore_handle_when(h);
  assert_true(when - t0 >= 0.019);
  assert_true(acore_loop_time(loop) >= when);
  acore_handle_unref(h);
  acore_loop_run(loop);
}

static void test_loop_call_later_real_clock(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  double t0 = acore_loop_time(loop);

  reset_log();
  acore_loop_call_later(loop, 0.03, log_cb, (void *)2, NULL, NULL);
  acore_loop_call_later(loop, 0.01, log_cb, (void *)1, NULL, NULL);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(norder, 2);
  assert_int_equal(order[0], 1);
  assert_int_equal(order[1], 2);
  assert_true(acore_loop_time(loop) - t0 >= 0.03);
}

static void test_loop_handle_cancel(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_handle_t *a, *b;

  reset_log();
  tu_frees = 0;
  acore_loop_call_soon(loop, log_cb, (void *)1, tu_count_free, &a);
  acore_loop_call_later(loop, 1.0, log_cb, (void *)2, tu_count_free, &b);
  assert_int_equal(acore_handle_is_cancelled(a), 0);
  assert_int_equal(acore_handle_cancel(a), 1);
  assert_int_equal(acore_handle_cancel(b), 1);
  assert_int_equal(tu_frees, 2); /* ud_free runs at once */
  assert_int_equal(acore_handle_cancel(a), 0);
  assert_int_equal(acore_handle_is_cancelled(a), 1);
  assert_true(acore_handle_when(a) == -1.0);
  acore_loop_advance(loop, 2.0);
  acore_loop_run(loop);
  assert_int_equal(norder, 0);
  acore_handle_unref(a);
  acore_handle_unref(b);
}

static void test_loop_handle_cancel_many_timers(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_handle_t *h[200];
  int i;

  reset_log();
  for (i = 0; i < 200; i++)
    acore_loop_call_later(loop, (double)(i % 17), log_cb, (void *)(intptr_t)i,
                          NULL, &h[i]);
  for (i = 0; i < 200; i += 3)
    assert_int_equal(acore_handle_cancel(h[i]), 1);
  acore_loop_advance(loop, 100.0);
  acore_loop_run(loop);
  assert_int_equal(norder, 64); /* 200 minus 67 cancelled, capped log */
  for (i = 0; i < 200; i++)
    acore_handle_unref(h[i]);
}

/* ---- the timer heap against a sorted model ---- */

enum { HEAP_MAX = 512 };

typedef struct heap_model {
  acore_handle_t *h[HEAP_MAX];
  long when_ms[HEAP_MAX];     /* absolute deadline, in ms of loop time */
  bool gone[HEAP_MAX];        /* fired or cancelled */
  int n;                      /* timers scheduled; ids are 0..n-1 */
  int fired[HEAP_MAX];        /* ids, in firing order, for one run */
  int nfired;
  long now_ms;
  uint64_t rng;
  acore_loop_t *loop;
} heap_model;

static heap_model HM;

static unsigned heap_rand(unsigned bound) {
  HM.rng ^= HM.rng << 13; /* xorshift64 */
  HM.rng ^= HM.rng >> 7;
  HM.rng ^= HM.rng << 17;
  return (unsigned)(HM.rng % bound);
}

static void heap_fire_cb(void *ud) {
  int id = (int)(intptr_t)ud;

  assert_true(HM.nfired < HEAP_MAX);
  HM.fired[HM.nfired++] = id;
  /* never early */
  assert_true(acore_loop_time(HM.loop) * 1000.0 + 1e-6 >= (double)HM.when_ms[id]);
}

/* Deadlines on a 10 ms grid from 50 ms ago (past due) to 300 ms ahead:
 * many equal deadlines. */
static void heap_schedule(int count) {
  while (count-- > 0 && HM.n < HEAP_MAX) {
    int id = HM.n++;
    long when = HM.now_ms - 50 + 10 * (long)heap_rand(36);

    HM.when_ms[id] = when;
    assert_int_equal(acore_loop_call_at(HM.loop, (double)when / 1000.0,
                                        heap_fire_cb, (void *)(intptr_t)id,
                                        NULL, &HM.h[id]), ACORE_OK);
  }
}

/* Cancel `count` random pending timers (most sit in the middle of the
 * heap). */
static void heap_cancel(int count) {
  int tries;

  for (tries = 0; count > 0 && tries < 1000; tries++) {
    int id = (int)heap_rand((unsigned)HM.n);

    if (HM.gone[id])
      continue;
    assert_int_equal(acore_handle_cancel(HM.h[id]), 1);
    HM.gone[id] = true;
    count--;
  }
}

/* The pending timers due at `now`, sorted by (deadline, scheduling order). */
static int heap_expected(int *out) {
  int id, k = 0, i;

  for (id = 0; id < HM.n; id++) {
    if (HM.gone[id] || HM.when_ms[id] > HM.now_ms)
      continue;
    for (i = k; i > 0 && HM.when_ms[out[i - 1]] > HM.when_ms[id]; i--)
      out[i] = out[i - 1];
    out[i] = id;
    k++;
  }
  return k;
}

/* Advance by `ms`, run, and check exactly the due timers fired, in order. */
static void heap_step(long ms) {
  int expect[HEAP_MAX], k, i;

  assert_int_equal(acore_loop_advance(HM.loop, (double)ms / 1000.0), ACORE_OK);
  HM.now_ms += ms;
  k = heap_expected(expect);
  HM.nfired = 0;
  assert_int_equal(acore_loop_run(HM.loop), ACORE_OK);
  assert_int_equal(HM.nfired, k);
  for (i = 0; i < k; i++) {
    assert_int_equal(HM.fired[i], expect[i]);
    HM.gone[expect[i]] = true;
  }
}

static void test_loop_timer_heap_random_order(void **state) {
  int seed, round, id;

  for (seed = 1; seed <= 12; seed++) {
    memset(&HM, 0, sizeof(HM));
    HM.loop = TU_LOOP(state);
    HM.rng = 0x9e3779b97f4a7c15ull * (uint64_t)seed;
    HM.now_ms = lround(acore_loop_time(HM.loop) * 1000.0);
    heap_step(1000); /* a clock past 0: every deadline stays positive */
    for (round = 0; round < 30; round++) {
      heap_schedule(1 + (int)heap_rand(24));
      heap_cancel((int)heap_rand(6));
      heap_step(round % 5 == 4 ? 0 : (long)heap_rand(40));
    }
    heap_step(1000); /* the rest */
    for (id = 0; id < HM.n; id++) {
      assert_true(HM.gone[id]);
      acore_handle_unref(HM.h[id]);
    }
    assert_int_equal(acore_loop_run_once(HM.loop, ACORE_RUN_NOWAIT), 0);
  }
}

static void stop_cb(void *ud) { acore_loop_stop(ud); }

static void test_loop_stop(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  reset_log();
  acore_loop_call_soon(loop, stop_cb, loop, NULL, NULL);
  acore_loop_call_soon(loop, log_cb, (void *)1, NULL, NULL);
  acore_loop_call_later(loop, 1.0, log_cb, (void *)2, NULL, NULL);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(norder, 1); /* the iteration finished, then it stopped */
  assert_int_equal(acore_loop_is_running(loop), 0);
  /* Stopped before it runs: the next run returns after one iteration. */
  acore_loop_call_soon(loop, resched_cb, (void *)3, NULL, NULL);
  sched_loop = loop;
  acore_loop_stop(loop);
  acore_loop_run(loop);
  assert_int_equal(norder, 2);
  acore_loop_run(loop);
  assert_int_equal(norder, 3);
}

static void complete_int(void *ud) { acore_future_set_int(ud, 7); }

static void test_loop_run_until_complete(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  int64_t v;

  acore_future_new(loop, &f);
  acore_loop_call_later(loop, 2.0, complete_int, f, NULL, NULL);
  /* Under the virtual clock nothing is due: it returns EAGAIN. */
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_EAGAIN);
  acore_loop_advance(loop, 2.0);
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_OK);
  assert_int_equal(acore_future_result_int(f, &v), ACORE_OK);
  assert_int_equal(v, 7);
  /* Already done: runs one iteration and returns. */
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_OK);
  acore_future_unref(f);
}

static void run_inside(void *ud) {
  acore_loop_t *loop = ud;
  acore_future_t *f;

  assert_int_equal(acore_loop_is_running(loop), 1);
  assert_int_equal(acore_loop_run(loop), ACORE_EBUSY);
  assert_int_equal(acore_loop_run_once(loop, 0), ACORE_EBUSY);
  acore_future_new(loop, &f);
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_EBUSY);
  acore_future_unref(f);
  assert_int_equal(acore_loop_close(loop), ACORE_EBUSY);
  norder = 1000;
}

static void test_loop_reentrant_run_is_busy(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  reset_log();
  acore_loop_call_soon(loop, run_inside, loop, NULL, NULL);
  acore_loop_run(loop);
  assert_int_equal(norder, 1000);
}

static void done_count(acore_future_t *f, void *ud) {
  (void)f;
  (*(int *)ud)++;
}

static int never_step(acore_task_t *t, void *ud) {
  acore_future_t *f;
  (void)ud;
  acore_future_new(acore_task_loop(t), &f);
  return acore_task_await_take(t, f); /* nobody completes it */
}

static void test_loop_close_frees_every_ud_once(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *pending, *done;
  acore_handle_t *h;
  int calls = 0;

  tu_frees = 0;
  acore_loop_call_soon(loop, log_cb, NULL, tu_count_free, NULL);
  acore_loop_call_soon(loop, log_cb, NULL, tu_count_free, &h);
  acore_loop_call_later(loop, 5.0, log_cb, NULL, tu_count_free, NULL);
  acore_future_new(loop, &pending);
  acore_future_add_done_callback(pending, done_count, &calls, tu_count_free);
  acore_future_new(loop, &done);
  acore_future_set_int(done, 1);
  acore_future_add_done_callback(done, done_count, &calls, tu_count_free);
  acore_task_spawn(loop, never_step, NULL, tu_count_free, NULL);
  acore_loop_set_error_handler(loop, NULL, NULL, tu_count_free);
  assert_int_equal(tu_frees, 0);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(tu_frees, 7);
  assert_int_equal(calls, 0);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(tu_frees, 7);
  /* After close: everything says ECLOSED, and user data is still freed. */
  assert_int_equal(acore_loop_call_soon(loop, log_cb, NULL, tu_count_free,
                                        NULL), ACORE_ECLOSED);
  assert_int_equal(acore_future_add_done_callback(pending, done_count, NULL,
                                                  tu_count_free),
                   ACORE_ECLOSED);
  assert_int_equal(tu_frees, 9);
  assert_int_equal(acore_future_set_int(pending, 1), ACORE_ECLOSED);
  assert_int_equal(acore_loop_run(loop), ACORE_ECLOSED);
  assert_int_equal(acore_handle_cancel(h), 0);
  assert_null(acore_loop_uv(loop));
  acore_handle_unref(h);
  acore_future_unref(pending);
  acore_future_unref(done);
}

static void test_loop_close_reports_pending_task(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  tu_reports r;
  acore_task_t *t;

  tu_capture_reports(loop, &r);
  acore_task_spawn(loop, never_step, NULL, NULL, &t);
  acore_task_set_name(t, "forever");
  acore_loop_run(loop);
  assert_int_equal(acore_future_is_done(acore_task_future(t)), 0);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.last_kind, ACORE_REPORT_TASK_PENDING);
  assert_string_equal(r.last_name, "forever");
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  assert_int_equal(acore_loop_task_count(loop), 0);
  acore_task_unref(t);
}

static void close_timer(uv_timer_t *t) { uv_close((uv_handle_t *)t, NULL); }

static void test_loop_on_host_uv_loop(void **state) {
  uv_loop_t host;
  uv_timer_t timer;
  acore_loop_options_t *opts;
  acore_loop_t *loop;
  acore_future_t *f;
  long live = tu_alloc_live();

  (void)state;
  reset_log();
  assert_int_equal(uv_loop_init(&host), 0);
  acore_loop_options_new(&opts);
  acore_loop_options_set_uv_loop(opts, &host);
  assert_int_equal(acore_loop_new(opts, &loop), ACORE_OK);
  acore_loop_options_free(opts);
  assert_ptr_equal(acore_loop_uv(loop), &host);
  /* The host runs its own loop: acore's callbacks run inside it. */
  acore_loop_call_soon(loop, log_cb, (void *)1, NULL, NULL);
  acore_loop_call_later(loop, 0.005, log_cb, (void *)2, NULL, NULL);
  uv_run(&host, UV_RUN_DEFAULT);
  assert_int_equal(norder, 2);
  acore_future_new(loop, &f);
  acore_loop_call_soon(loop, complete_int, f, NULL, NULL);
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_OK);
  acore_future_unref(f);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  acore_loop_unref(loop);
  assert_int_equal(tu_alloc_live(), live);
  /* The host loop is intact: it still runs and closes. */
  uv_timer_init(&host, &timer);
  uv_timer_start(&timer, close_timer, 1, 0);
  uv_run(&host, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&host), 0);
}

static void test_loop_foreign_driver(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  reset_log();
  assert_true(acore_loop_backend_fd(loop) >= 0);
  assert_int_equal(acore_loop_backend_timeout(loop), -1);
  acore_loop_call_later(loop, 1.0, log_cb, (void *)1, NULL, NULL);
  assert_int_equal(acore_loop_backend_timeout(loop), -1); /* virtual */
  acore_loop_call_soon(loop, log_cb, (void *)2, NULL, NULL);
  assert_int_equal(acore_loop_backend_timeout(loop), 0);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  acore_loop_advance(loop, 1.0);
  assert_int_equal(acore_loop_backend_timeout(loop), 0);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(norder, 2);
}

static void test_loop_backend_timeout_real_clock(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  int ms;

  acore_loop_call_later(loop, 0.5, log_cb, NULL, NULL, NULL);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  ms = acore_loop_backend_timeout(loop);
  assert_true(ms > 400 && ms <= 500);
}

/* Polled while each timer's deadline passes, the timeout never jumps to
 * "forever": the due check and the wait are computed from one clock read
 * (with two reads, a deadline passing in between gave INT32_MAX). */
static void test_loop_backend_timeout_across_deadline(void **state) {
  enum { N = 400 };
  acore_loop_t *loop = TU_LOOP(state);
  acore_handle_t *h[N];
  double t0 = acore_loop_time(loop);
  int i, ms;

  for (i = 0; i < N; i++)
    assert_int_equal(acore_loop_call_at(loop, t0 + 0.001 + i * 20e-6, log_cb,
                                        NULL, NULL, &h[i]), ACORE_OK);
  for (i = 0; i < N; i++) {
    do {
      ms = acore_loop_backend_timeout(loop);
      assert_true(ms >= 0 && ms <= 1000);
    } while (ms != 0);
    assert_int_equal(acore_handle_cancel(h[i]), 1);
    acore_handle_unref(h[i]);
  }
}

static acore_future_t *wt_future;

static void wrong_thread(void *ud) {
  acore_loop_t *loop = ud;
  acore_future_t *f = NULL;
  int64_t v;

  assert_int_equal(acore_future_state(wt_future), ACORE_EWRONGTHREAD);
  assert_int_equal(acore_future_result(wt_future, NULL), ACORE_EWRONGTHREAD);
  assert_int_equal(acore_future_result_int(wt_future, &v), ACORE_EWRONGTHREAD);
  assert_int_equal(acore_future_set_int(wt_future, 1), ACORE_EWRONGTHREAD);
  assert_int_equal(acore_future_cancel(wt_future, NULL), ACORE_EWRONGTHREAD);
  assert_int_equal(acore_loop_backend_fd(loop), ACORE_EWRONGTHREAD);
  assert_int_equal(acore_loop_call_later(loop, 1, log_cb, NULL, NULL, NULL),
                   ACORE_EWRONGTHREAD);

  assert_int_equal(acore_loop_call_soon(loop, log_cb, NULL, NULL, NULL),
                   ACORE_EWRONGTHREAD);
  assert_int_equal(acore_future_new(loop, &f), ACORE_EWRONGTHREAD);
  assert_int_equal(acore_task_spawn(loop, never_step, NULL, NULL, NULL),
                   ACORE_EWRONGTHREAD);
  assert_int_equal(acore_loop_close(loop), ACORE_EWRONGTHREAD);
  assert_int_equal(acore_loop_call_soon_threadsafe(loop, log_cb, NULL, NULL),
                   ACORE_OK);
}

static void test_loop_debug_wrong_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  uv_thread_t th;

  reset_log();
  acore_future_new(loop, &wt_future);
  uv_thread_create(&th, wrong_thread, loop);
  uv_thread_join(&th);
  acore_loop_run(loop);
  assert_int_equal(norder, 1); /* the thread-safe call ran */
  assert_int_equal(acore_future_state(wt_future), ACORE_FUTURE_PENDING);
  acore_future_unref(wt_future); /* untouched by the refused calls */
}

static void slow_cb(void *ud) {
  (void)ud;
  uv_sleep(150);
}

static void test_loop_debug_slow_callback(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  tu_reports r;

  tu_capture_reports(loop, &r);
  acore_loop_call_soon(loop, slow_cb, NULL, NULL, NULL);
  acore_loop_call_soon(loop, log_cb, NULL, NULL, NULL);
  acore_loop_run(loop);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.last_kind, ACORE_REPORT_SLOW_CALLBACK);
}

static void test_loop_ref_unref_closes(void **state) {
  acore_loop_t *loop;
  long live = tu_alloc_live();

  (void)state;
  tu_frees = 0;
  loop = tu_loop_new(0);
  assert_ptr_equal(acore_loop_ref(loop), loop);
  acore_loop_unref(loop);
  assert_int_equal(acore_loop_is_closed(loop), 0);
  acore_loop_call_soon(loop, log_cb, NULL, tu_count_free, NULL);
  acore_loop_unref(loop); /* last reference: closes */
  assert_int_equal(tu_frees, 1);
  assert_int_equal(tu_alloc_live(), live);
  acore_loop_unref(NULL);
}

static void test_loop_future_outlives_loop_reference(void **state) {
  acore_loop_t *loop;
  acore_future_t *f;
  long live = tu_alloc_live();

  (void)state;
  loop = tu_loop_new(0);
  acore_future_new(loop, &f);
  acore_loop_close(loop);
  acore_loop_unref(loop); /* memory stays while f exists */
  assert_int_equal(acore_future_set_int(f, 1), ACORE_ECLOSED);
  assert_int_equal(acore_future_is_done(f), 0); /* frozen as it was */
  acore_future_unref(f);
  assert_int_equal(tu_alloc_live(), live);
}

static void test_loop_hold_keeps_run_waiting(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  assert_int_equal(acore_loop_release(loop), ACORE_EINVALIDSTATE);
  assert_int_equal(acore_loop_hold(loop), ACORE_OK);
  acore_loop_call_soon(loop, stop_cb, loop, NULL, NULL);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* only the stop ends it */
  assert_int_equal(acore_loop_release(loop), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
}

/* With a hold and nothing to do, run waits: here for a call another
 * thread posts 50 ms later (without the hold it would return at once). */
static int posted_ran;

static void posted_cb(void *ud) {
  posted_ran++;
  acore_loop_stop(ud);
}

static void post_later_thread(void *arg) {
  uv_sleep(50);
  assert_int_equal(acore_loop_call_soon_threadsafe(arg, posted_cb, arg, NULL),
                   ACORE_OK);
}

static void test_loop_hold_waits_for_threadsafe_call(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  uv_thread_t th;

  posted_ran = 0;
  assert_int_equal(acore_loop_hold(loop), ACORE_OK);
  assert_int_equal(uv_thread_create(&th, post_later_thread, loop), 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* nothing queued yet */
  assert_int_equal(posted_ran, 1);
  assert_int_equal(uv_thread_join(&th), 0);
  assert_int_equal(acore_loop_release(loop), ACORE_OK);
}

/* A hold taken by a callback during the run keeps that run waiting (the
 * loop thread's hold counts at once, not after the wake-up it posts). */
static uv_thread_t hold_thread;

static void hold_then_post(void *ud) {
  assert_int_equal(acore_loop_hold(ud), ACORE_OK);
  assert_int_equal(uv_thread_create(&hold_thread, post_later_thread, ud), 0);
}

static void test_loop_hold_taken_while_running(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  posted_ran = 0;
  acore_loop_call_soon(loop, hold_then_post, loop, NULL, NULL);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* the post stops it */
  assert_int_equal(posted_ran, 1);
  assert_int_equal(uv_thread_join(&hold_thread), 0);
  assert_int_equal(acore_loop_release(loop), ACORE_OK);
}

static int early_fired;

static void early_cb(void *ud) {
  acore_loop_t *loop = ud;
  if (++early_fired == 40)
    acore_loop_stop(loop);
}

/* libuv's timer works in coarse milliseconds and may fire before acore's
 * deadline; the loop must re-arm it then, not sleep forever (a hold keeps
 * the loop waiting, so a lost wake-up would hang here). */
static void test_loop_timers_fire_with_coarse_uv_clock(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  int i;

  early_fired = 0;
  acore_loop_hold(loop);
  for (i = 0; i < 40; i++)
    acore_loop_call_later(loop, 0.0003 + 0.00037 * i, early_cb, loop, NULL,
                          NULL);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(early_fired, 40);
  acore_loop_release(loop);
}

static void test_loop_options(void **state) {
  acore_loop_options_t *o;

  (void)state;
  assert_int_equal(acore_loop_options_new(&o), ACORE_OK);
  assert_int_equal(acore_loop_options_set_flags(o, 1u << 7), ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_slow_callback(o, -1), ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_slow_callback(o, NAN), ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_slow_callback(o, 0.5), ACORE_OK);
  assert_int_equal(acore_loop_options_set_uv_loop(o, NULL), ACORE_OK);
  acore_loop_options_free(o);
  acore_loop_options_free(NULL);
}

static void test_loop_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  size_t n;

  tu_frees = 0;
  assert_int_equal(acore_loop_options_new(NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_flags(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_slow_callback(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_uv_loop(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_new(NULL, NULL), ACORE_EINVAL);
  assert_null(acore_loop_ref(NULL));
  assert_null(acore_loop_uv(NULL));
  assert_int_equal(acore_loop_backend_fd(NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_backend_timeout(NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_run(NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_run_until_complete(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_run_until_complete(loop, NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_run_once(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_loop_run_once(loop, 1u << 5), ACORE_EINVAL);
  assert_int_equal(acore_loop_stop(NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_close(NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_is_closed(NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_is_running(NULL), ACORE_EINVAL);
  assert_true(acore_loop_time(NULL) == -1.0);
  assert_int_equal(acore_loop_advance(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_loop_advance(loop, -1), ACORE_EINVAL);
  assert_int_equal(acore_loop_advance(loop, NAN), ACORE_EINVAL);
  assert_int_equal(acore_loop_hold(NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_release(NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_call_soon(NULL, log_cb, NULL, tu_count_free,
                                        NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_call_soon(loop, NULL, NULL, tu_count_free, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_call_later(loop, -1, log_cb, NULL, tu_count_free,
                                         NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_call_later(loop, NAN, log_cb, NULL,
                                         tu_count_free, NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_call_later(NULL, 1, log_cb, NULL, tu_count_free,
                                         NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_call_at(loop, NAN, log_cb, NULL, tu_count_free,
                                      NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_call_at(loop, 1, NULL, NULL, tu_count_free,
                                      NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_call_at(NULL, 1, log_cb, NULL, tu_count_free,
                                      NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_call_later(loop, 1, NULL, NULL, tu_count_free,
                                         NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_call_soon_threadsafe(NULL, log_cb, NULL,
                                                   tu_count_free),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_call_soon_threadsafe(loop, NULL, NULL,
                                                   tu_count_free),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_set_error_handler(NULL, NULL, NULL,
                                                tu_count_free), ACORE_EINVAL);
  assert_int_equal(tu_frees, 12); /* ud passed even to failing calls */
  assert_int_equal(acore_loop_report(NULL, ACORE_REPORT_UNRETRIEVED, NULL,
                                     NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_report(loop, 99, NULL, NULL, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_handle_cancel(NULL), ACORE_EINVAL);
  assert_int_equal(acore_handle_is_cancelled(NULL), ACORE_EINVAL);
  assert_true(acore_handle_when(NULL) == -1.0);
  assert_null(acore_handle_ref(NULL));
  acore_handle_unref(NULL);
  assert_null(acore_loop_current_task(NULL));
  assert_int_equal(acore_loop_task_count(NULL), 0);
  assert_int_equal(acore_loop_all_tasks(NULL, NULL, 0, &n), ACORE_EINVAL);
  assert_int_equal(acore_loop_all_tasks(loop, NULL, 0, NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_all_tasks(loop, NULL, 1, &n), ACORE_EINVAL);
  assert_int_equal(acore_context_kind(NULL), ACORE_EINVAL);
  assert_string_equal(acore_context_message(NULL), "");
  assert_null(acore_context_error(NULL));
  assert_null(acore_context_future(NULL));
  assert_null(acore_context_task(NULL));
  assert_string_equal(acore_context_name(NULL), "");
  acore_loop_default_error_handler(loop, NULL);
  /* Nothing was scheduled by any of the failing calls. */
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
}

/* run_until_complete allocates nothing (its header lists no ENOMEM): with
 * every allocation failing it still runs until `fut` is done. */
static void test_loop_run_until_complete_allocates_nothing(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  long made;

  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_loop_call_soon(loop, complete_int, f, NULL, NULL),
                   ACORE_OK);
  made = tu_alloc_made();
  tu_alloc_fail_at(1);
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_OK);
  assert_int_equal(tu_alloc_failed(), 0);
  tu_alloc_fail_at(0);
  assert_int_equal(tu_alloc_made(), made);
  assert_int_equal(acore_future_is_done(f), 1);
  acore_future_unref(f);
}

static void test_loop_run_until_complete_foreign_future(void **state) {
  acore_loop_t *loop = TU_LOOP(state), *other = tu_loop_new(0);
  acore_future_t *f;

  assert_int_equal(acore_future_new(other, &f), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_EINVAL);
  assert_int_equal(acore_future_is_done(f), 0);
  assert_int_equal(acore_loop_is_running(loop), 0);
  acore_future_unref(f);
  acore_loop_close(other);
  acore_loop_unref(other);
}

static void test_loop_advance_needs_virtual_clock(void **state) {
  assert_int_equal(acore_loop_advance(TU_LOOP(state), 1.0),
                   ACORE_EINVALIDSTATE);
}

static void test_loop_report_to_handler(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_error_t *err;
  tu_reports r;

  tu_capture_reports(loop, &r);
  acore_error_new(ACORE_EHOST, "boom", &err);
  assert_int_equal(acore_loop_report(loop, ACORE_REPORT_CALLBACK_ERROR,
                                     "callback failed", err, NULL), ACORE_OK);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.last_code, ACORE_EHOST);
  assert_string_equal(r.last_message, "callback failed");
  acore_error_unref(err);
  /* Replacing a handler frees the previous one's ud; NULL restores the
   * default one (prints to stderr). */
  tu_frees = 0;
  assert_int_equal(acore_loop_set_error_handler(loop, NULL, NULL,
                                                tu_count_free), ACORE_OK);
  assert_int_equal(tu_frees, 0);
  assert_int_equal(acore_loop_set_error_handler(loop, NULL, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_loop_report(loop, ACORE_REPORT_CALLBACK_ERROR,
                                     "printed by the default handler", NULL,
                                     NULL), ACORE_OK);
  assert_int_equal(r.count, 1);
}

/* The replaced error handler's ud_free sets a handler again (host code
 * may): the one it sets stays, and every ud is freed once (the replaced
 * one's was freed twice, the one it set never). */
typedef struct eh_resetter {
  acore_loop_t *loop;
  int frees;
} eh_resetter;

static void eh_ignore(acore_loop_t *loop, const acore_context_t *ctx,
                      void *ud) {
  (void)loop;
  (void)ctx;
  (void)ud;
}

static void eh_reset_on_free(void *ud) {
  eh_resetter *r = ud;

  r->frees++;
  assert_int_equal(acore_loop_set_error_handler(r->loop, eh_ignore, NULL,
                                                tu_count_free), ACORE_OK);
}

static void test_loop_error_handler_replaced_from_its_cleanup(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  eh_resetter r = {loop, 0};

  tu_frees = 0;
  assert_int_equal(acore_loop_set_error_handler(loop, eh_ignore, &r,
                                                eh_reset_on_free), ACORE_OK);
  assert_int_equal(acore_loop_set_error_handler(loop, eh_ignore, NULL,
                                                tu_count_free), ACORE_OK);
  assert_int_equal(r.frees, 1);
  assert_int_equal(tu_frees, 1); /* the second's: replaced by the cleanup's */
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(tu_frees, 2); /* the cleanup's, by close */
}

/* A slow-callback report names what ran, also when the item that ran freed
 * itself (every object its own allocation, so ASan sees a late read). */
static void spin_cb(void *ud) {
  uint64_t t0 = uv_hrtime();

  (void)ud;
  while (uv_hrtime() == t0) /* any time counts as slow: threshold 0 */
    ;
}

static void spin_done_cb(acore_future_t *fut, void *ud) {
  (void)fut;
  spin_cb(ud);
}

static int spin_step(acore_task_t *t, void *ud) {
  spin_cb(ud);
  return acore_task_return_int(t, 1);
}

static void test_loop_debug_slow_report_after_item_freed(void **state) {
  acore_loop_options_t *opts;
  acore_loop_t *loop;
  acore_future_t *f;
  acore_task_t *t;
  acore_handle_t *h;
  long live = tu_alloc_live();
  tu_reports r;
  int cache;

  (void)state;
  cache = tu_cache_off(1);
  assert_int_equal(acore_loop_options_new(&opts), ACORE_OK);
  assert_int_equal(acore_loop_options_set_flags(opts, ACORE_LOOP_DEBUG),
                   ACORE_OK);
  assert_int_equal(acore_loop_options_set_slow_callback(opts, 0), ACORE_OK);
  assert_int_equal(acore_loop_new(opts, &loop), ACORE_OK);
  acore_loop_options_free(opts);
  tu_capture_reports(loop, &r);
  assert_int_equal(acore_loop_call_soon(loop, spin_cb, NULL, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.last_kind, ACORE_REPORT_SLOW_CALLBACK);
  assert_non_null(strstr(r.last_message, "a callback took"));
  assert_string_equal(r.last_name, "");
  assert_int_equal(acore_loop_call_soon(loop, spin_cb, NULL, NULL, &h),
                   ACORE_OK);
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 1), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(f, spin_done_cb, NULL, NULL),
                   ACORE_OK);
  acore_future_unref(f); /* the queued callback keeps it */
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  acore_handle_unref(h);
  assert_int_equal(r.count, 3);
  assert_non_null(strstr(r.last_message, "a callback took"));
  assert_int_equal(acore_task_spawn(loop, spin_step, NULL, NULL, &t),
                   ACORE_OK);
  assert_int_equal(acore_task_set_name(t, "spinner"), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(r.count, 4);
  assert_non_null(strstr(r.last_message, "a task step took"));
  assert_string_equal(r.last_name, "spinner");
  acore_task_unref(t);
  tu_loop_free(loop, live);
  tu_cache_off(cache);
}

#define T(name, setup) cmocka_unit_test_setup_teardown(name, setup, tu_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_loop_call_soon_never_synchronous, tu_setup),
    T(test_loop_iteration_runs_only_what_was_queued, tu_setup),
    T(test_loop_due_timers_join_after_queued, tu_setup_virtual),
    T(test_loop_equal_deadlines_run_in_order, tu_setup_virtual),
    T(test_loop_virtual_clock_moves_only_when_advanced, tu_setup_virtual),
    T(test_loop_past_deadlines_run_in_deadline_order, tu_setup_virtual),
    T(test_loop_deadline_from_fresh_clock, tu_setup),
    T(test_loop_call_later_real_clock, tu_setup),
    T(test_loop_handle_cancel, tu_setup_virtual),
    T(test_loop_handle_cancel_many_timers, tu_setup_virtual),
    T(test_loop_timer_heap_random_order, tu_setup_virtual),
    T(test_loop_stop, tu_setup_virtual),
    T(test_loop_run_until_complete, tu_setup_virtual),
    T(test_loop_reentrant_run_is_busy, tu_setup),
    T(test_loop_close_frees_every_ud_once, tu_setup),
    T(test_loop_close_reports_pending_task, tu_setup),
    cmocka_unit_test(test_loop_on_host_uv_loop),
    T(test_loop_foreign_driver, tu_setup_virtual),
    T(test_loop_backend_timeout_real_clock, tu_setup),
    T(test_loop_backend_timeout_across_deadline, tu_setup),
    T(test_loop_debug_wrong_thread, tu_setup_debug),
    T(test_loop_debug_slow_callback, tu_setup_debug),
    cmocka_unit_test(test_loop_ref_unref_closes),
    cmocka_unit_test(test_loop_future_outlives_loop_reference),
    T(test_loop_hold_keeps_run_waiting, tu_setup),
    T(test_loop_hold_waits_for_threadsafe_call, tu_setup),
    T(test_loop_hold_taken_while_running, tu_setup),
    T(test_loop_timers_fire_with_coarse_uv_clock, tu_setup),
    cmocka_unit_test(test_loop_options),
    T(test_loop_einval, tu_setup),
    T(test_loop_run_until_complete_foreign_future, tu_setup),
    T(test_loop_run_until_complete_allocates_nothing, tu_setup_walk),
    T(test_loop_advance_needs_virtual_clock, tu_setup),
    T(test_loop_report_to_handler, tu_setup),
    T(test_loop_error_handler_replaced_from_its_cleanup, tu_setup),
    cmocka_unit_test(test_loop_debug_slow_report_after_item_freed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
