/* SPDX-License-Identifier: MIT */
/* test_gather.c - acore_sleep() and acore_gather(): order, flags,
 * cancellation, bad input, allocation failures. */
#include "comb_util.h"
#include "internal.h"

/* ---- sleep ---- */

static void test_sleep_zero_is_one_iteration(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *s;

  assert_int_equal(acore_sleep(loop, 0, &s), ACORE_OK);
  assert_int_equal(acore_future_is_done(s), 0);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_future_state(s), ACORE_FUTURE_RESULT);
  assert_int_equal(acore_future_set_int(s, 1), ACORE_EINVAL); /* not settable */
  acore_future_unref(s);
}

/* sleep(0) is queued like call_soon: it is done before a call queued after
 * it runs, in the same iteration. */
static int zero_seen_done;

static void check_zero_done(void *ud) {
  zero_seen_done = acore_future_is_done(ud);
}

static void test_sleep_zero_in_call_soon_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *s;

  zero_seen_done = -1;
  assert_int_equal(acore_sleep(loop, 0, &s), ACORE_OK);
  assert_int_equal(acore_loop_call_soon(loop, check_zero_done, s, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  assert_int_equal(zero_seen_done, 1);
  acore_future_unref(s);
}

static void test_sleep_delay_virtual_clock(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *s;

  assert_int_equal(acore_sleep(loop, 2.0, &s), ACORE_OK);
  spin(loop, 3);
  assert_int_equal(acore_future_is_done(s), 0);
  acore_loop_advance(loop, 1.5);
  spin(loop, 2);
  assert_int_equal(acore_future_is_done(s), 0);
  acore_loop_advance(loop, 0.5);
  spin(loop, 1);
  assert_int_equal(acore_future_state(s), ACORE_FUTURE_RESULT);
  acore_future_unref(s);
}

static void test_sleep_cancel_removes_timer(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *s, *z;

  assert_int_equal(acore_sleep(loop, 5.0, &s), ACORE_OK);
  assert_int_equal(acore_sleep(loop, 0, &z), ACORE_OK);
  assert_int_equal(acore_future_cancel(s, "stop"), 1);
  assert_int_equal(acore_future_cancel(z, NULL), 1);
  assert_int_equal(acore_future_cancel(s, NULL), 0);
  assert_string_equal(acore_future_cancel_message(s), "stop");
  /* No timer left: run returns at once, with nothing due. */
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_loop_backend_timeout(loop), -1);
  acore_future_unref(s);
  acore_future_unref(z);
}

/* A cancelled long sleep takes its timer with it, while the future lives
 * on: the loop has nothing left and run returns without time passing. */
static int sleeper_step(acore_task_t *t, void *ud) {
  acore_future_t *s;

  (void)ud;
  if (acore_task_step_status(t) == ACORE_ECANCELLED)
    return acore_task_finish_cancelled(t);
  assert_int_equal(acore_sleep(acore_task_loop(t), 3600.0, &s), ACORE_OK);
  return acore_task_await_take(t, s);
}

