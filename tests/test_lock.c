/* SPDX-License-Identifier: MIT */
/* test_lock.c - the lock: FIFO, ownership, cancel, the owner watch. */
#include "testutil.h"
#include "acore/sync.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

typedef struct locker {
  acore_lock_t *lock;
  acore_future_t *gate; /* borrowed; NULL: release at once */
  int at;
  int finish_rc;
  int release_rc;
  bool keep;            /* finish without releasing */
  int *order, *norder, id;
} locker;

static int locker_step(acore_task_t *t, void *ud) {
  locker *l = ud;
  acore_future_t *f;

  switch (l->at++) {
  case 0:
    assert_int_equal(acore_lock_acquire(l->lock, &f), ACORE_OK);
    return acore_task_await_take(t, f);
  case 1:
    l->finish_rc = acore_lock_acquire_finish(l->lock, acore_task_awaited(t));
    if (l->finish_rc != ACORE_OK)
      return acore_task_finish_cancelled(t);
    assert_ptr_equal(acore_lock_owner(l->lock), t);
    if (l->order != NULL)
      l->order[(*l->norder)++] = l->id;
    if (l->gate != NULL)
      return acore_task_await_take(t, acore_future_ref(l->gate));
    /* fall through */
  default:
    if (!l->keep)
      l->release_rc = acore_lock_release(l->lock);
    return ACORE_TASK_DONE;
  }
}

static acore_task_t *spawn_locker(acore_loop_t *loop, locker *l) {
  acore_task_t *t;

  assert_int_equal(acore_task_spawn(loop, locker_step, l, NULL, &t), ACORE_OK);
  return t;
}

static void test_lock_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_future_t *f;

  assert_int_equal(acore_lock_new(NULL, &lock), ACORE_EINVAL);
  assert_int_equal(acore_lock_new(loop, NULL), ACORE_EINVAL);
  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_lock_acquire(NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_lock_acquire(lock, NULL), ACORE_EINVAL);
  assert_int_equal(acore_lock_acquire_finish(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_lock_acquire_finish(lock, NULL), ACORE_EINVAL);
  assert_int_equal(acore_lock_try_acquire(NULL), ACORE_EINVAL);
  assert_int_equal(acore_lock_release(NULL), ACORE_EINVAL);
  assert_int_equal(acore_lock_is_locked(NULL), ACORE_EINVAL);
  assert_null(acore_lock_owner(NULL));
  assert_null(acore_lock_loop(NULL));
  assert_int_equal(acore_lock_waiter_count(NULL), 0);
  assert_null(acore_lock_ref(NULL));
  acore_lock_unref(NULL);
  assert_int_equal(acore_lock_is_locked(lock), 0);
  acore_lock_unref(lock);
}

/* acore_lock_loop() answers from any thread (Thread: any). */
static void *lock_loop_elsewhere(void *lock) {
  return acore_lock_loop(lock);
}

static void test_lock_loop_from_another_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  pthread_t th;
  void *got = NULL;

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(pthread_create(&th, NULL, lock_loop_elsewhere, lock), 0);
  assert_int_equal(pthread_join(th, &got), 0);
  assert_ptr_equal(got, loop);
  acore_lock_unref(lock);
}

static void test_lock_release_errors(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_future_t *f;

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_lock_release(lock), ACORE_EINVALIDSTATE);
  assert_int_equal(acore_lock_acquire(lock, &f), ACORE_OK); /* no task */
  assert_int_equal(acore_future_is_done(f), 1);
  assert_int_equal(acore_lock_is_locked(lock), 1);
  assert_null(acore_lock_owner(lock));
  assert_ptr_equal(acore_lock_loop(lock), loop);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_EAGAIN);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_lock_release(lock), ACORE_EINVALIDSTATE);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  acore_future_unref(f);
  acore_lock_unref(lock);
}

static int other_release_rc;
static int releaser_step(acore_task_t *t, void *ud) {
  (void)t;
  other_release_rc = acore_lock_release(ud);
  return ACORE_TASK_DONE;
}

