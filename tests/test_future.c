/* SPDX-License-Identifier: MIT */
/* test_future.c - futures: completion exactly once, values, errors, done
 * callbacks never run synchronously, unretrieved errors are reported. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

static int calls[16];
static int ncalls;

static void record(acore_future_t *f, void *ud) {
  (void)f;
  if (ncalls < 16)
    calls[ncalls++] = (int)(intptr_t)ud;
}

static void test_future_done_callbacks_never_synchronous(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  ncalls = 0;
  acore_future_new(loop, &f);
  acore_future_add_done_callback(f, record, (void *)1, NULL);
  acore_future_add_done_callback(f, record, (void *)2, NULL);
  assert_int_equal(acore_future_set_int(f, 5), ACORE_OK);
  assert_int_equal(ncalls, 0); /* not inside set_result */
  acore_future_add_done_callback(f, record, (void *)3, NULL);
  assert_int_equal(ncalls, 0); /* not inside add on a done future */
  acore_loop_run(loop);
  assert_int_equal(ncalls, 3);
  assert_int_equal(calls[0], 1); /* registration order */
  assert_int_equal(calls[1], 2);
  assert_int_equal(calls[2], 3);
  acore_future_unref(f);
}

static void test_future_cancel_callbacks_not_synchronous(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  ncalls = 0;
  acore_future_new(loop, &f);
  acore_future_add_done_callback(f, record, (void *)1, NULL);
  assert_int_equal(acore_future_cancel(f, "stop it"), 1);
  assert_int_equal(ncalls, 0);
  acore_loop_run(loop);
  assert_int_equal(ncalls, 1);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_CANCELLED);
  assert_int_equal(acore_future_is_cancelled(f), 1);
  assert_string_equal(acore_future_cancel_message(f), "stop it");
  assert_int_equal(acore_future_result(f, NULL), ACORE_ECANCELLED);
  acore_future_unref(f);
}

static void test_future_completes_once(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  acore_error_t *err;
  int64_t v;

  acore_future_new(loop, &f);
  assert_int_equal(acore_future_result(f, NULL), ACORE_EINVALIDSTATE);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_PENDING);
  assert_int_equal(acore_future_set_int(f, 1), ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 2), ACORE_EINVALIDSTATE);
  assert_int_equal(acore_future_set_double(f, 2), ACORE_EINVALIDSTATE);
  assert_int_equal(acore_future_set_bytes(f, "x", 1), ACORE_EINVALIDSTATE);
  assert_int_equal(acore_future_set_result(f, NULL, NULL),
                   ACORE_EINVALIDSTATE);
  acore_error_new(ACORE_EIO, NULL, &err);
  assert_int_equal(acore_future_set_error(f, err), ACORE_EINVALIDSTATE);
  assert_int_equal(acore_future_set_error_code(f, ACORE_EIO, NULL),
                   ACORE_EINVALIDSTATE);
  acore_error_unref(err);
  assert_int_equal(acore_future_cancel(f, NULL), 0); /* not cancelled */
  assert_int_equal(acore_future_result_int(f, &v), ACORE_OK);
  assert_int_equal(v, 1);
  acore_future_unref(f);
}

static void free_string(void *p) { free(p); }

