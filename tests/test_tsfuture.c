/* SPDX-License-Identifier: MIT */
/* test_tsfuture.c - completing futures from other threads: applied on the
 * loop thread in call order, ignored (value freed) when the future is done
 * or not settable, dropped and freed at close, refused on a closed loop,
 * bad input and allocation failure. Runs under ThreadSanitizer in the test
 * command (label threads). */
#include "testutil.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static uv_thread_t loop_thread;
static int wrong_thread;

static void on_done_check_thread(acore_future_t *f, void *ud) {
  uv_thread_t self = uv_thread_self();
  int *order = ud;

  (void)f;
  if (!uv_thread_equal(&self, &loop_thread))
    wrong_thread++;
  if (order != NULL)
    (*order)++;
}

/* ---- from a user's thread -------------------------------------------------------- */

#define N 1000
typedef struct producer {
  acore_loop_t *loop;
  acore_future_t *f[N];
  int rc_bad;
} producer;

static void produce(void *arg) {
  producer *p = arg;
  int i;

  for (i = 0; i < N; i++)
    if (acore_future_set_int_threadsafe(p->f[i], i) != ACORE_OK)
      p->rc_bad++;
  if (acore_loop_release(p->loop) != ACORE_OK)
    p->rc_bad++;
}

static int seen_in_order, next_expected;
static void check_order(acore_future_t *f, void *ud) {
  int64_t v = -1;

  (void)ud;
  acore_future_result_int(f, &v);
  if (v == next_expected)
    seen_in_order++;
  next_expected++;
}

