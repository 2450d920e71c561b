/* SPDX-License-Identifier: MIT */
/* test_task.c - tasks: stepping, awaiting, verdicts, cancellation, names,
 * introspection, fire-and-forget errors. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

/* A scripted task: `script` lists what each step does. */
enum { S_AWAIT_NEW, S_AWAIT_DONE, S_AWAIT_EXT, S_YIELD, S_RETURN, S_FAIL,
       S_FINISH_CANCELLED, S_UNCANCEL_AWAIT, S_CANCEL_SELF_AWAIT,
       S_BAD_VERDICT, S_AWAIT_NOTHING, S_CANCEL_SELF_RETURN,
       S_HANDLE_AWAIT_EXT };

typedef struct job {
  const int *script;
  int at;
  int steps;
  int status[16];      /* acore_task_step_status per step */
  char msg[16][32];    /* cancel message seen per step */
  acore_future_t *ext; /* S_AWAIT_EXT: awaited, owned by the test */
  acore_task_t *self;
} job_t;

static int job_step(acore_task_t *t, void *ud) {
  job_t *j = ud;
  acore_future_t *f, *done;
  const char *m = acore_task_cancel_message(t);
  int op = j->script[j->at++];

  j->status[j->steps] = acore_task_resume(t, &done);
  assert_int_equal(j->status[j->steps], acore_task_step_status(t));
  assert_ptr_equal(done, acore_task_awaited(t));
  snprintf(j->msg[j->steps], 32, "%s", m ? m : "");
  j->steps++;
  assert_ptr_equal(acore_loop_current_task(acore_task_loop(t)), t);
  switch (op) {
  case S_AWAIT_NEW:
    acore_future_new(acore_task_loop(t), &f);
    return acore_task_await_take(t, f); /* never completed by anyone */
  case S_AWAIT_DONE:
    acore_future_new(acore_task_loop(t), &f);
    acore_future_set_int(f, 3);
    return acore_task_await_take(t, f);
  case S_AWAIT_EXT:
    return acore_task_await_take(t, acore_future_ref(j->ext));
  case S_YIELD:
    return acore_task_yield(t);
  case S_RETURN:
    return acore_task_return_int(t, 100 + j->steps);
  case S_FAIL:
    return acore_task_fail_code(t, ACORE_EIO, "step failed");
  case S_FINISH_CANCELLED:
    return acore_task_finish_cancelled(t);
  case S_HANDLE_AWAIT_EXT:
    assert_int_equal(acore_task_cancel_handled(t), ACORE_OK);
    return acore_task_await_take(t, acore_future_ref(j->ext));
  case S_UNCANCEL_AWAIT:
    acore_task_uncancel(t);
    return acore_task_await_take(t, acore_future_ref(j->ext));
  case S_CANCEL_SELF_AWAIT:
    acore_task_cancel(t, "from inside");
    return acore_task_await_take(t, acore_future_ref(j->ext));
  case S_BAD_VERDICT:
    return 77;
  case S_CANCEL_SELF_RETURN:
    acore_task_cancel(t, "too late");
    return acore_task_return_int(t, 1);
  case S_AWAIT_NOTHING:
    return ACORE_TASK_AWAIT;
  }
  return ACORE_EINVALIDSTATE;
}

static acore_task_t *spawn(acore_loop_t *loop, job_t *j, const int *script) {
  acore_task_t *t;

  memset(j, 0, sizeof(*j));
  j->script = script;
  assert_int_equal(acore_task_spawn(loop, job_step, j, NULL, &t), ACORE_OK);
  j->self = t;
  return t;
}

static void test_task_first_step_never_in_spawn(void **state) {
  static const int script[] = {S_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);
  int64_t v;

  assert_int_equal(j.steps, 0);
  assert_int_equal(acore_loop_task_count(loop), 1);
  acore_loop_run(loop);
  assert_int_equal(j.steps, 1);
  assert_int_equal(acore_future_result_int(acore_task_future(t), &v), ACORE_OK);
  assert_int_equal(v, 101);
  assert_int_equal(acore_loop_task_count(loop), 0);
  assert_null(acore_loop_current_task(loop));
  acore_task_unref(t);
}

