/* SPDX-License-Identifier: MIT */
/*
 * test_lifetime.c - objects that outlive their last reference, or not:
 * a future revived by its own done callback, a combinator released before
 * its timeout, a loop released inside a callback of a host's uv loop,
 * closing a loop from inside its own close, and scheduling from cleanups
 * that close runs. Most run over the quarantine allocator (no per-loop
 * cache, freed blocks never reused, writes to them detected).
 */
#include "quarantine.h"

#include <uv.h>

/* ---- a future kept by one of its own done callbacks ---- */

static acore_future_t *kept;

static void keep_cb(acore_future_t *f, void *ud) {
  (void)ud;
  kept = acore_future_ref(f);
}

static void count_cb(acore_future_t *f, void *ud) {
  (void)f;
  (*(int *)ud)++;
}

/* The producer drops the last reference while both callbacks are queued;
 * the first takes a new one: the future must live on. */
static void keep_then_release(acore_loop_t *loop) {
  acore_future_t *f;
  int64_t v = 0;
  int ran = 0;

  kept = NULL;
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(f, keep_cb, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(f, count_cb, &ran, NULL),
                   ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 42), ACORE_OK);
  acore_future_unref(f); /* the producer's, the last one */
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(ran, 1);
  assert_ptr_equal(kept, f);
  /* A new future may take the memory of a destroyed one. */
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 7), ACORE_OK);
  assert_int_equal(acore_future_state(kept), ACORE_FUTURE_RESULT);
  assert_int_equal(acore_future_result_int(kept, &v), ACORE_OK);
  assert_int_equal(v, 42);
  acore_future_unref(f);
  acore_future_unref(kept);
}

static void test_future_callback_keeps_future(void **state) {
  keep_then_release(TU_LOOP(state));
}

/* The same with the per-loop object cache on. */
static void test_future_callback_keeps_future_cached(void **state) {
  keep_then_release(TU_LOOP(state));
}

/* A callback that takes a reference and drops it again leaves the future
 * to be destroyed once the callbacks ran, exactly once. */
static void ref_unref_cb(acore_future_t *f, void *ud) {
  (void)ud;
  acore_future_unref(acore_future_ref(f));
}

static void test_future_callback_ref_unref_destroys_once(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(f, ref_unref_cb, NULL,
                                                  tu_count_free), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(f, ref_unref_cb, NULL,
                                                  tu_count_free), ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 1), ACORE_OK);
  acore_future_unref(f);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(tu_frees, 2);
  assert_true(tq_intact());
}

/* ---- combinators released before their timeout ---- */

enum { WAIT, WAIT_COUNT, AS_COMPLETED };

static void release_before_timeout(acore_loop_t *loop, int which) {
  acore_future_t *fs[2], *w = NULL;
  tu_reports r;
  int i;

  tu_capture_reports(loop, &r); /* as_completed's ETIMEDOUT, unread */
  for (i = 0; i < 2; i++)
    assert_int_equal(acore_future_new(loop, &fs[i]), ACORE_OK);
  switch (which) {
  case WAIT:
    assert_int_equal(acore_wait(loop, fs, 2, ACORE_WAIT_ALL_COMPLETED, 1.0,
                                &w), ACORE_OK);
    break;
  case WAIT_COUNT:
    assert_int_equal(acore_wait_at_least(loop, fs, 2, 1, 1.0, &w), ACORE_OK);
    break;
  default:
    assert_int_equal(acore_as_completed(loop, fs, 2, 1.0, NULL, NULL,
                                        tu_count_free, &w), ACORE_OK);
  }
  acore_future_unref(w);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(acore_loop_advance(loop, 2.0), ACORE_OK);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT); /* the timeout fires */
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_true(tq_intact());
  assert_int_equal(tu_frees, which == AS_COMPLETED);
  for (i = 0; i < 2; i++) {
    assert_int_equal(acore_future_is_done(fs[i]), 0); /* never cancelled */
    acore_future_unref(fs[i]);
  }
}

static void test_wait_released_before_timeout(void **state) {
  release_before_timeout(TU_LOOP(state), WAIT);
}

static void test_wait_count_released_before_timeout(void **state) {
  release_before_timeout(TU_LOOP(state), WAIT_COUNT);
}

static void test_as_completed_released_before_timeout(void **state) {
  release_before_timeout(TU_LOOP(state), AS_COMPLETED);
}

/* ---- a host's uv loop: the last loop reference dropped in a callback ---- */

static void drop_loop(void *ud) { acore_loop_unref(ud); }

static acore_loop_t *hosted_loop(uv_loop_t *uv) {
  acore_loop_options_t *opts;
  acore_loop_t *loop;

  assert_int_equal(acore_loop_options_new(&opts), ACORE_OK);
  assert_int_equal(acore_loop_options_set_uv_loop(opts, uv), ACORE_OK);
  assert_int_equal(acore_loop_new(opts, &loop), ACORE_OK);
  acore_loop_options_free(opts);
  return loop;
}

