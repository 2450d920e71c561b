/* SPDX-License-Identifier: MIT */
/* test_sem.c - the semaphore: FIFO, acquiring many, bound, close, cancel,
 * and the lock a binding makes of one (ACORE_SEM_LOCK). */
#include "testutil.h"
#include "acore/sync.h"

#include <stdio.h>
#include <string.h>

/* ---- a worker task: acquire n, wait for a gate, release n ---- */

typedef struct worker {
  acore_sem_t *sem;
  size_t n;
  acore_future_t *gate; /* borrowed; NULL: release at once */
  int at;
  int finish_rc;        /* acore_sem_acquire_finish's verdict */
  int *order;           /* where to log our id when granted */
  int *norder;
  int id;
} worker;

static int worker_step(acore_task_t *t, void *ud) {
  worker *w = ud;
  acore_future_t *f;

  switch (w->at++) {
  case 0:
    assert_int_equal(acore_sem_acquire(w->sem, w->n, &f), ACORE_OK);
    return acore_task_await_take(t, f);
  case 1:
    w->finish_rc = acore_sem_acquire_finish(w->sem, acore_task_awaited(t));
    if (w->finish_rc != ACORE_OK)
      return acore_task_finish_cancelled(t);
    if (w->order != NULL)
      w->order[(*w->norder)++] = w->id;
    if (w->gate != NULL)
      return acore_task_await_take(t, acore_future_ref(w->gate));
    /* fall through */
  default:
    assert_int_equal(acore_sem_release(w->sem, w->n), ACORE_OK);
    return ACORE_TASK_DONE;
  }
}

static acore_task_t *spawn_worker(acore_loop_t *loop, worker *w) {
  acore_task_t *t;

  assert_int_equal(acore_task_spawn(loop, worker_step, w, NULL, &t), ACORE_OK);
  return t;
}

static void run_all(acore_loop_t *loop) {
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
}

/* ---- tests ---- */