static void test_task_await_done_future_does_not_suspend(void **state) {
  static const int script[] = {S_AWAIT_DONE, S_AWAIT_DONE, S_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);
  int64_t v;

  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  assert_int_equal(j.steps, 3); /* all in one iteration */
  assert_int_equal(acore_future_result_int(acore_task_future(t), &v), ACORE_OK);
  assert_int_equal(v, 103);
  assert_null(acore_task_awaited(t)); /* released when it finished */
  acore_task_unref(t);
}

static void test_task_yield_runs_next_iteration(void **state) {
  static const int script[] = {S_YIELD, S_YIELD, S_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(j.steps, 1);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(j.steps, 2);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(j.steps, 3);
  assert_int_equal(acore_future_is_done(acore_task_future(t)), 1);
  acore_task_unref(t);
}

static void test_task_cancel_delivered_with_message(void **state) {
  static const int script[] = {S_AWAIT_NEW, S_FINISH_CANCELLED};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);
  acore_future_t *awaited;

  acore_loop_run(loop);
  awaited = acore_task_awaited(t);
  assert_int_equal(acore_future_is_done(awaited), 0);
  assert_int_equal(acore_task_cancel(t, "enough"), 1);
  assert_int_equal(acore_task_cancelling_count(t), 1);
  assert_int_equal(acore_future_is_cancelled(awaited), 1); /* cancels it too */
  assert_int_equal(j.steps, 1);                         /* not synchronous */
  acore_loop_run(loop);
  assert_int_equal(j.steps, 2);
  assert_int_equal(j.status[1], ACORE_ECANCELLED);
  assert_string_equal(j.msg[1], "enough");
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  assert_string_equal(acore_future_cancel_message(acore_task_future(t)),
                      "enough");
  assert_int_equal(acore_task_cancel(t, NULL), 0); /* done: not cancelled */
  acore_task_unref(t);
}

static void test_task_cleanup_over_more_steps(void **state) {
  static const int script[] = {S_AWAIT_NEW, S_HANDLE_AWAIT_EXT, S_YIELD,
                               S_FAIL};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_future_new(loop, &j.ext);
  acore_loop_run(loop);
  acore_task_cancel(t, NULL);
  acore_loop_run(loop); /* step 2 cleans up: awaits ext */
  assert_int_equal(j.steps, 2);
  assert_int_equal(j.status[1], ACORE_ECANCELLED);
  acore_future_set_int(j.ext, 1);
  acore_loop_run(loop);
  assert_int_equal(j.steps, 4);
  assert_int_equal(j.status[2], ACORE_OK); /* delivered once only */
  assert_int_equal(j.status[3], ACORE_OK);
  assert_int_equal(acore_task_cancelling_count(t), 1); /* handling keeps count */
  /* It chose to fail instead of finishing cancelled. */
  assert_int_equal(acore_future_result(acore_task_future(t), NULL),
                   ACORE_EIO);
  assert_string_equal(acore_error_message(
                          acore_future_error(acore_task_future(t))),
                      "step failed");
  acore_future_unref(j.ext);
  acore_task_unref(t);
}

static void test_task_uncancel_and_go_on(void **state) {
  static const int script[] = {S_AWAIT_NEW, S_UNCANCEL_AWAIT, S_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);
  int64_t v;

  acore_future_new(loop, &j.ext);
  acore_loop_run(loop);
  acore_task_cancel(t, "maybe");
  acore_loop_run(loop);
  assert_int_equal(acore_task_cancelling_count(t), 0);
  acore_future_set_int(j.ext, 1);
  acore_loop_run(loop);
  assert_int_equal(acore_future_result_int(acore_task_future(t), &v), ACORE_OK);
  assert_int_equal(v, 103);
  acore_future_unref(j.ext);
  acore_task_unref(t);
}