static void test_future_values(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fi, *fd, *fb, *fp, *fn;
  int64_t i;
  double d;
  const void *data;
  size_t len;
  void *p;

  acore_future_new(loop, &fi);
  acore_future_new(loop, &fd);
  acore_future_new(loop, &fb);
  acore_future_new(loop, &fp);
  acore_future_new(loop, &fn);
  acore_future_set_int(fi, INT64_MIN);
  acore_future_set_double(fd, 2.5);
  acore_future_set_bytes(fb, "a\0b", 3);
  acore_future_set_result(fp, strdup("owned"), free_string);
  acore_future_set_result(fn, NULL, NULL);
  assert_int_equal(acore_future_result_kind(fi), ACORE_VALUE_INT);
  assert_int_equal(acore_future_result_kind(fd), ACORE_VALUE_DOUBLE);
  assert_int_equal(acore_future_result_kind(fb), ACORE_VALUE_BYTES);
  assert_int_equal(acore_future_result_kind(fp), ACORE_VALUE_PTR);
  assert_int_equal(acore_future_result_kind(fn), ACORE_VALUE_NONE);
  assert_int_equal(acore_future_result_int(fi, &i), ACORE_OK);
  assert_true(i == INT64_MIN);
  assert_int_equal(acore_future_result_double(fd, &d), ACORE_OK);
  assert_true(d == 2.5);
  assert_int_equal(acore_future_result_bytes(fb, &data, &len), ACORE_OK);
  assert_int_equal(len, 3);
  assert_memory_equal(data, "a\0b", 4); /* NUL-terminated */
  assert_int_equal(acore_future_result(fp, &p), ACORE_OK);
  assert_string_equal(p, "owned");
  assert_int_equal(acore_future_result(fi, &p), ACORE_OK);
  assert_null(p); /* a number is not a pointer */
  assert_int_equal(acore_future_result_int(fd, &i), ACORE_ETYPE);
  assert_int_equal(acore_future_result_double(fi, &d), ACORE_ETYPE);
  assert_int_equal(acore_future_result_bytes(fi, &data, &len), ACORE_ETYPE);
  acore_future_unref(fi);
  acore_future_unref(fd);
  acore_future_unref(fb);
  acore_future_unref(fp); /* frees the string */
  acore_future_unref(fn);
}

static void test_future_steal_result(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  void *p = NULL;
  char *s = strdup("mine");

  acore_future_new(loop, &f);
  acore_future_set_result(f, s, free_string);
  assert_int_equal(acore_future_steal_result(f, tu_count_free, &p),
                   ACORE_ETYPE); /* another binding's tag */
  assert_int_equal(acore_future_steal_result(f, free_string, &p), ACORE_OK);
  assert_ptr_equal(p, s);
  assert_int_equal(acore_future_steal_result(f, free_string, &p),
                   ACORE_ETYPE); /* once */
  assert_int_equal(acore_future_result(f, &p), ACORE_OK);
  assert_null(p);
  acore_future_unref(f); /* does not free s: stolen */
  free(s);
}

static void test_future_error_same_object(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  acore_error_t *err;
  tu_reports r;

  tu_capture_reports(loop, &r);
  acore_future_new(loop, &f);
  assert_null(acore_future_error(f));
  acore_error_new(ACORE_ETIMEDOUT, "too slow", &err);
  assert_int_equal(acore_future_set_error(f, err), ACORE_OK);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_ERROR);
  assert_int_equal(acore_future_result(f, NULL), ACORE_ETIMEDOUT);
  assert_ptr_equal(acore_future_error(f), err);
  acore_error_unref(err);
  acore_future_unref(f);
  assert_int_equal(r.count, 0); /* it was retrieved */
}

static void test_future_unretrieved_error_reported(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  tu_reports r;

  tu_capture_reports(loop, &r);
  acore_future_new(loop, &f);
  acore_future_set_error_code(f, ACORE_EIO, "disk on fire");
  acore_future_ref(f);
  acore_future_unref(f);
  assert_int_equal(r.count, 0); /* only at the last unref */
  acore_future_unref(f);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.last_kind, ACORE_REPORT_UNRETRIEVED);
  assert_int_equal(r.last_code, ACORE_EIO);
}

static acore_future_t *closing_f;

/* A cleanup that removes the future's other callbacks and closes its
 * loop (which drops every registration left). */
static void remove_others_and_close(void *ud) {
  (void)ud;
  tu_frees++;
  assert_int_equal(acore_future_remove_done_callback(closing_f, record,
                                                     (void *)2), 1);
  assert_int_equal(acore_loop_close(acore_future_loop(closing_f)), ACORE_OK);
}

/* remove_done_callback runs the removed callbacks' cleanups after its
 * walk: a cleanup that changes the future's callbacks, or closes the loop
 * and so drops them, does not pull the next record from under it. */
static void test_future_remove_done_callback_cleanup_reenters(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  tu_frees = 0;
  assert_int_equal(acore_future_new(loop, &closing_f), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(closing_f, record, NULL,
                                                  remove_others_and_close),
                   ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(closing_f, record,
                                                  (void *)2, tu_count_free),
                   ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(closing_f, record,
                                                  (void *)3, tu_count_free),
                   ACORE_OK);
  assert_int_equal(acore_future_remove_done_callback(closing_f, record, NULL),
                   1);
  assert_int_equal(tu_frees, 3); /* its own, the one it removed, the closed */
  acore_future_unref(closing_f);
}