static void test_sem_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem;
  acore_future_t *f;

  assert_int_equal(acore_sem_new(NULL, 1, 0, &sem), ACORE_EINVAL);
  assert_int_equal(acore_sem_new(loop, 1, 0, NULL), ACORE_EINVAL);
  assert_int_equal(acore_sem_new(loop, 1, 0x80, &sem), ACORE_EINVAL);
  assert_int_equal(acore_sem_new(loop, 2, ACORE_SEM_BOUNDED, &sem), ACORE_OK);
  assert_int_equal(acore_sem_acquire(NULL, 1, &f), ACORE_EINVAL);
  assert_int_equal(acore_sem_acquire(sem, 1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_sem_acquire(sem, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_sem_acquire(sem, 3, &f), ACORE_EINVAL);
  assert_int_equal(acore_sem_acquire(NULL, 1, &f), ACORE_EINVAL);
  assert_int_equal(acore_sem_acquire(sem, 1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_sem_acquire_finish(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_sem_acquire_finish(sem, NULL), ACORE_EINVAL);
  assert_int_equal(acore_sem_try_acquire(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_sem_try_acquire(sem, 0), ACORE_EINVAL);
  assert_int_equal(acore_sem_try_acquire(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_sem_release(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_sem_release(sem, 0), ACORE_EINVAL);
  assert_int_equal(acore_sem_release(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_sem_close(NULL), ACORE_EINVAL);
  assert_int_equal(acore_sem_set_holder(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_sem_available_count(NULL), 0);
  assert_int_equal(acore_sem_waiter_count(NULL), 0);
  assert_null(acore_sem_ref(NULL));
  acore_sem_unref(NULL);
  assert_int_equal(acore_sem_available_count(sem), 2); /* nothing changed */
  acore_sem_unref(sem);
}

static void test_sem_fast_path_done_at_once(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem;
  acore_future_t *f;
  int64_t v = 0;

  assert_int_equal(acore_sem_new(loop, 3, 0, &sem), ACORE_OK);
  assert_int_equal(acore_sem_acquire(sem, 2, &f), ACORE_OK);
  assert_int_equal(acore_future_is_done(f), 1);
  assert_int_equal(acore_future_result_int(f, &v), ACORE_OK);
  assert_int_equal(v, 2);
  assert_int_equal(acore_sem_available_count(sem), 1);
  assert_int_equal(acore_sem_try_acquire(sem, 1), ACORE_OK);
  assert_int_equal(acore_sem_try_acquire(sem, 1), ACORE_EAGAIN);
  assert_int_equal(acore_sem_release(sem, 3), ACORE_OK);
  assert_int_equal(acore_sem_available_count(sem), 3);
  acore_future_unref(f);
  acore_sem_unref(sem);
}

/* A semaphore with no permit and `n` queued acquires in w[0..n-1]. */
static acore_sem_t *sem_with_waiters(acore_loop_t *loop, acore_future_t **w,
                                     int n) {
  acore_sem_t *sem;
  int i;

  assert_int_equal(acore_sem_new(loop, 0, 0, &sem), ACORE_OK);
  for (i = 0; i < n; i++)
    assert_int_equal(acore_sem_acquire(sem, 1, &w[i]), ACORE_OK);
  assert_int_equal(acore_sem_waiter_count(sem), (size_t)n);
  return sem;
}

static void test_sem_fifo_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f[4];
  acore_sem_t *sem = sem_with_waiters(loop, f, 4);
  int i;

  for (i = 0; i < 4; i++) {
    assert_int_equal(acore_sem_release(sem, 1), ACORE_OK);
    assert_int_equal(acore_future_is_done(f[i]), 1);
    if (i + 1 < 4)
      assert_int_equal(acore_future_is_done(f[i + 1]), 0);
  }
  assert_int_equal(acore_sem_available_count(sem), 0);
  for (i = 0; i < 4; i++)
    acore_future_unref(f[i]);
  acore_sem_unref(sem);
}

static void test_sem_newcomer_never_overtakes(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem;
  acore_future_t *big, *small;

  assert_int_equal(acore_sem_new(loop, 1, 0, &sem), ACORE_OK);
  assert_int_equal(acore_sem_acquire(sem, 2, &big), ACORE_OK);
  assert_int_equal(acore_future_is_done(big), 0);
  /* one permit is free, but a waiter is queued: the newcomer queues */
  assert_int_equal(acore_sem_acquire(sem, 1, &small), ACORE_OK);
  assert_int_equal(acore_future_is_done(small), 0);
  assert_int_equal(acore_sem_try_acquire(sem, 1), ACORE_EAGAIN);
  assert_int_equal(acore_sem_available_count(sem), 1);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_OK); /* 2 free: big */
  assert_int_equal(acore_future_is_done(big), 1);
  assert_int_equal(acore_future_is_done(small), 0);
  assert_int_equal(acore_sem_release(sem, 2), ACORE_OK);
  assert_int_equal(acore_future_is_done(small), 1);
  assert_int_equal(acore_sem_available_count(sem), 1);
  acore_future_unref(big);
  acore_future_unref(small);
  acore_sem_unref(sem);
}

static void test_sem_cancel_queued_leaves_queue(void **state) {
  acore_future_t *w[2];
  acore_sem_t *sem = sem_with_waiters(TU_LOOP(state), w, 2);
  acore_future_t *a = w[0], *b = w[1];

  assert_int_equal(acore_future_cancel(a, "bye"), 1);
  assert_int_equal(acore_sem_waiter_count(sem), 1); /* left synchronously */
  assert_int_equal(acore_future_cancel(a, NULL), 0);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_OK);
  assert_int_equal(acore_future_is_done(b), 1);
  assert_int_equal(acore_future_is_cancelled(a), 1);
  assert_int_equal(acore_sem_available_count(sem), 0);
  acore_future_unref(a);
  acore_future_unref(b);
  acore_sem_unref(sem);
}

static void test_sem_cancel_big_head_serves_smaller(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem;
  acore_future_t *big, *s1, *s2;

  assert_int_equal(acore_sem_new(loop, 2, 0, &sem), ACORE_OK);
  assert_int_equal(acore_sem_acquire(sem, 3, &big), ACORE_OK);
  assert_int_equal(acore_sem_acquire(sem, 1, &s1), ACORE_OK);
  assert_int_equal(acore_sem_acquire(sem, 1, &s2), ACORE_OK);
  assert_int_equal(acore_future_is_done(s1), 0);
  assert_int_equal(acore_future_cancel(big, NULL), 1);
  assert_int_equal(acore_future_is_done(s1), 1); /* served inside cancel */
  assert_int_equal(acore_future_is_done(s2), 1);
  assert_int_equal(acore_sem_available_count(sem), 0);
  acore_future_unref(big);
  acore_future_unref(s1);
  acore_future_unref(s2);
  acore_sem_unref(sem);
}

static void test_sem_dropped_waiter_leaves_queue(void **state) {
  acore_future_t *w[2];
  acore_sem_t *sem = sem_with_waiters(TU_LOOP(state), w, 2);
  acore_future_t *a = w[0], *b = w[1];

  acore_future_unref(a);
  assert_int_equal(acore_sem_waiter_count(sem), 1);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_OK);
  assert_int_equal(acore_future_is_done(b), 1);
  acore_future_unref(b);
  acore_sem_unref(sem);
}

static void test_sem_bounded_overrelease(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem;

  assert_int_equal(acore_sem_new(loop, 2, ACORE_SEM_BOUNDED, &sem), ACORE_OK);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_EOVERFLOW);
  assert_int_equal(acore_sem_available_count(sem), 2);
  assert_int_equal(acore_sem_try_acquire(sem, 1), ACORE_OK);
  assert_int_equal(acore_sem_release(sem, 2), ACORE_EOVERFLOW);
  assert_int_equal(acore_sem_available_count(sem), 1);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_OK);
  assert_int_equal(acore_sem_available_count(sem), 2);
  acore_sem_unref(sem);
  /* unbounded: SIZE_MAX is the limit */
  assert_int_equal(acore_sem_new(loop, SIZE_MAX - 1, 0, &sem), ACORE_OK);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_OK);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_EOVERFLOW);
  acore_sem_unref(sem);
}

