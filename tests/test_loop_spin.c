/* SPDX-License-Identifier: MIT */
/* test_loop_spin.c - a long chain of call_soon (one item per iteration,
 * so the loop may run iterations without libuv's poll in between) keeps
 * every semantic of one iteration per poll: a threadsafe call, a due
 * timer, a new fd watcher and stop() are seen in the very next iteration,
 * run_once is one iteration, the wake-up fd is seen within the bound, and
 * a uv loop with other handles (or a host's) polls every iteration. */
#include "testutil.h"

#include <stdatomic.h>
#include <unistd.h>
#include <uv.h>

/* The iterations a check runs at most without a poll (core/loop.c). */
enum { POLL_EVERY = 64 };

/* ---- the chain: one item per iteration, `iter` counts them ---- */

static acore_loop_t *chain_loop;
static long iter, chain_end;
static void (*at_iter)(long k); /* called in each iteration, after iter++ */

static void chain_cb(void *ud) {
  (void)ud;
  iter++;
  if (at_iter != NULL)
    at_iter(iter);
  if (iter < chain_end)
    assert_int_equal(
        acore_loop_call_soon(chain_loop, chain_cb, NULL, NULL, NULL),
        ACORE_OK);
}

static void chain_start(acore_loop_t *loop, long n, void (*fn)(long k)) {
  chain_loop = loop;
  iter = 0;
  chain_end = n;
  at_iter = fn;
  assert_int_equal(acore_loop_call_soon(loop, chain_cb, NULL, NULL, NULL),
                   ACORE_OK);
}

/* ---- a threadsafe call posted during iteration k runs in k + 1 ---- */

static long ts_posted_at[64], ts_ran_at[64];
static int ts_n;

static void ts_cb(void *ud) { ts_ran_at[(intptr_t)ud] = iter; }

static void post_thread(void *arg) {
  assert_int_equal(acore_loop_call_soon_threadsafe(
                       chain_loop, ts_cb, (void *)(intptr_t)ts_n, NULL),
                   ACORE_OK);
  (void)arg;
}

static void post_every_7th(long k) {
  uv_thread_t th;

  if (k % 7 != 0 || ts_n >= 64)
    return;
  ts_posted_at[ts_n] = k;
  assert_int_equal(uv_thread_create(&th, post_thread, NULL), 0);
  assert_int_equal(uv_thread_join(&th), 0); /* posted before k ends */
  ts_n++;
}

static void test_loop_spin_threadsafe_call_next_iteration(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  int i;

  ts_n = 0;
  chain_start(loop, 7 * 64 + 5, post_every_7th);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(ts_n, 64);
  for (i = 0; i < ts_n; i++)
    assert_int_equal(ts_ran_at[i], ts_posted_at[i] + 1);
}

/* Another thread posts and drops futures while the chain runs: every
 * call runs, every future is destroyed (the teardown finds no leak). */
enum { FLOOD = 2000 };
static atomic_int flood_ran;
static acore_future_t *flood_futs[FLOOD];

static void flood_cb(void *ud) {
  if (atomic_fetch_add(&flood_ran, 1) + 1 == FLOOD)
    assert_int_equal(acore_loop_stop(ud), ACORE_OK);
}

static void flood_thread(void *arg) {
  int i;

  for (i = 0; i < FLOOD; i++) {
    while (acore_loop_call_soon_threadsafe(arg, flood_cb, arg, NULL) ==
           ACORE_EAGAIN)
      uv_sleep(1);
    acore_future_unref(flood_futs[i]); /* the loop thread destroys it */
  }
}

