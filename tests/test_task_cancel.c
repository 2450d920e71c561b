/* SPDX-License-Identifier: MIT */
/* test_task_cancel.c - a cancel propagates unless the step handles it
 * (uncancel, finish_cancelled, cancel_handled), the one-call resume, and
 * the message a task ends cancelled with (asyncio 3.13). */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

/* A step is a verdict (low byte) plus what it does first (flags). */
enum { V_AWAIT_NEW = 1, V_AWAIT_EXT, V_RETURN, V_FAIL, V_FINISH_CANCELLED,
       V_READ_AWAITED }; /* V_READ_AWAITED: return the awaited int's code */
enum { F_HANDLE = 0x100, F_UNCANCEL = 0x200, F_CANCEL_SELF = 0x400 };

typedef struct job {
  const int *script;
  int steps;
  int status[8];
  char msg[8][16];
  acore_future_t *ext;    /* V_AWAIT_EXT: owned by the test */
  acore_future_t *staged; /* the last V_AWAIT_NEW future (a reference) */
} job_t;

static int job_step(acore_task_t *t, void *ud) {
  job_t *j = ud;
  acore_future_t *done, *f;
  const char *m;
  int op = j->script[j->steps];
  int64_t v;

  j->status[j->steps] = acore_task_resume(t, &done);
  m = acore_task_cancel_message(t);
  snprintf(j->msg[j->steps], sizeof(j->msg[0]), "%s", m ? m : "-");
  j->steps++;
  if (op & F_HANDLE)
    assert_int_equal(acore_task_cancel_handled(t), ACORE_OK);
  if (op & F_UNCANCEL)
    acore_task_uncancel(t);
  if (op & F_CANCEL_SELF)
    assert_int_equal(acore_task_cancel(t, "self"), 1);
  switch (op & 0xff) {
  case V_AWAIT_NEW:
    assert_int_equal(acore_future_new(acore_task_loop(t), &f), ACORE_OK);
    acore_future_unref(j->staged);
    j->staged = acore_future_ref(f);
    return acore_task_await_take(t, f);
  case V_AWAIT_EXT:
    return acore_task_await_take(t, acore_future_ref(j->ext));
  case V_RETURN:
    return acore_task_return_int(t, 7);
  case V_FAIL:
    return acore_task_fail_code(t, ACORE_EIO, "failed");
  case V_FINISH_CANCELLED:
    return acore_task_finish_cancelled(t);
  case V_READ_AWAITED:
    return acore_future_result_int(done, &v); /* the naive error path */
  }
  return ACORE_EINVALIDSTATE;
}

static acore_task_t *spawn(acore_loop_t *loop, job_t *j, const int *script) {
  acore_task_t *t;

  memset(j, 0, sizeof(*j));
  j->script = script;
  assert_int_equal(acore_task_spawn(loop, job_step, j, NULL, &t), ACORE_OK);
  return t;
}

static void job_done(job_t *j) {
  acore_future_unref(j->staged);
  acore_future_unref(j->ext);
}

static const char *end_message(acore_task_t *t) {
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  return acore_future_cancel_message(acore_task_future(t));
}

/* A step that never looks at the status: cancelled while it waits, its
 * next step runs once and the task ends cancelled with the message; the
 * future that step went on to await is cancelled, not awaited. */
static void test_task_cancel_naive_step_ends_cancelled(void **state) {
  static const int script[] = {V_AWAIT_NEW, V_AWAIT_NEW, V_AWAIT_NEW,
                               V_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);
  acore_future_t *first;

  acore_loop_run(loop);
  first = acore_future_ref(j.staged);
  assert_int_equal(acore_task_cancel(t, "stop"), 1);
  acore_loop_run(loop);
  assert_int_equal(j.steps, 2);
  assert_int_equal(j.status[1], ACORE_ECANCELLED);
  assert_string_equal(end_message(t), "stop");
  assert_int_equal(acore_future_is_cancelled(first), 1);
  assert_int_equal(acore_future_is_cancelled(j.staged), 1); /* never awaited */
  assert_null(acore_task_awaited(t));
  acore_future_unref(first);
  job_done(&j);
  acore_task_unref(t);
}