static void test_lock_release_by_non_owner(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_future_t *gate;
  acore_task_t *owner, *other;
  locker l = { 0 };

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_future_new(loop, &gate), ACORE_OK);
  l.lock = lock;
  l.gate = gate;
  owner = spawn_locker(loop, &l);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_ptr_equal(acore_lock_owner(lock), owner);
  assert_int_equal(acore_lock_release(lock), ACORE_ENOTOWNER); /* no task */
  assert_int_equal(acore_task_spawn(loop, releaser_step, lock, NULL, &other),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(other_release_rc, ACORE_ENOTOWNER);
  assert_int_equal(acore_lock_is_locked(lock), 1);
  acore_future_set_int(gate, 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(l.release_rc, ACORE_OK);
  assert_int_equal(acore_lock_is_locked(lock), 0);
  acore_task_unref(owner);
  acore_task_unref(other);
  acore_future_unref(gate);
  acore_lock_unref(lock);
}

static void test_lock_fifo_tasks(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_task_t *t[5];
  locker l[5];
  int order[5], norder = 0, i;

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  memset(l, 0, sizeof(l));
  for (i = 0; i < 5; i++) {
    l[i] = (locker){ .lock = lock, .order = order, .norder = &norder,
                     .id = i };
    t[i] = spawn_locker(loop, &l[i]);
  }
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(norder, 5);
  for (i = 0; i < 5; i++) {
    assert_int_equal(order[i], i);
    assert_int_equal(l[i].release_rc, ACORE_OK);
    acore_task_unref(t[i]);
  }
  assert_int_equal(acore_lock_is_locked(lock), 0);
  acore_lock_unref(lock);
}

/* The C lock hands itself to the first waiter at release, with its owner:
 * locked() stays 1 through the hand-off (asyncio's Lock.locked() is False
 * until the woken waiter runs; docs/sync.md says why C differs). */
static void test_lock_locked_during_hand_off(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_future_t *f;
  acore_task_t *t;
  locker l;

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_lock_acquire(lock, &f), ACORE_OK); /* no task */
  assert_int_equal(acore_lock_acquire_finish(lock, f), ACORE_OK);
  acore_future_unref(f);
  memset(&l, 0, sizeof(l));
  l.lock = lock;
  t = spawn_locker(loop, &l);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* t waits */
  assert_int_equal(acore_lock_waiter_count(lock), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_lock_is_locked(lock), 1);      /* handed to t */
  assert_ptr_equal(acore_lock_owner(lock), t);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_EAGAIN);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(l.release_rc, ACORE_OK);
  assert_int_equal(acore_lock_is_locked(lock), 0);
  acore_task_unref(t);
  acore_lock_unref(lock);
}

static void test_lock_task_finishing_holding_is_reported(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_task_t *a, *b;
  locker la = { 0 }, lb = { 0 };
  tu_reports r;

  tu_capture_reports(loop, &r);
  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  la.lock = lb.lock = lock;
  la.keep = true;
  a = spawn_locker(loop, &la);
  b = spawn_locker(loop, &lb);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.last_kind, ACORE_REPORT_CALLBACK_ERROR);
  assert_int_equal(r.last_code, ACORE_ENOTOWNER);
  assert_int_equal(lb.finish_rc, ACORE_OK); /* b got it afterwards */
  assert_int_equal(lb.release_rc, ACORE_OK);
  assert_int_equal(acore_lock_is_locked(lock), 0);
  acore_task_unref(a);
  acore_task_unref(b);
  acore_lock_unref(lock);
}

static void test_lock_no_report_when_released(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_task_t *a;
  locker la = { 0 };
  tu_reports r;

  tu_capture_reports(loop, &r);
  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  la.lock = lock;
  a = spawn_locker(loop, &la);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(r.count, 0);
  acore_task_unref(a);
  acore_lock_unref(lock);
}

static void test_lock_cancel_queued_and_woken(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_task_t *a, *b, *c;
  locker la = { 0 }, lb = { 0 }, lc = { 0 };

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK); /* held, no task */
  la.lock = lb.lock = lc.lock = lock;
  a = spawn_locker(loop, &la);
  b = spawn_locker(loop, &lb);
  c = spawn_locker(loop, &lc);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_lock_waiter_count(lock), 3);
  assert_int_equal(acore_task_cancel(a, NULL), 1); /* queued: leaves */
  assert_int_equal(acore_lock_waiter_count(lock), 2);
  assert_int_equal(acore_lock_release(lock), ACORE_OK); /* b is granted */
  assert_ptr_equal(acore_lock_owner(lock), b);
  assert_int_equal(acore_task_cancel(b, NULL), 1);      /* before b ran */
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(la.finish_rc, ACORE_ECANCELLED);
  assert_int_equal(lb.finish_rc, ACORE_ECANCELLED);
  assert_int_equal(lc.finish_rc, ACORE_OK);
  assert_int_equal(lc.release_rc, ACORE_OK);
  assert_int_equal(acore_lock_is_locked(lock), 0);
  acore_task_unref(a);
  acore_task_unref(b);
  acore_task_unref(c);
  acore_lock_unref(lock);
}

/* A task granted the lock and cancelled before it ran releases it in
 * acquire_finish: the next waiter owns it at once, and no "finished
 * holding a lock" report. */