static void test_sleep_cancel_disarms_timer(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  double t0 = acore_loop_time(loop);
  acore_future_t *s;
  acore_task_t *t;

  assert_int_equal(acore_sleep(loop, 3600.0, &s), ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 1); /* armed */
  assert_int_equal(acore_future_cancel(s, NULL), 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  assert_true(acore_loop_time(loop) == t0);
  /* The same through a task awaiting the sleep. */
  assert_int_equal(acore_task_spawn(loop, sleeper_step, NULL, NULL, &t),
                   ACORE_OK);
  spin(loop, 2);
  assert_int_equal(acore_future_is_done(acore_task_future(t)), 0);
  assert_int_equal(acore_task_cancel(t, NULL), 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  assert_true(acore_loop_time(loop) == t0);
  acore_task_unref(t);
  acore_future_unref(s); /* the sleep outlived its cancel */
}

static void test_sleep_dropped_unfired(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *s;

  assert_int_equal(acore_sleep(loop, 5.0, &s), ACORE_OK);
  acore_future_unref(s); /* the timer goes with it */
  assert_int_equal(acore_loop_backend_timeout(loop), -1);
}

static void test_sleep_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *s = NULL;

  assert_int_equal(acore_sleep(NULL, 1, &s), ACORE_EINVAL);
  assert_int_equal(acore_sleep(loop, 1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_sleep(loop, -1, &s), ACORE_EINVAL);
  assert_int_equal(acore_sleep(loop, 0.0 / 0.0, &s), ACORE_EINVAL);
  assert_null(s);
}

/* ---- gather ---- */

static void test_gather_results_in_input_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j[3] = {{.delay = 3, .value = 30}, {.delay = 1, .value = 10},
              {.delay = 2, .value = 20}};
  acore_future_t *fs[3], *g;
  int i;

  for (i = 0; i < 3; i++)
    fs[i] = acore_task_future(spawn_job(loop, &j[i]));
  assert_int_equal(acore_gather(loop, fs, 3, 0, &g), ACORE_OK);
  for (i = 0; i < 3; i++)
    acore_future_unref(fs[i]); /* the gather holds them */
  drive(loop, g);
  assert_int_equal(acore_future_result(g, NULL), ACORE_OK);
  assert_int_equal(acore_gather_child_count(g), 3);
  assert_int_equal(int_of(acore_gather_child(g, 0)), 30);
  assert_int_equal(int_of(acore_gather_child(g, 1)), 10);
  assert_int_equal(int_of(acore_gather_child(g, 2)), 20);
  assert_null(acore_gather_child(g, 3));
  assert_int_equal(acore_future_set_int(g, 1), ACORE_EINVAL);
  acore_future_unref(g);
}

static void test_gather_empty_completes_at_once(void **state) {
  acore_future_t *g;

  assert_int_equal(acore_gather(TU_LOOP(state), NULL, 0, 0, &g), ACORE_OK);
  assert_int_equal(acore_future_state(g), ACORE_FUTURE_RESULT);
  assert_int_equal(acore_gather_child_count(g), 0);
  acore_future_unref(g);
}

/* asyncio 3.12+: the children already done count at once, so a gather
 * over done children is done when acore_gather returns, and one failed
 * child decides at once; a pending child still needs the loop. */
static void test_gather_done_children_count_at_once(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *g;
  tu_reports r;

  tu_capture_reports(loop, &r);
  acore_future_new(loop, &fs[0]);
  acore_future_new(loop, &fs[1]);
  acore_future_new(loop, &fs[2]);
  acore_future_set_int(fs[0], 1);
  acore_future_set_int(fs[1], 2);
  assert_int_equal(acore_gather(loop, fs, 2, 0, &g), ACORE_OK);
  assert_int_equal(acore_future_state(g), ACORE_FUTURE_RESULT);
  assert_int_equal(int_of(acore_gather_child(g, 1)), 2);
  acore_future_unref(g);
  /* a failed done child before a pending one: the gather fails at once */
  acore_future_unref(fs[1]);
  acore_future_new(loop, &fs[1]);
  acore_future_set_error_code(fs[1], ACORE_EIO, "bad");
  assert_int_equal(acore_gather(loop, fs, 3, 0, &g), ACORE_OK);
  assert_int_equal(acore_future_state(g), ACORE_FUTURE_ERROR);
  assert_int_equal(acore_future_result(g, NULL), ACORE_EIO);
  acore_future_set_int(fs[2], 3); /* the late child changes nothing */
  spin(loop, 2);
  assert_int_equal(acore_future_result(g, NULL), ACORE_EIO);
  for (int i = 0; i < 3; i++)
    acore_future_unref(fs[i]);
  acore_future_unref(g);
  assert_int_equal(r.count, 0); /* the gather read the child's error */
}

static void test_gather_same_future_twice(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *fs[3], *g;

  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  fs[0] = fs[1] = fs[2] = f;
  assert_int_equal(acore_gather(loop, fs, 3, 0, &g), ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 7), ACORE_OK);
  drive(loop, g);
  assert_int_equal(acore_future_result(g, NULL), ACORE_OK);
  assert_ptr_equal(acore_gather_child(g, 0), f);
  assert_ptr_equal(acore_gather_child(g, 2), f);
  assert_int_equal(int_of(acore_gather_child(g, 1)), 7);
  acore_future_unref(f);
  acore_future_unref(g);
}

