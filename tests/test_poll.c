/* SPDX-License-Identifier: MIT */
/* test_poll.c - the poll hook (told before and after a wait that may
 * block, never when busy) and the wake-up fd. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <uv.h>

/* The phases the hook saw, in order. */
static int phases[64];
static int nphases;

static void record_phase(acore_loop_t *loop, int phase, void *ud) {
  (void)loop;
  (void)ud;
  if (nphases < 64)
    phases[nphases++] = phase;
}

static int count_phase(int phase) {
  int i, n = 0;

  for (i = 0; i < nphases; i++)
    n += phases[i] == phase;
  return n;
}

/* Every BEFORE is followed by its AFTER (WAKEUP may come in between). */
static void assert_paired(void) {
  int i, open = 0;

  for (i = 0; i < nphases; i++) {
    if (phases[i] == ACORE_POLL_BEFORE) {
      assert_int_equal(open, 0);
      open = 1;
    } else if (phases[i] == ACORE_POLL_AFTER) {
      assert_int_equal(open, 1);
      open = 0;
    }
  }
  assert_int_equal(open, 0);
}

static void nop(void *ud) { (void)ud; }

/* The loop is held and has nothing to do, so it waits (BEFORE, then
 * AFTER) until another thread, once it sees the loop running, sends it the
 * call that releases the hold. */
static void release_hold(void *ud) {
  assert_int_equal(acore_loop_release(ud), ACORE_OK);
}

static void post_release(void *arg) {
  acore_loop_t *loop = arg;

  while (acore_loop_is_running(loop) != 1)
    uv_sleep(1);
  uv_sleep(20);
  assert_int_equal(acore_loop_call_soon_threadsafe(loop, release_hold, loop,
                                                   NULL), ACORE_OK);
}