static void test_loop_spin_threadsafe_flood_during_chain(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  uv_thread_t th;
  int i;

  atomic_store(&flood_ran, 0);
  for (i = 0; i < FLOOD; i++)
    assert_int_equal(acore_future_new(loop, &flood_futs[i]), ACORE_OK);
  chain_start(loop, 200000, NULL);
  assert_int_equal(acore_loop_hold(loop), ACORE_OK); /* if the chain ends */
  assert_int_equal(uv_thread_create(&th, flood_thread, loop), 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* the last call stops */
  assert_int_equal(atomic_load(&flood_ran), FLOOD);
  assert_int_equal(uv_thread_join(&th), 0);
  assert_int_equal(acore_loop_release(loop), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(iter, 200000);
}

/* ---- a timer that comes due during the chain ---- */

static long timer_ran_at;

static void timer_cb(void *ud) {
  (void)ud;
  timer_ran_at = iter;
}

static void advance_at_30(long k) {
  if (k == 30)
    assert_int_equal(acore_loop_advance(chain_loop, 2.0), ACORE_OK);
}

/* Virtual clock: due in iteration 30, it runs in 31, after the item that
 * was queued before it came due. */
static void test_loop_spin_virtual_timer_next_iteration(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  timer_ran_at = 0;
  assert_int_equal(acore_loop_call_later(loop, 1.0, timer_cb, NULL, NULL,
                                         NULL), ACORE_OK);
  chain_start(loop, 100, advance_at_30);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(timer_ran_at, 31);
}

static double real_when;
static long first_due_at;

static void watch_due(long k) {
  if (first_due_at == 0 && acore_loop_time(chain_loop) >= real_when)
    first_due_at = k;
  if (timer_ran_at != 0 && chain_end > k + 2)
    chain_end = k + 2; /* done: end the chain soon */
}

/* Real clock: a callback that sees the deadline passed is followed by an
 * iteration that collects the timer. */
static void test_loop_spin_real_timer_fires_during_chain(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_handle_t *h;

  timer_ran_at = first_due_at = 0;
  assert_int_equal(acore_loop_call_later(loop, 0.02, timer_cb, NULL, NULL,
                                         &h), ACORE_OK);
  real_when = acore_handle_when(h);
  acore_handle_unref(h);
  chain_start(loop, 100000000, watch_due);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_true(first_due_at > 0);
  assert_true(timer_ran_at >= first_due_at); /* not before its time */
  assert_true(timer_ran_at <= first_due_at + 1);
}

/* ---- an fd watcher started during the chain ---- */

static int pipe_fds[2];
static long fd_seen_at[2];
static int fd_seen_n;

static void on_fd(acore_fd_watcher_t *w, int fd, unsigned events, void *ud) {
  (void)fd;
  (void)ud;
  assert_true(events & ACORE_FD_READABLE);
  if (fd_seen_n < 2)
    fd_seen_at[fd_seen_n++] = iter;
  assert_int_equal(acore_fd_watcher_close(w), ACORE_OK);
  acore_fd_watcher_unref(w); /* the reference of watch_at_20_and_200 */
}

static void watch_at_20_and_200(long k) {
  acore_fd_watcher_t *w;

  if (k != 20 && k != 200)
    return;
  assert_int_equal(acore_fd_watcher_new(chain_loop, pipe_fds[0],
                                        ACORE_FD_READABLE, on_fd, NULL, NULL,
                                        &w),
                   ACORE_OK); /* on_fd drops the reference */
}

/* The pipe is readable: the poll right after iteration k reports it. */
static void test_loop_spin_fd_watcher_polled_next(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  fd_seen_n = 0;
  assert_int_equal(pipe(pipe_fds), 0);
  assert_int_equal(write(pipe_fds[1], "x", 1), 1);
  chain_start(loop, 400, watch_at_20_and_200);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(fd_seen_n, 2);
  assert_int_equal(fd_seen_at[0], 20);
  assert_int_equal(fd_seen_at[1], 200);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

/* ---- run_once, stop, run_until_complete, uv_stop ---- */

static void test_loop_spin_run_once_is_one_iteration(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  long k;

  chain_start(loop, 100, NULL);
  for (k = 1; k <= 20; k++) {
    assert_int_equal(acore_loop_run_once(loop, k % 2 ? 0 : ACORE_RUN_NOWAIT),
                     1);
    assert_int_equal(iter, k);
  }
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(iter, 100);
}

static void stop_thread(void *arg) {
  assert_int_equal(acore_loop_stop(arg), ACORE_OK);
}

static void stop_at_40_and_80(long k) {
  uv_thread_t th;

  if (k == 40)
    assert_int_equal(acore_loop_stop(chain_loop), ACORE_OK);
  if (k == 80) { /* from another thread, during iteration 80 */
    assert_int_equal(uv_thread_create(&th, stop_thread, chain_loop), 0);
    assert_int_equal(uv_thread_join(&th), 0);
  }
  if (k == 120) /* whoever runs the uv loop may stop it too */
    uv_stop(acore_loop_uv(chain_loop));
}

static void test_loop_spin_stop_after_current_iteration(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  chain_start(loop, 1000, stop_at_40_and_80);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(iter, 40);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(iter, 80);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(iter, 120);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(iter, 1000);
}

static acore_future_t *uc_fut;

static void complete_at_25(long k) {
  if (k == 25)
    assert_int_equal(acore_future_set_int(uc_fut, 1), ACORE_OK);
}

/* As asyncio: the run ends after the iteration that follows the one that
 * completed the future. */
static void test_loop_spin_run_until_complete_one_more(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  assert_int_equal(acore_future_new(loop, &uc_fut), ACORE_OK);
  chain_start(loop, 1000, complete_at_25);
  assert_int_equal(acore_loop_run_until_complete(loop, uc_fut), ACORE_OK);
  assert_int_equal(iter, 26);
  acore_future_unref(uc_fut);
  at_iter = NULL;
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(iter, 1000);
}

/* ---- the wake-up fd: seen within the bound ---- */

static long wakeup_at;

static void on_phase(acore_loop_t *loop, int phase, void *ud) {
  (void)loop;
  (void)ud;
  if (phase == ACORE_POLL_WAKEUP && wakeup_at == 0)
    wakeup_at = iter;
}

static void write_at_100(long k) {
  if (k == 100)
    assert_int_equal(write(pipe_fds[1], "x", 1), 1);
}

/* Runs a chain of `n` iterations, whose step `fn` writes the wake-up fd
 * once, with the fd watched; returns the iteration that read it. */
static long wakeup_read_at(acore_loop_t *loop, long n, void (*fn)(long)) {
  wakeup_at = 0;
  assert_int_equal(pipe(pipe_fds), 0);
  assert_int_equal(acore_loop_set_poll_hook(loop, on_phase, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, pipe_fds[0]), ACORE_OK);
  chain_start(loop, n, fn);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, -1), ACORE_OK);
  assert_int_equal(acore_loop_set_poll_hook(loop, NULL, NULL, NULL),
                   ACORE_OK);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  return wakeup_at;
}

static void test_loop_spin_wakeup_fd_within_bound(void **state) {
  long at = wakeup_read_at(TU_LOOP(state), 400, write_at_100);

  assert_true(at >= 100);
  assert_true(at < 100 + POLL_EVERY);
}

static void nop_cb(void *ud) { (void)ud; }

/* Iterations of 601 items: a check begins none once 1,024 have run, so
 * the poll comes after at most two of them. */
static void wide_write_at_10(long k) {
  int i;

  for (i = 0; i < 600; i++)
    assert_int_equal(
        acore_loop_call_soon(chain_loop, nop_cb, NULL, NULL, NULL), ACORE_OK);
  write_at_100(k + 90);
}

static void test_loop_spin_wakeup_fd_within_item_bound(void **state) {
  long at = wakeup_read_at(TU_LOOP(state), 40, wide_write_at_10);

  assert_true(at == 10 || at == 11);
}

/* ---- an executor's delivery keeps the iterations without a poll ---- */

static atomic_int job_ran;
static long job_done_at, job_seen_at, passes_seen;

static int quick_job(acore_work_t *w, void *ud) {
  (void)ud;
  atomic_store(&job_ran, 1);
  return acore_work_set_int(w, 7);
}

static void on_job_done(acore_future_t *f, void *ud) {
  (void)ud;
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_RESULT);
  job_done_at = iter;
}