static void test_gather_first_error_is_same_object(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *a, *b, *fs[2], *g;
  acore_error_t *err;
  tu_reports r;

  tu_capture_reports(loop, &r);
  acore_future_new(loop, &a);
  acore_future_new(loop, &b);
  fs[0] = a;
  fs[1] = b;
  assert_int_equal(acore_gather(loop, fs, 2, 0, &g), ACORE_OK);
  assert_int_equal(acore_error_new(ACORE_EIO, "disk", &err), ACORE_OK);
  acore_future_set_error(b, err);
  drive(loop, g);
  assert_ptr_equal(acore_future_error(g), err);
  assert_int_equal(acore_future_state(a), ACORE_FUTURE_PENDING); /* runs on */
  acore_future_set_error_code(a, ACORE_EAGAIN, NULL);
  spin(loop, 2);
  acore_error_unref(err);
  acore_future_unref(a);
  acore_future_unref(b);
  acore_future_unref(g);
  assert_int_equal(r.count, 0); /* every error counted as retrieved */
}

static void test_gather_settle_all_keeps_everything(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *g;
  int i;

  for (i = 0; i < 3; i++)
    acore_future_new(loop, &fs[i]);
  assert_int_equal(acore_gather(loop, fs, 3, ACORE_GATHER_SETTLE_ALL, &g),
                   ACORE_OK);
  acore_future_set_error_code(fs[0], ACORE_EIO, "x");
  spin(loop, 2);
  assert_int_equal(acore_future_is_done(g), 0); /* waits for all */
  acore_future_cancel(fs[1], "c");
  acore_future_set_int(fs[2], 3);
  drive(loop, g);
  assert_int_equal(acore_future_result(g, NULL), ACORE_OK);
  assert_int_equal(acore_future_result(acore_gather_child(g, 0), NULL),
                   ACORE_EIO);
  assert_int_equal(acore_future_is_cancelled(acore_gather_child(g, 1)), 1);
  assert_int_equal(int_of(acore_gather_child(g, 2)), 3);
  for (i = 0; i < 3; i++)
    acore_future_unref(fs[i]);
  acore_future_unref(g);
}

static void test_gather_cancel_on_error(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 10, .value = 1};
  acore_task_t *t = spawn_job(loop, &j);
  acore_future_t *f, *fs[2], *g;

  acore_future_new(loop, &f);
  fs[0] = acore_task_future(t);
  fs[1] = f;
  assert_int_equal(acore_gather(loop, fs, 2, ACORE_GATHER_CANCEL_ON_ERROR, &g),
                   ACORE_OK);
  spin(loop, 2);
  acore_future_set_error_code(f, ACORE_EIO, NULL);
  spin(loop, 1);
  assert_int_equal(acore_future_result(g, NULL), ACORE_EIO); /* at once */
  drive(loop, acore_task_future(t));
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  acore_task_unref(t);
  acore_future_unref(f);
  acore_future_unref(g);
}

static void test_gather_drain_waits_for_cancelled(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 10, .cleanup = 2};
  acore_task_t *t = spawn_job(loop, &j);
  acore_future_t *f, *fs[2], *g;

  acore_future_new(loop, &f);
  fs[0] = acore_task_future(t);
  fs[1] = f;
  assert_int_equal(acore_gather(loop, fs, 2,
                                ACORE_GATHER_CANCEL_ON_ERROR | ACORE_GATHER_DRAIN,
                                &g), ACORE_OK);
  spin(loop, 2);
  acore_future_set_error_code(f, ACORE_EIO, NULL);
  spin(loop, 5);
  assert_int_equal(j.saw_cancel, 1);
  assert_int_equal(acore_future_is_done(g), 0); /* the task still cleans up */
  drive(loop, g);
  assert_int_equal(acore_future_is_done(acore_task_future(t)), 1);
  assert_int_equal(acore_future_result(g, NULL), ACORE_EIO);
  acore_task_unref(t);
  acore_future_unref(f);
  acore_future_unref(g);
}

