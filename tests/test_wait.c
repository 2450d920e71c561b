/* SPDX-License-Identifier: MIT */
/* test_wait.c - acore_wait(), acore_wait_at_least(), acore_as_completed() and
 * acore_shield(). */
#include "comb_util.h"
#include "quarantine.h"

static void new3(acore_loop_t *loop, acore_future_t **fs) {
  int i;
  for (i = 0; i < 3; i++)
    assert_int_equal(acore_future_new(loop, &fs[i]), ACORE_OK);
}

static void unref3(acore_future_t **fs) {
  int i;
  for (i = 0; i < 3; i++)
    acore_future_unref(fs[i]);
}

/* ---- wait ---- */

static void test_wait_first_completed_sets(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *w;

  new3(loop, fs);
  assert_int_equal(acore_wait(loop, fs, 3, ACORE_WAIT_FIRST_COMPLETED,
                              ACORE_NO_TIMEOUT, &w), ACORE_OK);
  spin(loop, 2);
  assert_int_equal(acore_future_is_done(w), 0);
  assert_int_equal(acore_wait_done_count(w), 0); /* pending: no sets */
  acore_future_set_int(fs[2], 1);
  drive(loop, w);
  assert_int_equal(acore_future_result(w, NULL), ACORE_OK);
  assert_int_equal(acore_wait_done_count(w), 1);
  assert_ptr_equal(acore_wait_done(w, 0), fs[2]);
  assert_int_equal(acore_wait_pending_count(w), 2);
  assert_ptr_equal(acore_wait_pending(w, 0), fs[0]); /* input order */
  assert_ptr_equal(acore_wait_pending(w, 1), fs[1]);
  assert_null(acore_wait_pending(w, 2));
  assert_int_equal(acore_future_is_done(fs[0]), 0); /* never cancels */
  unref3(fs);
  acore_future_unref(w);
}

static void test_wait_first_error_ignores_cancel(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *w;
  tu_reports r;

  tu_capture_reports(loop, &r);
  new3(loop, fs);
  assert_int_equal(acore_wait(loop, fs, 3, ACORE_WAIT_FIRST_ERROR,
                              ACORE_NO_TIMEOUT, &w), ACORE_OK);
  acore_future_cancel(fs[0], NULL);
  acore_future_set_int(fs[1], 1);
  spin(loop, 3);
  assert_int_equal(acore_future_is_done(w), 0);
  acore_future_set_error_code(fs[2], ACORE_EIO, NULL);
  drive(loop, w);
  assert_int_equal(acore_wait_done_count(w), 3);
  assert_ptr_equal(acore_wait_done(w, 2), fs[2]);
  /* wait never retrieves: reading it is the caller's job */
  assert_int_equal(acore_future_result(fs[2], NULL), ACORE_EIO);
  unref3(fs);
  acore_future_unref(w);
  assert_int_equal(r.count, 0);
}

static void test_wait_all_completed_and_count(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *w, *w2;

  new3(loop, fs);
  assert_int_equal(acore_wait(loop, fs, 3, ACORE_WAIT_ALL_COMPLETED,
                              ACORE_NO_TIMEOUT, &w), ACORE_OK);
  assert_int_equal(acore_wait_at_least(loop, fs, 3, 2, ACORE_NO_TIMEOUT, &w2),
                   ACORE_OK);
  acore_future_set_int(fs[1], 1);
  spin(loop, 2);
  acore_future_set_int(fs[0], 1);
  spin(loop, 2);
  assert_int_equal(acore_future_is_done(w2), 1);
  assert_int_equal(acore_wait_done_count(w2), 2);
  assert_ptr_equal(acore_wait_done(w2, 0), fs[0]);
  assert_ptr_equal(acore_wait_pending(w2, 0), fs[2]);
  assert_int_equal(acore_future_is_done(w), 0);
  acore_future_set_int(fs[2], 1);
  drive(loop, w);
  assert_int_equal(acore_wait_done_count(w), 3);
  assert_int_equal(acore_wait_pending_count(w), 0);
  unref3(fs);
  acore_future_unref(w);
  acore_future_unref(w2);
}