static void test_lock_granted_then_cancelled_passes_on(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_task_t *b, *c;
  locker lb, lc;
  int order[2], norder = 0;
  tu_reports r;

  tu_capture_reports(loop, &r);
  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK); /* held, no task */
  lb = (locker){ .lock = lock, .order = order, .norder = &norder, .id = 1,
                 .finish_rc = 1, .release_rc = 1 };
  lc = (locker){ .lock = lock, .order = order, .norder = &norder, .id = 2,
                 .finish_rc = 1, .release_rc = 1 };
  b = spawn_locker(loop, &lb);
  c = spawn_locker(loop, &lc);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_lock_waiter_count(lock), 2);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_ptr_equal(acore_lock_owner(lock), b);          /* granted... */
  assert_int_equal(acore_task_cancel(b, "go"), 1);      /* ...then cancelled */
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(lb.finish_rc, ACORE_ECANCELLED);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(b)), 1);
  assert_ptr_equal(acore_lock_owner(lock), c);          /* passed on at once */
  assert_int_equal(acore_lock_is_locked(lock), 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(lc.finish_rc, ACORE_OK);
  assert_int_equal(lc.release_rc, ACORE_OK);
  assert_int_equal(norder, 1);
  assert_int_equal(order[0], 2);                        /* only c held it */
  assert_int_equal(acore_lock_is_locked(lock), 0);
  assert_int_equal(r.count, 0);
  acore_task_unref(b);
  acore_task_unref(c);
  acore_lock_unref(lock);
}

static void test_lock_unref_fails_waiters(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_future_t *a, *b;

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_lock_acquire(lock, &a), ACORE_OK);
  assert_int_equal(acore_lock_acquire(lock, &b), ACORE_OK);
  assert_int_equal(acore_lock_waiter_count(lock), 1);
  acore_lock_unref(lock);
  assert_int_equal(acore_future_result(b, NULL), ACORE_ECLOSED);
  acore_future_unref(a);
  acore_future_unref(b);
}

/* A waiter future outlives its lock: describing it afterwards reads
 * nothing of the freed lock (served at once, or failed by its end). */
static void test_lock_waiter_describe_after_free(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_future_t *a, *b;
  char d[256];

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_lock_acquire(lock, &a), ACORE_OK);
  assert_int_equal(acore_lock_acquire(lock, &b), ACORE_OK);
  acore_lock_unref(lock); /* the last reference: the lock is freed */
  assert_int_equal(acore_future_result(b, NULL), ACORE_ECLOSED);
  assert_true(acore_future_describe(a, d, sizeof(d)) > 0);
  assert_non_null(strstr(d, "lock 0x"));
  assert_non_null(strstr(d, ", served"));
  assert_true(acore_future_describe(b, d, sizeof(d)) > 0);
  assert_non_null(strstr(d, ", served"));
  acore_future_unref(a);
  acore_future_unref(b);
}

/* A task holding the lock when the loop closes is freed with the loop's
 * tasks: the lock no longer names it (its owner was a borrowed pointer),
 * neither acore_lock_owner nor the description of a waiter still queued. */
static int hold_forever(acore_task_t *t, void *ud) {
  locker *l = ud;
  acore_future_t *f, *never;

  if (l->at++ == 0) {
    assert_int_equal(acore_lock_acquire(l->lock, &f), ACORE_OK);
    return acore_task_await_take(t, f);
  }
  assert_int_equal(acore_future_new(acore_task_loop(t), &never), ACORE_OK);
  return acore_task_await_take(t, never);
}

