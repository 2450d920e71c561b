/* SPDX-License-Identifier: MIT */
/* task.c - tasks: steps, verdicts, results, cancellation, names, lists. */
#include "ob.h"

#include <string.h>

static void complete_21(void *ud) { acore_future_set_int(ud, 21); }

/* Step 0 awaits a timer-completed future, step 1 yields, step 2 returns
 * twice the awaited value; each step logs its number. */
static int doubler(acore_task_t *t, void *ud) {
  int *at = ud;
  acore_loop_t *loop = acore_task_loop(t);
  acore_future_t *f = NULL;

  CHECK(acore_loop_current_task(loop) == t);
  CHECK(acore_task_step_status(t) == ACORE_OK);
  ob_log_add((char)('0' + *at));
  switch ((*at)++) {
  case 0:
    if (acore_future_new(loop, &f) != ACORE_OK)
      return ACORE_ENOMEM;
    acore_loop_call_later(loop, 5.0, complete_21, f, NULL, NULL);
    return acore_task_await_take(t, f);
  case 1:
    CHECK(ob_int(acore_task_awaited(t)) == 21);
    return acore_task_yield(t);
  default:
    return acore_task_return_int(t, 42);
  }
}

static void steps(acore_loop_t *loop) {
  acore_task_t *t = NULL;
  char nm[32];
  int at = 0;

  ob_log_reset();
  CHECK(acore_task_spawn(loop, doubler, &at, NULL, &t) == ACORE_OK);
  CHECK(at == 0 && acore_loop_current_task(loop) == NULL);
  CHECK(acore_task_ref(t) == t);
  acore_task_unref(t);
  CHECK(acore_task_from_future(acore_task_future(t)) == t);
  CHECK(acore_future_is_task(acore_task_future(t)) == 1);
  CHECK(acore_task_loop(t) == loop);
  CHECK(acore_task_name(t, nm, sizeof(nm)) > 5 && strncmp(nm, "Task-", 5) == 0);
  CHECK(acore_task_name(t, NULL, 0) == (int)strlen(nm));
  CHECK(acore_task_set_name(t, "doubler") == ACORE_OK);
  CHECK(acore_task_name(t, nm, sizeof(nm)) == 7 && strcmp(nm, "doubler") == 0);
  CHECK(acore_task_name(t, nm, 4) == 7 && strcmp(nm, "dou") == 0);
  CHECK(acore_task_id(t) >= 1 && acore_task_id(NULL) == 0);
  CHECK(acore_loop_run_until_complete(loop, acore_task_future(t)) == ACORE_EAGAIN);
  CHECK(strcmp(ob_log, "0") == 0);
  CHECK(acore_loop_advance(loop, 5.0) == ACORE_OK);
  CHECK(acore_loop_run_until_complete(loop, acore_task_future(t)) == ACORE_OK);
  CHECK(strcmp(ob_log, "012") == 0);
  CHECK(ob_int(acore_task_future(t)) == 42);
  acore_task_unref(t);
}

/* Each kind of result a step can finish with. */
static int finisher(acore_task_t *t, void *ud) {
  acore_error_t *err = NULL;

  switch (*(const char *)ud) {
  case 'p': return acore_task_return(t, (void *)ob_ids, NULL);
  case 'd': return acore_task_return_double(t, 0.25);
  case 'b': return acore_task_return_bytes(t, "xyz", 3);
  case 'e':
    acore_error_new(ACORE_EHOST, "raised", &err);
    return acore_task_fail_take(t, err); /* consumes the reference */
  case 'c': return acore_task_fail_code(t, ACORE_EOVERFLOW, "too big");
  case 'x': return acore_task_finish_cancelled(t);
  default: return ACORE_TASK_DONE;
  }
}

static acore_task_t *spawn(acore_loop_t *loop, const char *kind) {
  acore_task_t *t = NULL;
  CHECK(acore_task_spawn(loop, finisher, (void *)kind, NULL, &t) == ACORE_OK);
  return t;
}