static void test_loop_unref_in_host_callback(void **state) {
  long live = tq_live();
  acore_loop_t *loop;
  uv_loop_t uv;
  int i;

  (void)state;
  assert_int_equal(uv_loop_init(&uv), 0);
  for (i = 0; i < 2; i++) { /* a call with a handle, then one without */
    acore_handle_t *h = NULL;

    loop = hosted_loop(&uv);
    assert_int_equal(acore_loop_call_soon(loop, drop_loop, loop, NULL,
                                          i == 0 ? &h : NULL), ACORE_OK);
    uv_run(&uv, UV_RUN_DEFAULT);
    acore_handle_unref(h);
    assert_true(tq_intact());
    assert_int_equal(tq_live(), live); /* the loop's memory is gone */
  }
  assert_int_equal(uv_loop_close(&uv), 0); /* acore's handles removed */
}

/* ---- close, re-entered; scheduling from its cleanups ---- */

typedef struct closer_ud {
  acore_loop_t *loop;
  int reenter; /* close again first */
  int close_rc, soon_rc, spawn_rc, later_rc, cb_rc;
} closer_ud;

static int never_step(acore_task_t *t, void *ud) {
  (void)ud;
  return acore_task_yield(t);
}

static void noop_call(void *ud) { (void)ud; }
static void noop_cb(acore_future_t *f, void *ud) { (void)f, (void)ud; }

/* A cleanup that close runs: close again, then try to schedule. */
static void close_from_cleanup(void *ud) {
  closer_ud *c = ud;
  acore_future_t *f;

  if (c->reenter)
    c->close_rc = acore_loop_close(c->loop);
  c->soon_rc = acore_loop_call_soon(c->loop, noop_call, NULL, tu_count_free,
                                    NULL);
  c->spawn_rc = acore_task_spawn(c->loop, never_step, NULL, tu_count_free,
                                 NULL);
  c->later_rc = acore_loop_call_later(c->loop, 1.0, noop_call, NULL,
                                      tu_count_free, NULL);
  c->cb_rc = ACORE_OK;
  if (acore_future_new(c->loop, &f) == ACORE_OK) { /* still works */
    c->cb_rc = acore_future_add_done_callback(f, noop_cb, NULL,
                                              tu_count_free);
    acore_future_unref(f);
  }
}

static void test_loop_close_reentered_from_cleanup(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  closer_ud c = {loop, 1, 1, 1, 1, 1, 1};

  assert_int_equal(acore_loop_call_soon(loop, noop_call, &c,
                                        close_from_cleanup, NULL), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(c.close_rc, ACORE_OK);
  assert_int_equal(acore_loop_is_closed(loop), 1);
}

static void test_loop_schedule_from_close_cleanup(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  closer_ud c = {loop, 0, 1, 1, 1, 1, 1};
  tu_reports r;

  tu_capture_reports(loop, &r); /* the pending task */
  /* From a task's cleanup. */
  assert_int_equal(acore_task_spawn(loop, never_step, &c, close_from_cleanup,
                                    NULL), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(c.soon_rc, ACORE_ECLOSED);
  assert_int_equal(c.spawn_rc, ACORE_ECLOSED);
  assert_int_equal(c.later_rc, ACORE_ECLOSED);
  assert_int_equal(c.cb_rc, ACORE_ECLOSED);
  assert_int_equal(tu_frees, 4); /* each refused item's ud_free ran */
}

static void test_loop_schedule_from_callback_cleanup_at_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  closer_ud c = {loop, 0, 1, 1, 1, 1, 1};
  acore_future_t *f;

  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(f, noop_cb, &c,
                                                  close_from_cleanup),
                   ACORE_OK);
  assert_int_equal(acore_loop_call_later(loop, 5.0, noop_call, NULL,
                                         tu_count_free, NULL), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(c.soon_rc, ACORE_ECLOSED);
  assert_int_equal(c.spawn_rc, ACORE_ECLOSED);
  assert_int_equal(tu_frees, 5);
  acore_future_unref(f);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
#define Q(name) cmocka_unit_test_setup_teardown(name, tq_setup, tq_teardown)
    Q(test_future_callback_keeps_future),
    cmocka_unit_test_setup_teardown(test_future_callback_keeps_future_cached,
                                    tu_setup_virtual, tu_teardown),
    Q(test_future_callback_ref_unref_destroys_once),
    Q(test_wait_released_before_timeout),
    Q(test_wait_count_released_before_timeout),
    Q(test_as_completed_released_before_timeout),
    Q(test_loop_unref_in_host_callback),
    Q(test_loop_close_reentered_from_cleanup),
    Q(test_loop_schedule_from_close_cleanup),
    Q(test_loop_schedule_from_callback_cleanup_at_close),
#undef Q
  };
  if (argc > 1)
    cmocka_set_test_filter(argv[1]); /* e.g. "test_loop_*" */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