static void test_lock_owner_gone_after_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_future_t *w;
  locker l = {0};
  char d[256];

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  l.lock = lock;
  assert_int_equal(acore_task_spawn(loop, hold_forever, &l, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  assert_non_null(acore_lock_owner(lock));
  assert_int_equal(acore_lock_acquire(lock, &w), ACORE_OK); /* queued */
  assert_int_equal(acore_future_describe(w, d, sizeof(d)) > 0, 1);
  assert_non_null(strstr(d, "; held by Task-1 (#1)"));
  assert_int_equal(acore_loop_close(loop), ACORE_OK); /* the task is freed */
  assert_int_equal(acore_future_describe(w, d, sizeof(d)) > 0, 1);
  assert_null(strstr(d, "Task-1"));
  assert_null(acore_lock_owner(lock));
  acore_future_unref(w);
  acore_lock_unref(lock);
}

/* A task that queues an acquire and finishes without awaiting it (the
 * future kept elsewhere): once it is freed, the grant does not make it
 * the owner (a freed task named by acore_lock_owner and the dumps). */
typedef struct queue_and_go {
  acore_lock_t *lock;
  acore_future_t *acq;
} queue_and_go;

static int queue_and_finish(acore_task_t *t, void *ud) {
  queue_and_go *q = ud;

  (void)t;
  assert_int_equal(acore_lock_acquire(q->lock, &q->acq), ACORE_OK);
  return ACORE_TASK_DONE;
}

static void test_lock_queued_owner_gone(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_future_t *held, *third;
  queue_and_go q = {0};
  char d[256];

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  q.lock = lock;
  assert_int_equal(acore_lock_acquire(lock, &held), ACORE_OK); /* no task */
  assert_int_equal(acore_task_spawn(loop, queue_and_finish, &q, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* it ran and is freed */
  assert_int_equal(acore_lock_waiter_count(lock), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK); /* to its acquire */
  assert_int_equal(acore_lock_is_locked(lock), 1);
  assert_null(acore_lock_owner(lock));
  assert_int_equal(acore_lock_acquire(lock, &third), ACORE_OK);
  assert_int_equal(acore_future_describe(third, d, sizeof(d)) > 0, 1);
  assert_non_null(strstr(d, "; held outside a task"));
  assert_int_equal(acore_lock_release(lock), ACORE_OK); /* outside a task */
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_is_done(third), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  acore_future_unref(held);
  acore_future_unref(q.acq);
  acore_future_unref(third);
  acore_lock_unref(lock);
}

/* A task holding the lock when the loop closes: nothing leaks. */
static void test_lock_loop_close_with_holder(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_future_t *gate;
  acore_task_t *a, *b;
  locker la = { 0 }, lb = { 0 };
  tu_reports r;

  tu_capture_reports(loop, &r);
  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_future_new(loop, &gate), ACORE_OK);
  la.lock = lb.lock = lock;
  la.gate = gate;
  a = spawn_locker(loop, &la);
  b = spawn_locker(loop, &lb);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  acore_task_unref(a);
  acore_task_unref(b);
  acore_future_unref(gate);
  acore_lock_unref(lock);
}

/* Inside a task step: each allocation of an acquire (the done future, the
 * owner watch) fails in turn; the lock is untouched each time. */
static int walk_step(acore_task_t *t, void *ud) {
  acore_lock_t *lock = ud;
  acore_future_t *f;
  long nth;
  int rc;

  (void)t;
  for (nth = 1; nth < 20; nth++) {
    tu_alloc_fail_at(nth);
    rc = acore_lock_acquire(lock, &f);
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK)
      break;
    assert_int_equal(rc, ACORE_ENOMEM);
    assert_int_equal(acore_lock_is_locked(lock), 0);
  }
  assert_true(nth > 2 && nth < 20); /* two allocations can fail */
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  acore_future_unref(f);
  return ACORE_TASK_DONE;
}

static void test_lock_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *lock;
  acore_future_t *f, *g;
  long nth;
  int rc;

  /* the lock's own allocations: new, fast acquire, queued acquire */
  for (nth = 1; nth < 50; nth++) {
    tu_alloc_fail_at(nth);
    rc = acore_lock_new(loop, &lock);
    f = g = NULL;
    if (rc == ACORE_OK) {
      rc = acore_lock_acquire(lock, &f);
      if (rc == ACORE_OK)
        rc = acore_lock_acquire(lock, &g);
      if (rc != ACORE_OK)
        assert_int_equal(acore_lock_waiter_count(lock), 0);
      acore_future_unref(g);
      acore_future_unref(f);
      acore_lock_unref(lock);
    }
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK)
      break;
    assert_int_equal(rc, ACORE_ENOMEM);
  }
  assert_true(nth > 1 && nth < 50);
  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, walk_step, lock, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  acore_lock_unref(lock);
}

int main(void) {
  tu_cache_off(1); /* allocation walks see every object */
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_setup, tu_teardown)
    T(test_lock_einval),
    T(test_lock_loop_from_another_thread),
    T(test_lock_release_errors),
    T(test_lock_release_by_non_owner),
    T(test_lock_fifo_tasks),
    T(test_lock_locked_during_hand_off),
    T(test_lock_task_finishing_holding_is_reported),
    T(test_lock_no_report_when_released),
    T(test_lock_cancel_queued_and_woken),
    T(test_lock_granted_then_cancelled_passes_on),
    T(test_lock_unref_fails_waiters),
    T(test_lock_waiter_describe_after_free),
    T(test_lock_owner_gone_after_close),
    T(test_lock_queued_owner_gone),
    T(test_lock_loop_close_with_holder),
    T(test_lock_alloc_failure_walk),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
