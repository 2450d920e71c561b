/* SPDX-License-Identifier: MIT */
/* test_threadsafe.c - the functions other threads may call:
 * call_soon_threadsafe (order per thread, none lost), stop, hold/release,
 * reference counts. Runs under ThreadSanitizer in the test command. */
#include "testutil.h"

#include <stdatomic.h>
#include <string.h>
#include <uv.h>

enum { NTHREADS = 8, NCALLS = 100000 };

typedef struct tctx {
  acore_loop_t *loop;
  int index;
} tctx;

static uint64_t next_seq[NTHREADS];
static uint64_t total;
static int out_of_order;
static atomic_int finished;

static void on_call(void *ud) {
  uintptr_t v = (uintptr_t)ud;
  int th = (int)(v >> 32);
  uint64_t seq = v & 0xffffffffu;

  if (seq != next_seq[th])
    out_of_order++;
  next_seq[th] = seq + 1;
  total++;
}

static void producer(void *ud) {
  tctx *c = ud;
  uint64_t i;

  for (i = 0; i < NCALLS; i++) {
    uintptr_t v = ((uintptr_t)c->index << 32) | (uintptr_t)i;
    int rc;
    while ((rc = acore_loop_call_soon_threadsafe(c->loop, on_call, (void *)v,
                                                 NULL)) == ACORE_ENOMEM)
      ;
    assert_int_equal(rc, ACORE_OK);
  }
  if (atomic_fetch_add(&finished, 1) == NTHREADS - 1)
    assert_int_equal(acore_loop_release(c->loop), ACORE_OK);
}

static void test_threadsafe_8_threads_order_kept(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  uv_thread_t th[NTHREADS];
  tctx ctx[NTHREADS];
  int i;

  total = 0;
  out_of_order = 0;
  atomic_store(&finished, 0);
  for (i = 0; i < NTHREADS; i++)
    next_seq[i] = 0;
  assert_int_equal(acore_loop_hold(loop), ACORE_OK);
  for (i = 0; i < NTHREADS; i++) {
    ctx[i].loop = loop;
    ctx[i].index = i;
    assert_int_equal(uv_thread_create(&th[i], producer, &ctx[i]), 0);
  }
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* until released */
  for (i = 0; i < NTHREADS; i++)
    uv_thread_join(&th[i]);
  acore_loop_run(loop);
  assert_int_equal(total, (uint64_t)NTHREADS * NCALLS);
  assert_int_equal(out_of_order, 0);
  for (i = 0; i < NTHREADS; i++)
    assert_int_equal(next_seq[i], NCALLS);
}

static void stopper(void *ud) {
  uv_sleep(20);
  assert_int_equal(acore_loop_stop(ud), ACORE_OK);
}

static void test_threadsafe_stop_from_another_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  uv_thread_t th;

  acore_loop_hold(loop); /* would run forever */
  uv_thread_create(&th, stopper, loop);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  uv_thread_join(&th);
  acore_loop_release(loop);
}

static void refs_thread(void *ud) {
  acore_loop_t *loop = ud;
  int i;

  for (i = 0; i < 1000; i++)
    acore_loop_unref(acore_loop_ref(loop));
}

static void test_threadsafe_refcounts(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  uv_thread_t th[4];
  int i;

  for (i = 0; i < 4; i++)
    uv_thread_create(&th[i], refs_thread, loop);
  for (i = 0; i < 4; i++)
    uv_thread_join(&th[i]);
  assert_int_equal(acore_loop_is_closed(loop), 0);
}

typedef struct handles {
  acore_error_t *err;
  acore_task_t *task;
  acore_group_t *grp;
  uv_sem_t main_done; /* the loop thread no longer uses them */
  int ok;
} handles;

static void use_and_drop(void *ud) {
  handles *h = ud;
  int i;

  for (i = 0; i < 1000; i++) {
    acore_error_unref(acore_error_ref(h->err));
    acore_task_unref(acore_task_ref(h->task));
    acore_group_unref(acore_group_ref(h->grp));
  }
  h->ok = acore_error_code(h->err) == ACORE_EIO &&
          strcmp(acore_error_message(h->err), "m") == 0 &&
          acore_task_future(h->task) != NULL &&
          acore_group_future(h->grp) != NULL;
  uv_sem_wait(&h->main_done);
  acore_error_unref(h->err); /* the last references */
  acore_task_unref(h->task);
  acore_group_unref(h->grp);
}

static int finish_step(acore_task_t *t, void *ud) {
  (void)ud;
  return acore_task_return_int(t, 1);
}

/* "Thread: any": errors, tasks and groups are referenced, read and finally
 * released on another thread while the loop thread does the same. */
static void test_threadsafe_handles_released_elsewhere(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  handles h = {0};
  uv_thread_t th;
  int i;

  assert_int_equal(acore_error_new(ACORE_EIO, "m", &h.err), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, finish_step, NULL, NULL, &h.task),
                   ACORE_OK);
  assert_int_equal(acore_group_new(loop, &h.grp), ACORE_OK);
  assert_int_equal(acore_group_seal(h.grp), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_is_done(acore_group_future(h.grp)), 1);
  assert_int_equal(acore_future_result(acore_task_future(h.task), NULL),
                   ACORE_OK);
  assert_int_equal(uv_sem_init(&h.main_done, 0), 0);
  /* Our own references while both threads use them; the other thread's
   * (the creation references) are dropped last, after ours. */
  acore_error_ref(h.err);
  acore_task_ref(h.task);
  acore_group_ref(h.grp);
  assert_int_equal(uv_thread_create(&th, use_and_drop, &h), 0);
  for (i = 0; i < 1000; i++) {
    acore_error_unref(acore_error_ref(h.err));
    acore_task_unref(acore_task_ref(h.task));
    acore_group_unref(acore_group_ref(h.grp));
  }
  acore_error_unref(h.err);
  acore_task_unref(h.task);
  acore_group_unref(h.grp);
  uv_sem_post(&h.main_done);
  uv_thread_join(&th);
  uv_sem_destroy(&h.main_done);
  assert_int_equal(h.ok, 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* deferred frees */
}

static void late_call(void *ud) {
  (void)ud;
  total++;
}

static void test_threadsafe_after_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  tu_frees = 0;
  assert_int_equal(acore_loop_call_soon_threadsafe(loop, late_call, NULL,
                                                   tu_count_free), ACORE_OK);
  acore_loop_close(loop); /* queued but never run: freed */
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_loop_call_soon_threadsafe(loop, late_call, NULL,
                                                   tu_count_free),
                   ACORE_ECLOSED);
  assert_int_equal(tu_frees, 2);
  assert_int_equal(acore_loop_stop(loop), ACORE_ECLOSED);
  assert_int_equal(acore_loop_hold(loop), ACORE_ECLOSED);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup, tu_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_threadsafe_8_threads_order_kept),
    T(test_threadsafe_stop_from_another_thread),
    T(test_threadsafe_refcounts),
    T(test_threadsafe_handles_released_elsewhere),
    T(test_threadsafe_after_close),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