static void test_poll_hook_around_blocking_wait(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  uv_thread_t th;

  nphases = 0;
  assert_int_equal(acore_loop_set_poll_hook(loop, record_phase, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_hold(loop), ACORE_OK);
  assert_int_equal(uv_thread_create(&th, post_release, loop), 0);
  assert_int_equal(nphases, 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  uv_thread_join(&th);
  assert_true(count_phase(ACORE_POLL_BEFORE) >= 1);
  assert_int_equal(count_phase(ACORE_POLL_BEFORE),
                   count_phase(ACORE_POLL_AFTER));
  assert_int_equal(count_phase(ACORE_POLL_WAKEUP), 0);
  assert_paired();
}

/* A chain of callbacks: work is always ready, no wait may block. */
static acore_loop_t *chain_loop;
static int chain_left;

static void chain(void *ud) {
  if (--chain_left > 0)
    assert_int_equal(acore_loop_call_soon(chain_loop, chain, ud, NULL, NULL),
                     ACORE_OK);
}

static void test_poll_hook_silent_when_busy(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  nphases = 0;
  chain_loop = loop;
  chain_left = 100;
  assert_int_equal(acore_loop_set_poll_hook(loop, record_phase, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_call_soon(loop, chain, NULL, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(chain_left, 0);
  assert_int_equal(nphases, 0);
  /* A timer pending, but a run that never blocks: not announced. */
  assert_int_equal(acore_loop_call_later(loop, 10.0, nop, NULL, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 1);
  assert_int_equal(nphases, 0);
}

/* The hook's ud_free: when replaced, when removed, at close, on failure. */
static void test_poll_hook_ud_free(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  tu_frees = 0;
  assert_int_equal(acore_loop_set_poll_hook(loop, record_phase, NULL,
                                            tu_count_free), ACORE_OK);
  assert_int_equal(tu_frees, 0);
  assert_int_equal(acore_loop_set_poll_hook(loop, record_phase, NULL,
                                            tu_count_free), ACORE_OK);
  assert_int_equal(tu_frees, 1); /* the replaced one */
  assert_int_equal(acore_loop_set_poll_hook(loop, NULL, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(tu_frees, 2); /* removed */
  assert_int_equal(acore_loop_set_poll_hook(loop, NULL, NULL, tu_count_free),
                   ACORE_OK);
  assert_int_equal(tu_frees, 3); /* nothing to keep with no fn */
  assert_int_equal(acore_loop_set_poll_hook(loop, record_phase, NULL,
                                            tu_count_free), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(tu_frees, 4); /* at close */
  assert_int_equal(acore_loop_set_poll_hook(loop, record_phase, NULL,
                                            tu_count_free), ACORE_ECLOSED);
  assert_int_equal(tu_frees, 5); /* on failure */
}

/* Changing the hook from inside it is refused. */
static int busy_rc;

static void rehook(acore_loop_t *loop, int phase, void *ud) {
  (void)phase;
  busy_rc = acore_loop_set_poll_hook(loop, record_phase, ud, tu_count_free);
}

static void test_poll_hook_busy_inside(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  uv_thread_t th;

  tu_frees = 0;
  busy_rc = 0;
  assert_int_equal(acore_loop_set_poll_hook(loop, rehook, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_hold(loop), ACORE_OK); /* it must wait */
  assert_int_equal(uv_thread_create(&th, post_release, loop), 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  uv_thread_join(&th);
  assert_int_equal(busy_rc, ACORE_EBUSY);
  assert_true(tu_frees >= 1); /* the refused ud was freed */
}

static void test_poll_hook_einval(void **state) {
  (void)state;
  tu_frees = 0;
  assert_int_equal(acore_loop_set_poll_hook(NULL, record_phase, NULL,
                                            tu_count_free), ACORE_EINVAL);
  assert_int_equal(tu_frees, 1);
}

/* ---- the wake-up fd ---- */

static void stop_on_wakeup(acore_loop_t *loop, int phase, void *ud) {
  record_phase(loop, phase, ud);
  if (phase == ACORE_POLL_WAKEUP)
    assert_int_equal(acore_loop_stop(loop), ACORE_OK);
}

static int timer_ran;
static void mark(void *ud) { (void)ud; timer_ran = 1; }

static void test_poll_wakeup_fd_wakes_and_drains(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  int fds[2];
  char c;

  assert_int_equal(pipe(fds), 0);
  nphases = 0;
  timer_ran = 0;
  assert_int_equal(acore_loop_set_poll_hook(loop, stop_on_wakeup, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, fds[0]), ACORE_OK);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, fds[0]), ACORE_OK); /* same */
  assert_int_equal(acore_loop_call_later(loop, 30.0, mark, NULL, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(write(fds[1], "ab", 2), 2);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* stopped, not 30 s */
  assert_int_equal(timer_ran, 0);
  assert_int_equal(count_phase(ACORE_POLL_WAKEUP), 1);
  assert_paired();
  assert_int_equal(read(fds[0], &c, 1), -1); /* drained, non-blocking */
  assert_int_equal(acore_loop_set_wakeup_fd(loop, -1), ACORE_OK);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, -1), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  close(fds[0]);
  close(fds[1]);
}

/* The fd alone keeps nothing running; replacing it watches the new one. */
static void test_poll_wakeup_fd_keeps_nothing_alive(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  int a[2], b[2];

  assert_int_equal(pipe(a), 0);
  assert_int_equal(pipe(b), 0);
  nphases = 0;
  assert_int_equal(acore_loop_set_poll_hook(loop, stop_on_wakeup, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, a[0]), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* returns at once */
  assert_int_equal(acore_loop_set_wakeup_fd(loop, b[0]), ACORE_OK);
  assert_int_equal(write(a[1], "x", 1), 1); /* the old fd: not watched */
  assert_int_equal(acore_loop_call_later(loop, 0.05, nop, NULL, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(count_phase(ACORE_POLL_WAKEUP), 0);
  assert_int_equal(acore_loop_close(loop), ACORE_OK); /* closes the watch */
  close(a[0]);
  close(a[1]);
  close(b[0]);
  close(b[1]);
}

static void test_poll_wakeup_fd_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  FILE *f = tmpfile();

  assert_non_null(f);
  assert_int_equal(acore_loop_set_wakeup_fd(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, -2), ACORE_EINVAL);
  /* A regular file cannot be polled. */
  assert_int_equal(acore_loop_set_wakeup_fd(loop, fileno(f)), ACORE_EIO);
  fclose(f);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, -1), ACORE_ECLOSED);
}

/* The handle's allocation fails: ENOMEM and nothing watched. */
static void test_poll_wakeup_fd_enomem(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  int fds[2];

  assert_int_equal(pipe(fds), 0);
  tu_alloc_fail_at(1);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, fds[0]), ACORE_ENOMEM);
  tu_alloc_fail_at(0);
  assert_int_equal(acore_loop_set_wakeup_fd(loop, fds[0]), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  close(fds[0]);
  close(fds[1]);
}

#define T(name, setup) cmocka_unit_test_setup_teardown(name, setup, tu_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_poll_hook_around_blocking_wait, tu_setup),
    T(test_poll_hook_silent_when_busy, tu_setup),
    T(test_poll_hook_ud_free, tu_setup),
    T(test_poll_hook_busy_inside, tu_setup),
    T(test_poll_hook_einval, tu_setup),
    T(test_poll_wakeup_fd_wakes_and_drains, tu_setup),
    T(test_poll_wakeup_fd_keeps_nothing_alive, tu_setup),
    T(test_poll_wakeup_fd_einval, tu_setup),
    T(test_poll_wakeup_fd_enomem, tu_setup_walk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