static void test_sem_close_fails_waiters_and_later_acquires(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem;
  acore_future_t *a, *b, *c;

  assert_int_equal(acore_sem_new(loop, 1, 0, &sem), ACORE_OK);
  assert_int_equal(acore_sem_acquire(sem, 1, &a), ACORE_OK);
  assert_int_equal(acore_sem_acquire(sem, 1, &b), ACORE_OK);
  assert_int_equal(acore_sem_close(sem), ACORE_OK);
  assert_int_equal(acore_sem_close(sem), ACORE_OK);
  assert_int_equal(acore_future_result(b, NULL), ACORE_ECLOSED);
  assert_int_equal(acore_sem_waiter_count(sem), 0);
  assert_int_equal(acore_sem_acquire(sem, 1, &c), ACORE_ECLOSED);
  assert_int_equal(acore_sem_try_acquire(sem, 1), ACORE_ECLOSED);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_OK); /* holder gives back */
  assert_int_equal(acore_sem_acquire_finish(sem, b), ACORE_ECLOSED);
  acore_future_unref(a);
  acore_future_unref(b);
  acore_sem_unref(sem);
}

static void test_sem_unref_fails_waiters(void **state) {
  acore_future_t *a;
  acore_sem_t *sem = sem_with_waiters(TU_LOOP(state), &a, 1);

  acore_sem_unref(sem);
  assert_int_equal(acore_future_result(a, NULL), ACORE_ECLOSED);
  acore_future_unref(a);
}

