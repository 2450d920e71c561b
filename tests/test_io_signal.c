/* SPDX-License-Identifier: MIT */
/* test_io_signal.c - signals on the loop thread: acore_signal_wait()
 * futures and acore_signal_t handlers (acore/signal.h). A signal is only
 * raised while something of the test watches it (otherwise its default
 * action would end the test program). */
#include "io_testutil.h"
#include "internal.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static int uv_busy(acore_loop_t *loop) {
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  return uv_loop_alive(acore_loop_uv(loop));
}

static void test_io_signal_wait_raise(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL;

  assert_int_equal(acore_signal_wait(loop, SIGUSR1, &f), ACORE_OK);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_PENDING);
  assert_int_equal(raise(SIGUSR1), 0);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_PENDING); /* later */
  io_wait(loop, f, 5);
  assert_int_equal(io_int(f), SIGUSR1);
  assert_false(uv_busy(loop)); /* one-shot: nothing watches any more */
  acore_future_unref(f);
}

/* kill(getpid()) too; two futures on one signal both see the delivery,
 * one on another signal does not. */
static void test_io_signal_wait_kill_several(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *a = NULL, *b = NULL, *other = NULL;

  assert_int_equal(acore_signal_wait(loop, SIGUSR2, &a), ACORE_OK);
  assert_int_equal(acore_signal_wait(loop, SIGUSR2, &b), ACORE_OK);
  assert_int_equal(acore_signal_wait(loop, SIGUSR1, &other), ACORE_OK);
  assert_int_equal(kill(getpid(), SIGUSR2), 0);
  io_wait(loop, b, 5);
  assert_int_equal(io_int(a), SIGUSR2);
  assert_int_equal(io_int(b), SIGUSR2);
  assert_int_equal(acore_future_state(other), ACORE_FUTURE_PENDING);
  assert_int_equal(acore_future_cancel(other, NULL), 1);
  assert_false(uv_busy(loop));
  acore_future_unref(a);
  acore_future_unref(b);
  acore_future_unref(other);
}

static void test_io_signal_cancel_stops_watching(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL, *wf = NULL;

  assert_int_equal(acore_signal_wait(loop, SIGUSR1, &f), ACORE_OK);
  assert_true(uv_busy(loop));
  assert_int_equal(acore_future_cancel(f, "no"), 1);
  assert_false(uv_busy(loop));
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* no work: returns */
  acore_future_unref(f);
  /* wait_for: cancelled at the timeout, then nothing watches */
  assert_int_equal(acore_signal_wait(loop, SIGUSR1, &f), ACORE_OK);
  assert_int_equal(acore_wait_for(f, 0.02, &wf), ACORE_OK);
  io_wait(loop, wf, 5);
  assert_int_equal(acore_future_result(wf, NULL), ACORE_ETIMEDOUT);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_CANCELLED);
  assert_false(uv_busy(loop));
  acore_future_unref(wf);
  acore_future_unref(f);
  /* dropped while pending */
  assert_int_equal(acore_signal_wait(loop, SIGUSR2, &f), ACORE_OK);
  acore_future_unref(f);
  assert_false(uv_busy(loop));
}

typedef struct hlog {
  int calls;
  int signum;
  int close_self;
  acore_future_t *done; /* set_int'ed at each call, if pending */
} hlog;

static void on_sig(acore_signal_t *sig, int signum, void *ud) {
  hlog *l = ud;

  l->calls++;
  l->signum = signum;
  if (l->done != NULL && acore_future_state(l->done) == ACORE_FUTURE_PENDING)
    acore_future_set_int(l->done, signum);
  if (l->close_self)
    assert_int_equal(acore_signal_close(sig), ACORE_OK);
}

static void wait_calls(acore_loop_t *loop, hlog *l) {
  assert_int_equal(acore_future_new(loop, &l->done), ACORE_OK);
  io_wait(loop, l->done, 5);
  acore_future_unref(l->done);
  l->done = NULL;
}

/* Several handlers of one signal: each called once per delivery, with
 * the loop thread's freedom (they complete futures). */