static void test_gather_drain_alone_lets_others_finish(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[2], *g;

  acore_future_new(loop, &fs[0]);
  acore_future_new(loop, &fs[1]);
  assert_int_equal(acore_gather(loop, fs, 2, ACORE_GATHER_DRAIN, &g), ACORE_OK);
  acore_future_set_error_code(fs[0], ACORE_EIO, NULL);
  spin(loop, 3);
  assert_int_equal(acore_future_is_done(g), 0);
  assert_int_equal(acore_future_is_done(fs[1]), 0); /* not cancelled */
  acore_future_set_int(fs[1], 1);
  drive(loop, g);
  assert_int_equal(acore_future_result(g, NULL), ACORE_EIO);
  acore_future_unref(fs[0]);
  acore_future_unref(fs[1]);
  acore_future_unref(g);
}

static void test_gather_cancel_cancels_children(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 10};
  acore_task_t *t = spawn_job(loop, &j);
  acore_future_t *f, *fs[2], *g;

  acore_future_new(loop, &f);
  fs[0] = f;
  fs[1] = acore_task_future(t);
  assert_int_equal(acore_gather(loop, fs, 2, 0, &g), ACORE_OK);
  spin(loop, 1);
  assert_int_equal(acore_future_cancel(g, "bye"), 1);
  assert_int_equal(acore_future_is_cancelled(f), 1);
  assert_int_equal(acore_future_is_done(g), 0); /* ends once children did */
  drive(loop, g);
  assert_int_equal(acore_future_is_cancelled(g), 1);
  assert_string_equal(acore_future_cancel_message(g), "bye");
  drive(loop, acore_task_future(t));
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  acore_task_unref(t);
  acore_future_unref(f);
  acore_future_unref(g);
}

static void test_gather_cancel_settle_all_ends_cancelled(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 10, .absorb = 1, .value = 5};
  acore_task_t *t = spawn_job(loop, &j);
  acore_future_t *fs[1], *g;

  fs[0] = acore_task_future(t);
  assert_int_equal(acore_gather(loop, fs, 1, ACORE_GATHER_SETTLE_ALL, &g),
                   ACORE_OK);
  spin(loop, 1);
  assert_int_equal(acore_future_cancel(g, NULL), 1);
  drive(loop, g);
  /* The child absorbed it and returned, but the gather was cancelled. */
  assert_int_equal(int_of(acore_gather_child(g, 0)), 5);
  assert_int_equal(acore_future_is_cancelled(g), 1);
  acore_task_unref(t);
  acore_future_unref(g);
}

static void test_gather_child_cancelled_on_its_own(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[2], *g;

  acore_future_new(loop, &fs[0]);
  acore_future_new(loop, &fs[1]);
  assert_int_equal(acore_gather(loop, fs, 2, 0, &g), ACORE_OK);
  acore_future_cancel(fs[1], "own");
  drive(loop, g);
  assert_int_equal(acore_future_is_cancelled(g), 1);
  assert_int_equal(acore_future_result(g, NULL), ACORE_ECANCELLED);
  assert_string_equal(acore_future_cancel_message(g), "own");
  assert_int_equal(acore_future_is_done(fs[0]), 0);
  acore_future_unref(fs[0]);
  acore_future_unref(fs[1]);
  acore_future_unref(g);
}

static void test_gather_cancel_when_children_done(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[2], *g;

  acore_future_new(loop, &fs[0]);
  acore_future_new(loop, &fs[1]);
  assert_int_equal(acore_gather(loop, fs, 2, 0, &g), ACORE_OK);
  acore_future_set_int(fs[0], 1);
  acore_future_set_int(fs[1], 2);
  assert_int_equal(acore_future_cancel(g, NULL), 0); /* not cancelled */
  drive(loop, g);
  assert_int_equal(acore_future_result(g, NULL), ACORE_OK);
  assert_int_equal(int_of(acore_gather_child(g, 1)), 2);
  acore_future_unref(fs[0]);
  acore_future_unref(fs[1]);
  acore_future_unref(g);
}

static void test_gather_of_gathers_composes(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *a, *b, *inner, *outer, *fs[2];

  acore_future_new(loop, &a);
  acore_future_new(loop, &b);
  fs[0] = a;
  fs[1] = b;
  assert_int_equal(acore_gather(loop, fs, 2, 0, &inner), ACORE_OK);
  assert_int_equal(acore_gather(loop, &inner, 1, 0, &outer), ACORE_OK);
  assert_int_equal(acore_future_cancel(outer, NULL), 1); /* reaches a, b */
  assert_int_equal(acore_future_is_cancelled(a), 1);
  assert_int_equal(acore_future_is_cancelled(b), 1);
  drive(loop, outer);
  assert_int_equal(acore_future_is_cancelled(outer), 1);
  acore_future_unref(a);
  acore_future_unref(b);
  acore_future_unref(inner);
  acore_future_unref(outer);
}