static void test_sem_tasks_bounded_in_flight(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem;
  acore_future_t *gate;
  acore_task_t *t[6];
  worker w[6];
  int order[6], norder = 0, i;

  assert_int_equal(acore_sem_new(loop, 2, ACORE_SEM_BOUNDED, &sem), ACORE_OK);
  assert_int_equal(acore_future_new(loop, &gate), ACORE_OK);
  memset(w, 0, sizeof(w));
  for (i = 0; i < 6; i++) {
    w[i] = (worker){ .sem = sem, .n = 1, .gate = gate, .order = order,
                     .norder = &norder, .id = i };
    t[i] = spawn_worker(loop, &w[i]);
  }
  for (i = 0; i < 5; i++)
    assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(norder, 2);
  assert_int_equal(acore_sem_waiter_count(sem), 4);
  assert_int_equal(acore_future_set_int(gate, 1), ACORE_OK);
  run_all(loop);
  assert_int_equal(norder, 6);
  for (i = 0; i < 6; i++) {
    assert_int_equal(order[i], i);
    acore_task_unref(t[i]);
  }
  assert_int_equal(acore_sem_available_count(sem), 2);
  acore_future_unref(gate);
  acore_sem_unref(sem);
}

static void test_sem_task_cancel_while_queued(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem;
  acore_task_t *t;
  worker w = { 0 };

  assert_int_equal(acore_sem_new(loop, 0, 0, &sem), ACORE_OK);
  w.sem = sem;
  w.n = 1;
  t = spawn_worker(loop, &w);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_sem_waiter_count(sem), 1);
  assert_int_equal(acore_task_cancel(t, "stop"), 1);
  assert_int_equal(acore_sem_waiter_count(sem), 0); /* inside the cancel call */
  run_all(loop);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  assert_int_equal(w.finish_rc, ACORE_ECANCELLED);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_OK);
  assert_int_equal(acore_sem_available_count(sem), 1);
  acore_task_unref(t);
  acore_sem_unref(sem);
}

/* CPython gh-90155: B is woken by a release, then cancelled before its step
 * ran. Its permit must go to C: no lost permit, no hang. */
static void test_sem_woken_then_cancelled_gives_permit_back(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem;
  acore_task_t *tb, *tc;
  worker b = { 0 }, c = { 0 };

  assert_int_equal(acore_sem_new(loop, 1, ACORE_SEM_BOUNDED, &sem), ACORE_OK);
  assert_int_equal(acore_sem_try_acquire(sem, 1), ACORE_OK); /* we hold it */
  b.sem = c.sem = sem;
  b.n = c.n = 1;
  tb = spawn_worker(loop, &b);
  tc = spawn_worker(loop, &c);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_sem_waiter_count(sem), 2);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_OK); /* B is granted */
  assert_int_equal(acore_sem_waiter_count(sem), 1);
  assert_int_equal(acore_task_cancel(tb, NULL), 1); /* before B ran */
  run_all(loop);
  assert_int_equal(b.finish_rc, ACORE_ECANCELLED);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(tb)), 1);
  assert_int_equal(c.finish_rc, ACORE_OK);
  assert_int_equal(acore_future_is_done(acore_task_future(tc)), 1);
  assert_int_equal(acore_sem_available_count(sem), 1);
  assert_int_equal(acore_sem_waiter_count(sem), 0);
  acore_task_unref(tb);
  acore_task_unref(tc);
  acore_sem_unref(sem);
}

static int done_count;
static void count_done(acore_future_t *f, void *ud) {
  (void)f;
  (void)ud;
  done_count++;
}