static void test_task_cancel_during_step_seen_next(void **state) {
  static const int script[] = {S_CANCEL_SELF_AWAIT, S_FINISH_CANCELLED};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_future_new(loop, &j.ext);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(j.steps, 1);
  assert_int_equal(j.status[0], ACORE_OK);
  /* The future it went on to await was cancelled on its behalf. */
  assert_int_equal(acore_future_is_cancelled(j.ext), 1);
  acore_loop_run(loop);
  assert_int_equal(j.steps, 2);
  assert_int_equal(j.status[1], ACORE_ECANCELLED);
  assert_string_equal(j.msg[1], "from inside");
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  acore_future_unref(j.ext);
  acore_task_unref(t);
}

static void test_task_cancel_during_last_step_ends_cancelled(void **state) {
  static const int script[] = {S_CANCEL_SELF_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_loop_run(loop);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  assert_string_equal(acore_future_cancel_message(acore_task_future(t)),
                      "too late");
  acore_task_unref(t);
}

static void test_task_finish_cancelled_keeps_awaited_message(void **state) {
  static const int script[] = {S_AWAIT_EXT, S_FINISH_CANCELLED};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_future_new(loop, &j.ext);
  acore_loop_run(loop);
  acore_future_cancel(j.ext, "outside"); /* not the task: what it awaits */
  acore_loop_run(loop);
  assert_int_equal(j.status[1], ACORE_ECANCELLED);
  assert_string_equal(j.msg[1], "outside");
  assert_int_equal(acore_task_cancelling_count(t), 0);
  assert_string_equal(acore_future_cancel_message(acore_task_future(t)),
                      "outside");
  acore_future_unref(j.ext);
  acore_task_unref(t);
}

/* The first step gets the cancel; returning a result without handling it
 * ends the task cancelled. */
static void test_task_cancel_before_first_step_propagates(void **state) {
  static const int script[] = {S_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  assert_int_equal(acore_task_cancel(t, "early"), 1);
  acore_loop_run(loop);
  assert_int_equal(j.steps, 1);
  assert_int_equal(j.status[0], ACORE_ECANCELLED);
  assert_string_equal(j.msg[0], "early");
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  assert_string_equal(acore_future_cancel_message(acore_task_future(t)),
                      "early");
  assert_int_equal(acore_task_cancelling_count(t), 1);
  acore_task_unref(t);
}

static void test_task_uncancel_drops_undelivered_request(void **state) {
  static const int script[] = {S_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);

  acore_task_cancel(t, NULL);
  assert_int_equal(acore_task_uncancel(t), 0);
  assert_int_equal(acore_task_uncancel(t), 0); /* never below 0 */
  acore_loop_run(loop);
  assert_int_equal(j.status[0], ACORE_OK);
  acore_task_unref(t);
}

static void test_task_awaits_task(void **state) {
  static const int inner_script[] = {S_AWAIT_EXT, S_RETURN};
  static const int outer_script[] = {S_AWAIT_EXT, S_RETURN};
  acore_loop_t *loop = TU_LOOP(state);
  job_t ji, jo;
  acore_task_t *inner = spawn(loop, &ji, inner_script);
  acore_task_t *outer = spawn(loop, &jo, outer_script);
  int64_t v;

  acore_future_new(loop, &ji.ext);
  jo.ext = acore_task_future(inner);
  acore_loop_run(loop);
  assert_int_equal(jo.steps, 1);
  acore_future_set_int(ji.ext, 0);
  acore_loop_run(loop);
  assert_int_equal(jo.steps, 2);
  assert_int_equal(acore_future_result_int(acore_task_future(inner), &v), ACORE_OK);
  assert_int_equal(v, 102);
  acore_future_unref(ji.ext);
  acore_task_unref(inner);
  acore_task_unref(outer);
}

static void test_task_cancel_propagates_to_awaited_task(void **state) {
  static const int inner_script[] = {S_AWAIT_NEW, S_FINISH_CANCELLED};
  static const int outer_script[] = {S_AWAIT_EXT, S_FINISH_CANCELLED};
  acore_loop_t *loop = TU_LOOP(state);
  job_t ji, jo;
  acore_task_t *inner = spawn(loop, &ji, inner_script);
  acore_task_t *outer = spawn(loop, &jo, outer_script);

  jo.ext = acore_task_future(inner);
  acore_loop_run(loop);
  acore_task_cancel(outer, "both");
  assert_int_equal(acore_task_cancelling_count(inner), 1);
  acore_loop_run(loop);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(inner)), 1);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(outer)), 1);
  assert_int_equal(jo.status[1], ACORE_ECANCELLED);
  assert_string_equal(jo.msg[1], "both");
  acore_task_unref(inner);
  acore_task_unref(outer);
}