static void test_gather_pending_at_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *g;

  acore_future_new(loop, &f);
  assert_int_equal(acore_gather(loop, &f, 1, 0, &g), ACORE_OK);
  acore_future_unref(f);
  acore_future_unref(g); /* only the loop's registrations hold it now */
  /* teardown closes the loop: nothing may leak */
}

static void test_gather_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state), *other = other_loop();
  acore_future_t *f, *o, *g = NULL, *fs[2];

  acore_future_new(loop, &f);
  acore_future_new(other, &o);
  fs[0] = f;
  fs[1] = NULL;
  assert_int_equal(acore_gather(NULL, &f, 1, 0, &g), ACORE_EINVAL);
  assert_int_equal(acore_gather(loop, &f, 1, 0, NULL), ACORE_EINVAL);
  assert_int_equal(acore_gather(loop, NULL, 1, 0, &g), ACORE_EINVAL);
  assert_int_equal(acore_gather(loop, fs, 2, 0, &g), ACORE_EINVAL);
  assert_int_equal(acore_gather(loop, &f, 1, 1u << 7, &g), ACORE_EINVAL);
  assert_int_equal(acore_gather(loop, &o, 1, 0, &g), ACORE_EINVAL);
  assert_null(g);
  assert_int_equal(acore_gather_child_count(NULL), 0);
  assert_int_equal(acore_gather_child_count(f), 0);
  assert_null(acore_gather_child(f, 0));
  assert_null(acore_gather_child(NULL, 0));
  acore_future_unref(f);
  acore_future_unref(o);
  acore_loop_close(other);
  acore_loop_unref(other);
}

typedef struct awaiter {
  int at;
  acore_future_t *g;
  int status;
} awaiter;

static int await_gather(acore_task_t *t, void *ud) {
  awaiter *a = ud;

  if (a->at++ == 0)
    return acore_task_await_take(t, acore_future_ref(a->g));
  a->status = acore_task_step_status(t);
  return acore_task_finish_cancelled(t);
}

static void test_gather_cancelled_through_awaiting_task(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j[2] = {{.delay = 5}, {.delay = 6}};
  acore_future_t *fs[2];
  awaiter a = {0, NULL, 0};
  acore_task_t *t;
  int i;

  for (i = 0; i < 2; i++)
    fs[i] = acore_task_future(spawn_job(loop, &j[i]));
  assert_int_equal(acore_gather(loop, fs, 2, 0, &a.g), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, await_gather, &a, NULL, &t),
                   ACORE_OK);
  spin(loop, 2);
  assert_int_equal(acore_task_cancel(t, "stop"), 1); /* reaches the jobs */
  drive(loop, acore_task_future(t));
  assert_int_equal(a.status, ACORE_ECANCELLED);
  assert_int_equal(j[0].saw_cancel + j[1].saw_cancel, 2);
  assert_int_equal(acore_future_is_cancelled(a.g), 1);
  for (i = 0; i < 2; i++)
    acore_future_unref(fs[i]);
  acore_future_unref(a.g);
  acore_task_unref(t);
}

/* Random compositions: combinators over futures and over each other,
 * completed, failed and cancelled in random order. Proves no crash, no
 * leak (teardown), and that every combinator over finished inputs ends. */
static uint32_t rnd_state = 12345;

static uint32_t rnd(uint32_t n) {
  rnd_state = rnd_state * 1103515245u + 12345u;
  return (rnd_state >> 8) % n;
}

