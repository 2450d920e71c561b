/* SPDX-License-Identifier: MIT */
/* test_cond.c - the condition: wait releases and re-acquires the lock
 * (also when cancelled), notify(n), notify_all, predicates. */
#include "testutil.h"
#include "acore/sync.h"

#include <string.h>

static void test_cond_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_cond_t *cond;
  acore_future_t *f;

  assert_int_equal(acore_cond_new(NULL, NULL, &cond), ACORE_EINVAL);
  assert_int_equal(acore_cond_new(loop, NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_cond_new(loop, NULL, &cond), ACORE_OK);
  assert_int_equal(acore_cond_wait(NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_cond_wait(cond, NULL), ACORE_EINVAL);
  tu_frees = 0;
  assert_int_equal(acore_cond_wait_for(cond, NULL, NULL, tu_count_free, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_cond_wait_for(NULL, NULL, NULL, tu_count_free, &f),
                   ACORE_EINVAL);
  assert_int_equal(tu_frees, 2);
  assert_int_equal(acore_cond_notify(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_cond_notify_all(NULL), ACORE_EINVAL);
  assert_null(acore_cond_lock(NULL));
  assert_int_equal(acore_cond_waiter_count(NULL), 0);
  assert_null(acore_cond_ref(NULL));
  acore_cond_unref(NULL);
  acore_cond_unref(cond);
}

static void test_cond_lock_of_another_loop(void **state) {
  acore_loop_t *loop = TU_LOOP(state), *other = tu_loop_new(0);
  acore_lock_t *lock;
  acore_cond_t *cond;

  assert_int_equal(acore_lock_new(other, &lock), ACORE_OK);
  assert_int_equal(acore_cond_new(loop, lock, &cond), ACORE_EINVAL);
  acore_lock_unref(lock);
  assert_int_equal(acore_loop_close(other), ACORE_OK);
  acore_loop_unref(other);
}

/* Take the condition's lock (no task: the owner is "no task"), then wait,
 * which releases it. */
static acore_future_t *locked_wait(acore_cond_t *cond) {
  acore_future_t *w;

  assert_int_equal(acore_lock_try_acquire(acore_cond_lock(cond)), ACORE_OK);
  assert_int_equal(acore_cond_wait(cond, &w), ACORE_OK);
  return w;
}

static void test_cond_requires_the_lock(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_cond_t *cond;
  acore_future_t *f;

  assert_int_equal(acore_cond_new(loop, NULL, &cond), ACORE_OK);
  assert_int_equal(acore_cond_wait(cond, &f), ACORE_ENOTOWNER);
  assert_int_equal(acore_cond_notify(cond, 1), ACORE_ENOTOWNER);
  assert_int_equal(acore_cond_notify_all(cond), ACORE_ENOTOWNER);
  acore_cond_unref(cond);
}

/* Outside any task the owner is "no task": enough to test the rules. */
static void test_cond_wait_releases_and_reacquires(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_cond_t *cond;
  acore_lock_t *lock;
  acore_future_t *w;

  assert_int_equal(acore_cond_new(loop, NULL, &cond), ACORE_OK);
  lock = acore_cond_lock(cond);
  w = locked_wait(cond);
  assert_int_equal(acore_lock_is_locked(lock), 0); /* released */
  assert_int_equal(acore_cond_waiter_count(cond), 1);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  assert_int_equal(acore_cond_notify(cond, 1), 1);
  assert_int_equal(acore_future_is_done(w), 0); /* lock still ours */
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_future_is_done(w), 1); /* re-acquired, then done */
  assert_int_equal(acore_lock_is_locked(lock), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  acore_future_unref(w);
  acore_cond_unref(cond);
}

static void test_cond_cancel_reacquires_first(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_cond_t *cond;
  acore_lock_t *lock;
  acore_future_t *w;

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_cond_new(loop, lock, &cond), ACORE_OK);
  w = locked_wait(cond);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  assert_int_equal(acore_future_cancel(w, "stop"), 1);
  assert_int_equal(acore_future_is_done(w), 0); /* waits for the lock */
  assert_int_equal(acore_cond_waiter_count(cond), 0);
  assert_int_equal(acore_future_cancel(w, NULL), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(w), 1);
  assert_int_equal(acore_lock_is_locked(lock), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  acore_future_unref(w);
  acore_cond_unref(cond);
  acore_lock_unref(lock);
}

static void test_cond_notify_n_in_order_and_all(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_cond_t *cond;
  acore_lock_t *lock;
  acore_future_t *w[4];
  int i;

  assert_int_equal(acore_cond_new(loop, NULL, &cond), ACORE_OK);
  lock = acore_cond_lock(cond);
  for (i = 0; i < 4; i++)
    w[i] = locked_wait(cond);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  assert_int_equal(acore_cond_notify(cond, 2), 2);
  assert_int_equal(acore_cond_waiter_count(cond), 2);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_future_is_done(w[0]), 1); /* holds the lock */
  assert_int_equal(acore_future_is_done(w[1]), 0); /* queued on the lock */
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_future_is_done(w[1]), 1);
  assert_int_equal(acore_cond_notify_all(cond), 2);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_future_is_done(w[2]), 1);
  assert_int_equal(acore_future_is_done(w[3]), 0);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_future_is_done(w[3]), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  for (i = 0; i < 4; i++)
    acore_future_unref(w[i]);
  acore_cond_unref(cond);
}