static void test_wait_timeout_returns_what_is_done(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *w;

  new3(loop, fs);
  assert_int_equal(acore_wait(loop, fs, 3, ACORE_WAIT_ALL_COMPLETED, 2.0, &w),
                   ACORE_OK);
  acore_future_set_int(fs[1], 1);
  drive(loop, w);
  assert_true(acore_loop_time(loop) >= 2.0);
  assert_int_equal(acore_future_result(w, NULL), ACORE_OK); /* no error */
  assert_int_equal(acore_wait_done_count(w), 1);
  assert_int_equal(acore_wait_pending_count(w), 2);
  assert_int_equal(acore_future_is_done(fs[0]), 0);
  unref3(fs);
  acore_future_unref(w);
}

static void test_wait_cancel_touches_nothing(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *w;

  new3(loop, fs);
  assert_int_equal(acore_wait(loop, fs, 3, ACORE_WAIT_ALL_COMPLETED, 5.0, &w),
                   ACORE_OK);
  assert_int_equal(acore_future_cancel(w, NULL), 1);
  assert_int_equal(acore_future_is_cancelled(w), 1);
  assert_int_equal(acore_future_is_done(fs[0]), 0);
  assert_int_equal(acore_loop_backend_timeout(loop), -1); /* timer gone */
  unref3(fs);
  acore_future_unref(w);
}

static void test_wait_empty_done_at_once(void **state) {
  acore_future_t *w;

  assert_int_equal(acore_wait(TU_LOOP(state), NULL, 0,
                              ACORE_WAIT_FIRST_COMPLETED, 1.0, &w), ACORE_OK);
  assert_int_equal(acore_future_is_done(w), 1);
  assert_int_equal(acore_wait_done_count(w), 0);
  acore_future_unref(w);
}

static void test_wait_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state), *other = other_loop();
  acore_future_t *f, *o, *w = NULL, *nul = NULL;

  acore_future_new(loop, &f);
  acore_future_new(other, &o);
  assert_int_equal(acore_wait(NULL, &f, 1, 0, 1, &w), ACORE_EINVAL);
  assert_int_equal(acore_wait(loop, NULL, 1, 0, 1, &w), ACORE_EINVAL);
  assert_int_equal(acore_wait(loop, &nul, 1, 0, 1, &w), ACORE_EINVAL);
  assert_int_equal(acore_wait(loop, &f, 1, 7, 1, &w), ACORE_EINVAL);
  assert_int_equal(acore_wait(loop, &f, 1, 0, -1, &w), ACORE_EINVAL);
  assert_int_equal(acore_wait(loop, &f, 1, 0, 0.0 / 0.0, &w), ACORE_EINVAL);
  /* no future, so no timer would refuse it: the check itself must */
  assert_int_equal(acore_wait(loop, NULL, 0, 0, -0.5, &w), ACORE_EINVAL);
  assert_int_equal(acore_wait(loop, &o, 1, 0, 1, &w), ACORE_EINVAL);
  assert_int_equal(acore_wait(loop, &f, 1, 0, 1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_wait_at_least(loop, &f, 1, 0, 1, &w), ACORE_EINVAL);
  assert_int_equal(acore_wait_at_least(loop, &f, 1, 2, 1, &w), ACORE_EINVAL);
  assert_null(w);
  assert_int_equal(acore_wait_done_count(f), 0);
  assert_int_equal(acore_wait_pending_count(NULL), 0);
  assert_int_equal(acore_wait_done_count(NULL), 0);
  assert_null(acore_wait_done(f, 0));
  assert_null(acore_wait_done(NULL, 0));
  assert_null(acore_wait_pending(NULL, 0));
  acore_future_unref(f);
  acore_future_unref(o);
  acore_loop_close(other);
  acore_loop_unref(other);
}

/* ---- as_completed ---- */

typedef struct order {
  acore_future_t *seen[4];
  int n;
} order;

static void on_completed(acore_future_t *f, void *ud) {
  order *o = ud;
  o->seen[o->n++] = f;
}

static void test_as_completed_callback_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *ac;
  order o = {{0}, 0};

  new3(loop, fs);
  tu_frees = 0;
  assert_int_equal(acore_as_completed(loop, fs, 3, ACORE_NO_TIMEOUT,
                                      on_completed, &o, tu_count_free, &ac),
                   ACORE_OK);
  acore_future_set_int(fs[2], 1);
  spin(loop, 1);
  acore_future_set_int(fs[0], 1);
  acore_future_set_int(fs[1], 1);
  assert_int_equal(o.n, 1);
  drive(loop, ac);
  assert_int_equal(o.n, 3);
  assert_ptr_equal(o.seen[0], fs[2]);
  assert_ptr_equal(o.seen[1], fs[0]);
  assert_ptr_equal(o.seen[2], fs[1]);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_future_result(ac, NULL), ACORE_OK);
  unref3(fs);
  acore_future_unref(ac);
}

