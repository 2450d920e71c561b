/* SPDX-License-Identifier: MIT */
/*
 * test_sync_closed.c - after the loop closed, the waiters of semaphores,
 * locks and queues are released on several threads at once (unref is
 * "Thread: any"), together with the primitives themselves.
 */
#include "testutil.h"

#include <stdatomic.h>
#include <string.h>
#include <uv.h>

enum { NTHREADS = 4, NWAIT = 48, ROUNDS = 40 };

typedef struct round {
  acore_loop_t *loop;
  acore_sem_t *sem;
  acore_lock_t *lock;
  acore_queue_t *q;
  acore_future_t *futs[3 * NWAIT];
  uv_barrier_t start;
  int drop_primitives; /* thread 0 drops them half way */
} round_t;

typedef struct share {
  round_t *r;
  int k;
} share;

static void drop_primitives(round_t *r) {
  acore_sem_unref(r->sem);
  acore_lock_unref(r->lock);
  acore_queue_unref(r->q);
}

static void release_share(void *arg) {
  share *s = arg;
  round_t *r = s->r;
  int i;

  uv_barrier_wait(&r->start);
  for (i = s->k; i < 3 * NWAIT; i += NTHREADS) {
    acore_future_unref(r->futs[i]);
    if (s->k == 0 && r->drop_primitives && i == 3 * NWAIT / 2)
      drop_primitives(r);
  }
}

/* Waiters of all three kinds, queued when the loop closes. */
static void make_waiters(round_t *r) {
  acore_future_t *held;
  int i;

  r->loop = tu_loop_new(0);
  assert_int_equal(acore_sem_new(r->loop, 0, 0, &r->sem), ACORE_OK);
  assert_int_equal(acore_lock_new(r->loop, &r->lock), ACORE_OK);
  assert_int_equal(acore_queue_new(r->loop, 0, ACORE_QUEUE_FIFO, &r->q),
                   ACORE_OK);
  assert_int_equal(acore_lock_acquire(r->lock, &held), ACORE_OK);
  acore_future_unref(held); /* granted at once: the lock stays locked */
  for (i = 0; i < NWAIT; i++) {
    assert_int_equal(acore_sem_acquire(r->sem, 1, &r->futs[3 * i]), ACORE_OK);
    assert_int_equal(acore_lock_acquire(r->lock, &r->futs[3 * i + 1]),
                     ACORE_OK);
    assert_int_equal(acore_queue_get(r->q, &r->futs[3 * i + 2]), ACORE_OK);
  }
  assert_int_equal(acore_sem_waiter_count(r->sem), NWAIT);
  assert_int_equal(acore_lock_waiter_count(r->lock), NWAIT);
  assert_int_equal(acore_loop_close(r->loop), ACORE_OK);
}

static void release_on_threads(round_t *r) {
  uv_thread_t th[NTHREADS];
  share sh[NTHREADS];
  int k;

  uv_barrier_init(&r->start, NTHREADS);
  for (k = 0; k < NTHREADS; k++) {
    sh[k].r = r;
    sh[k].k = k;
    assert_int_equal(uv_thread_create(&th[k], release_share, &sh[k]), 0);
  }
  for (k = 0; k < NTHREADS; k++)
    uv_thread_join(&th[k]);
  uv_barrier_destroy(&r->start);
}

/* Only the waiters go: each leaves its queue, the counts end at 0. */
static void test_sync_closed_waiters_released_on_threads(void **state) {
  long live = tu_alloc_live();
  int n;

  (void)state;
  for (n = 0; n < ROUNDS; n++) {
    round_t r;

    memset(&r, 0, sizeof(r));
    make_waiters(&r);
    release_on_threads(&r);
    assert_int_equal(acore_sem_waiter_count(r.sem), 0);
    assert_int_equal(acore_lock_waiter_count(r.lock), 0);
    drop_primitives(&r);
    acore_loop_unref(r.loop);
    assert_int_equal(tu_alloc_live(), live);
  }
}

/* The primitives go too, on one of the threads, while waiters go. */
static void test_sync_closed_primitives_released_on_threads(void **state) {
  long live = tu_alloc_live();
  int n;

  (void)state;
  for (n = 0; n < ROUNDS; n++) {
    round_t r;

    memset(&r, 0, sizeof(r));
    make_waiters(&r);
    r.drop_primitives = 1;
    release_on_threads(&r);
    acore_loop_unref(r.loop);
    assert_int_equal(tu_alloc_live(), live);
  }
}

/* A primitive's last reference dropped on another thread just after the
 * loop closed, with nothing that orders the two threads (a relaxed flag:
 * what the loop's close wrote reaches that thread only through the loop's
 * own lock): its destruction must take that lock before it reads what
 * close wrote (TSan). */
typedef struct late_drop {
  acore_sem_t *sem;
  atomic_int go;
} late_drop;

static void drop_late(void *arg) {
  late_drop *d = arg;

  while (!atomic_load_explicit(&d->go, memory_order_relaxed))
    uv_sleep(1);
  acore_sem_unref(d->sem);
}

static int finish_step(acore_task_t *t, void *ud) {
  (void)t;
  (void)ud;
  return ACORE_TASK_DONE;
}

static void test_sync_closed_primitive_dropped_while_closing(void **state) {
  long live = tu_alloc_live();
  acore_loop_t *loop = tu_loop_new(0);
  acore_future_t *waiter;
  acore_task_t *holder;
  uv_thread_t th;
  late_drop d;

  (void)state;
  assert_int_equal(acore_sem_new(loop, 0, ACORE_SEM_LOCK, &d.sem), ACORE_OK);
  assert_int_equal(acore_sem_acquire(d.sem, 1, &waiter), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, finish_step, NULL, NULL, &holder),
                   ACORE_OK);
  assert_int_equal(acore_sem_set_holder(d.sem, holder), ACORE_OK);
  acore_task_unref(holder); /* the semaphore's reference is the last */
  atomic_init(&d.go, 0);
  assert_int_equal(uv_thread_create(&th, drop_late, &d), 0);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  atomic_store_explicit(&d.go, 1, memory_order_relaxed);
  uv_thread_join(&th);
  acore_future_unref(waiter);
  acore_loop_unref(loop);
  assert_int_equal(tu_alloc_live(), live);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sync_closed_waiters_released_on_threads),
    cmocka_unit_test(test_sync_closed_primitives_released_on_threads),
    cmocka_unit_test(test_sync_closed_primitive_dropped_while_closing),
  };
  tu_alloc_install();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