static void test_cond_notified_then_cancelled_passes_it_on(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_cond_t *cond;
  acore_lock_t *lock;
  acore_future_t *a, *b;

  assert_int_equal(acore_cond_new(loop, NULL, &cond), ACORE_OK);
  lock = acore_cond_lock(cond);
  a = locked_wait(cond);
  b = locked_wait(cond);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  assert_int_equal(acore_cond_notify(cond, 1), 1); /* a */
  assert_int_equal(acore_future_cancel(a, NULL), 1); /* passes to b */
  assert_int_equal(acore_cond_waiter_count(cond), 0);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(a), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_future_is_done(b), 1);
  assert_int_equal(acore_future_is_cancelled(b), 0);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  acore_future_unref(a);
  acore_future_unref(b);
  acore_cond_unref(cond);
}

static int counter;
static int calls;
static int at_least_two(void *ud) {
  (void)ud;
  calls++;
  return counter >= 2;
}

static void test_cond_wait_for_predicate(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_cond_t *cond;
  acore_lock_t *lock;
  acore_future_t *w, *now;

  counter = calls = 0;
  tu_frees = 0;
  assert_int_equal(acore_cond_new(loop, NULL, &cond), ACORE_OK);
  lock = acore_cond_lock(cond);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  assert_int_equal(acore_cond_wait_for(cond, at_least_two, NULL,
                                       tu_count_free, &w), ACORE_OK);
  assert_int_equal(calls, 1);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  counter = 1;
  assert_int_equal(acore_cond_notify_all(cond), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(calls, 2); /* checked with the lock: false, waits on */
  assert_int_equal(acore_future_is_done(w), 0);
  assert_int_equal(acore_lock_is_locked(lock), 0);
  assert_int_equal(acore_cond_waiter_count(cond), 1);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  counter = 2;
  assert_int_equal(acore_cond_notify(cond, 1), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_future_is_done(w), 1);
  assert_int_equal(tu_frees, 1);
  /* true at once: done now, lock still held */
  assert_int_equal(acore_cond_wait_for(cond, at_least_two, NULL,
                                       tu_count_free, &now), ACORE_OK);
  assert_int_equal(acore_future_is_done(now), 1);
  assert_int_equal(tu_frees, 2);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  acore_future_unref(w);
  acore_future_unref(now);
  acore_cond_unref(cond);
}

/* With tasks: the waiter resumes owning the lock. */
typedef struct cw {
  acore_cond_t *cond;
  int at;
  acore_task_t *owner_after;
} cw;

static int cw_step(acore_task_t *t, void *ud) {
  cw *c = ud;
  acore_future_t *f;

  switch (c->at++) {
  case 0:
    assert_int_equal(acore_lock_acquire(acore_cond_lock(c->cond), &f),
                     ACORE_OK);
    return acore_task_await_take(t, f);
  case 1:
    assert_int_equal(acore_cond_wait(c->cond, &f), ACORE_OK);
    return acore_task_await_take(t, f);
  default:
    c->owner_after = acore_lock_owner(acore_cond_lock(c->cond));
    assert_int_equal(acore_lock_release(acore_cond_lock(c->cond)), ACORE_OK);
    return ACORE_TASK_DONE;
  }
}

static int notifier_step(acore_task_t *t, void *ud) {
  cw *c = ud;
  acore_future_t *f;

  switch (c->at++) {
  case 0:
    assert_int_equal(acore_lock_acquire(acore_cond_lock(c->cond), &f),
                     ACORE_OK);
    return acore_task_await_take(t, f);
  default:
    assert_int_equal(acore_cond_notify_all(c->cond), 2);
    assert_int_equal(acore_lock_release(acore_cond_lock(c->cond)), ACORE_OK);
    return ACORE_TASK_DONE;
  }
}

static void test_cond_tasks_resume_owning_the_lock(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_cond_t *cond;
  acore_task_t *a, *b, *n;
  cw ca, cb, cn;
  tu_reports r;

  tu_capture_reports(loop, &r);
  assert_int_equal(acore_cond_new(loop, NULL, &cond), ACORE_OK);
  memset(&ca, 0, sizeof(ca));
  ca.cond = cond;
  cb = cn = ca;
  assert_int_equal(acore_task_spawn(loop, cw_step, &ca, NULL, &a), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, cw_step, &cb, NULL, &b), ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_task_spawn(loop, notifier_step, &cn, NULL, &n),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_ptr_equal(ca.owner_after, a);
  assert_ptr_equal(cb.owner_after, b);
  assert_int_equal(r.count, 0);
  assert_int_equal(acore_lock_is_locked(acore_cond_lock(cond)), 0);
  acore_task_unref(a);
  acore_task_unref(b);
  acore_task_unref(n);
  acore_cond_unref(cond);
}

static void test_cond_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_cond_t *cond;
  acore_future_t *w;
  long nth;
  int rc;

  counter = 0; /* the predicate stays false */
  for (nth = 1; nth < 50; nth++) {
    tu_alloc_fail_at(nth);
    tu_frees = 0;
    rc = acore_cond_new(loop, NULL, &cond);
    if (rc == ACORE_OK) {
      assert_int_equal(acore_lock_try_acquire(acore_cond_lock(cond)),
                       ACORE_OK);
      rc = acore_cond_wait_for(cond, at_least_two, NULL, tu_count_free, &w);
      if (rc == ACORE_OK) {
        assert_int_equal(acore_lock_try_acquire(acore_cond_lock(cond)),
                         ACORE_OK);
        acore_future_unref(w);
      } else {
        assert_int_equal(tu_frees, 1);
      }
      assert_int_equal(acore_lock_release(acore_cond_lock(cond)), ACORE_OK);
      acore_cond_unref(cond);
    }
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK)
      break;
    assert_int_equal(rc, ACORE_ENOMEM);
  }
  assert_true(nth > 2 && nth < 50);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_setup, tu_teardown)
    T(test_cond_einval),
    T(test_cond_lock_of_another_loop),
    T(test_cond_requires_the_lock),
    T(test_cond_wait_releases_and_reacquires),
    T(test_cond_cancel_reacquires_first),
    T(test_cond_notify_n_in_order_and_all),
    T(test_cond_notified_then_cancelled_passes_it_on),
    T(test_cond_wait_for_predicate),
    T(test_cond_tasks_resume_owning_the_lock),
    T(test_cond_alloc_failure_walk),
#undef T
  };
  tu_cache_off(1); /* allocation walks see every object */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