static void test_sem_callbacks_never_synchronous(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem;
  acore_future_t *f;

  done_count = 0;
  assert_int_equal(acore_sem_new(loop, 0, 0, &sem), ACORE_OK);
  assert_int_equal(acore_sem_acquire(sem, 1, &f), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(f, count_done, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_OK);
  assert_int_equal(done_count, 0);
  run_all(loop);
  assert_int_equal(done_count, 1);
  acore_future_unref(f);
  acore_sem_unref(sem);
}

static void test_sem_refuse_public_setters(void **state) {
  acore_future_t *f;
  acore_sem_t *sem = sem_with_waiters(TU_LOOP(state), &f, 1);

  assert_int_equal(acore_future_set_int(f, 1), ACORE_EINVAL);
  assert_int_equal(acore_sem_waiter_count(sem), 1);
  acore_future_unref(f);
  acore_sem_unref(sem);
}

/* ACORE_SEM_LOCK: the waiters read as a lock's, naming the holder given
 * (a reference: it outlives the task's end), none once it is cleared. */
static int done_step(acore_task_t *t, void *ud) {
  (void)t;
  (void)ud;
  return ACORE_TASK_DONE;
}

static void describe_masked(acore_future_t *f, char *buf, size_t cap) {
  char raw[256], *p;

  acore_future_describe(f, raw, sizeof(raw));
  p = strstr(raw, "0x");
  assert_non_null(p);
  snprintf(buf, cap, "%.*s0xADDR%s", (int)(p - raw), raw,
           p + strspn(p + 2, "0123456789abcdef") + 2);
}

static void test_sem_lock_names_its_holder(void **state) {
  acore_loop_t *loop = TU_LOOP(state), *other = tu_loop_new(0);
  acore_sem_t *sem, *plain;
  acore_task_t *h, *stranger;
  acore_future_t *f, *g;
  char d[256];

  assert_int_equal(acore_sem_new(loop, 1, ACORE_SEM_BOUNDED | ACORE_SEM_LOCK,
                                 &sem), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, done_step, NULL, NULL, &h),
                   ACORE_OK);
  assert_int_equal(acore_task_set_name(h, "holder"), ACORE_OK);
  assert_int_equal(acore_sem_try_acquire(sem, 1), ACORE_OK);
  assert_int_equal(acore_sem_set_holder(sem, h), ACORE_OK);
  acore_task_unref(h); /* the semaphore keeps it */
  assert_int_equal(acore_sem_acquire(sem, 1, &f), ACORE_OK);
  assert_string_equal(acore_future_kind(f), "waiter");
  describe_masked(f, d, sizeof(d));
  assert_string_equal(d, "lock 0xADDR, 1 of 1 waiting; held by holder (#1)");
  run_all(loop); /* the holder finishes: still named */
  describe_masked(f, d, sizeof(d));
  assert_string_equal(d, "lock 0xADDR, 1 of 1 waiting; held by holder (#1)");
  assert_int_equal(acore_sem_set_holder(sem, NULL), ACORE_OK);
  describe_masked(f, d, sizeof(d));
  assert_string_equal(d, "lock 0xADDR, 1 of 1 waiting");
  /* a plain semaphore's waiter is a semaphore's, holder or not */
  assert_int_equal(acore_sem_new(loop, 0, 0, &plain), ACORE_OK);
  assert_int_equal(acore_sem_acquire(plain, 1, &g), ACORE_OK);
  describe_masked(g, d, sizeof(d));
  assert_string_equal(d, "semaphore 0xADDR, 1 of 1 waiting");
  /* a task of another loop is refused, nothing changes */
  assert_int_equal(acore_task_spawn(other, done_step, NULL, NULL, &stranger),
                   ACORE_OK);
  assert_int_equal(acore_sem_set_holder(sem, stranger), ACORE_EINVAL);
  assert_int_equal(acore_sem_set_holder(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_run(other), ACORE_OK);
  assert_int_equal(acore_sem_set_holder(sem, stranger), ACORE_EINVAL);
  acore_task_unref(stranger);
  assert_int_equal(acore_loop_close(other), ACORE_OK);
  acore_loop_unref(other);
  /* the last holder's reference goes with the semaphore */
  assert_int_equal(acore_task_spawn(loop, done_step, NULL, NULL, &h),
                   ACORE_OK);
  assert_int_equal(acore_sem_set_holder(sem, h), ACORE_OK);
  acore_task_unref(h);
  run_all(loop);
  acore_future_unref(f);
  acore_future_unref(g);
  acore_sem_unref(plain);
  acore_sem_unref(sem);
}

/* A waiter future outlives its semaphore: describing it afterwards reads
 * nothing of the freed semaphore (served at once, or failed by the
 * semaphore's end; a lock-semaphore's and a plain one's). */
static void test_sem_waiter_describe_after_free(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  unsigned flags[2] = {ACORE_SEM_LOCK, 0};
  const char *names[2] = {"lock", "semaphore"};
  acore_sem_t *sem;
  acore_task_t *h;
  acore_future_t *served, *failed;
  char d[256], want[64];
  int i;

  for (i = 0; i < 2; i++) {
    assert_int_equal(acore_sem_new(loop, 1, flags[i], &sem), ACORE_OK);
    assert_int_equal(acore_task_spawn(loop, done_step, NULL, NULL, &h),
                     ACORE_OK);
    assert_int_equal(acore_sem_acquire(sem, 1, &served), ACORE_OK);
    assert_int_equal(acore_sem_set_holder(sem, h), ACORE_OK);
    acore_task_unref(h);
    assert_int_equal(acore_sem_acquire(sem, 1, &failed), ACORE_OK);
    acore_sem_unref(sem); /* the last reference: the semaphore is freed */
    assert_int_equal(acore_future_result(failed, NULL), ACORE_ECLOSED);
    snprintf(want, sizeof(want), "%s 0xADDR, served", names[i]);
    describe_masked(served, d, sizeof(d));
    assert_string_equal(d, want);
    describe_masked(failed, d, sizeof(d));
    assert_string_equal(d, want);
    acore_future_unref(served);
    acore_future_unref(failed);
    run_all(loop);
  }
}

static void test_sem_closed_loop(void **state) {
  acore_loop_t *loop = tu_loop_new(0);
  acore_sem_t *sem;
  acore_future_t *f;

  (void)state;
  assert_int_equal(acore_sem_new(loop, 0, 0, &sem), ACORE_OK);
  assert_int_equal(acore_sem_acquire(sem, 1, &f), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_sem_release(sem, 1), ACORE_ECLOSED);
  assert_int_equal(acore_sem_acquire(sem, 1, &f), ACORE_ECLOSED);
  assert_int_equal(acore_sem_new(loop, 0, 0, &sem), ACORE_ECLOSED);
  acore_future_unref(f);
  acore_sem_unref(sem);
  acore_loop_unref(loop);
}

/* One scenario; every allocation in it may fail. */
static int alloc_scenario(acore_loop_t *loop) {
  acore_sem_t *sem;
  acore_future_t *a = NULL, *b = NULL;
  int rc;

  if ((rc = acore_sem_new(loop, 1, 0, &sem)) != ACORE_OK)
    return rc;
  if ((rc = acore_sem_acquire(sem, 1, &a)) != ACORE_OK)
    goto out;
  assert_int_equal(acore_sem_available_count(sem), 0);
  if ((rc = acore_sem_acquire(sem, 1, &b)) != ACORE_OK) {
    assert_int_equal(acore_sem_waiter_count(sem), 0);
    goto out;
  }
  assert_int_equal(acore_sem_release(sem, 1), ACORE_OK);
  assert_int_equal(acore_future_is_done(b), 1);
out:
  if (a == NULL)
    assert_int_equal(acore_sem_available_count(sem), 1);
  acore_future_unref(a);
  acore_future_unref(b);
  acore_sem_unref(sem);
  return rc;
}

static void test_sem_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  long live = tu_alloc_live(), nth;
  int rc;

  for (nth = 1; nth < 100; nth++) {
    tu_alloc_fail_at(nth);
    rc = alloc_scenario(loop);
    tu_alloc_fail_at(0);
    run_all(loop);
    if (rc == ACORE_OK) {
      assert_int_equal(tu_alloc_failed(), 0);
      break;
    }
    assert_int_equal(rc, ACORE_ENOMEM);
  }
  assert_true(nth > 1 && nth < 100);
  (void)live;
}