static void test_io_signal_handlers(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_signal_t *a = NULL, *b = NULL;
  hlog la = {0}, lb = {0};

  tu_frees = 0;
  assert_int_equal(acore_signal_new(loop, SIGUSR1, on_sig, &la, tu_count_free,
                                    &a), ACORE_OK);
  assert_int_equal(acore_signal_new(loop, SIGUSR1, on_sig, &lb, tu_count_free,
                                    &b), ACORE_OK);
  assert_int_equal(acore_signal_signum(a), SIGUSR1);
  assert_int_equal(raise(SIGUSR1), 0);
  assert_int_equal(la.calls, 0); /* never inside raise */
  wait_calls(loop, &lb);
  assert_int_equal(la.calls, 1);
  assert_int_equal(lb.calls, 1);
  assert_int_equal(la.signum, SIGUSR1);
  assert_int_equal(raise(SIGUSR1), 0);
  wait_calls(loop, &la);
  assert_int_equal(la.calls, 2);
  assert_int_equal(lb.calls, 2);
  /* b closes itself at the next delivery; a stays */
  lb.close_self = 1;
  assert_int_equal(kill(getpid(), SIGUSR1), 0);
  wait_calls(loop, &la);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_signal_close(b), ACORE_OK); /* idempotent */
  assert_int_equal(tu_frees, 1);
  assert_int_equal(raise(SIGUSR1), 0);
  wait_calls(loop, &la);
  assert_int_equal(la.calls, 4);
  assert_int_equal(lb.calls, 3);
  assert_int_equal(acore_signal_close(a), ACORE_OK);
  assert_int_equal(tu_frees, 2);
  assert_false(uv_busy(loop));
  assert_ptr_equal(acore_signal_ref(a), a);
  acore_signal_unref(a);
  acore_signal_unref(a);
  acore_signal_unref(b);
}

/* The last unref closes an open handler. */
static void test_io_signal_unref_closes(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_signal_t *s = NULL;
  hlog l = {0};

  tu_frees = 0;
  assert_int_equal(acore_signal_new(loop, SIGUSR2, on_sig, &l, tu_count_free,
                                    &s), ACORE_OK);
  acore_signal_unref(s);
  assert_int_equal(tu_frees, 1);
  assert_false(uv_busy(loop));
}

static void test_io_signal_loop_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL;
  acore_signal_t *s = NULL;
  hlog l = {0};

  tu_frees = 0;
  assert_int_equal(acore_signal_wait(loop, SIGUSR1, &f), ACORE_OK);
  assert_int_equal(acore_signal_new(loop, SIGUSR2, on_sig, &l, tu_count_free,
                                    &s), ACORE_OK);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_CANCELLED);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_signal_close(s), ACORE_OK);
  assert_int_equal(acore_signal_wait(loop, SIGUSR1, &f), ACORE_ECLOSED);
  acore_signal_unref(s);
  acore_future_unref(f);
}