static acore_future_t *next_of(acore_future_t *ac) {
  acore_future_t *nx, *orig = NULL;

  assert_int_equal(acore_as_completed_next(ac, &nx), ACORE_OK);
  assert_int_equal(acore_future_result(nx, (void **)&orig), ACORE_OK);
  acore_future_unref(nx); /* orig stays held by fs[] in the tests */
  return orig;
}

static void test_as_completed_iterator_and_timeout(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *ac, *nx;

  new3(loop, fs);
  assert_int_equal(acore_as_completed(loop, fs, 3, 5.0, NULL, NULL, NULL, &ac),
                   ACORE_OK);
  assert_int_equal(acore_as_completed_next(ac, &nx), ACORE_OK);
  assert_int_equal(acore_as_completed_next(ac, &fs[0]), ACORE_EBUSY);
  acore_future_set_int(fs[1], 1);
  drive(loop, nx);
  {
    void *orig = NULL;
    assert_int_equal(acore_future_result(nx, &orig), ACORE_OK);
    assert_ptr_equal(orig, fs[1]);
  }
  acore_future_unref(nx);
  acore_future_set_int(fs[0], 1);
  spin(loop, 2);
  assert_ptr_equal(next_of(ac), fs[0]); /* already queued: done at once */
  assert_int_equal(acore_as_completed_next(ac, &nx), ACORE_OK);
  drive(loop, nx); /* fs[2] never completes: the timeout passes */
  assert_int_equal(acore_future_result(nx, NULL), ACORE_ETIMEDOUT);
  assert_int_equal(acore_future_result(ac, NULL), ACORE_ETIMEDOUT);
  acore_future_unref(nx);
  unref3(fs);
  acore_future_unref(ac);
}

/* fn never runs inside the call, even for futures already done; then once
 * per future, in completion order. */
static void test_as_completed_fn_never_inside_call(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *ac;
  order o = {{0}, 0};
  int i;

  new3(loop, fs);
  for (i = 0; i < 3; i++)
    acore_future_set_int(fs[i], i);
  assert_int_equal(acore_as_completed(loop, fs, 3, ACORE_NO_TIMEOUT,
                                      on_completed, &o, NULL, &ac), ACORE_OK);
  assert_int_equal(o.n, 0); /* not inside the call */
  drive(loop, ac);
  assert_int_equal(o.n, 3);
  for (i = 0; i < 3; i++)
    assert_ptr_equal(o.seen[i], fs[i]);
  assert_int_equal(acore_future_result(ac, NULL), ACORE_OK);
  unref3(fs);
  acore_future_unref(ac);
}

static void test_as_completed_next_cancel_loses_nothing(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *ac, *nx;

  new3(loop, fs);
  assert_int_equal(acore_as_completed(loop, fs, 1, ACORE_NO_TIMEOUT, NULL,
                                      NULL, NULL, &ac), ACORE_OK);
  assert_int_equal(acore_as_completed_next(ac, &nx), ACORE_OK);
  assert_int_equal(acore_future_cancel(nx, NULL), 1);
  acore_future_unref(nx);
  acore_future_set_int(fs[0], 1);
  drive(loop, ac);
  assert_ptr_equal(next_of(ac), fs[0]);
  assert_int_equal(acore_as_completed_next(ac, &nx), ACORE_EEMPTY);
  unref3(fs);
  acore_future_unref(ac);
}

static void test_as_completed_cancel(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *ac, *nx, *nx2;
  order o = {{0}, 0};

  new3(loop, fs);
  assert_int_equal(acore_as_completed(loop, fs, 3, ACORE_NO_TIMEOUT,
                                      on_completed, &o, NULL, &ac), ACORE_OK);
  assert_int_equal(acore_as_completed_next(ac, &nx), ACORE_OK);
  assert_int_equal(acore_future_cancel(ac, NULL), 1);
  assert_int_equal(acore_future_is_cancelled(nx), 1);
  acore_future_set_int(fs[0], 1);
  spin(loop, 2);
  assert_int_equal(o.n, 0); /* fn not called after the cancel */
  assert_int_equal(acore_as_completed_next(ac, &nx2), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(nx2), 1);
  assert_int_equal(acore_future_is_done(fs[1]), 0); /* nothing cancelled */
  acore_future_unref(nx);
  acore_future_unref(nx2);
  unref3(fs);
  acore_future_unref(ac);
}