/* A uv pass reads the wake-up fd; written at every iteration after 150,
 * the WAKEUP phases count the passes. */
static void count_passes(acore_loop_t *loop, int phase, void *ud) {
  (void)loop;
  (void)ud;
  if (phase == ACORE_POLL_WAKEUP && job_seen_at != 0)
    passes_seen++;
}

/* At 100: a job; at 150: wait until it ran and its end was posted (the
 * worker wakes the loop right after the job returns); from then on, a
 * byte on the wake-up fd at every iteration. */
static void submit_then_wait(long k) {
  acore_future_t *f;

  if (k == 100) {
    assert_int_equal(acore_run_in_executor(chain_loop, NULL, quick_job,
                                           NULL, NULL, &f), ACORE_OK);
    assert_int_equal(
        acore_future_add_done_callback(f, on_job_done, NULL, NULL),
        ACORE_OK);
    acore_future_unref(f);
  } else if (k == 150) {
    while (!atomic_load(&job_ran))
      uv_sleep(1);
    uv_sleep(200); /* the worker's post after the job returned */
    job_seen_at = k;
  }
  if (k >= 150)
    assert_int_equal(write(pipe_fds[1], "x", 1), 1);
}

static void test_loop_spin_executor_keeps_iterations(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const long n = 150 + 64 * 40;

  atomic_store(&job_ran, 0);
  job_done_at = job_seen_at = passes_seen = 0;
  assert_int_equal(pipe(pipe_fds), 0);
  assert_int_equal(acore_loop_set_poll_hook(loop, count_passes, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, pipe_fds[0]), ACORE_OK);
  chain_start(loop, n, submit_then_wait);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(job_seen_at, 150);
  assert_int_equal(job_done_at, 151); /* taken in the very next iteration */
  /* 40 x 64 iterations after it: a uv pass per 64, not per iteration. */
  assert_true(passes_seen >= 40 && passes_seen <= 40 + 4);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, -1), ACORE_OK);
  assert_int_equal(acore_loop_set_poll_hook(loop, NULL, NULL, NULL),
                   ACORE_OK);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

