/* SPDX-License-Identifier: MIT */
/* test_trace.c - the loop's trace hook: the events of a task's life and of
 * future completions, in order; replacing, removing and closing drop its
 * ud; a hook cannot change the hook from inside; EINVAL. */
#include "testutil.h"

#include <string.h>

typedef struct trace_log {
  char text[256]; /* one letter per event: C S E F D */
  acore_future_t *futs[32];
  int n;
  int reenter_rc;
  int try_reenter;
} trace_log;

static void record(acore_loop_t *loop, int event, acore_future_t *fut,
                   void *ud) {
  trace_log *l = ud;
  static const char letters[] = "?CSEFD";
  size_t len = strlen(l->text);

  (void)loop;
  if (len + 1 < sizeof(l->text))
    l->text[len] = letters[event >= 1 && event <= 5 ? event : 0];
  if (l->n < 32)
    l->futs[l->n++] = fut;
  if (l->try_reenter)
    l->reenter_rc = acore_loop_set_trace_hook(loop, record, NULL, NULL);
}

/* Step 0 awaits a future completed by a call_soon; step 1 returns. */
static void complete(void *ud) { acore_future_set_int(ud, 7); }

static int two_steps(acore_task_t *t, void *ud) {
  acore_future_t **f = ud;

  if (*f != NULL)
    return acore_task_return_int(t, 1);
  acore_future_new(acore_task_loop(t), f);
  acore_loop_call_soon(acore_task_loop(t), complete, *f, NULL, NULL);
  return acore_task_await_take(t, acore_future_ref(*f));
}

static void test_trace_task_life(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  trace_log l;
  acore_future_t *f = NULL;
  acore_task_t *t;

  memset(&l, 0, sizeof(l));
  assert_int_equal(acore_loop_set_trace_hook(loop, record, &l, tu_count_free),
                   ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, two_steps, &f, NULL, &t), ACORE_OK);
  assert_string_equal(l.text, "C");
  assert_ptr_equal(l.futs[0], acore_task_future(t));
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  /* create, step 0, the awaited future done, step 1, the task's future
   * done, the task finished */
  assert_string_equal(l.text, "CSEDSEDF");
  assert_ptr_equal(l.futs[1], acore_task_future(t));
  assert_ptr_equal(l.futs[3], f);
  assert_ptr_equal(l.futs[6], acore_task_future(t));
  assert_ptr_equal(l.futs[7], acore_task_future(t));
  assert_int_equal(tu_frees, 0);
  assert_int_equal(acore_loop_set_trace_hook(loop, NULL, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(tu_frees, 1); /* removing drops the ud */
  acore_future_unref(f);
  acore_task_unref(t);
}

static void noop_done(acore_future_t *f, void *ud) {
  (void)f;
  (void)ud;
}

/* FUTURE_DONE fires on each completion path: no callback, the future's
 * own first callback alone, the first callback with later ones, a record
 * only; and on a cancel. */
static void test_trace_future_done_every_path(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  trace_log l;
  acore_future_t *f[5];
  int i;

  memset(&l, 0, sizeof(l));
  assert_int_equal(acore_loop_set_trace_hook(loop, record, &l, NULL),
                   ACORE_OK);
  for (i = 0; i < 5; i++)
    assert_int_equal(acore_future_new(loop, &f[i]), ACORE_OK);
  acore_future_add_done_callback(f[1], noop_done, NULL, NULL);
  acore_future_add_done_callback(f[2], noop_done, NULL, NULL);
  acore_future_add_done_callback(f[2], noop_done, NULL, tu_count_free);
  acore_future_add_done_callback(f[3], noop_done, NULL, tu_count_free);
  acore_future_add_done_callback(f[4], noop_done, NULL, NULL);
  for (i = 0; i < 4; i++)
    assert_int_equal(acore_future_set_int(f[i], i), ACORE_OK);
  assert_int_equal(acore_future_cancel(f[4], NULL), 1);
  assert_string_equal(l.text, "DDDDD");
  for (i = 0; i < 5; i++)
    assert_ptr_equal(l.futs[i], f[i]);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  for (i = 0; i < 5; i++)
    acore_future_unref(f[i]);
}

static void test_trace_replace_and_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  trace_log a, b;
  acore_future_t *f;

  memset(&a, 0, sizeof(a));
  memset(&b, 0, sizeof(b));
  assert_int_equal(acore_loop_set_trace_hook(loop, record, &a, tu_count_free),
                   ACORE_OK);
  assert_int_equal(acore_loop_set_trace_hook(loop, record, &b, tu_count_free),
                   ACORE_OK);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 1), ACORE_OK);
  assert_string_equal(a.text, "");
  assert_string_equal(b.text, "D");
  acore_future_unref(f);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(tu_frees, 2); /* close drops it */
}