/* A task cancelled while it awaits a future it did not get from the
 * semaphore passes that future to acquire_finish: refused, and the bound
 * holds (it used to add the future's int result to the permits). */
typedef struct foreign {
  acore_sem_t *sem;
  acore_future_t *fut;
  int at, finish_rc;
} foreign;

static int foreign_step(acore_task_t *t, void *ud) {
  foreign *fs = ud;

  if (fs->at++ == 0)
    return acore_task_await_take(t, acore_future_ref(fs->fut));
  fs->finish_rc = acore_sem_acquire_finish(fs->sem, acore_task_awaited(t));
  return acore_task_finish_cancelled(t);
}

static void test_sem_finish_refuses_foreign_future(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem, *other;
  acore_future_t *a;
  acore_task_t *t;
  foreign fs = {0};

  assert_int_equal(acore_sem_new(loop, 1, ACORE_SEM_BOUNDED, &sem), ACORE_OK);
  assert_int_equal(acore_sem_new(loop, 1, 0, &other), ACORE_OK);
  assert_int_equal(acore_future_new(loop, &fs.fut), ACORE_OK);
  fs.sem = sem;
  fs.finish_rc = 1;
  assert_int_equal(acore_task_spawn(loop, foreign_step, &fs, NULL, &t),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  assert_ptr_equal(acore_task_awaited(t), fs.fut);
  assert_int_equal(acore_future_set_int(fs.fut, 5), ACORE_OK);
  assert_int_equal(acore_task_cancel(t, NULL), 1);
  run_all(loop);
  assert_int_equal(fs.finish_rc, ACORE_EINVAL);
  assert_int_equal(acore_sem_available_count(sem), 1); /* not 6 */
  /* Another semaphore's acquire future is refused too. */
  assert_int_equal(acore_sem_acquire(other, 1, &a), ACORE_OK);
  assert_int_equal(acore_sem_acquire_finish(sem, a), ACORE_EINVAL);
  assert_int_equal(acore_sem_acquire_finish(other, a), ACORE_OK);
  acore_future_unref(a);
  acore_future_unref(fs.fut);
  acore_task_unref(t);
  acore_sem_unref(other);
  acore_sem_unref(sem);
}

int main(void) {
  tu_cache_off(1); /* allocation walks see every object */
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_setup, tu_teardown)
    T(test_sem_einval),
    T(test_sem_fast_path_done_at_once),
    T(test_sem_fifo_order),
    T(test_sem_newcomer_never_overtakes),
    T(test_sem_cancel_queued_leaves_queue),
    T(test_sem_cancel_big_head_serves_smaller),
    T(test_sem_dropped_waiter_leaves_queue),
    T(test_sem_bounded_overrelease),
    T(test_sem_close_fails_waiters_and_later_acquires),
    T(test_sem_unref_fails_waiters),
    T(test_sem_tasks_bounded_in_flight),
    T(test_sem_task_cancel_while_queued),
    T(test_sem_woken_then_cancelled_gives_permit_back),
    T(test_sem_finish_refuses_foreign_future),
    T(test_sem_callbacks_never_synchronous),
    T(test_sem_refuse_public_setters),
    T(test_sem_alloc_failure_walk),
    T(test_sem_lock_names_its_holder),
    T(test_sem_waiter_describe_after_free),
#undef T
    cmocka_unit_test(test_sem_closed_loop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