static void test_future_remove_done_callback(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  ncalls = 0;
  tu_frees = 0;
  acore_future_new(loop, &f);
  acore_future_add_done_callback(f, record, (void *)1, tu_count_free);
  acore_future_add_done_callback(f, record, (void *)2, tu_count_free);
  acore_future_add_done_callback(f, record, (void *)1, tu_count_free);
  assert_int_equal(acore_future_remove_done_callback(f, record, (void *)1), 2);
  assert_int_equal(tu_frees, 2);
  assert_int_equal(acore_future_remove_done_callback(f, record, (void *)9), 0);
  acore_future_set_int(f, 0);
  acore_loop_run(loop);
  assert_int_equal(ncalls, 1);
  assert_int_equal(calls[0], 2);
  assert_int_equal(tu_frees, 3);
  acore_future_unref(f);
}

static void test_future_callbacks_dropped_with_future(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  tu_frees = 0;
  ncalls = 0;
  acore_future_new(loop, &f);
  acore_future_add_done_callback(f, record, NULL, tu_count_free);
  acore_future_unref(f); /* nobody can complete it any more */
  assert_int_equal(tu_frees, 1);
  acore_loop_run(loop);
  assert_int_equal(ncalls, 0);
}

static void unref_in_callback(acore_future_t *f, void *ud) {
  (void)ud;
  acore_future_unref(f); /* the last user reference, inside its callback */
  ncalls++;
}

static void test_future_unref_inside_callback(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  ncalls = 0;
  acore_future_new(loop, &f);
  acore_future_add_done_callback(f, unref_in_callback, NULL, NULL);
  acore_future_add_done_callback(f, record, NULL, NULL);
  acore_future_set_int(f, 1);
  acore_loop_run(loop);
  assert_int_equal(ncalls, 2);
}

/* More queued callbacks than the 255 pins: the rest hold real references,
 * so the future outlives its last user reference until the last one ran. */
enum { MANY_CBS = 300 };
static acore_future_t *many_fut;
static int many_runs;

static void many_cb(acore_future_t *f, void *ud) {
  acore_future_t *other;
  int64_t v = -1;

  assert_ptr_equal(f, many_fut);
  assert_int_equal((int)(intptr_t)ud, many_runs); /* in registration order */
  assert_int_equal(acore_future_result_int(f, &v), ACORE_OK);
  assert_int_equal(v, 42);
  /* A future made now must not take the memory of the live one. */
  assert_int_equal(acore_future_new(acore_future_loop(f), &other), ACORE_OK);
  assert_ptr_not_equal(other, f);
  acore_future_unref(other);
  many_runs++;
}

static void test_future_many_queued_callbacks_outlive_last_ref(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  int i;

  tu_frees = 0;
  many_runs = 0;
  assert_int_equal(acore_future_new(loop, &many_fut), ACORE_OK);
  for (i = 0; i < MANY_CBS; i++)
    assert_int_equal(acore_future_add_done_callback(many_fut, many_cb,
                                                    (void *)(intptr_t)i,
                                                    tu_count_free), ACORE_OK);
  assert_int_equal(acore_future_set_int(many_fut, 42), ACORE_OK);
  acore_future_unref(many_fut); /* the last user reference, all queued */
  assert_int_equal(many_runs, 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(many_runs, MANY_CBS);
  assert_int_equal(tu_frees, MANY_CBS);
  /* teardown: the future was freed (no leak) */
}

/* A done future already pinned 255 times: a callback without ud_free
 * gets a record holding a reference, not the slot (whose pin would
 * overflow); all run in order and the future goes after the last. */
static void test_future_first_slot_past_255_pins(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  int i;

  tu_frees = 0;
  many_runs = 0;
  assert_int_equal(acore_future_new(loop, &many_fut), ACORE_OK);
  assert_int_equal(acore_future_set_int(many_fut, 42), ACORE_OK);
  for (i = 0; i < 255; i++)
    assert_int_equal(acore_future_add_done_callback(many_fut, many_cb,
                                                    (void *)(intptr_t)i,
                                                    tu_count_free), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(many_fut, many_cb,
                                                  (void *)(intptr_t)255, NULL),
                   ACORE_OK);
  acore_future_unref(many_fut);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(many_runs, 256);
  assert_int_equal(tu_frees, 255);
  /* teardown: the future was freed (no leak) */
}

static void unref_thread(void *ud) { acore_future_unref(ud); }

static void test_future_unref_on_another_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  uv_thread_t th;
  tu_reports r;

  tu_capture_reports(loop, &r);
  acore_future_new(loop, &f);
  acore_future_set_error_code(f, ACORE_EIO, NULL);
  uv_thread_create(&th, unref_thread, f);
  uv_thread_join(&th);
  assert_int_equal(r.count, 0); /* destruction deferred to the loop */
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(r.count, 1);
}