static void test_tsfuture_from_a_user_thread_in_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  producer p;
  uv_thread_t t;
  int i;

  memset(&p, 0, sizeof(p));
  p.loop = loop;
  loop_thread = uv_thread_self();
  wrong_thread = 0;
  seen_in_order = next_expected = 0;
  for (i = 0; i < N; i++) {
    assert_int_equal(acore_future_new(loop, &p.f[i]), ACORE_OK);
    assert_int_equal(acore_future_add_done_callback(p.f[i], check_order, NULL,
                                                    NULL), ACORE_OK);
    assert_int_equal(acore_future_add_done_callback(
                         p.f[i], on_done_check_thread, NULL, NULL), ACORE_OK);
  }
  assert_int_equal(acore_loop_hold(loop), ACORE_OK); /* released by it */
  assert_int_equal(uv_thread_create(&t, produce, &p), 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(uv_thread_join(&t), 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* after the release */
  assert_int_equal(p.rc_bad, 0);
  assert_int_equal(seen_in_order, N);
  assert_int_equal(wrong_thread, 0);
  for (i = 0; i < N; i++)
    acore_future_unref(p.f[i]);
}

/* ---- every kind ------------------------------------------------------------------ */

static int value_frees;
static void free_value(void *p) {
  value_frees++;
  free(p);
}

static void test_tsfuture_every_kind(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f[7];
  acore_error_t *err;
  const void *data;
  size_t len;
  double d;
  void *p;
  int i;

  value_frees = 0;
  for (i = 0; i < 7; i++)
    assert_int_equal(acore_future_new(loop, &f[i]), ACORE_OK);
  assert_int_equal(acore_error_new(ACORE_EBUSY, "busy", &err), ACORE_OK);
  assert_int_equal(acore_future_set_result_threadsafe(f[0], strdup("x"),
                                                      free_value), ACORE_OK);
  assert_int_equal(acore_future_set_double_threadsafe(f[1], 1.5), ACORE_OK);
  assert_int_equal(acore_future_set_bytes_threadsafe(f[2], "ab", 2), ACORE_OK);
  assert_int_equal(acore_future_set_error_threadsafe(f[3], err), ACORE_OK);
  acore_error_unref(err);
  assert_int_equal(acore_future_set_error_code_threadsafe(f[4], ACORE_EIO,
                                                          "io"), ACORE_OK);
  assert_int_equal(acore_future_cancel_threadsafe(f[5], "bye"), ACORE_OK);
  assert_int_equal(acore_future_set_result_threadsafe(f[6], NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_future_is_done(f[0]), 0); /* queued, not applied */
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_result(f[0], &p), ACORE_OK);
  assert_string_equal(p, "x");
  assert_int_equal(acore_future_result_double(f[1], &d), ACORE_OK);
  assert_true(d == 1.5);
  assert_int_equal(acore_future_result_bytes(f[2], &data, &len), ACORE_OK);
  assert_int_equal(len, 2);
  assert_int_equal(acore_future_result(f[3], NULL), ACORE_EBUSY);
  assert_int_equal(acore_future_result(f[4], NULL), ACORE_EIO);
  assert_int_equal(acore_future_is_cancelled(f[5]), 1);
  assert_string_equal(acore_future_cancel_message(f[5]), "bye");
  assert_int_equal(acore_future_result(f[6], &p), ACORE_OK);
  assert_null(p);
  assert_int_equal(value_frees, 0);
  for (i = 0; i < 7; i++)
    acore_future_unref(f[i]);
  assert_int_equal(value_frees, 1);
}

/* ---- done, refused, closed -------------------------------------------------------- */

static int step_forever(acore_task_t *t, void *ud) {
  (void)ud;
  if (acore_task_step_status(t) == ACORE_ECANCELLED)
    return acore_task_finish_cancelled(t);
  return acore_task_yield(t);
}

static void test_tsfuture_done_or_refused_frees_value(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  acore_task_t *t;

  value_frees = 0;
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 1), ACORE_OK);
  assert_int_equal(acore_future_set_result_threadsafe(f, strdup("x"),
                                                      free_value), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, step_forever, NULL, NULL, &t),
                   ACORE_OK);
  assert_int_equal(acore_future_set_result_threadsafe(
                       acore_task_future(t), strdup("y"), free_value),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(value_frees, 2); /* both ignored, values freed */
  assert_int_equal(acore_future_is_done(acore_task_future(t)), 0);
  /* a cancel request does reach a task */
  assert_int_equal(acore_future_cancel_threadsafe(acore_task_future(t), NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  acore_task_unref(t);
  acore_future_unref(f);
}

static void test_tsfuture_closed_loop(void **state) {
  long before = (tu_alloc_install(), tu_alloc_live());
  acore_loop_t *loop = tu_loop_new(0);
  acore_future_t *f, *g;
  char *keep = strdup("mine");

  (void)state;
  value_frees = 0;
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_new(loop, &g), ACORE_OK);
  /* queued, then the loop closes: the value is freed by the close */
  assert_int_equal(acore_future_set_result_threadsafe(f, strdup("q"),
                                                      free_value), ACORE_OK);
  assert_int_equal(acore_future_set_bytes_threadsafe(g, "b", 1), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(value_frees, 1);
  assert_int_equal(acore_future_is_done(f), 0);
  /* refused on a closed loop: the caller keeps its value */
  assert_int_equal(acore_future_set_result_threadsafe(f, keep, free_value),
                   ACORE_ECLOSED);
  assert_int_equal(value_frees, 1);
  assert_int_equal(acore_future_set_bytes_threadsafe(f, "b", 1),
                   ACORE_ECLOSED);
  assert_int_equal(acore_future_cancel_threadsafe(f, "m"), ACORE_ECLOSED);
  free(keep);
  acore_future_unref(f);
  acore_future_unref(g);
  acore_loop_unref(loop);
  assert_int_equal(tu_alloc_live(), before);
}

/* ---- executor jobs are refused, but can be cancelled --------------------------- */

static int wait_token(acore_work_t *w, void *ud) {
  atomic_int *started = ud;

  atomic_store(started, 1);
  while (!acore_work_is_cancelled(w))
    uv_sleep(1);
  return ACORE_ECANCELLED;
}

static void test_tsfuture_cancel_reaches_a_job(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  atomic_int started;
  int i;

  atomic_init(&started, 0);
  assert_int_equal(acore_run_in_executor(loop, NULL, wait_token, &started,
                                         NULL, &f), ACORE_OK);
  for (i = 0; i < 60000 && !atomic_load(&started); i++)
    uv_sleep(1);
  assert_int_equal(acore_future_set_int_threadsafe(f, 5), ACORE_OK);
  assert_int_equal(acore_future_cancel_threadsafe(f, NULL), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(f), 1);
  acore_future_unref(f);
}

/* ---- bad input and allocation failure ------------------------------------------ */

static void test_tsfuture_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_set_result_threadsafe(NULL, NULL, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_set_int_threadsafe(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_future_set_double_threadsafe(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_future_set_bytes_threadsafe(NULL, "", 0),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_set_bytes_threadsafe(f, NULL, 1),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_set_error_threadsafe(NULL, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_set_error_threadsafe(f, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_set_error_code_threadsafe(f, 0, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_set_error_code_threadsafe(NULL, -1, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_cancel_threadsafe(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_is_done(f), 0); /* nothing was queued */
  acore_future_unref(f);
}

/* Fail each allocation of each thread-safe call until it succeeds. */
static void test_tsfuture_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  int kind;

  for (kind = 0; kind < 4; kind++) {
    long nth;
    for (nth = 1;; nth++) {
      acore_future_t *f;
      char *v = strdup("v");
      int rc;

      value_frees = 0;
      assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
      tu_alloc_fail_at(nth);
      switch (kind) {
      case 0: rc = acore_future_set_result_threadsafe(f, v, free_value); break;
      case 1: rc = acore_future_set_bytes_threadsafe(f, "abc", 3); break;
      case 2: rc = acore_future_set_error_code_threadsafe(f, ACORE_EIO, "m");
              break;
      default: rc = acore_future_cancel_threadsafe(f, "m"); break;
      }
      tu_alloc_fail_at(0);
      assert_int_equal(acore_loop_run(loop), ACORE_OK);
      if (rc != ACORE_OK) {
        assert_int_equal(rc, ACORE_ENOMEM);
        assert_int_equal(acore_future_is_done(f), 0);
        assert_int_equal(value_frees, 0); /* the caller keeps it */
        free(v);
      } else {
        assert_int_equal(acore_future_is_done(f), 1);
        if (kind == 2)
          assert_int_equal(acore_future_result(f, NULL), ACORE_EIO);
        if (kind != 0)
          free(v);
      }
      acore_future_unref(f);
      if (rc == ACORE_OK)
        break;
    }
    assert_true(nth > 1);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup, tu_teardown)
    T(test_tsfuture_from_a_user_thread_in_order),
    T(test_tsfuture_every_kind),
    T(test_tsfuture_done_or_refused_frees_value),
    T(test_tsfuture_cancel_reaches_a_job),
    T(test_tsfuture_einval),
    T(test_tsfuture_alloc_failure_walk),
    cmocka_unit_test(test_tsfuture_closed_loop),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