static void test_task_fire_and_forget_error_reported(void **state) {
  static const int script[] = {S_YIELD, S_FAIL};
  acore_loop_t *loop = TU_LOOP(state);
  tu_reports r;
  job_t j;

  tu_capture_reports(loop, &r);
  memset(&j, 0, sizeof(j));
  j.script = script;
  assert_int_equal(acore_task_spawn(loop, job_step, &j, NULL, NULL), ACORE_OK);
  acore_loop_run(loop); /* the loop kept it alive to the end */
  assert_int_equal(j.steps, 2);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.last_kind, ACORE_REPORT_UNRETRIEVED);
  assert_int_equal(r.last_code, ACORE_EIO);
  assert_string_equal(r.last_name, "Task-1");
}

static void test_task_bad_verdicts_fail_the_task(void **state) {
  static const int s1[] = {S_BAD_VERDICT};
  static const int s2[] = {S_AWAIT_NOTHING};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j1, j2;
  acore_task_t *t1 = spawn(loop, &j1, s1), *t2 = spawn(loop, &j2, s2);

  acore_loop_run(loop);
  assert_int_equal(acore_future_result(acore_task_future(t1), NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_future_result(acore_task_future(t2), NULL),
                   ACORE_EINVAL);
  acore_task_unref(t1);
  acore_task_unref(t2);
}

/* Verdict helpers with typed results. */
static int typed_step(acore_task_t *t, void *ud) {
  acore_error_t *err;

  switch ((int)(intptr_t)ud) {
  case 0: return acore_task_return_double(t, 1.5);
  case 1: return acore_task_return_bytes(t, "xyz", 3);
  case 2: return acore_task_return(t, t, NULL);
  case 3:
    acore_error_new(ACORE_EHOST, "host", &err);
    return acore_task_fail_take(t, err);
  case 4:
    acore_task_return_int(t, 1); /* staged, then replaced */
    return acore_task_return_int(t, 2);
  default: return ACORE_TASK_DONE;
  }
}

static void test_task_typed_results(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t[6];
  double d;
  const void *data;
  void *p;
  int64_t v;
  int i;

  for (i = 0; i < 6; i++)
    acore_task_spawn(loop, typed_step, (void *)(intptr_t)i, NULL, &t[i]);
  acore_loop_run(loop);
  assert_int_equal(acore_future_result_double(acore_task_future(t[0]), &d), ACORE_OK);
  assert_true(d == 1.5);
  assert_int_equal(acore_future_result_bytes(acore_task_future(t[1]), &data, NULL),
                   ACORE_OK);
  assert_string_equal(data, "xyz");
  assert_int_equal(acore_future_result(acore_task_future(t[2]), &p), ACORE_OK);
  assert_ptr_equal(p, t[2]);
  assert_int_equal(acore_future_result(acore_task_future(t[3]), NULL),
                   ACORE_EHOST);
  assert_int_equal(acore_future_result_int(acore_task_future(t[4]), &v), ACORE_OK);
  assert_int_equal(v, 2);
  assert_int_equal(acore_future_result_kind(acore_task_future(t[5])),
                   ACORE_VALUE_NONE);
  for (i = 0; i < 6; i++)
    acore_task_unref(t[i]);
}


/* A second return in the same step replaces the first, which is freed at
 * once (nothing leaks). */
static int return_twice_step(acore_task_t *t, void *ud) {
  (void)ud;
  assert_int_equal(acore_task_return(t, (void *)1, tu_count_free),
                   ACORE_TASK_DONE);
  assert_int_equal(tu_frees, 0);
  assert_int_equal(acore_task_return(t, (void *)2, tu_count_free),
                   ACORE_TASK_DONE);
  assert_int_equal(tu_frees, 1); /* the first value */
  return ACORE_TASK_DONE;
}

static void test_task_second_return_frees_first(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t;
  void *p = NULL;

  tu_frees = 0;
  assert_int_equal(acore_task_spawn(loop, return_twice_step, NULL, NULL, &t),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_result(acore_task_future(t), &p), ACORE_OK);
  assert_ptr_equal(p, (void *)2);
  assert_int_equal(tu_frees, 1);
  acore_task_unref(t);
  assert_int_equal(tu_frees, 2); /* the result, with the task */
}

/* The task's name as a string (tests only: one buffer). */
static const char *name_of(const acore_task_t *t) {
  static char buf[64];

  assert_true(acore_task_name(t, buf, sizeof(buf)) >= 0);
  return buf;
}

static void test_task_names_and_introspection(void **state) {
  static const int script[] = {S_AWAIT_NEW, S_FINISH_CANCELLED};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j1, j2;
  acore_task_t *t1 = spawn(loop, &j1, script), *t2 = spawn(loop, &j2, script);
  acore_task_t *all[4];
  size_t n;

  assert_string_equal(name_of(t1), "Task-1");
  assert_int_equal(acore_task_id(t2), 2);
  assert_int_equal(acore_task_set_name(t2, "worker"), ACORE_OK);
  assert_string_equal(name_of(t2), "worker");
  assert_int_equal(acore_task_set_name(t2, NULL), ACORE_OK);
  assert_string_equal(name_of(t2), "Task-2");
  assert_int_equal(acore_loop_all_tasks(loop, all, 1, &n), ACORE_OK);
  assert_int_equal(n, 2);
  assert_ptr_equal(all[0], t1);
  acore_task_unref(all[0]);
  assert_int_equal(acore_loop_all_tasks(loop, all, 4, &n), ACORE_OK);
  assert_ptr_equal(all[1], t2);
  acore_task_unref(all[0]);
  acore_task_unref(all[1]);
  assert_ptr_equal(acore_task_loop(t1), loop);
  assert_ptr_equal(acore_task_from_future(acore_task_future(t1)), t1);
  assert_int_equal(acore_future_is_task(acore_task_future(t1)), 1);
  acore_loop_run(loop);
  assert_non_null(acore_task_awaited(t1));
  acore_task_cancel(t1, NULL);
  acore_task_cancel(t2, NULL);
  acore_loop_run(loop);
  acore_task_unref(t1);
  acore_task_unref(t2);
}

static void test_task_not_settable_from_outside(void **state) {
  static const int script[] = {S_FINISH_CANCELLED};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);
  acore_future_t *f;

  assert_int_equal(acore_future_set_int(acore_task_future(t), 1),
                   ACORE_EINVAL);
  /* Verdict helpers outside the task's step are refused. */
  assert_int_equal(acore_task_return_int(t, 1), ACORE_EINVAL);
  assert_int_equal(acore_task_yield(t), ACORE_EINVAL);
  assert_int_equal(acore_task_finish_cancelled(t), ACORE_EINVAL);
  assert_int_equal(acore_task_fail_code(t, ACORE_EIO, NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_cancel_handled(t), ACORE_EINVAL);
  f = acore_task_future(t); /* any value: the call clears it */
  assert_int_equal(acore_task_resume(t, &f), ACORE_EINVAL);
  assert_null(f);
  acore_future_new(loop, &f);
  assert_int_equal(acore_task_await_take(t, f), ACORE_EINVAL); /* consumed f */
  /* Cancelling through the future interface cancels the task. */
  assert_int_equal(acore_future_cancel(acore_task_future(t), "via future"), 1);
  acore_loop_run(loop);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  acore_task_unref(t);
}

static void test_task_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_error_t *err;

  tu_frees = 0;
  assert_int_equal(acore_task_spawn(NULL, job_step, NULL, tu_count_free, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_task_spawn(loop, NULL, NULL, tu_count_free, NULL),
                   ACORE_EINVAL);
  assert_int_equal(tu_frees, 2);
  assert_null(acore_task_ref(NULL));
  acore_task_unref(NULL);
  assert_null(acore_task_future(NULL));
  assert_null(acore_task_from_future(NULL));
  assert_null(acore_task_loop(NULL));
  assert_int_equal(acore_task_await_take(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_yield(NULL), ACORE_EINVAL);
  assert_null(acore_task_awaited(NULL));
  assert_int_equal(acore_task_step_status(NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_return(NULL, NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_return_int(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_task_return_double(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_task_return_bytes(NULL, "", 0), ACORE_EINVAL);
  assert_int_equal(acore_task_fail_take(NULL, NULL), ACORE_EINVAL);
  acore_error_new(ACORE_EIO, NULL, &err);
  assert_int_equal(acore_task_fail_take(NULL, err), ACORE_EINVAL); /* consumed */
  assert_int_equal(acore_task_fail_code(NULL, ACORE_EIO, NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_finish_cancelled(NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_resume(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_cancel_handled(NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_cancel(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_cancelling_count(NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_uncancel(NULL), ACORE_EINVAL);
  assert_null(acore_task_cancel_message(NULL));
  assert_int_equal(acore_task_set_name(NULL, "x"), ACORE_EINVAL);
  assert_int_equal(acore_task_name(NULL, NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_task_id(NULL), 0);
  assert_int_equal(acore_loop_task_count(loop), 0);
}

static int await_self_step(acore_task_t *t, void *ud) {
  int *rc = ud;

  rc[0] = acore_task_fail_code(t, 1, "not an error code");
  rc[1] = acore_task_await_take(t, NULL);
  return acore_task_await_take(t, acore_future_ref(acore_task_future(t)));
}

/* Inside the step: bad verdict arguments are EINVAL, and awaiting the
 * task's own future (consumed) finishes the task with that EINVAL. */
static void test_task_einval_inside_step(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t;
  int rc[2] = {0, 0};

  assert_int_equal(acore_task_spawn(loop, await_self_step, rc, NULL, &t),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(rc[0], ACORE_EINVAL);
  assert_int_equal(rc[1], ACORE_EINVAL);
  assert_int_equal(acore_future_result(acore_task_future(t), NULL),
                   ACORE_EINVAL);
  acore_task_unref(t);
}

static int two_steps(acore_task_t *t, void *ud) {
  int *steps = ud;

  assert_int_equal(tu_frees, 0); /* ud alive while steps run */
  if ((*steps)++ == 0)
    return acore_task_yield(t);
  return acore_task_return_int(t, 1);
}

/* Owns: ud_free(ud) runs exactly once, after the last step. */
static void test_task_ud_freed_once_after_last_step(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t;
  int steps = 0;

  tu_frees = 0;
  assert_int_equal(acore_task_spawn(loop, two_steps, &steps, tu_count_free,
                                    &t), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(steps, 2);
  assert_int_equal(tu_frees, 1);
  acore_task_unref(t);
  assert_int_equal(tu_frees, 1);
}

/* 20 distinct ud_free functions: more than the loop's table holds
 * (task.h: freers), so some tasks keep theirs in their ident record. */
enum { NFREERS = 20 };
static int freed_by[NFREERS]; /* which function freed slot k, +1 */
static int freed_count[NFREERS];
static int free_slots[NFREERS];

#define FREER(k)                                   \
  static void freer_##k(void *ud) {                \
    int slot = (int)((int *)ud - free_slots);      \
    freed_by[slot] = k + 1;                        \
    freed_count[slot]++;                           \
  }
FREER(0) FREER(1) FREER(2) FREER(3) FREER(4) FREER(5) FREER(6) FREER(7)
FREER(8) FREER(9) FREER(10) FREER(11) FREER(12) FREER(13) FREER(14)
FREER(15) FREER(16) FREER(17) FREER(18) FREER(19)
static const acore_free_fn freers[NFREERS] = {
    freer_0,  freer_1,  freer_2,  freer_3,  freer_4,  freer_5,  freer_6,
    freer_7,  freer_8,  freer_9,  freer_10, freer_11, freer_12, freer_13,
    freer_14, freer_15, freer_16, freer_17, freer_18, freer_19};

/* Yields once, then returns; ud counts its steps. */
static int yield_once(acore_task_t *t, void *ud) {
  int *steps = ud;

  if ((*steps)++ == 0)
    return acore_task_yield(t);
  return acore_task_return_int(t, 1);
}

/* Owns: each task's ud_free runs once, with its ud, whatever the number
 * of distinct ud_free functions a loop sees, and across a name given and
 * taken back (the ud_free moves into the task's record and out again). */
static void test_task_ud_free_many_functions(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t[NFREERS];
  int k;

  memset(freed_by, 0, sizeof(freed_by));
  memset(freed_count, 0, sizeof(freed_count));
  memset(free_slots, 0, sizeof(free_slots));
  for (k = 0; k < NFREERS; k++) {
    if (k == NFREERS - 1)
      assert_int_equal(acore_task_spawn_at(loop, yield_once, &free_slots[k],
                                           freers[k], "here:1", &t[k]),
                       ACORE_OK);
    else
      assert_int_equal(acore_task_spawn(loop, yield_once, &free_slots[k],
                                        freers[k], &t[k]), ACORE_OK);
  }
  for (k = 0; k < NFREERS; k += 3) { /* a record, then the id alone */
    assert_int_equal(acore_task_set_name(t[k], "named"), ACORE_OK);
    if (k % 2 == 0)
      assert_int_equal(acore_task_set_name(t[k], NULL), ACORE_OK);
  }
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  for (k = 0; k < NFREERS; k++) {
    assert_int_equal(free_slots[k], 2);
    assert_int_equal(freed_count[k], 1);
    assert_int_equal(freed_by[k], k + 1);
    assert_int_equal(acore_task_id(t[k]), (uint64_t)k + 1);
    acore_task_unref(t[k]);
  }
}

/* A spawn whose ud_free has no room in the loop's table needs a record:
 * when that allocation fails, the spawn fails with ENOMEM, ud freed. */
static void test_task_ud_free_table_full_enomem(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t;
  int k;

  memset(freed_count, 0, sizeof(freed_count));
  memset(free_slots, 0, sizeof(free_slots));
  for (k = 0; k < NFREERS - 1; k++) {
    assert_int_equal(acore_task_spawn(loop, yield_once, &free_slots[k],
                                      freers[k], NULL), ACORE_OK);
  }
  tu_alloc_fail_at(2); /* the task (no object cache here), then its record */
  assert_int_equal(acore_task_spawn(loop, yield_once, &free_slots[k],
                                    freers[k], &t), ACORE_ENOMEM);
  assert_int_equal(tu_alloc_failed(), 1);
  tu_alloc_fail_at(0);
  assert_int_equal(freed_count[k], 1);
  assert_int_equal(acore_loop_task_count(loop), (size_t)NFREERS - 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  for (k = 0; k < NFREERS; k++)
    assert_int_equal(freed_count[k], 1);
}

static int fail_code_enomem_step(acore_task_t *t, void *ud) {
  int *rc = ud;

  tu_alloc_fail_at(1); /* the new error */
  *rc = acore_task_fail_code(t, ACORE_EIO, "boom");
  tu_alloc_fail_at(0);
  return *rc;
}

/* Reading a name allocates nothing and changes nothing (it used to make
 * and keep a record for the default name, and gave "Task" when that
 * allocation failed); a small buffer gets the name cut, the length whole. */
static void test_task_name_allocates_nothing(void **state) {
  static const int script[] = {S_FINISH_CANCELLED};
  acore_loop_t *loop = TU_LOOP(state);
  job_t j;
  acore_task_t *t = spawn(loop, &j, script);
  char buf[8];
  long made = tu_alloc_made();

  tu_alloc_fail_at(1);
  assert_int_equal(acore_task_name(t, buf, sizeof(buf)), 6);
  assert_string_equal(buf, "Task-1");
  assert_int_equal(acore_task_name(t, NULL, 0), 6);
  assert_int_equal(acore_task_name(t, buf, 4), 6);
  assert_string_equal(buf, "Tas");
  assert_int_equal(acore_task_name(t, buf, 1), 6);
  assert_string_equal(buf, "");
  assert_int_equal(acore_task_name(t, NULL, 1), ACORE_EINVAL);
  assert_int_equal(tu_alloc_failed(), 0);
  tu_alloc_fail_at(0);
  assert_int_equal(tu_alloc_made(), made);
  assert_int_equal(acore_task_set_name(t, "a-long-name"), ACORE_OK);
  assert_int_equal(acore_task_name(t, buf, sizeof(buf)), 11);
  assert_string_equal(buf, "a-long-");
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  acore_task_unref(t);
}

/* Copies that fail: a name and a cancel message leave the task as it was;
 * fail_code fails the task with ENOMEM instead. */
static void test_task_enomem(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t;
  char before[64];
  int rc = 0;

  assert_int_equal(acore_task_spawn(loop, fail_code_enomem_step, &rc, NULL,
                                    &t), ACORE_OK);
  snprintf(before, sizeof(before), "%s", name_of(t));
  tu_alloc_fail_at(1);
  assert_int_equal(acore_task_set_name(t, "worker"), ACORE_ENOMEM);
  tu_alloc_fail_at(1);
  assert_int_equal(acore_task_cancel(t, "stop"), ACORE_ENOMEM);
  tu_alloc_fail_at(0);
  assert_string_equal(name_of(t), before);
  assert_int_equal(acore_task_cancelling_count(t), 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(rc, ACORE_ENOMEM);
  assert_int_equal(acore_future_result(acore_task_future(t), NULL),
                   ACORE_ENOMEM);
  acore_task_unref(t);
}

static int await_foreign_step(acore_task_t *t, void *ud) {
  acore_future_t *f = acore_future_ref(ud); /* of another loop */
  return acore_task_await_take(t, f);
}

static void test_task_await_foreign_future_fails(void **state) {
  acore_loop_t *loop = TU_LOOP(state), *other = tu_loop_new(0);
  acore_future_t *f;
  acore_task_t *t;

  acore_future_new(other, &f);
  acore_task_spawn(loop, await_foreign_step, f, NULL, &t);
  acore_loop_run(loop);
  assert_int_equal(acore_future_result(acore_task_future(t), NULL),
                   ACORE_EINVAL);
  acore_task_unref(t);
  acore_future_unref(f);
  acore_loop_close(other);
  acore_loop_unref(other);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup, tu_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_task_first_step_never_in_spawn),
    T(test_task_await_done_future_does_not_suspend),
    T(test_task_yield_runs_next_iteration),
    T(test_task_cancel_delivered_with_message),
    T(test_task_cleanup_over_more_steps),
    T(test_task_uncancel_and_go_on),
    T(test_task_cancel_during_step_seen_next),
    T(test_task_cancel_before_first_step_propagates),
    T(test_task_cancel_during_last_step_ends_cancelled),
    T(test_task_finish_cancelled_keeps_awaited_message),
    T(test_task_uncancel_drops_undelivered_request),
    T(test_task_awaits_task),
    T(test_task_cancel_propagates_to_awaited_task),
    T(test_task_fire_and_forget_error_reported),
    T(test_task_bad_verdicts_fail_the_task),
    T(test_task_typed_results),
    T(test_task_second_return_frees_first),
    T(test_task_names_and_introspection),
    T(test_task_name_allocates_nothing),
    T(test_task_not_settable_from_outside),
    T(test_task_einval),
    T(test_task_einval_inside_step),
    T(test_task_ud_freed_once_after_last_step),
    T(test_task_ud_free_many_functions),
    cmocka_unit_test_setup_teardown(test_task_ud_free_table_full_enomem,
                                    tu_setup_walk, tu_teardown),
    cmocka_unit_test_setup_teardown(test_task_enomem, tu_setup_walk,
                                    tu_teardown),
    T(test_task_await_foreign_future_fails),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
