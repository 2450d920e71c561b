/* SPDX-License-Identifier: MIT */
/* test_anythread.c - every function documented "Thread: any" called from
 * another thread while the loop thread works on the same objects. Run
 * under ThreadSanitizer (label "threads"), a data race fails the test. */
#include "testutil.h"

#include <stdatomic.h>
#include <uv.h>

typedef struct shared {
  acore_loop_t *loop, *vloop;
  acore_future_t *failed;  /* the loop thread keeps retrieving its error */
  acore_task_t *task;
  acore_group_t *group;
  acore_sem_t *sem;
  acore_lock_t *lock;
  acore_event_t *ev;
  acore_cond_t *cond;
  acore_queue_t *q;
  acore_executor_t *ex;
  acore_error_t *err;
  atomic_int go;           /* the other thread runs while set */
  atomic_int left;         /* the other thread no longer touches objects */
  atomic_int saw_running, saw_closed;
  atomic_long calls;      /* rounds the other thread made */
} shared;

static void nop(void *ud) { (void)ud; }

/* One round of every any-thread accessor and reference function. */
static void touch_objects(shared *s) {
  acore_future_t *tf = acore_task_future(s->task);

  acore_future_unref(acore_future_ref(s->failed));
  assert_ptr_equal(acore_future_loop(s->failed), s->loop);
  assert_int_equal(acore_future_is_task(s->failed), 0);
  assert_int_equal(acore_future_is_task(tf), 1);
  acore_task_unref(acore_task_ref(s->task));
  assert_ptr_equal(acore_task_from_future(tf), s->task);
  assert_null(acore_task_from_future(s->failed));
  assert_ptr_equal(acore_task_loop(s->task), s->loop);
  acore_group_unref(acore_group_ref(s->group));
  assert_ptr_equal(acore_group_from_future(acore_group_future(s->group)),
                   s->group);
  assert_null(acore_group_from_future(s->failed));
  acore_sem_unref(acore_sem_ref(s->sem));
  acore_lock_unref(acore_lock_ref(s->lock));
  acore_event_unref(acore_event_ref(s->ev));
  acore_cond_unref(acore_cond_ref(s->cond));
  acore_queue_unref(acore_queue_ref(s->q));
  acore_error_unref(acore_error_ref(s->err));
  assert_int_equal(acore_error_code(s->err), ACORE_EIO);
  assert_string_equal(acore_error_message(s->err), "shared");
  assert_null(acore_error_payload(s->err, nop));
  assert_int_equal(acore_error_child_count(s->err), 0);
  assert_null(acore_error_child(s->err, 0));
  acore_executor_unref(acore_executor_ref(s->ex));
  assert_true(acore_executor_stat(s->ex, ACORE_EXECUTOR_STAT_WORKERS) >= 0);
}

static void touch_loop(shared *s) {
  int r = acore_loop_is_running(s->loop);

  if (r == 1)
    atomic_store(&s->saw_running, 1);
  assert_true(r == 0 || r == 1);
  assert_true(acore_loop_time(s->loop) >= 0.0);
  assert_true(acore_loop_time(s->vloop) >= 0.0);
  assert_int_equal(acore_loop_is_closed(s->loop), 0);
  acore_loop_unref(acore_loop_ref(s->loop));
  assert_int_equal(acore_loop_hold(s->loop), ACORE_OK);
  assert_int_equal(acore_loop_release(s->loop), ACORE_OK);
  assert_int_equal(acore_loop_call_soon_threadsafe(s->loop, nop, NULL, NULL),
                   ACORE_OK);
}

static void other_thread(void *arg) {
  shared *s = arg;

  while (atomic_load(&s->go)) {
    touch_objects(s);
    touch_loop(s);
    atomic_fetch_add(&s->calls, 1);
  }
  atomic_store(&s->left, 1);
  /* The loop closes now: is_closed turns 1 while this thread watches. */
  while (acore_loop_is_closed(s->loop) != 1)
    (void)acore_loop_is_running(s->loop);
  atomic_store(&s->saw_closed, 1);
}

/* Loop thread: keep writing what the other thread reads. */
static void churn(void *ud) {
  shared *s = ud;

  assert_non_null(acore_future_error(s->failed)); /* marks it retrieved */
  assert_int_equal(acore_loop_advance(s->vloop, 0.001), ACORE_OK);
}

static int yield_step(acore_task_t *t, void *ud) {
  (void)ud;
  if (acore_task_step_status(t) == ACORE_ECANCELLED)
    return acore_task_finish_cancelled(t);
  return acore_task_yield(t);
}