/* Reading the status (acore_task_resume) does not handle it: a result
 * returned anyway is dropped and the task ends cancelled. */
static void test_task_cancel_read_but_unhandled_propagates(void **state) {
  static const int script[] = {V_AWAIT_NEW, V_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_loop_run(loop);
  acore_task_cancel(t, "m");
  acore_loop_run(loop);
  assert_int_equal(j.status[1], ACORE_ECANCELLED);
  assert_string_equal(end_message(t), "m");
  job_done(&j);
  acore_task_unref(t);
}

/* The naive error path: the step returns the getter's ACORE_ECANCELLED;
 * the task ends cancelled (not failed), with the awaited future's message. */
static void test_task_cancel_naive_error_path_ends_cancelled(void **state) {
  static const int script[] = {V_AWAIT_EXT, V_READ_AWAITED};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_future_new(loop, &j.ext);
  acore_loop_run(loop);
  acore_future_cancel(j.ext, "gone");
  acore_loop_run(loop);
  assert_string_equal(j.msg[1], "gone");
  assert_string_equal(end_message(t), "gone");
  assert_int_equal(acore_task_cancelling_count(t), 0);
  job_done(&j);
  acore_task_unref(t);
}

/* acore_task_cancel_handled(): the step's own verdict stands. */
static void test_task_cancel_handled_then_return_value(void **state) {
  static const int script[] = {V_AWAIT_NEW, F_HANDLE | V_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);
  int64_t v;

  acore_loop_run(loop);
  acore_task_cancel(t, NULL);
  acore_loop_run(loop);
  assert_int_equal(acore_future_result_int(acore_task_future(t), &v), ACORE_OK);
  assert_int_equal(v, 7);
  assert_int_equal(acore_task_cancelling_count(t), 1); /* not lowered */
  job_done(&j);
  acore_task_unref(t);
}

static void test_task_cancel_handled_then_fail_keeps_error(void **state) {
  static const int handled[] = {V_AWAIT_NEW, F_HANDLE | V_FAIL};
  static const int naive[] = {V_AWAIT_NEW, V_FAIL};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j1, j2;
  acore_task_t *t1 = spawn(loop, &j1, handled), *t2 = spawn(loop, &j2, naive);

  acore_loop_run(loop);
  acore_task_cancel(t1, NULL);
  acore_task_cancel(t2, NULL);
  acore_loop_run(loop);
  assert_int_equal(acore_future_result(acore_task_future(t1), NULL),
                   ACORE_EIO);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t2)), 1);
  job_done(&j1);
  job_done(&j2);
  acore_task_unref(t1);
  acore_task_unref(t2);
}

/* uncancel absorbs: the step goes on without awaiting anything more. */
static void test_task_uncancel_absorbs_cancel(void **state) {
  static const int script[] = {V_AWAIT_NEW, F_UNCANCEL | V_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);
  int64_t v;

  acore_loop_run(loop);
  acore_task_cancel(t, NULL);
  acore_loop_run(loop);
  assert_int_equal(acore_future_result_int(acore_task_future(t), &v), ACORE_OK);
  assert_int_equal(acore_task_cancelling_count(t), 0);
  job_done(&j);
  acore_task_unref(t);
}

/* except CancelledError: await cleanup; raise - a second cancel arriving
 * during the cleanup is delivered to the next step and, unhandled there,
 * ends the task with the second message. */