static void test_as_completed_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *ac = NULL, *nx;

  acore_future_new(loop, &f);
  tu_frees = 0;
  assert_int_equal(acore_as_completed(loop, NULL, 2, 1, on_completed, NULL,
                                      tu_count_free, &ac), ACORE_EINVAL);
  assert_int_equal(acore_as_completed(loop, &f, 1, -2, NULL, NULL,
                                      tu_count_free, &ac), ACORE_EINVAL);
  assert_int_equal(acore_as_completed(NULL, &f, 1, 1, NULL, NULL,
                                      tu_count_free, NULL), ACORE_EINVAL);
  assert_int_equal(acore_as_completed(loop, &f, 1, 1, NULL, NULL,
                                      tu_count_free, NULL), ACORE_EINVAL);
  assert_int_equal(acore_as_completed(loop, &f, 1, 0.0 / 0.0, NULL, NULL,
                                      tu_count_free, &ac), ACORE_EINVAL);
  assert_int_equal(tu_frees, 5); /* ud freed on every failure */
  assert_null(ac);
  assert_int_equal(acore_as_completed_next(NULL, &nx), ACORE_EINVAL);
  assert_int_equal(acore_as_completed_next(f, &nx), ACORE_EINVAL);
  acore_future_unref(f);
}

/* ---- shield ---- */

static void test_shield_cancel_leaves_inner_running(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  job j = {.delay = 3, .value = 9};
  acore_task_t *t = spawn_job(loop, &j);
  acore_future_t *s;

  assert_int_equal(acore_shield(acore_task_future(t), &s), ACORE_OK);
  spin(loop, 1);
  assert_int_equal(acore_future_cancel(s, NULL), 1);
  assert_int_equal(acore_future_is_cancelled(s), 1);
  acore_future_unref(s);
  drive(loop, acore_task_future(t));
  assert_int_equal(j.saw_cancel, 0);
  assert_int_equal(int_of(acore_task_future(t)), 9);
  acore_task_unref(t);
}

static void test_shield_passes_result(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *s, *s2;
  void *p = NULL;
  int box = 5;

  acore_future_new(loop, &f);
  assert_int_equal(acore_shield(f, &s), ACORE_OK);
  assert_ptr_not_equal(s, f);
  acore_future_set_result(f, &box, tu_count_free);
  drive(loop, s);
  assert_int_equal(acore_future_result(s, &p), ACORE_OK);
  assert_ptr_equal(p, &box);
  assert_int_equal(acore_shield(f, &s2), ACORE_OK); /* done: itself */
  assert_ptr_equal(s2, f);
  tu_frees = 0;
  acore_future_unref(f);
  acore_future_unref(s2);
  assert_int_equal(tu_frees, 0); /* the value moved to the shield */
  acore_future_unref(s);
  assert_int_equal(tu_frees, 1);
}

static void test_shield_inner_error_still_reported(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *s;
  tu_reports r;

  tu_capture_reports(loop, &r);
  acore_future_new(loop, &f);
  assert_int_equal(acore_shield(f, &s), ACORE_OK);
  acore_future_cancel(s, NULL);
  acore_future_unref(s);
  acore_future_set_error_code(f, ACORE_EIO, "lost?");
  acore_future_unref(f); /* the loop still holds it until its callback */
  assert_int_equal(r.count, 0);
  spin(loop, 2);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.last_kind, ACORE_REPORT_UNRETRIEVED);
  assert_int_equal(r.last_code, ACORE_EIO);
}

static void test_shield_einval(void **state) {
  acore_future_t *s = NULL, *f;

  acore_future_new(TU_LOOP(state), &f);
  assert_int_equal(acore_shield(NULL, &s), ACORE_EINVAL);
  assert_int_equal(acore_shield(f, NULL), ACORE_EINVAL);
  assert_null(s);
  acore_future_unref(f);
}

typedef struct canceller {
  acore_future_t *ac;
  int calls;
} canceller;