static void make_objects(shared *s) {
  acore_loop_t *loop = s->loop;

  assert_int_equal(acore_future_new(loop, &s->failed), ACORE_OK);
  assert_int_equal(acore_future_set_error_code(s->failed, ACORE_EIO, "x"),
                   ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, yield_step, NULL, NULL, &s->task),
                   ACORE_OK);
  assert_int_equal(acore_group_new(loop, &s->group), ACORE_OK);
  assert_int_equal(acore_sem_new(loop, 1, 0, &s->sem), ACORE_OK);
  assert_int_equal(acore_lock_new(loop, &s->lock), ACORE_OK);
  assert_int_equal(acore_event_new(loop, &s->ev), ACORE_OK);
  assert_int_equal(acore_cond_new(loop, NULL, &s->cond), ACORE_OK);
  assert_int_equal(acore_queue_new(loop, 0, ACORE_QUEUE_FIFO, &s->q),
                   ACORE_OK);
  assert_int_equal(acore_executor_new(NULL, &s->ex), ACORE_OK);
  assert_int_equal(acore_error_new(ACORE_EIO, "shared", &s->err), ACORE_OK);
}

static void drop_objects(shared *s) {
  acore_future_unref(s->failed);
  acore_task_unref(s->task);
  acore_group_unref(s->group);
  acore_sem_unref(s->sem);
  acore_lock_unref(s->lock);
  acore_event_unref(s->ev);
  acore_cond_unref(s->cond);
  acore_queue_unref(s->q);
  acore_executor_unref(s->ex);
  acore_error_unref(s->err);
}

static void test_anythread_functions_race_free(void **state) {
  shared s = {0};
  uv_thread_t th;
  int i;

  (void)state;
  s.loop = tu_loop_new(0);
  s.vloop = tu_loop_new(ACORE_LOOP_VIRTUAL_CLOCK);
  make_objects(&s);
  atomic_store(&s.go, 1);
  assert_int_equal(uv_thread_create(&th, other_thread, &s), 0);
  /* at least 200 iterations, and until the other thread made 20 rounds
   * (it may start late on a loaded machine) */
  for (i = 0; i < 200 || atomic_load(&s.calls) < 20 ||
              (i < 2000 && !atomic_load(&s.saw_running));
       i++) {
    assert_int_equal(acore_loop_call_soon(s.loop, churn, &s, NULL, NULL),
                     ACORE_OK);
    assert_true(acore_loop_run_once(s.loop, ACORE_RUN_NOWAIT) >= 0);
  }
  atomic_store(&s.go, 0);
  while (!atomic_load(&s.left))
    assert_true(acore_loop_run_once(s.loop, ACORE_RUN_NOWAIT) >= 0);
  assert_int_equal(acore_task_cancel(s.task, NULL), 1);
  assert_int_equal(acore_group_seal(s.group), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(
                       s.loop, acore_task_future(s.task)), ACORE_OK);
  drop_objects(&s);
  assert_int_equal(acore_loop_close(s.loop), ACORE_OK); /* while watched */
  uv_thread_join(&th);
  assert_int_equal(atomic_load(&s.saw_closed), 1);
  assert_true(atomic_load(&s.calls) >= 20);
  acore_loop_unref(s.loop);
  acore_loop_close(s.vloop);
  acore_loop_unref(s.vloop);
}

/* A UDP endpoint's last reference dropped on another thread just after
 * its loop closed, nothing ordering the two threads but a relaxed flag:
 * what close wrote (the endpoint's closed state) is read under the loop's
 * lock, never bare (TSan). */
typedef struct udp_late {
  acore_udp_t *u;
  atomic_int go;
} udp_late;

static void udp_drop_late(void *arg) {
  udp_late *d = arg;

  while (!atomic_load_explicit(&d->go, memory_order_relaxed))
    uv_sleep(1);
  acore_udp_unref(d->u);
}

static void test_anythread_udp_dropped_after_close(void **state) {
  acore_loop_t *loop = tu_loop_new(0);
  uv_thread_t th;
  udp_late d;

  (void)state;
  assert_int_equal(acore_udp_bind(loop, "127.0.0.1", 0, 0, &d.u), ACORE_OK);
  atomic_init(&d.go, 0);
  assert_int_equal(uv_thread_create(&th, udp_drop_late, &d), 0);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  atomic_store_explicit(&d.go, 1, memory_order_relaxed);
  uv_thread_join(&th);
  acore_loop_unref(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_anythread_functions_race_free),
    cmocka_unit_test(test_anythread_udp_dropped_after_close),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