static void test_io_signal_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL;
  acore_signal_t *s = NULL;

  tu_frees = 0;
  assert_int_equal(acore_signal_wait(NULL, SIGUSR1, &f), ACORE_EINVAL);
  assert_int_equal(acore_signal_wait(loop, SIGUSR1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_signal_wait(loop, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_signal_wait(loop, -1, &f), ACORE_EINVAL);
  assert_int_equal(acore_signal_wait(loop, NSIG, &f), ACORE_EINVAL);
  assert_int_equal(acore_signal_wait(loop, SIGKILL, &f), ACORE_EINVAL);
  assert_int_equal(acore_signal_wait(loop, SIGSTOP, &f), ACORE_EINVAL);
  assert_null(f);
  assert_int_equal(acore_signal_new(NULL, SIGUSR1, on_sig, NULL,
                                    tu_count_free, &s), ACORE_EINVAL);
  assert_int_equal(acore_signal_new(loop, SIGUSR1, NULL, NULL, tu_count_free,
                                    &s), ACORE_EINVAL);
  assert_int_equal(acore_signal_new(loop, SIGUSR1, on_sig, NULL,
                                    tu_count_free, NULL), ACORE_EINVAL);
  assert_int_equal(acore_signal_new(loop, SIGKILL, on_sig, NULL,
                                    tu_count_free, &s), ACORE_EINVAL);
  assert_int_equal(acore_signal_new(loop, 0, on_sig, NULL, tu_count_free, &s),
                   ACORE_EINVAL);
  assert_int_equal(tu_frees, 5);
  assert_null(s);
  assert_int_equal(acore_signal_close(NULL), ACORE_EINVAL);
  assert_int_equal(acore_signal_signum(NULL), -1);
  assert_null(acore_signal_ref(NULL));
  acore_signal_unref(NULL);
  assert_false(uv_busy(loop));
}

typedef struct thr_arg {
  acore_loop_t *loop;
  acore_signal_t *s;
  int rc[3];
} thr_arg;

static void *from_other_thread(void *ud) {
  thr_arg *a = ud;
  acore_future_t *f = NULL;
  acore_signal_t *s = NULL;

  a->rc[0] = acore_signal_wait(a->loop, SIGUSR1, &f);
  a->rc[1] = acore_signal_new(a->loop, SIGUSR1, on_sig, NULL, NULL, &s);
  a->rc[2] = acore_signal_close(a->s);
  acore_signal_unref(a->s); /* the last reference: deferred to the loop */
  return NULL;
}

static void test_io_signal_other_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  thr_arg a = {loop, NULL, {0}};
  pthread_t th;
  hlog l = {0};

  tu_frees = 0;
  assert_int_equal(acore_signal_new(loop, SIGUSR2, on_sig, &l, tu_count_free,
                                    &a.s), ACORE_OK);
  assert_int_equal(pthread_create(&th, NULL, from_other_thread, &a), 0);
  pthread_join(th, NULL);
  assert_int_equal(a.rc[0], ACORE_EWRONGTHREAD);
  assert_int_equal(a.rc[1], ACORE_EWRONGTHREAD);
  assert_int_equal(a.rc[2], ACORE_EWRONGTHREAD);
  assert_int_equal(tu_frees, 0);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(tu_frees, 1); /* closed on the loop thread */
  assert_false(uv_busy(loop));
}

static int alloc_scenario(acore_loop_t *loop) {
  acore_future_t *f = NULL;
  acore_signal_t *s = NULL;
  hlog l = {0};
  int rc;

  tu_frees = 0;
  if ((rc = acore_signal_wait(loop, SIGUSR1, &f)) != ACORE_OK)
    return rc;
  rc = acore_signal_new(loop, SIGUSR2, on_sig, &l, tu_count_free, &s);
  assert_int_equal(tu_frees, rc == ACORE_OK ? 0 : 1);
  acore_future_unref(f);
  acore_signal_unref(s);
  return rc;
}

static void test_io_signal_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  long nth;
  int rc;

  for (nth = 1; nth < 100; nth++) {
    tu_alloc_fail_at(nth);
    rc = alloc_scenario(loop);
    tu_alloc_fail_at(0);
    assert_false(uv_busy(loop));
    if (rc == ACORE_OK) {
      assert_int_equal(tu_alloc_failed(), 0);
      break;
    }
    assert_int_equal(rc, ACORE_ENOMEM);
  }
  assert_true(nth > 2 && nth < 100);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    IO_TEST(test_io_signal_wait_raise),
    IO_TEST(test_io_signal_wait_kill_several),
    IO_TEST(test_io_signal_cancel_stops_watching),
    IO_TEST(test_io_signal_handlers),
    IO_TEST(test_io_signal_unref_closes),
    IO_TEST(test_io_signal_loop_close),
    IO_TEST(test_io_signal_einval),
    cmocka_unit_test_setup_teardown(test_io_signal_other_thread,
                                    tu_setup_debug, tu_teardown),
    IO_TEST_WALK(test_io_signal_alloc_failure_walk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