static void test_future_is_task(void **state) {
  acore_future_t *f;

  acore_future_new(TU_LOOP(state), &f);
  assert_int_equal(acore_future_is_task(f), 0);
  assert_null(acore_task_from_future(f));
  assert_ptr_equal(acore_future_loop(f), TU_LOOP(state));
  assert_ptr_equal(acore_future_ref(f), f);
  acore_future_unref(f);
  acore_future_unref(f);
}

static void test_future_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  int64_t i;
  double d;
  const void *data;
  void *p;

  tu_frees = 0;
  acore_future_new(loop, &f);
  assert_int_equal(acore_future_new(NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_future_new(loop, NULL), ACORE_EINVAL);
  assert_null(acore_future_ref(NULL));
  acore_future_unref(NULL);
  assert_null(acore_future_loop(NULL));
  assert_int_equal(acore_future_state(NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_is_done(NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_is_cancelled(NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_set_result(NULL, NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_set_int(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_future_set_double(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_future_set_bytes(NULL, "", 0), ACORE_EINVAL);
  assert_int_equal(acore_future_set_bytes(f, NULL, 3), ACORE_EINVAL);
  assert_int_equal(acore_future_set_error(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_set_error(f, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_set_error_code(NULL, -1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_set_error_code(f, 0, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_set_error_code(f, 5, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_cancel(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_result(NULL, &p), ACORE_EINVAL);
  assert_int_equal(acore_future_result_kind(NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_result_int(NULL, &i), ACORE_EINVAL);
  assert_int_equal(acore_future_result_int(f, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_result_double(NULL, &d), ACORE_EINVAL);
  assert_int_equal(acore_future_result_double(f, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_result_bytes(NULL, &data, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_result_bytes(f, NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_steal_result(NULL, free_string, &p),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_steal_result(f, free_string, NULL),
                   ACORE_EINVAL);
  assert_null(acore_future_error(NULL));
  assert_null(acore_future_cancel_message(NULL));
  assert_int_equal(acore_future_add_done_callback(NULL, record, NULL,
                                                  tu_count_free),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_add_done_callback(f, NULL, NULL,
                                                  tu_count_free),
                   ACORE_EINVAL);
  assert_int_equal(tu_frees, 2);
  assert_int_equal(acore_future_remove_done_callback(NULL, record, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_remove_done_callback(f, NULL, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_is_task(NULL), ACORE_EINVAL);
  /* None of it changed the future. */
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_PENDING);
  acore_future_unref(f);
}

/* The copies a completion makes (a cancel message, a new error, bytes)
 * fail: ENOMEM, the future is still pending and nothing was scheduled. */
static void test_future_enomem(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  ncalls = 0;
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(f, record, NULL, NULL),
                   ACORE_OK);
  tu_alloc_fail_at(1);
  assert_int_equal(acore_future_cancel(f, "why"), ACORE_ENOMEM);
  tu_alloc_fail_at(1);
  assert_int_equal(acore_future_set_error_code(f, ACORE_EIO, "m"),
                   ACORE_ENOMEM);
  tu_alloc_fail_at(1);
  assert_int_equal(acore_future_set_bytes(f, "abc", 3), ACORE_ENOMEM);
  tu_alloc_fail_at(0);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_PENDING);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(ncalls, 0);
  assert_int_equal(acore_future_cancel(f, "why"), 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(ncalls, 1);
  assert_string_equal(acore_future_cancel_message(f), "why");
  acore_future_unref(f);
}

static void record_call(void *ud) { record(NULL, ud); }

/* A done callback added to a done future is queued behind what is already
 * queued (asyncio's call_soon order); removing it then finds nothing. */
static void test_future_callback_on_done_future_queued_behind(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  ncalls = 0;
  acore_future_new(loop, &f);
  acore_future_add_done_callback(f, record, (void *)1, NULL);
  acore_loop_call_soon(loop, record_call, (void *)2, NULL, NULL);
  acore_future_set_int(f, 0);
  acore_loop_call_soon(loop, record_call, (void *)3, NULL, NULL);
  acore_future_add_done_callback(f, record, (void *)4, NULL);
  acore_loop_call_soon(loop, record_call, (void *)5, NULL, NULL);
  assert_int_equal(acore_future_remove_done_callback(f, record, (void *)4), 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(ncalls, 5);
  assert_int_equal(calls[0], 2); /* queued before the completion */
  assert_int_equal(calls[1], 1); /* queued by the completion */
  for (int i = 2; i < 5; i++)
    assert_int_equal(calls[i], i + 1);
  acore_future_unref(f);
}

static int fail_step(acore_task_t *t, void *ud) {
  (void)ud;
  return acore_task_fail_code(t, ACORE_EIO, "failed");
}

/* asyncio (bpo-30508): cancelling a failed future or task - a no-op -
 * counts as reading its error, so it is not reported as never retrieved. */
static void test_future_cancel_failed_counts_as_retrieved(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  acore_task_t *t;
  tu_reports r;

  tu_capture_reports(loop, &r);
  acore_future_new(loop, &f);
  acore_future_set_error_code(f, ACORE_EIO, "lost");
  assert_int_equal(acore_future_cancel(f, "late"), 0);
  acore_future_unref(f);
  assert_int_equal(r.count, 0);
  assert_int_equal(acore_task_spawn(loop, fail_step, NULL, NULL, &t), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_state(acore_task_future(t)), ACORE_FUTURE_ERROR);
  assert_int_equal(acore_task_cancel(t, NULL), 0);
  acore_task_unref(t);
  assert_int_equal(r.count, 0);
}

/* ---- the first callback's slot (a plain future keeps one registration
 * without ud_free in itself) ---------------------------------------------- */

/* Freeing the slot (remove) after later registrations: a new one still
 * runs after them, and a removal finds the slot and the records alike. */
static void test_future_first_slot_keeps_registration_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *g;

  ncalls = 0;
  tu_frees = 0;
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  acore_future_add_done_callback(f, record, (void *)1, NULL); /* the slot */
  acore_future_add_done_callback(f, record, (void *)2, tu_count_free);
  acore_future_add_done_callback(f, record, (void *)3, NULL);
  assert_int_equal(acore_future_remove_done_callback(f, record, (void *)1), 1);
  acore_future_add_done_callback(f, record, (void *)4, NULL);
  acore_future_add_done_callback(f, record, (void *)3, NULL);
  assert_int_equal(acore_future_remove_done_callback(f, record, (void *)3), 2);
  assert_int_equal(acore_future_new(loop, &g), ACORE_OK);
  acore_future_add_done_callback(g, record, (void *)8, NULL);
  assert_int_equal(acore_future_remove_done_callback(g, record, (void *)8), 1);
  acore_future_add_done_callback(g, record, (void *)5, NULL); /* slot again */
  acore_future_add_done_callback(g, record, (void *)6, NULL);
  acore_future_set_int(g, 0);
  acore_future_set_int(f, 0);
  assert_int_equal(acore_future_remove_done_callback(f, record, (void *)2), 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(ncalls, 4);
  assert_int_equal(calls[0], 5);
  assert_int_equal(calls[1], 6);
  assert_int_equal(calls[2], 2);
  assert_int_equal(calls[3], 4);
  assert_int_equal(tu_frees, 1);
  acore_future_unref(f);
  acore_future_unref(g);
}

static int first_step(acore_task_t *t, void *ud) {
  acore_future_t *f = ud;

  if (acore_task_awaited(t) == NULL)
    return acore_task_await_take(t, acore_future_ref(f));
  record(NULL, (void *)9);
  return ACORE_TASK_DONE;
}

/* A task that awaits the future, before or after the slot's callback was
 * registered, resumes in its registration order too. */
static void test_future_first_slot_and_awaiting_task(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *g;
  acore_task_t *t, *u;

  ncalls = 0;
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_new(loop, &g), ACORE_OK);
  acore_future_add_done_callback(f, record, (void *)1, NULL);
  assert_int_equal(acore_task_spawn(loop, first_step, f, NULL, &t), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, first_step, g, NULL, &u), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* both wait */
  acore_future_add_done_callback(f, record, (void *)2, NULL);
  acore_future_add_done_callback(g, record, (void *)3, NULL);
  acore_future_set_int(f, 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  acore_future_set_int(g, 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(ncalls, 5);
  assert_int_equal(calls[0], 1);
  assert_int_equal(calls[1], 9);
  assert_int_equal(calls[2], 2);
  assert_int_equal(calls[3], 9); /* g: the task registered first */
  assert_int_equal(calls[4], 3);
  acore_task_unref(t);
  acore_task_unref(u);
  acore_future_unref(f);
  acore_future_unref(g);
}

static int again_left;

/* Registers itself again on its done future while the slot's item runs. */
static void again(acore_future_t *f, void *ud) {
  record(f, ud);
  if (--again_left > 0)
    assert_int_equal(acore_future_add_done_callback(
                         f, again, (void *)(intptr_t)(again_left + 10), NULL),
                     ACORE_OK);
}

/* On a done future the slot queues at once, frees when its callback runs,
 * and serves a registration made by that very callback (re-entrancy); the
 * last user reference may go meanwhile. */
static void test_future_first_slot_reused_from_its_callback(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  ncalls = 0;
  again_left = 3;
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  acore_future_set_int(f, 7);
  acore_future_add_done_callback(f, again, (void *)1, NULL);
  acore_future_add_done_callback(f, record, (void *)2, NULL);
  acore_future_unref(f); /* the queued callbacks keep it */
  assert_int_equal(ncalls, 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(ncalls, 4);
  assert_int_equal(calls[0], 1);
  assert_int_equal(calls[1], 2);
  assert_int_equal(calls[2], 12);
  assert_int_equal(calls[3], 11);
}

/* Loop close: a slot armed on a pending future, and one queued on a done
 * future, never run; both futures are freed (teardown checks the live
 * count). */
static void test_future_first_slot_dropped_at_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *g, *h;

  ncalls = 0;
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_new(loop, &g), ACORE_OK);
  assert_int_equal(acore_future_new(loop, &h), ACORE_OK);
  acore_future_add_done_callback(f, record, (void *)1, NULL);
  acore_future_add_done_callback(g, record, (void *)2, NULL);
  acore_future_add_done_callback(h, record, (void *)3, NULL);
  acore_future_set_int(g, 1);
  acore_future_unref(g);
  assert_int_equal(acore_future_cancel(h, "x"), 1);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(ncalls, 0);
  assert_int_equal(acore_future_set_int(f, 1), ACORE_ECLOSED);
  assert_int_equal(acore_future_state(h), ACORE_FUTURE_CANCELLED);
  acore_future_unref(f);
  acore_future_unref(h);
  assert_int_equal(ncalls, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup, tu_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_future_done_callbacks_never_synchronous),
    T(test_future_cancel_callbacks_not_synchronous),
    T(test_future_completes_once),
    T(test_future_values),
    T(test_future_steal_result),
    T(test_future_error_same_object),
    T(test_future_unretrieved_error_reported),
    T(test_future_remove_done_callback),
    T(test_future_remove_done_callback_cleanup_reenters),
    T(test_future_callback_on_done_future_queued_behind),
    T(test_future_cancel_failed_counts_as_retrieved),
    T(test_future_callbacks_dropped_with_future),
    T(test_future_unref_inside_callback),
    T(test_future_many_queued_callbacks_outlive_last_ref),
    T(test_future_first_slot_past_255_pins),
    T(test_future_unref_on_another_thread),
    T(test_future_is_task),
    T(test_future_first_slot_keeps_registration_order),
    T(test_future_first_slot_and_awaiting_task),
    T(test_future_first_slot_reused_from_its_callback),
    T(test_future_first_slot_dropped_at_close),
    T(test_future_einval),
    cmocka_unit_test_setup_teardown(test_future_enomem, tu_setup_walk,
                                    tu_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
