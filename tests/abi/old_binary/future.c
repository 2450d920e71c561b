/* SPDX-License-Identifier: MIT */
/* future.c - futures: states, typed results, errors, done callbacks. */
#include "ob.h"

#include <string.h>

static void on_done(acore_future_t *fut, void *ud) {
  CHECK(acore_future_is_done(fut) == 1);
  ob_log_add(*(const char *)ud);
}

static int value_freed;
static void value_free(void *v) { value_freed += v == &value_freed; }

static void results(acore_loop_t *loop) {
  acore_future_t *f = NULL;
  void *p = NULL;
  const void *data = NULL;
  size_t len = 0;
  double d = 0;
  int64_t v = 0;

  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_loop(f) == loop && acore_future_loop(NULL) == NULL);
  CHECK(acore_future_state(f) == ACORE_FUTURE_PENDING && acore_future_is_done(f) == 0);
  CHECK(acore_future_result(f, &p) == ACORE_EINVALIDSTATE);
  CHECK(acore_future_result_kind(f) == ACORE_VALUE_NONE);
  CHECK(acore_future_set_result(f, &value_freed, value_free) == ACORE_OK);
  CHECK(acore_future_state(f) == ACORE_FUTURE_RESULT);
  CHECK(acore_future_result_kind(f) == ACORE_VALUE_PTR);
  CHECK(acore_future_result(f, &p) == ACORE_OK && p == &value_freed);
  CHECK(acore_future_result_int(f, &v) == ACORE_ETYPE);
  CHECK(acore_future_steal_result(f, NULL, &p) == ACORE_ETYPE);
  CHECK(acore_future_steal_result(f, value_free, &p) == ACORE_OK && p == &value_freed);
  CHECK(acore_future_result(f, &p) == ACORE_OK && p == NULL);
  CHECK(acore_future_ref(f) == f);
  acore_future_unref(f);
  acore_future_unref(f);
  CHECK(value_freed == 0); /* stolen: the caller owns it */

  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_set_result(f, &value_freed, value_free) == ACORE_OK);
  acore_future_unref(f);
  CHECK(value_freed == 1);

  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_set_int(f, -42) == ACORE_OK);
  CHECK(acore_future_set_int(f, 1) == ACORE_EINVALIDSTATE);
  CHECK(acore_future_result_kind(f) == ACORE_VALUE_INT);
  CHECK(acore_future_result_int(f, &v) == ACORE_OK && v == -42);
  acore_future_unref(f);
  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_set_double(f, 2.5) == ACORE_OK);
  CHECK(acore_future_result_kind(f) == ACORE_VALUE_DOUBLE);
  CHECK(acore_future_result_double(f, &d) == ACORE_OK && d == 2.5);
  acore_future_unref(f);
  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_set_bytes(f, "abc", 3) == ACORE_OK);
  CHECK(acore_future_result_kind(f) == ACORE_VALUE_BYTES);
  CHECK(acore_future_result_bytes(f, &data, &len) == ACORE_OK && len == 3);
  CHECK(data != NULL && memcmp(data, "abc", 4) == 0);
  acore_future_unref(f);
}

static void failures(acore_loop_t *loop) {
  acore_future_t *f = NULL;
  acore_error_t *e = NULL;
  void *p = NULL;

  CHECK(acore_error_new(ACORE_EHOST, "mine", &e) == ACORE_OK);
  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_set_error(f, e) == ACORE_OK);
  CHECK(acore_future_state(f) == ACORE_FUTURE_ERROR);
  CHECK(acore_future_error(f) == e);
  CHECK(acore_future_result(f, &p) == ACORE_EHOST);
  acore_future_unref(f);
  acore_error_unref(e);
  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_set_error_code(f, 1, NULL) == ACORE_EINVAL);
  CHECK(acore_future_set_error_code(f, ACORE_ETIMEDOUT, "late") == ACORE_OK);
  CHECK(acore_error_code(acore_future_error(f)) == ACORE_ETIMEDOUT);
  CHECK(strcmp(acore_error_message(acore_future_error(f)), "late") == 0);
  acore_future_unref(f);
  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_cancel_message(f) == NULL);
  CHECK(acore_future_cancel(f, "stop") == 1);
  CHECK(acore_future_cancel(f, "again") == 0);
  CHECK(acore_future_state(f) == ACORE_FUTURE_CANCELLED && acore_future_is_cancelled(f) == 1);
  CHECK(strcmp(acore_future_cancel_message(f), "stop") == 0);
  CHECK(acore_future_result(f, &p) == ACORE_ECANCELLED);
  CHECK(acore_future_is_task(f) == 0);
  acore_future_unref(f);
}

static void callbacks(acore_loop_t *loop) {
  acore_future_t *f = NULL;

  ob_log_reset();
  ob_freed = 0;
  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_add_done_callback(f, on_done, OB_ID(1), ob_count_free) == ACORE_OK);
  CHECK(acore_future_add_done_callback(f, on_done, OB_ID(2), ob_count_free) == ACORE_OK);
  CHECK(acore_future_add_done_callback(f, on_done, OB_ID(9), ob_count_free) == ACORE_OK);
  CHECK(acore_future_add_done_callback(f, on_done, OB_ID(3), ob_count_free) == ACORE_OK);
  CHECK(acore_future_remove_done_callback(f, on_done, OB_ID(9)) == 1 && ob_freed == 1);
  CHECK(acore_future_set_int(f, 1) == ACORE_OK);
  CHECK(acore_future_add_done_callback(f, on_done, OB_ID(4), ob_count_free) == ACORE_OK);
  CHECK(ob_log[0] == '\0'); /* never inside the call */
  CHECK(acore_future_remove_done_callback(f, on_done, OB_ID(4)) == 0);
  acore_loop_run(loop);
  CHECK(strcmp(ob_log, "1234") == 0);
  CHECK(ob_freed == 5);
  acore_future_unref(f);
}

/* A host value is read back only with the destructor it was stored with. */
static int tag_freed;
static void tag_a(void *v) { tag_freed += v == &tag_freed; }
static void tag_b(void *v) { (void)v; }

static void tagged(acore_loop_t *loop) {
  acore_future_t *f = NULL;
  void *p = NULL;

  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_result_tagged(f, tag_a, &p) == ACORE_EINVALIDSTATE);
  CHECK(acore_future_set_result(f, &tag_freed, tag_a) == ACORE_OK);
  CHECK(acore_future_result_tagged(f, tag_b, &p) == ACORE_ETYPE && p == NULL);
  CHECK(acore_future_result_tagged(f, tag_a, &p) == ACORE_OK && p == &tag_freed);
  CHECK(acore_future_result_tagged(f, NULL, &p) == ACORE_EINVAL);
  acore_future_unref(f);
  CHECK(tag_freed == 1);
}

void ob_future(void) {
  acore_loop_t *loop = ob_vloop();

  results(loop);
  failures(loop);
  callbacks(loop);
  tagged(loop);
  ob_vloop_done(loop);
}