/* ---- another handle on the uv loop: a libuv pass per iteration ---- */

static long passes, pass_at[300];

static void on_prepare(uv_prepare_t *p) {
  (void)p;
  passes++;
}

static void record_pass(long k) {
  if (k < 300)
    pass_at[k] = passes;
}

static void closed_cb(uv_handle_t *h) { (void)h; }

static void chain_with_prepare(acore_loop_t *loop, uv_loop_t *uv) {
  uv_prepare_t prep;
  long k;

  passes = 0;
  uv_prepare_init(uv, &prep);
  uv_prepare_start(&prep, on_prepare);
  uv_unref((uv_handle_t *)&prep);
  chain_start(loop, 299, record_pass);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(iter, 299);
  for (k = 2; k < 300; k++)
    assert_true(pass_at[k] > pass_at[k - 1]);
  uv_close((uv_handle_t *)&prep, closed_cb);
  assert_int_equal(uv_run(uv, UV_RUN_NOWAIT), 0);
}

static void test_loop_spin_other_handle_polls_each_iteration(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  chain_with_prepare(loop, acore_loop_uv(loop));
}

static void test_loop_spin_host_uv_loop_polls_each_iteration(void **state) {
  acore_loop_options_t *opts;
  acore_loop_t *loop;
  uv_loop_t uv;

  (void)state;
  assert_int_equal(uv_loop_init(&uv), 0);
  assert_int_equal(acore_loop_options_new(&opts), ACORE_OK);
  assert_int_equal(acore_loop_options_set_uv_loop(opts, &uv), ACORE_OK);
  assert_int_equal(acore_loop_new(opts, &loop), ACORE_OK);
  acore_loop_options_free(opts);
  chain_with_prepare(loop, &uv);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  acore_loop_unref(loop);
  assert_int_equal(uv_loop_close(&uv), 0);
}

#define T(name, setup) cmocka_unit_test_setup_teardown(name, setup, tu_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_loop_spin_threadsafe_call_next_iteration, tu_setup),
    T(test_loop_spin_threadsafe_flood_during_chain, tu_setup),
    T(test_loop_spin_virtual_timer_next_iteration, tu_setup_virtual),
    T(test_loop_spin_real_timer_fires_during_chain, tu_setup),
    T(test_loop_spin_fd_watcher_polled_next, tu_setup),
    T(test_loop_spin_run_once_is_one_iteration, tu_setup),
    T(test_loop_spin_stop_after_current_iteration, tu_setup),
    T(test_loop_spin_run_until_complete_one_more, tu_setup),
    T(test_loop_spin_wakeup_fd_within_bound, tu_setup),
    T(test_loop_spin_wakeup_fd_within_item_bound, tu_setup),
    T(test_loop_spin_other_handle_polls_each_iteration, tu_setup),
    T(test_loop_spin_executor_keeps_iterations, tu_setup),
    cmocka_unit_test(test_loop_spin_host_uv_loop_polls_each_iteration),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
