/* SPDX-License-Identifier: MIT */
/* test_event.c - the event: set, clear, wait, FIFO wake-up, cancel. */
#include "testutil.h"
#include "acore/sync.h"

static int order[8], norder;

static void log_done(acore_future_t *f, void *ud) {
  (void)f;
  order[norder++] = (int)(intptr_t)ud;
}

static void test_event_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_event_t *ev;
  acore_future_t *f;

  assert_int_equal(acore_event_new(NULL, &ev), ACORE_EINVAL);
  assert_int_equal(acore_event_new(loop, NULL), ACORE_EINVAL);
  assert_int_equal(acore_event_new(loop, &ev), ACORE_OK);
  assert_int_equal(acore_event_set(NULL), ACORE_EINVAL);
  assert_int_equal(acore_event_clear(NULL), ACORE_EINVAL);
  assert_int_equal(acore_event_wait(NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_event_wait(ev, NULL), ACORE_EINVAL);
  assert_int_equal(acore_event_is_set(NULL), ACORE_EINVAL);
  assert_int_equal(acore_event_waiter_count(NULL), 0);
  assert_null(acore_event_ref(NULL));
  acore_event_unref(NULL);
  assert_int_equal(acore_event_is_set(ev), 0);
  acore_event_unref(ev);
}

static void test_event_set_wakes_in_fifo_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_event_t *ev;
  acore_future_t *f[4];
  int i;

  norder = 0;
  assert_int_equal(acore_event_new(loop, &ev), ACORE_OK);
  for (i = 0; i < 4; i++) {
    assert_int_equal(acore_event_wait(ev, &f[i]), ACORE_OK);
    assert_int_equal(acore_future_add_done_callback(f[i], log_done,
                                                    (void *)(intptr_t)i, NULL),
                     ACORE_OK);
  }
  assert_int_equal(acore_event_waiter_count(ev), 4);
  assert_int_equal(acore_event_set(ev), ACORE_OK);
  assert_int_equal(acore_event_waiter_count(ev), 0);
  assert_int_equal(norder, 0); /* callbacks never run inside set */
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(norder, 4);
  for (i = 0; i < 4; i++) {
    assert_int_equal(order[i], i);
    acore_future_unref(f[i]);
  }
  acore_event_unref(ev);
}

static void test_event_wait_when_set_and_clear(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_event_t *ev;
  acore_future_t *a, *b;

  assert_int_equal(acore_event_new(loop, &ev), ACORE_OK);
  assert_int_equal(acore_event_set(ev), ACORE_OK);
  assert_int_equal(acore_event_set(ev), ACORE_OK);
  assert_int_equal(acore_event_is_set(ev), 1);
  assert_int_equal(acore_event_wait(ev, &a), ACORE_OK);
  assert_int_equal(acore_future_is_done(a), 1);
  assert_int_equal(acore_event_clear(ev), ACORE_OK);
  assert_int_equal(acore_event_is_set(ev), 0);
  assert_int_equal(acore_event_wait(ev, &b), ACORE_OK);
  assert_int_equal(acore_future_is_done(b), 0);
  acore_future_unref(a);
  acore_future_unref(b);
  acore_event_unref(ev);
}

static void test_event_cancelled_waiter_leaves(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_event_t *ev;
  acore_future_t *a, *b;

  assert_int_equal(acore_event_new(loop, &ev), ACORE_OK);
  assert_int_equal(acore_event_wait(ev, &a), ACORE_OK);
  assert_int_equal(acore_event_wait(ev, &b), ACORE_OK);
  assert_int_equal(acore_future_cancel(a, NULL), 1);
  assert_int_equal(acore_event_waiter_count(ev), 1);
  acore_future_unref(b); /* dropped: leaves too */
  assert_int_equal(acore_event_waiter_count(ev), 0);
  assert_int_equal(acore_event_set(ev), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(a), 1);
  acore_future_unref(a);
  acore_event_unref(ev);
}

static void test_event_unref_fails_waiters(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_event_t *ev;
  acore_future_t *a;

  assert_int_equal(acore_event_new(loop, &ev), ACORE_OK);
  assert_int_equal(acore_event_wait(ev, &a), ACORE_OK);
  acore_event_unref(ev);
  assert_int_equal(acore_future_result(a, NULL), ACORE_ECLOSED);
  acore_future_unref(a);
}

static void test_event_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_event_t *ev;
  acore_future_t *a, *b;
  long nth;
  int rc;

  for (nth = 1; nth < 50; nth++) {
    tu_alloc_fail_at(nth);
    a = b = NULL;
    rc = acore_event_new(loop, &ev);
    if (rc == ACORE_OK) {
      if ((rc = acore_event_wait(ev, &a)) == ACORE_OK &&
          (rc = acore_event_set(ev)) == ACORE_OK)
        rc = acore_event_wait(ev, &b);
      acore_future_unref(a);
      acore_future_unref(b);
      acore_event_unref(ev);
    }
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK)
      break;
    assert_int_equal(rc, ACORE_ENOMEM);
  }
  assert_true(nth == 4); /* new, queued wait, done wait */
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_setup, tu_teardown)
    T(test_event_einval),
    T(test_event_set_wakes_in_fifo_order),
    T(test_event_wait_when_set_and_clear),
    T(test_event_cancelled_waiter_leaves),
    T(test_event_unref_fails_waiters),
    T(test_event_alloc_failure_walk),
#undef T
  };
  tu_cache_off(1); /* allocation walks see every object */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