static acore_future_t *random_combinator(acore_loop_t *loop,
                                         acore_future_t **pool, size_t np) {
  acore_future_t *pick[4], *out = NULL;
  size_t i, k = 1 + rnd(4);

  for (i = 0; i < k; i++)
    pick[i] = pool[rnd((uint32_t)np)];
  switch (rnd(5)) {
  case 0:
    assert_int_equal(acore_gather(loop, pick, k, rnd(8), &out), ACORE_OK);
    break;
  case 1:
    assert_int_equal(acore_wait(loop, pick, k, (int)rnd(3),
                                rnd(2) ? 1.0 : ACORE_NO_TIMEOUT, &out),
                     ACORE_OK);
    break;
  case 2:
    assert_int_equal(acore_wait_for(pick[0], 0.5 * rnd(4), &out), ACORE_OK);
    break;
  case 3:
    assert_int_equal(acore_shield(pick[0], &out), ACORE_OK);
    break;
  default:
    assert_int_equal(acore_as_completed(loop, pick, k, 2.0, NULL, NULL, NULL,
                                        &out), ACORE_OK);
    break;
  }
  return out;
}

static void finish_randomly(acore_future_t *f) {
  if (acore_future_is_done(f))
    return;
  switch (rnd(3)) {
  case 0:
    acore_future_set_int(f, 1);
    break;
  case 1:
    acore_future_set_error_code(f, ACORE_EIO, NULL);
    break;
  default:
    acore_future_cancel(f, NULL);
    break;
  }
}

static void test_gather_random_compositions(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  enum { LEAVES = 8, TASKS = 4, NODES = 40 };
  acore_future_t *pool[LEAVES + TASKS + NODES];
  job jobs[TASKS];
  size_t np = 0, i;
  tu_reports r;
  int round;

  tu_capture_reports(loop, &r); /* unread errors are expected here */
  for (round = 0; round < 200; round++) {
    np = 0;
    for (i = 0; i < LEAVES; i++)
      acore_future_new(loop, &pool[np++]);
    for (i = 0; i < TASKS; i++) {
      memset(&jobs[i], 0, sizeof(jobs[i]));
      jobs[i].delay = 0.5 * rnd(4);
      jobs[i].absorb = (int)rnd(2);
      jobs[i].cleanup = 0.5 * rnd(2);
      jobs[i].fail_code = rnd(3) == 0 ? ACORE_EIO : 0;
      pool[np++] = acore_task_future(spawn_job(loop, &jobs[i]));
    }
    for (i = 0; i < NODES; i++) {
      acore_future_t *c = random_combinator(loop, pool, np);
      pool[np++] = c;
    }
    for (i = 0; i < 30; i++) {
      size_t j = rnd((uint32_t)np);
      if (j < LEAVES)
        finish_randomly(pool[j]);
      else if (rnd(4) == 0)
        acore_future_cancel(pool[j], NULL);
      spin(loop, (int)rnd(3));
    }
    for (i = 0; i < LEAVES; i++)
      finish_randomly(pool[i]);
    for (i = 0; i < 10; i++) {
      spin(loop, 3);
      acore_loop_advance(loop, 1.0);
    }
    spin(loop, 5);
    for (i = 0; i < np; i++) {
      assert_int_equal(acore_future_is_done(pool[i]), 1);
      acore_future_unref(pool[i]);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup_virtual, tu_teardown)
    T(test_sleep_zero_is_one_iteration),
    T(test_sleep_zero_in_call_soon_order),
    T(test_sleep_delay_virtual_clock),
    T(test_sleep_cancel_removes_timer),
    T(test_sleep_cancel_disarms_timer),
    T(test_sleep_dropped_unfired),
    T(test_sleep_einval),
    T(test_gather_results_in_input_order),
    T(test_gather_empty_completes_at_once),
    T(test_gather_done_children_count_at_once),
    T(test_gather_same_future_twice),
    T(test_gather_first_error_is_same_object),
    T(test_gather_settle_all_keeps_everything),
    T(test_gather_cancel_on_error),
    T(test_gather_drain_waits_for_cancelled),
    T(test_gather_drain_alone_lets_others_finish),
    T(test_gather_cancel_cancels_children),
    T(test_gather_cancel_settle_all_ends_cancelled),
    T(test_gather_child_cancelled_on_its_own),
    T(test_gather_cancel_when_children_done),
    T(test_gather_of_gathers_composes),
    T(test_gather_pending_at_close),
    T(test_gather_einval),
    T(test_gather_cancelled_through_awaiting_task),
    T(test_gather_random_compositions),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
