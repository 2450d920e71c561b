/* SPDX-License-Identifier: MIT */
/*
 * test_cancel_graph.c - cancelling through graphs of tasks and gathers:
 * cycles (a task that awaits, indirectly, itself) and shared children
 * (each future is cancelled once per cancel, however many paths lead to it).
 */
#include "testutil.h"

/* ---- a task awaiting a future chosen by the test ---- */

typedef struct waiter {
  acore_future_t *await; /* borrowed; awaited at the first step */
  int steps, saw_cancel;
} waiter;

static int waiter_step(acore_task_t *t, void *ud) {
  waiter *w = ud;

  if (w->steps++ == 0 && w->await != NULL)
    return acore_task_await_take(t, acore_future_ref(w->await));
  if (acore_task_step_status(t) == ACORE_ECANCELLED) {
    w->saw_cancel++;
    return acore_task_finish_cancelled(t);
  }
  return acore_task_return_int(t, 0);
}

static acore_task_t *spawn_waiter(acore_loop_t *loop, waiter *w) {
  acore_task_t *t;

  assert_int_equal(acore_task_spawn(loop, waiter_step, w, NULL, &t),
                   ACORE_OK);
  return t;
}

static void run_until_done(acore_loop_t *loop, acore_task_t *t) {
  int i;

  for (i = 0; i < 100 && !acore_future_is_done(acore_task_future(t)); i++)
    acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(acore_future_is_done(acore_task_future(t)), 1);
}

/* ---- cycles ---- */

/* A awaits B, B awaits A: cancelling either ends both, cancelled. */
static void test_task_cancel_mutual_await(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  waiter wa = {NULL, 0, 0}, wb = {NULL, 0, 0};
  acore_task_t *a, *b;

  a = spawn_waiter(loop, &wa);
  b = spawn_waiter(loop, &wb);
  wa.await = acore_task_future(b);
  wb.await = acore_task_future(a);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT); /* both wait */
  assert_ptr_equal(acore_task_awaited(a), acore_task_future(b));
  assert_int_equal(acore_task_cancel(a, "stop"), 1);
  assert_int_equal(acore_task_cancelling_count(a), 1);
  assert_int_equal(acore_task_cancelling_count(b), 1);
  run_until_done(loop, a);
  run_until_done(loop, b);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(a)), 1);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(b)), 1);
  assert_string_equal(acore_future_cancel_message(acore_task_future(a)),
                      "stop");
  acore_task_unref(a);
  acore_task_unref(b);
}

/* A awaits B awaits C awaits A; the cancel starts in the middle. */
static void test_task_cancel_await_ring(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  waiter w[3] = {{NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}};
  acore_task_t *t[3];
  int i;

  for (i = 0; i < 3; i++)
    t[i] = spawn_waiter(loop, &w[i]);
  for (i = 0; i < 3; i++)
    w[i].await = acore_task_future(t[(i + 1) % 3]);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(acore_future_cancel(acore_task_future(t[1]), NULL), 1);
  for (i = 0; i < 3; i++) {
    run_until_done(loop, t[i]);
    assert_int_equal(acore_future_is_cancelled(acore_task_future(t[i])), 1);
    assert_int_equal(acore_task_cancelling_count(t[i]), 1);
    acore_task_unref(t[i]);
  }
}

/* A task awaits a gather that contains the task itself. */
static int gather_self_step(acore_task_t *t, void *ud) {
  waiter *w = ud;
  acore_future_t *fs[2], *g;

  if (w->steps++ == 0) {
    fs[0] = acore_task_future(t);
    fs[1] = w->await;
    assert_int_equal(acore_gather(acore_task_loop(t), fs, 2, 0, &g),
                     ACORE_OK);
    return acore_task_await_take(t, g);
  }
  if (acore_task_step_status(t) == ACORE_ECANCELLED) {
    w->saw_cancel++;
    return acore_task_finish_cancelled(t);
  }
  return acore_task_return_int(t, 0);
}