static void test_trace_busy_inside(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  trace_log l;
  acore_future_t *f;

  memset(&l, 0, sizeof(l));
  l.try_reenter = 1;
  assert_int_equal(acore_loop_set_trace_hook(loop, record, &l, NULL),
                   ACORE_OK);
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 1), ACORE_OK);
  assert_int_equal(l.reenter_rc, ACORE_EBUSY);
  assert_string_equal(l.text, "D");
  acore_future_unref(f);
}

/* A hook set by a step sees that step's end; one removed by a step does
 * not (the step's end is folded into one test with its cancel state). */
typedef struct hook_stepper {
  trace_log *l;
  int steps;
} hook_stepper;

static int sets_then_removes_hook(acore_task_t *t, void *ud) {
  hook_stepper *h = ud;
  acore_loop_t *loop = acore_task_loop(t);

  if (h->steps++ == 0) {
    assert_int_equal(acore_loop_set_trace_hook(loop, record, h->l, NULL),
                     ACORE_OK);
    return acore_task_yield(t);
  }
  assert_int_equal(acore_loop_set_trace_hook(loop, NULL, NULL, NULL),
                   ACORE_OK);
  return acore_task_return_int(t, 1);
}

static void test_trace_hook_set_inside_step(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  trace_log l;
  hook_stepper h = {&l, 0};
  acore_task_t *t;

  memset(&l, 0, sizeof(l));
  assert_int_equal(acore_task_spawn(loop, sets_then_removes_hook, &h, NULL,
                                    &t), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(h.steps, 2);
  assert_string_equal(l.text, "ES"); /* step 0's end, step 1's start */
  assert_ptr_equal(l.futs[0], acore_task_future(t));
  assert_ptr_equal(l.futs[1], acore_task_future(t));
  acore_task_unref(t);
}

/* The replaced hook's ud_free sets a hook again (host code may): the
 * hook it sets is the one that stays, and every ud is freed once. */
typedef struct resetter {
  acore_loop_t *loop;
  trace_log *next;
  int frees;
} resetter;

static void reset_on_free(void *ud) {
  resetter *r = ud;

  r->frees++;
  assert_int_equal(acore_loop_set_trace_hook(r->loop, record, r->next,
                                             tu_count_free), ACORE_OK);
}

static void test_trace_replaced_from_its_cleanup(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  trace_log c, b;
  resetter r = {loop, &b, 0};
  acore_future_t *f;

  memset(&b, 0, sizeof(b));
  memset(&c, 0, sizeof(c));
  assert_int_equal(acore_loop_set_trace_hook(loop, record, &r, reset_on_free),
                   ACORE_OK);
  assert_int_equal(acore_loop_set_trace_hook(loop, record, &c, tu_count_free),
                   ACORE_OK);
  assert_int_equal(r.frees, 1);
  assert_int_equal(tu_frees, 1); /* c's: replaced by the cleanup's b */
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 1), ACORE_OK);
  assert_string_equal(b.text, "D");
  assert_string_equal(c.text, "");
  acore_future_unref(f);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(tu_frees, 2); /* b's, by close */
}

static void test_trace_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  assert_int_equal(acore_loop_set_trace_hook(NULL, record, NULL,
                                             tu_count_free), ACORE_EINVAL);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_loop_set_trace_hook(loop, record, NULL,
                                             tu_count_free), ACORE_ECLOSED);
  assert_int_equal(tu_frees, 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup_virtual, \
                                                tu_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_trace_task_life),
    T(test_trace_future_done_every_path),
      T(test_trace_replace_and_close),
      T(test_trace_busy_inside),
      T(test_trace_hook_set_inside_step),
      T(test_trace_replaced_from_its_cleanup),
      T(test_trace_einval),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