static void test_task_cancel_during_cleanup_propagates(void **state) {
  static const int script[] = {V_AWAIT_NEW, F_HANDLE | V_AWAIT_EXT,
                               V_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_future_new(loop, &j.ext);
  acore_loop_run(loop);
  acore_task_cancel(t, "first");
  acore_loop_run(loop);
  assert_int_equal(j.steps, 2);
  acore_task_cancel(t, "second"); /* cancels the cleanup future */
  acore_loop_run(loop);
  assert_int_equal(j.status[2], ACORE_ECANCELLED);
  assert_string_equal(j.msg[2], "second");
  assert_string_equal(end_message(t), "second");
  assert_int_equal(acore_task_cancelling_count(t), 2);
  job_done(&j);
  acore_task_unref(t);
}

/* The re-raise after a cleanup keeps the delivered cancel's message, here
 * the awaited future's (cancelled by someone else). */
static void test_task_reraise_after_cleanup_keeps_message(void **state) {
  static const int script[] = {V_AWAIT_EXT, F_HANDLE | V_AWAIT_NEW,
                               V_FINISH_CANCELLED};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_future_new(loop, &j.ext);
  acore_loop_run(loop);
  acore_future_cancel(j.ext, "outside");
  acore_loop_run(loop);
  assert_int_equal(j.steps, 2);
  acore_future_set_int(j.staged, 0); /* the cleanup is over */
  acore_loop_run(loop);
  assert_int_equal(j.status[2], ACORE_OK);
  assert_string_equal(j.msg[2], "outside");
  assert_string_equal(end_message(t), "outside");
  job_done(&j);
  acore_task_unref(t);
}

/* A cancel requested while the step runs, then ignored by the next step. */
static void test_task_cancel_during_step_unhandled_next(void **state) {
  static const int script[] = {F_CANCEL_SELF | V_AWAIT_EXT, V_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_future_new(loop, &j.ext);
  acore_loop_run(loop);
  assert_int_equal(acore_future_is_cancelled(j.ext), 1);
  assert_int_equal(j.status[1], ACORE_ECANCELLED);
  assert_string_equal(end_message(t), "self");
  job_done(&j);
  acore_task_unref(t);
}

/* A cancel requested during the last step: a result becomes cancelled
 * (with the request's message), an error stays (asyncio 3.13). */
static void test_task_cancel_during_last_step(void **state) {
  static const int ret[] = {F_CANCEL_SELF | V_RETURN};
  static const int fail[] = {F_CANCEL_SELF | V_FAIL};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j1, j2;
  acore_task_t *t1 = spawn(loop, &j1, ret), *t2 = spawn(loop, &j2, fail);

  acore_loop_run(loop);
  assert_string_equal(end_message(t1), "self");
  assert_int_equal(acore_future_result(acore_task_future(t2), NULL),
                   ACORE_EIO);
  assert_int_equal(acore_task_cancelling_count(t2), 1);
  acore_task_unref(t1);
  acore_task_unref(t2);
}

/* Cancelled twice while awaiting: the awaited future was cancelled with
 * the first message, which is the one delivered and ended with. */
static void test_task_cancelled_twice_awaiting_first_message(void **state) {
  static const int script[] = {V_AWAIT_NEW, V_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_loop_run(loop);
  acore_task_cancel(t, "a");
  assert_string_equal(acore_task_cancel_message(t), "a");
  acore_task_cancel(t, "b");
  assert_string_equal(acore_task_cancel_message(t), "b"); /* not delivered */
  acore_loop_run(loop);
  assert_string_equal(j.msg[1], "a");
  assert_string_equal(end_message(t), "a");
  assert_int_equal(acore_task_cancelling_count(t), 2);
  job_done(&j);
  acore_task_unref(t);
}

/* Cancelled twice before a step runs: the latest request wins. */
static void test_task_cancelled_twice_ready_last_message(void **state) {
  static const int script[] = {V_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_task_cancel(t, "a");
  acore_task_cancel(t, "b");
  acore_loop_run(loop);
  assert_string_equal(j.msg[0], "b");
  assert_string_equal(end_message(t), "b");
  acore_task_unref(t);
}

/* Cancelled twice while awaiting a task that awaits a future: the inner
 * task gets both requests, delivers the first; both end with it. */
static void test_task_cancelled_twice_awaiting_task(void **state) {
  static const int inner_script[] = {V_AWAIT_NEW, V_RETURN};
  static const int outer_script[] = {V_AWAIT_EXT, V_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t ji, jo;
  acore_task_t *inner = spawn(loop, &ji, inner_script);
  acore_task_t *outer = spawn(loop, &jo, outer_script);

  jo.ext = acore_future_ref(acore_task_future(inner));
  acore_loop_run(loop);
  acore_task_cancel(outer, "a");
  acore_task_cancel(outer, "b");
  assert_int_equal(acore_task_cancelling_count(inner), 2);
  acore_loop_run(loop);
  assert_string_equal(end_message(inner), "a");
  assert_string_equal(end_message(outer), "a");
  job_done(&ji);
  job_done(&jo);
  acore_task_unref(inner);
  acore_task_unref(outer);
}

/* A naive step that takes a permit at once after a cancel was delivered:
 * the done future is awaited, the step runs again with the cancel, and
 * acore_sem_acquire_finish() gives the permit back. */
static int sem_step(acore_task_t *t, void *ud) {
  acore_sem_t *sem = ud;
  acore_future_t *f;
  int rc;

  if (acore_task_awaited(t) == NULL) {
    assert_int_equal(acore_sem_acquire(sem, 1, &f), ACORE_OK);
    return acore_task_await_take(t, f);
  }
  if ((rc = acore_sem_acquire_finish(sem, acore_task_awaited(t))) != ACORE_OK)
    return rc;
  return ACORE_TASK_DONE; /* keeps the permit */
}

static void test_task_cancel_naive_acquire_gives_permit_back(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_sem_t *sem;
  acore_task_t *t;

  assert_int_equal(acore_sem_new(loop, 1, 0, &sem), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, sem_step, sem, NULL, &t), ACORE_OK);
  acore_task_cancel(t, "early");
  acore_loop_run(loop);
  assert_string_equal(end_message(t), "early");
  assert_int_equal(acore_sem_available_count(sem), 1);
  acore_task_unref(t);
  acore_sem_unref(sem);
}

/* The loop closes while the task cleans up after a cancel: it ends
 * cancelled, with that cancel's message. */
static void test_task_close_during_cleanup_keeps_message(void **state) {
  static const int script[] = {F_HANDLE | V_AWAIT_NEW};
  long live = tu_alloc_live();
  acore_loop_t *loop = tu_loop_new(0);
  tu_reports r;
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  (void)state;
  tu_capture_reports(loop, &r);
  acore_task_cancel(t, "bye"); /* delivered to the first step */
  acore_loop_run(loop);
  assert_int_equal(j.steps, 1); /* awaiting its cleanup */
  acore_loop_close(loop);
  assert_int_equal(r.count, 1);
  assert_string_equal(end_message(t), "bye");
  job_done(&j);
  acore_task_unref(t);
  tu_loop_free(loop, live);
}

/* acore_task_resume(): status and awaited future in one call. */
static void test_task_resume_reports_status_and_awaited(void **state) {
  static const int script[] = {V_AWAIT_EXT, V_AWAIT_EXT, V_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_future_new(loop, &j.ext);
  acore_loop_run(loop);
  assert_int_equal(j.status[0], ACORE_OK);
  acore_future_set_int(j.ext, 1); /* done: the second await goes on */
  acore_loop_run(loop);
  assert_int_equal(j.steps, 3);
  assert_int_equal(j.status[1], ACORE_OK);
  assert_int_equal(j.status[2], ACORE_OK);
  assert_int_equal(acore_future_result(acore_task_future(t), NULL),
                   ACORE_OK);
  job_done(&j);
  acore_task_unref(t);
}

static int resume_probe_step(acore_task_t *t, void *ud) {
  acore_future_t **seen = ud;
  int st = acore_task_resume(t, &seen[0]);

  assert_int_equal(acore_task_resume(t, NULL), st); /* awaited optional */
  if (seen[0] == NULL)
    return acore_task_await_take(t, acore_future_ref(seen[1]));
  assert_int_equal(st, ACORE_ECANCELLED);
  return acore_task_finish_cancelled(t);
}

static void test_task_resume_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *seen[2] = {NULL, NULL}, *f;
  acore_task_t *t;

  acore_future_new(loop, &seen[1]);
  assert_int_equal(acore_task_spawn(loop, resume_probe_step, seen, NULL, &t),
                   ACORE_OK);
  f = seen[1];
  assert_int_equal(acore_task_resume(t, &f), ACORE_EINVAL); /* not in step */
  assert_null(f);
  assert_int_equal(acore_task_resume(NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_task_cancel_handled(t), ACORE_EINVAL);
  assert_int_equal(acore_task_cancel_handled(NULL), ACORE_EINVAL);
  acore_loop_run(loop);
  acore_future_cancel(seen[1], NULL);
  acore_loop_run(loop);
  assert_ptr_equal(seen[0], seen[1]); /* the awaited future, borrowed */
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  acore_future_unref(seen[1]);
  acore_task_unref(t);
}

/* ---- a cancel from the task's own cleanup ---- */

static int return_five(acore_task_t *t, void *ud) {
  (void)ud;
  return acore_task_return_int(t, 5);
}

static acore_task_t *late_target;
static int late_rc = 99;

static void cancel_in_cleanup(void *ud) {
  (void)ud;
  late_rc = acore_task_cancel(late_target, "too late");
}

/* ud_free runs once the last step is over: the task is finishing, a
 * cancel there is "not cancelled" (0) and changes nothing. */
static void test_task_cancel_from_own_cleanup_is_too_late(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  int64_t v = 0;

  assert_int_equal(acore_task_spawn(loop, return_five, NULL, cancel_in_cleanup,
                                    &late_target), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(late_rc, 0);
  assert_int_equal(acore_future_result_int(acore_task_future(late_target), &v),
                   ACORE_OK);
  assert_int_equal(v, 5);
  assert_null(acore_task_cancel_message(late_target));
  acore_task_unref(late_target);
}

static int await_given(acore_task_t *t, void *ud) {
  if (acore_task_awaited(t) == NULL)
    return acore_task_await_take(t, ud); /* the task's is the last reference */
  return acore_task_finish_cancelled(t);
}

static void noop_done(acore_future_t *f, void *ud) {
  (void)f;
  (void)ud;
}

/* Closing the loop finishes the task, which releases the future it
 * awaits; that future's callback is dropped and its ud_free cancels the
 * task: too late, 0, nothing kept. */
static void test_task_cancel_from_awaited_cleanup_is_too_late(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  tu_reports r;

  tu_capture_reports(loop, &r); /* the task pending at close */
  late_rc = 99;
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(f, noop_done, NULL,
                                                  cancel_in_cleanup), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, await_given, f, NULL, &late_target),
                   ACORE_OK);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT); /* it awaits f */
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(late_rc, 0);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(late_target)),
                   1);
  acore_task_unref(late_target);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup, tu_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_task_cancel_naive_step_ends_cancelled),
    T(test_task_cancel_read_but_unhandled_propagates),
    T(test_task_cancel_naive_error_path_ends_cancelled),
    T(test_task_cancel_handled_then_return_value),
    T(test_task_cancel_handled_then_fail_keeps_error),
    T(test_task_uncancel_absorbs_cancel),
    T(test_task_cancel_during_cleanup_propagates),
    T(test_task_reraise_after_cleanup_keeps_message),
    T(test_task_cancel_during_step_unhandled_next),
    T(test_task_cancel_during_last_step),
    T(test_task_cancelled_twice_awaiting_first_message),
    T(test_task_cancelled_twice_ready_last_message),
    T(test_task_cancelled_twice_awaiting_task),
    T(test_task_cancel_naive_acquire_gives_permit_back),
    T(test_task_close_during_cleanup_keeps_message),
    T(test_task_resume_reports_status_and_awaited),
    T(test_task_resume_einval),
    T(test_task_cancel_from_own_cleanup_is_too_late),
    T(test_task_cancel_from_awaited_cleanup_is_too_late),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