static void results(acore_loop_t *loop) {
  acore_task_t *t[7];
  const char *kinds = "pdbecxn";
  acore_task_t *all[8];
  size_t n = 0, i;
  void *p = NULL;
  double d = 0;
  const void *data = NULL;

  for (i = 0; i < 7; i++)
    t[i] = spawn(loop, kinds + i);
  CHECK(acore_loop_task_count(loop) == 7);
  CHECK(acore_loop_all_tasks(loop, all, 8, &n) == ACORE_OK && n == 7);
  for (i = 0; i < n; i++) {
    CHECK(all[i] == t[i]); /* oldest first */
    acore_task_unref(all[i]);
  }
  CHECK(acore_task_id(t[1]) > acore_task_id(t[0]));
  acore_loop_run(loop);
  CHECK(acore_loop_task_count(loop) == 0);
  CHECK(acore_future_result(acore_task_future(t[0]), &p) == ACORE_OK && p == ob_ids);
  CHECK(acore_future_result_double(acore_task_future(t[1]), &d) == ACORE_OK && d == 0.25);
  CHECK(acore_future_result_bytes(acore_task_future(t[2]), &data, NULL) == ACORE_OK &&
        strcmp(data, "xyz") == 0);
  CHECK(acore_error_code(acore_future_error(acore_task_future(t[3]))) == ACORE_EHOST);
  CHECK(acore_error_code(acore_future_error(acore_task_future(t[4]))) == ACORE_EOVERFLOW);
  CHECK(acore_future_is_cancelled(acore_task_future(t[5])) == 1);
  CHECK(acore_future_state(acore_task_future(t[6])) == ACORE_FUTURE_RESULT);
  for (i = 0; i < 7; i++)
    acore_task_unref(t[i]);
}

/* Cancellation is delivered into the next step, which may go on. */
static int stubborn(acore_task_t *t, void *ud) {
  int *at = ud;
  acore_future_t *f = NULL;

  switch ((*at)++) {
  case 0:
    acore_future_new(acore_task_loop(t), &f);
    return acore_task_await_take(t, f); /* never completed: cancelled */
  case 1:
    CHECK(acore_task_step_status(t) == ACORE_ECANCELLED);
    CHECK(acore_task_resume(t, &f) == ACORE_ECANCELLED);
    CHECK(f == acore_task_awaited(t));
    CHECK(acore_future_is_cancelled(acore_task_awaited(t)) == 1);
    CHECK(strcmp(acore_task_cancel_message(t), "please") == 0);
    CHECK(acore_task_cancelling_count(t) == 1);
    CHECK(acore_task_uncancel(t) == 0);
    CHECK(acore_task_cancel_handled(t) == ACORE_OK);
    return acore_task_yield(t);
  default:
    CHECK(acore_task_step_status(t) == ACORE_OK);
    CHECK(acore_task_resume(t, NULL) == ACORE_OK);
    return acore_task_return_int(t, 7);
  }
}

static void cancelling(acore_loop_t *loop) {
  acore_task_t *t = NULL;
  int at = 0;

  CHECK(acore_task_spawn(loop, stubborn, &at, NULL, &t) == ACORE_OK);
  acore_loop_run(loop);
  CHECK(at == 1);
  CHECK(acore_task_cancel(t, "please") == 1);
  acore_loop_run(loop);
  CHECK(at == 3 && ob_int(acore_task_future(t)) == 7);
  CHECK(acore_task_cancel_handled(t) == ACORE_EINVAL); /* not in its step */
  CHECK(acore_task_resume(t, NULL) == ACORE_EINVAL);
  CHECK(acore_task_cancel(t, NULL) == 0); /* done */
  acore_task_unref(t);
}

void ob_task(void) {
  acore_loop_t *loop = ob_vloop();

  steps(loop);
  results(loop);
  cancelling(loop);
  ob_vloop_done(loop);
}