static void cancel_inside(acore_future_t *f, void *ud) {
  canceller *c = ud;

  (void)f;
  c->calls++;
  assert_int_equal(acore_future_cancel(c->ac, NULL), 1);
  assert_int_equal(tu_frees, 0); /* ud must outlive this call */
  c->calls += 10;                /* still usable after the cancel */
}

static void test_as_completed_fn_cancels_inside(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3];
  canceller c = {NULL, 0};

  new3(loop, fs);
  tu_frees = 0;
  assert_int_equal(acore_as_completed(loop, fs, 3, ACORE_NO_TIMEOUT,
                                      cancel_inside, &c, tu_count_free, &c.ac),
                   ACORE_OK);
  acore_future_set_int(fs[0], 1);
  acore_future_set_int(fs[1], 1);
  spin(loop, 3);
  assert_int_equal(c.calls, 11); /* once: not called after the cancel */
  assert_int_equal(tu_frees, 1); /* freed once, after fn returned */
  assert_int_equal(acore_future_is_cancelled(c.ac), 1);
  unref3(fs);
  acore_future_unref(c.ac);
}

static void test_wait_first_error_already_failed(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fs[3], *w;

  new3(loop, fs);
  acore_future_set_error_code(fs[1], ACORE_EIO, NULL);
  assert_int_equal(acore_wait(loop, fs, 3, ACORE_WAIT_FIRST_ERROR,
                              ACORE_NO_TIMEOUT, &w), ACORE_OK);
  assert_int_equal(acore_future_is_done(w), 0); /* never inside the call */
  spin(loop, 1);
  assert_int_equal(acore_future_is_done(w), 1);
  assert_ptr_equal(acore_wait_done(w, 0), fs[1]);
  acore_future_result(fs[1], NULL);
  unref3(fs);
  acore_future_unref(w);
}

/* ---- a waiter cancelled by a cleanup that close runs ---- */

static void noop_done(acore_future_t *f, void *ud) {
  (void)f;
  (void)ud;
}

static void cancel_waiter(void *ud) {
  assert_int_equal(acore_future_cancel(ud, NULL), 1);
}

/* Close drops the waiter's registrations first (they were made first),
 * then the cleanup of a later one cancels the waiter: the dropped
 * registrations are not touched again. */
static void cancel_from_close_cleanup(acore_loop_t *loop, int as_completed) {
  acore_future_t *fs[3], *w, *late;

  new3(loop, fs);
  if (as_completed)
    assert_int_equal(acore_as_completed(loop, fs, 3, ACORE_NO_TIMEOUT, NULL,
                                        NULL, NULL, &w), ACORE_OK);
  else
    assert_int_equal(acore_wait(loop, fs, 3, ACORE_WAIT_ALL_COMPLETED,
                                ACORE_NO_TIMEOUT, &w), ACORE_OK);
  assert_int_equal(acore_future_new(loop, &late), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(late, noop_done, w,
                                                  cancel_waiter), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(w), 1);
  assert_true(tq_intact());
  unref3(fs);
  acore_future_unref(late);
  acore_future_unref(w);
}

static void test_wait_cancelled_by_close_cleanup(void **state) {
  cancel_from_close_cleanup(TU_LOOP(state), 0);
}

static void test_as_completed_cancelled_by_close_cleanup(void **state) {
  cancel_from_close_cleanup(TU_LOOP(state), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup_virtual, tu_teardown)
    T(test_wait_first_completed_sets),
    T(test_wait_first_error_ignores_cancel),
    T(test_wait_all_completed_and_count),
    T(test_wait_timeout_returns_what_is_done),
    T(test_wait_cancel_touches_nothing),
    T(test_wait_empty_done_at_once),
    T(test_wait_einval),
    T(test_as_completed_callback_order),
    T(test_as_completed_iterator_and_timeout),
    T(test_as_completed_next_cancel_loses_nothing),
    T(test_as_completed_cancel),
    T(test_as_completed_fn_never_inside_call),
    T(test_as_completed_einval),
    T(test_shield_cancel_leaves_inner_running),
    T(test_shield_passes_result),
    T(test_shield_inner_error_still_reported),
    T(test_shield_einval),
    T(test_as_completed_fn_cancels_inside),
    T(test_wait_first_error_already_failed),
#undef T
    cmocka_unit_test_setup_teardown(test_wait_cancelled_by_close_cleanup,
                                    tq_setup, tq_teardown),
    cmocka_unit_test_setup_teardown(
        test_as_completed_cancelled_by_close_cleanup, tq_setup, tq_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
