/* SPDX-License-Identifier: MIT */
/* test_sync_threads.c - the last reference of a synchronisation primitive
 * dropped on another thread (a garbage collector's): destruction is
 * deferred to the loop thread, where waiters fail with ACORE_ECLOSED. */
#include "testutil.h"
#include "acore/sync.h"

#include <pthread.h>

typedef struct drop {
  acore_loop_t *loop;
  acore_sem_t *sem;
  acore_lock_t *lock;
  acore_event_t *ev;
  acore_cond_t *cond;
  acore_queue_t *q;
} drop_t;

static void *dropper(void *arg) {
  drop_t *d = arg;

  acore_sem_unref(d->sem);
  acore_lock_unref(d->lock);
  acore_event_unref(d->ev);
  acore_cond_unref(d->cond);
  acore_queue_unref(d->q);
  acore_loop_release(d->loop);
  return NULL;
}

static pthread_t th;

/* Started from inside the running loop, so the loop's owner is set first. */
static void start_dropper(void *ud) {
  assert_int_equal(pthread_create(&th, NULL, dropper, ud), 0);
}

static void test_sync_threads_last_unref_elsewhere(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f[4];
  drop_t d = { .loop = loop };
  int i;

  tu_frees = 0;
  assert_int_equal(acore_sem_new(loop, 0, 0, &d.sem), ACORE_OK);
  assert_int_equal(acore_lock_new(loop, &d.lock), ACORE_OK);
  assert_int_equal(acore_event_new(loop, &d.ev), ACORE_OK);
  assert_int_equal(acore_cond_new(loop, NULL, &d.cond), ACORE_OK);
  assert_int_equal(acore_queue_new(loop, 0, ACORE_QUEUE_FIFO, &d.q), ACORE_OK);
  assert_int_equal(acore_sem_acquire(d.sem, 1, &f[0]), ACORE_OK);
  assert_int_equal(acore_lock_try_acquire(d.lock), ACORE_OK);
  assert_int_equal(acore_lock_acquire(d.lock, &f[1]), ACORE_OK);
  assert_int_equal(acore_event_wait(d.ev, &f[2]), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(d.q, NULL, tu_count_free), ACORE_OK);
  assert_int_equal(acore_queue_get(d.q, &f[3]), ACORE_OK); /* served now */
  assert_int_equal(acore_queue_put_nowait(d.q, NULL, tu_count_free), ACORE_OK);
  assert_int_equal(acore_loop_hold(loop), ACORE_OK);
  assert_int_equal(acore_loop_call_soon(loop, start_dropper, &d, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* until released */
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_result(f[0], NULL), ACORE_ECLOSED);
  assert_int_equal(acore_future_result(f[1], NULL), ACORE_ECLOSED);
  assert_int_equal(acore_future_result(f[2], NULL), ACORE_ECLOSED);
  assert_int_equal(tu_frees, 1); /* the queued item; f[3] holds the other */
  for (i = 0; i < 4; i++)
    acore_future_unref(f[i]);
  assert_int_equal(tu_frees, 2);
}

/* Debug mode: loop-thread-only calls from another thread are refused. */
typedef struct wrong {
  acore_sem_t *sem;
  acore_queue_t *q;
  acore_event_t *ev;
  int rc[4];
} wrong_t;

static void *wrong_thread(void *arg) {
  wrong_t *w = arg;
  acore_future_t *f;

  w->rc[0] = acore_sem_release(w->sem, 1);
  w->rc[1] = acore_sem_acquire(w->sem, 1, &f);
  w->rc[2] = acore_queue_task_done(w->q);
  w->rc[3] = acore_event_clear(w->ev);
  return NULL;
}

static void test_sync_threads_debug_wrong_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  wrong_t w;
  pthread_t t;
  int i;

  assert_int_equal(acore_sem_new(loop, 1, 0, &w.sem), ACORE_OK);
  assert_int_equal(acore_queue_new(loop, 0, ACORE_QUEUE_FIFO, &w.q), ACORE_OK);
  assert_int_equal(acore_event_new(loop, &w.ev), ACORE_OK);
  assert_int_equal(pthread_create(&t, NULL, wrong_thread, &w), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  for (i = 0; i < 4; i++)
    assert_int_equal(w.rc[i], ACORE_EWRONGTHREAD);
  assert_int_equal(acore_sem_available_count(w.sem), 1);
  acore_sem_unref(w.sem);
  acore_queue_unref(w.q);
  acore_event_unref(w.ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_sync_threads_last_unref_elsewhere,
                                    tu_setup, tu_teardown),
    cmocka_unit_test_setup_teardown(test_sync_threads_debug_wrong_thread,
                                    tu_setup_debug, tu_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