static void test_task_cancel_awaits_gather_of_itself(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  waiter w = {NULL, 0, 0};
  acore_future_t *other, *g;
  acore_task_t *t;

  assert_int_equal(acore_future_new(loop, &other), ACORE_OK);
  w.await = other;
  assert_int_equal(acore_task_spawn(loop, gather_self_step, &w, NULL, &t),
                   ACORE_OK);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  g = acore_task_awaited(t);
  assert_non_null(g);
  assert_int_equal(acore_task_cancel(t, NULL), 1);
  run_until_done(loop, t);
  assert_int_equal(w.saw_cancel, 1);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  assert_int_equal(acore_future_is_cancelled(other), 1);
  acore_task_unref(t);
  acore_future_unref(other);
}

/* ---- shared children ---- */

/* g[0] = gather(leaf task, leaf task); g[k] = gather(g[k-1], g[k-1]):
 * 2^depth paths from the top to the leaf. One cancel of the top must
 * reach the leaf once: its cancel count is the work done. */
static void cancel_shared(acore_loop_t *loop, int depth) {
  waiter lw = {NULL, 0, 0};
  acore_future_t *g, *fs[2];
  acore_task_t *leaf;
  int k;

  leaf = spawn_waiter(loop, &lw);
  fs[0] = fs[1] = acore_task_future(leaf);
  assert_int_equal(acore_gather(loop, fs, 2, 0, &g), ACORE_OK);
  for (k = 1; k <= depth; k++) {
    acore_future_t *next;
    fs[0] = fs[1] = g;
    assert_int_equal(acore_gather(loop, fs, 2, 0, &next), ACORE_OK);
    acore_future_unref(g); /* the next gather holds it */
    g = next;
  }
  assert_int_equal(acore_future_cancel(g, "all"), 1);
  assert_int_equal(acore_task_cancelling_count(leaf), 1);
  assert_int_equal(acore_future_cancel(g, "again"), 1); /* a new cancel */
  assert_int_equal(acore_task_cancelling_count(leaf), 2);
  run_until_done(loop, leaf);
  assert_int_equal(lw.saw_cancel, 1);
  for (k = 0; k < depth + 10 && !acore_future_is_done(g); k++)
    acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(acore_future_is_cancelled(g), 1);
  acore_future_unref(g);
  acore_task_unref(leaf);
}

static void test_gather_cancel_shared_children_once(void **state) {
  cancel_shared(TU_LOOP(state), 12);
  cancel_shared(TU_LOOP(state), 48);
}

/* A diamond of tasks: two tasks await one gather; a gather of the two is
 * cancelled: the shared gather's children are cancelled once. */
static void test_gather_cancel_diamond_of_tasks(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  waiter lw = {NULL, 0, 0}, w1 = {NULL, 0, 0}, w2 = {NULL, 0, 0};
  acore_future_t *inner, *outer, *fs[2], *hold;
  acore_task_t *leaf, *t1, *t2;

  assert_int_equal(acore_future_new(loop, &hold), ACORE_OK);
  lw.await = hold;
  leaf = spawn_waiter(loop, &lw);
  fs[0] = fs[1] = acore_task_future(leaf);
  assert_int_equal(acore_gather(loop, fs, 1, 0, &inner), ACORE_OK);
  w1.await = w2.await = inner;
  t1 = spawn_waiter(loop, &w1);
  t2 = spawn_waiter(loop, &w2);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  fs[0] = acore_task_future(t1);
  fs[1] = acore_task_future(t2);
  assert_int_equal(acore_gather(loop, fs, 2, 0, &outer), ACORE_OK);
  assert_int_equal(acore_future_cancel(outer, NULL), 1);
  assert_int_equal(acore_task_cancelling_count(leaf), 1);
  assert_int_equal(acore_task_cancelling_count(t1), 1);
  assert_int_equal(acore_task_cancelling_count(t2), 1);
  run_until_done(loop, t1);
  run_until_done(loop, t2);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t1)), 1);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t2)), 1);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(acore_future_is_cancelled(outer), 1);
  assert_int_equal(acore_future_is_cancelled(hold), 1);
  acore_future_unref(hold);
  acore_future_unref(outer);
  acore_future_unref(inner);
  acore_task_unref(leaf);
  acore_task_unref(t1);
  acore_task_unref(t2);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup, tu_teardown)
    T(test_task_cancel_mutual_await),
    T(test_task_cancel_await_ring),
    T(test_task_cancel_awaits_gather_of_itself),
    T(test_gather_cancel_shared_children_once),
    T(test_gather_cancel_diamond_of_tasks),
#undef T
  };
  if (argc > 1)
    cmocka_set_test_filter(argv[1]);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
