/* SPDX-License-Identifier: MIT */
/* test_executor.c - the executor: results, the worker limit (also while
 * resizing), stats, cancellation before and during a job, shutdown, a
 * burst reaching every worker, many jobs from several workers, two loops
 * on two threads, closing a loop with work in flight, bad input and
 * allocation failure. Runs under
 * ThreadSanitizer in the test command (label threads). */
#include "testutil.h"

#include <uv.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------ */

/* A gate jobs wait at until the test opens it. */
typedef struct gate {
  uv_mutex_t mu;
  uv_cond_t cv;
  int open;
  atomic_int arrived;
} gate;

static void gate_init(gate *g) {
  uv_mutex_init(&g->mu);
  uv_cond_init(&g->cv);
  g->open = 0;
  atomic_init(&g->arrived, 0);
}

static void gate_open(gate *g) {
  uv_mutex_lock(&g->mu);
  g->open = 1;
  uv_cond_broadcast(&g->cv);
  uv_mutex_unlock(&g->mu);
}

static void gate_pass(gate *g) {
  atomic_fetch_add(&g->arrived, 1);
  uv_mutex_lock(&g->mu);
  while (!g->open)
    uv_cond_wait(&g->cv, &g->mu);
  uv_mutex_unlock(&g->mu);
}

static void gate_destroy(gate *g) {
  uv_cond_destroy(&g->cv);
  uv_mutex_destroy(&g->mu);
}

static int gated(acore_work_t *w, void *ud) {
  gate_pass(ud);
  return acore_work_set_int(w, 7);
}

/* Occupy `ex`'s one worker with a job that waits at `gt` (gate_open
 * lets it finish): jobs submitted after it stay queued. */
static acore_future_t *hold_worker(acore_loop_t *loop, acore_executor_t *ex,
                                   gate *gt) {
  acore_future_t *g;

  assert_int_equal(acore_run_in_executor(loop, ex, gated, gt, NULL, &g),
                   ACORE_OK);
  return g;
}

/* Poll `cond(arg)` (no timing assertion: up to a minute). */
static void wait_until(int (*cond)(void *), void *arg) {
  int i;

  for (i = 0; i < 60000 && !cond(arg); i++)
    uv_sleep(1);
  assert_true(cond(arg));
}

typedef struct stat_is { acore_executor_t *ex; int which; int64_t v; } stat_is;
static int stat_reached(void *arg) {
  stat_is *s = arg;
  return acore_executor_stat(s->ex, s->which) == s->v;
}
static void wait_stat(acore_executor_t *ex, int which, int64_t v) {
  stat_is s = { ex, which, v };
  wait_until(stat_reached, &s);
}

static int gate_arrived(void *arg) {
  return atomic_load(&((gate *)arg)->arrived) > 0;
}

/* An executor with these bounds; idle < 0 keeps the default idle timeout. */
static acore_executor_t *exec_make(unsigned max, unsigned min, double idle) {
  acore_executor_options_t *o;
  acore_executor_t *ex;

  assert_int_equal(acore_executor_options_new(&o), ACORE_OK);
  assert_int_equal(acore_executor_options_set_max_workers(o, max), ACORE_OK);
  assert_int_equal(acore_executor_options_set_min_workers(o, min), ACORE_OK);
  if (idle >= 0)
    assert_int_equal(acore_executor_options_set_idle_timeout(o, idle),
                     ACORE_OK);
  assert_int_equal(acore_executor_new(o, &ex), ACORE_OK);
  acore_executor_options_free(o);
  return ex;
}

static acore_executor_t *exec_new(unsigned max, unsigned min) {
  return exec_make(max, min, -1);
}

static int sum_ints(acore_work_t *w, void *ud) {
  int64_t s = 0, i;

  (void)ud;
  for (i = 1; i <= 100; i++)
    s += i;
  return acore_work_set_int(w, s);
}

static int64_t int_of(acore_future_t *f) {
  int64_t v = -1;
  assert_int_equal(acore_future_result_int(f, &v), ACORE_OK);
  return v;
}

static uv_thread_t loop_thread;
static atomic_int free_off_loop; /* ud_free calls seen off the loop thread */
static void ud_free_on_loop(void *ud) {
  uv_thread_t self = uv_thread_self();
  (void)ud;
  if (!uv_thread_equal(&self, &loop_thread))
    atomic_fetch_add(&free_off_loop, 1);
  tu_frees++;
}

/* ---- results ------------------------------------------------------------------ */

static int on_worker(acore_work_t *w, void *ud) {
  uv_thread_t self = uv_thread_self();
  (void)ud;
  return acore_work_set_int(w, uv_thread_equal(&self, &loop_thread) ? 0 : 1);
}

static int done_calls;
static void count_done(acore_future_t *f, void *ud) {
  (void)f;
  (void)ud;
  done_calls++;
}

static void test_executor_runs_work_on_a_worker(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(2, 0);
  acore_future_t *f;

  loop_thread = uv_thread_self();
  done_calls = 0;
  assert_int_equal(acore_run_in_executor(loop, ex, on_worker, NULL,
                                         ud_free_on_loop, &f), ACORE_OK);
  assert_int_equal(acore_future_add_done_callback(f, count_done, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(done_calls, 0);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_PENDING);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* waits for the job */
  assert_int_equal(done_calls, 1);
  assert_int_equal(int_of(f), 1);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(atomic_load(&free_off_loop), 0);
  assert_int_equal(acore_future_set_int(f, 1), ACORE_EINVAL); /* job's */
  acore_future_unref(f);
  assert_int_equal(acore_executor_shutdown(ex, ACORE_EXECUTOR_WAIT), ACORE_OK);
  acore_executor_unref(ex);
}

static int value_frees;
static void free_value(void *p) {
  value_frees++;
  free(p);
}

static int produce(acore_work_t *w, void *ud) {
  intptr_t what = (intptr_t)ud;
  acore_error_t *err;

  switch (what) {
  case 0: return acore_work_set_result(w, strdup("hello"), free_value);
  case 1: return acore_work_set_double(w, 2.5);
  case 2: return acore_work_set_bytes(w, "abc", 3);
  case 3: return acore_work_set_error_code(w, ACORE_EIO, "disk on fire");
  case 4: return ACORE_ETIMEDOUT;
  case 5: return ACORE_ECANCELLED;
  case 6: return ACORE_OK; /* NULL result */
  case 7: /* a second result is refused (no cmocka asserts off the main
             thread: the outcome is the result) */
    acore_work_set_int(w, 1);
    return acore_work_set_int(w, 2) == ACORE_EINVALIDSTATE ? ACORE_OK
                                                           : ACORE_EIO;
  case 8: /* a value, then a failure: the value is freed */
    acore_work_set_result(w, strdup("lost"), free_value);
    return ACORE_EIO;
  case 9: /* an error set wins over the code returned */
    acore_error_new(ACORE_EBUSY, "busy", &err);
    acore_work_set_error(w, err);
    acore_error_unref(err);
    return ACORE_EIO;
  }
  return ACORE_EINVAL;
}

static void test_executor_result_kinds(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(3, 0);
  acore_future_t *f[10];
  const void *data;
  size_t len;
  double d;
  void *p;
  intptr_t i;

  value_frees = 0;
  for (i = 0; i < 10; i++)
    assert_int_equal(acore_run_in_executor(loop, ex, produce, (void *)i, NULL,
                                           &f[i]), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_result(f[0], &p), ACORE_OK);
  assert_string_equal(p, "hello");
  assert_int_equal(acore_future_result_double(f[1], &d), ACORE_OK);
  assert_true(d == 2.5);
  assert_int_equal(acore_future_result_bytes(f[2], &data, &len), ACORE_OK);
  assert_int_equal(len, 3);
  assert_memory_equal(data, "abc", 3);
  assert_int_equal(acore_future_result(f[3], NULL), ACORE_EIO);
  assert_string_equal(acore_error_message(acore_future_error(f[3])),
                      "disk on fire");
  assert_int_equal(acore_future_result(f[4], NULL), ACORE_ETIMEDOUT);
  assert_int_equal(acore_future_is_cancelled(f[5]), 1);
  assert_int_equal(acore_future_result(f[6], &p), ACORE_OK);
  assert_null(p);
  assert_int_equal(int_of(f[7]), 1);
  assert_int_equal(acore_future_result(f[8], NULL), ACORE_EIO);
  assert_int_equal(acore_future_result(f[9], NULL), ACORE_EBUSY);
  assert_int_equal(value_frees, 1); /* "lost" */
  for (i = 0; i < 10; i++)
    acore_future_unref(f[i]);
  assert_int_equal(value_frees, 2); /* "hello" with its future */
  acore_executor_unref(ex);
}

static void test_executor_default_executor(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *a, *b, *mine = exec_new(1, 0);
  acore_future_t *f;

  assert_int_equal(acore_run_in_executor(loop, NULL, sum_ints, NULL, NULL, &f),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_OK);
  assert_int_equal(int_of(f), 5050);
  acore_future_unref(f);
  assert_int_equal(acore_loop_default_executor(loop, &a), ACORE_OK);
  assert_int_equal(acore_loop_default_executor(loop, &b), ACORE_OK);
  assert_ptr_equal(a, b);
  assert_true(acore_executor_stat(a, ACORE_EXECUTOR_STAT_MAX_WORKERS) >= 4);
  assert_int_equal(acore_executor_stat(a, ACORE_EXECUTOR_STAT_COMPLETED), 1);
  acore_executor_unref(b);
  /* replace it: the loop's own one is shut down */
  assert_int_equal(acore_loop_set_default_executor(loop, mine), ACORE_OK);
  assert_int_equal(acore_run_in_executor(loop, a, sum_ints, NULL, NULL, NULL),
                   ACORE_ECLOSED);
  acore_executor_unref(a);
  assert_int_equal(acore_run_in_executor(loop, NULL, sum_ints, NULL, NULL, &f),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_OK);
  assert_int_equal(acore_executor_stat(mine, ACORE_EXECUTOR_STAT_COMPLETED), 1);
  acore_future_unref(f);
  acore_executor_unref(mine); /* the loop still holds it until close */
}

/* The loop's own default executor is shut down when the loop closes: a
 * reference kept past the close refuses new work. */
static void test_executor_default_shut_down_at_close(void **state) {
  acore_loop_t *other = TU_LOOP(state), *loop = tu_loop_new(0);
  acore_executor_t *ex;
  acore_future_t *f;

  assert_int_equal(acore_loop_default_executor(loop, &ex), ACORE_OK);
  assert_int_equal(acore_run_in_executor(other, ex, sum_ints, NULL, NULL, &f),
                   ACORE_OK); /* open for any loop's work until then */
  assert_int_equal(acore_loop_run_until_complete(other, f), ACORE_OK);
  assert_int_equal(int_of(f), 5050);
  acore_future_unref(f);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  acore_loop_unref(loop);
  assert_int_equal(acore_run_in_executor(other, ex, sum_ints, NULL, NULL,
                                         NULL), ACORE_ECLOSED);
  acore_executor_unref(ex);
}

/* ---- the worker limit -------------------------------------------------------- */

static atomic_int cur_running, max_seen, max_seen_after, after_flag;

static int limited(acore_work_t *w, void *ud) {
  int now = atomic_fetch_add(&cur_running, 1) + 1;
  int m = atomic_load(&max_seen);

  (void)ud;
  while (now > m && !atomic_compare_exchange_weak(&max_seen, &m, now))
    ;
  if (atomic_load(&after_flag)) {
    m = atomic_load(&max_seen_after);
    while (now > m && !atomic_compare_exchange_weak(&max_seen_after, &m, now))
      ;
  }
  uv_sleep(1);
  atomic_fetch_sub(&cur_running, 1);
  return acore_work_set_int(w, 1);
}

static void run_limited(acore_loop_t *loop, acore_executor_t *ex, int n) {
  acore_future_t *f;
  int i;

  for (i = 0; i < n; i++) {
    assert_int_equal(acore_run_in_executor(loop, ex, limited, NULL, NULL, &f),
                     ACORE_OK);
    acore_future_unref(f);
  }
}

/* `limited`, once the gate `ud` opens: holds a worker until then. */
static int limited_at_gate(acore_work_t *w, void *ud) {
  gate_pass(ud);
  return limited(w, NULL);
}

static int at_most_two_running(void *ex) {
  return acore_executor_stat(ex, ACORE_EXECUTOR_STAT_RUNNING) <= 2;
}

static void test_executor_never_exceeds_max_workers(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(4, 0);
  acore_future_t *f;
  gate gt;
  int i;

  atomic_store(&max_seen, 0);
  atomic_store(&max_seen_after, 0);
  atomic_store(&after_flag, 0);
  run_limited(loop, ex, 64);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_true(atomic_load(&max_seen) <= 4);
  assert_true(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_WORKERS) <= 4);
  /* shrink while jobs run (4 held at a gate, so that 4 surely run, also
   * on a loaded machine): a job started afterwards sees at most 2 */
  gate_init(&gt);
  for (i = 0; i < 4; i++) {
    assert_int_equal(acore_run_in_executor(loop, ex, limited_at_gate, &gt,
                                           NULL, &f), ACORE_OK);
    acore_future_unref(f);
  }
  run_limited(loop, ex, 60);
  wait_stat(ex, ACORE_EXECUTOR_STAT_RUNNING, 4);
  assert_int_equal(acore_executor_set_max_workers(ex, 2), ACORE_OK);
  gate_open(&gt);
  /* the jobs already taken finish; from then on at most 2 run */
  wait_until(at_most_two_running, ex);
  atomic_store(&after_flag, 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_true(atomic_load(&max_seen_after) <= 2);
  assert_true(atomic_load(&max_seen) <= 4);
  wait_stat(ex, ACORE_EXECUTOR_STAT_WORKERS, 2); /* the extra retired */
  /* grow while jobs wait: workers start, never more than 6 run */
  atomic_store(&max_seen, 0);
  run_limited(loop, ex, 64);
  assert_int_equal(acore_executor_set_max_workers(ex, 6), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_true(atomic_load(&max_seen) <= 6);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_MAX_WORKERS), 6);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_COMPLETED), 192);
  acore_executor_unref(ex);
  gate_destroy(&gt);
}

static void test_executor_idle_workers_retire(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_make(4, 1, 0.01);

  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_WORKERS), 1);
  run_limited(loop, ex, 32);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  wait_stat(ex, ACORE_EXECUTOR_STAT_WORKERS, 1); /* back to the minimum */
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_IDLE), 1);
  run_limited(loop, ex, 8); /* and they come back */
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_COMPLETED), 40);
  acore_executor_unref(ex);
}

/* Lowering the maximum below the minimum lowers the minimum too. */
static void test_executor_shrink_lowers_min(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_make(3, 2, 0.01);

  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_WORKERS), 2);
  assert_int_equal(acore_executor_set_max_workers(ex, 1), ACORE_OK);
  wait_stat(ex, ACORE_EXECUTOR_STAT_WORKERS, 1);
  assert_int_equal(acore_executor_set_max_workers(ex, 3), ACORE_OK);
  run_limited(loop, ex, 16);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  wait_stat(ex, ACORE_EXECUTOR_STAT_WORKERS, 1); /* the minimum is now 1 */
  acore_executor_unref(ex);
}

/* ---- stats and cancellation -------------------------------------------------- */

static atomic_int ran;
static int counted(acore_work_t *w, void *ud) {
  (void)ud;
  atomic_fetch_add(&ran, 1);
  return acore_work_set_int(w, 1);
}

static void test_executor_stats_and_cancel_before_start(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(1, 0);
  acore_future_t *g, *a, *b;
  gate gt;

  gate_init(&gt);
  atomic_store(&ran, 0);
  loop_thread = uv_thread_self();
  g = hold_worker(loop, ex, &gt);
  assert_int_equal(acore_run_in_executor(loop, ex, counted, NULL,
                                         ud_free_on_loop, &a), ACORE_OK);
  assert_int_equal(acore_run_in_executor(loop, ex, counted, NULL,
                                         ud_free_on_loop, &b), ACORE_OK);
  wait_until(gate_arrived, &gt);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_RUNNING), 1);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_QUEUED), 2);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_IDLE), 0);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_WORKERS), 1);
  /* cancel b before it started: it never runs, ud_free runs now */
  assert_int_equal(acore_future_cancel(b, "not needed"), 1);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_future_is_cancelled(b), 1);
  assert_string_equal(acore_future_cancel_message(b), "not needed");
  assert_int_equal(acore_future_cancel(b, NULL), 0);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_QUEUED), 1);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_CANCELLED), 1);
  gate_open(&gt);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(atomic_load(&ran), 1); /* a only */
  assert_int_equal(int_of(a), 1);
  assert_int_equal(tu_frees, 2);
  assert_int_equal(atomic_load(&free_off_loop), 0);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_COMPLETED), 2);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_RUNNING), 0);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_IDLE), 1);
  acore_future_unref(g);
  acore_future_unref(a);
  acore_future_unref(b);
  acore_executor_unref(ex);
  gate_destroy(&gt);
}

static atomic_int polls_seen;
static int late_frees;
static void free_late(void *p) {
  late_frees++;
  free(p);
}

static int until_cancelled(acore_work_t *w, void *ud) {
  gate *g = ud;

  atomic_fetch_add(&g->arrived, 1);
  while (!acore_work_is_cancelled(w))
    uv_sleep(1);
  atomic_fetch_add(&polls_seen, 1);
  return acore_work_set_result(w, strdup("late"), free_late);
}

static void test_executor_cancel_while_running(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(1, 0);
  acore_future_t *f;
  gate gt;

  gate_init(&gt);
  late_frees = 0;
  atomic_store(&polls_seen, 0);
  loop_thread = uv_thread_self();
  assert_int_equal(acore_run_in_executor(loop, ex, until_cancelled, &gt,
                                         ud_free_on_loop, &f), ACORE_OK);
  wait_until(gate_arrived, &gt);
  assert_int_equal(acore_future_cancel(f, NULL), 1);
  assert_int_equal(acore_future_is_cancelled(f), 1); /* at once */
  assert_int_equal(tu_frees, 0); /* the job still runs */
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* until it is back */
  assert_int_equal(atomic_load(&polls_seen), 1);
  assert_int_equal(late_frees, 1); /* its late result was freed */
  assert_int_equal(tu_frees, 1);
  assert_int_equal(atomic_load(&free_off_loop), 0);
  assert_int_equal(acore_future_is_cancelled(f), 1);
  acore_future_unref(f);
  acore_executor_unref(ex);
  gate_destroy(&gt);
}

/* A task awaiting a queued job is cancelled: the job never runs. */
static int await_job(acore_task_t *t, void *ud) {
  acore_future_t *f = ud;

  if (acore_task_awaited(t) == NULL)
    return acore_task_await_take(t, acore_future_ref(f));
  return acore_future_is_cancelled(acore_task_awaited(t))
             ? acore_task_finish_cancelled(t)
             : acore_task_return_int(t, 1);
}

static void test_executor_task_cancel_reaches_job(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(1, 0);
  acore_future_t *g, *f;
  acore_task_t *t;
  gate gt;

  gate_init(&gt);
  atomic_store(&ran, 0);
  g = hold_worker(loop, ex, &gt);
  assert_int_equal(acore_run_in_executor(loop, ex, counted, NULL,
                                         tu_count_free, &f), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, await_job, f, NULL, &t), ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_task_cancel(t, NULL), 1);
  assert_int_equal(acore_future_is_cancelled(f), 1);
  assert_int_equal(tu_frees, 1);
  gate_open(&gt);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  assert_int_equal(atomic_load(&ran), 0);
  acore_task_unref(t);
  acore_future_unref(f);
  acore_future_unref(g);
  acore_executor_unref(ex);
  gate_destroy(&gt);
}

/* ---- shutdown ------------------------------------------------------------------ */

static void test_executor_shutdown(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(1, 0);
  acore_future_t *g, *f[3];
  gate gt;
  int i;

  gate_init(&gt);
  atomic_store(&ran, 0);
  loop_thread = uv_thread_self();
  g = hold_worker(loop, ex, &gt);
  for (i = 0; i < 3; i++)
    assert_int_equal(acore_run_in_executor(loop, ex, counted, NULL,
                                           ud_free_on_loop, &f[i]), ACORE_OK);
  wait_until(gate_arrived, &gt);
  assert_int_equal(acore_executor_shutdown(ex, ACORE_EXECUTOR_CANCEL_PENDING),
                   ACORE_OK);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_CANCELLED), 3);
  assert_int_equal(acore_run_in_executor(loop, ex, counted, NULL,
                                         tu_count_free, NULL), ACORE_ECLOSED);
  assert_int_equal(tu_frees, 1); /* ud_free of the refused one */
  assert_int_equal(acore_executor_set_max_workers(ex, 3), ACORE_ECLOSED);
  gate_open(&gt);
  assert_int_equal(acore_executor_shutdown(ex, ACORE_EXECUTOR_WAIT), ACORE_OK);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_WORKERS), 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* deliveries */
  for (i = 0; i < 3; i++) {
    assert_int_equal(acore_future_is_cancelled(f[i]), 1);
    acore_future_unref(f[i]);
  }
  assert_int_equal(int_of(g), 7);
  assert_int_equal(atomic_load(&ran), 0);
  assert_int_equal(tu_frees, 4);
  assert_int_equal(atomic_load(&free_off_loop), 0);
  assert_int_equal(acore_executor_shutdown(ex, ACORE_EXECUTOR_WAIT), ACORE_OK);
  acore_future_unref(g);
  acore_executor_unref(ex);
  gate_destroy(&gt);
}

static void shutdown_cancel_pending(void *ex) {
  acore_executor_shutdown(ex, ACORE_EXECUTOR_CANCEL_PENDING);
}

/* Shut down from another thread: the dropped jobs are cancelled on the
 * loop thread, where their ud_free runs; one is also cancelled by hand. */
static void test_executor_shutdown_from_another_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_options_t *o;
  acore_executor_t *ex;
  acore_future_t *g, *f[3];
  uv_thread_t t;
  gate gt;
  int i;

  gate_init(&gt);
  atomic_store(&ran, 0);
  atomic_store(&free_off_loop, 0);
  loop_thread = uv_thread_self();
  assert_int_equal(acore_executor_options_new(&o), ACORE_OK);
  assert_int_equal(acore_executor_options_set_max_workers(o, 1), ACORE_OK);
  assert_int_equal(acore_executor_options_set_stack_size(o, 256 << 10),
                   ACORE_OK);
  assert_int_equal(acore_executor_new(o, &ex), ACORE_OK);
  acore_executor_options_free(o);
  g = hold_worker(loop, ex, &gt);
  for (i = 0; i < 3; i++)
    assert_int_equal(acore_run_in_executor(loop, ex, counted, NULL,
                                           ud_free_on_loop, &f[i]), ACORE_OK);
  wait_until(gate_arrived, &gt);
  assert_int_equal(uv_thread_create(&t, shutdown_cancel_pending, ex), 0);
  assert_int_equal(uv_thread_join(&t), 0);
  assert_int_equal(tu_frees, 0); /* not on that thread */
  assert_int_equal(acore_future_cancel(f[0], "mine"), 1);
  gate_open(&gt);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  for (i = 0; i < 3; i++) {
    assert_int_equal(acore_future_is_cancelled(f[i]), 1);
    acore_future_unref(f[i]);
  }
  assert_int_equal(atomic_load(&ran), 0);
  assert_int_equal(tu_frees, 3);
  assert_int_equal(atomic_load(&free_off_loop), 0);
  assert_int_equal(int_of(g), 7);
  acore_future_unref(g);
  acore_executor_unref(ex);
  gate_destroy(&gt);
}

static int waits_for_itself(acore_work_t *w, void *ud) {
  return acore_work_set_int(w, acore_executor_shutdown(ud, ACORE_EXECUTOR_WAIT));
}

static void test_executor_shutdown_wait_from_own_work(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(1, 0);
  acore_future_t *f;

  assert_int_equal(acore_run_in_executor(loop, ex, waits_for_itself, ex, NULL,
                                         &f), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_OK);
  assert_int_equal(int_of(f), ACORE_EWRONGTHREAD);
  acore_future_unref(f);
  acore_executor_unref(ex);
}

/* ---- wake-ups ------------------------------------------------------------------ */

/* A job that waits (up to a minute) until `n` jobs of its burst run at
 * once; its result says whether they did. */
typedef struct rendezvous { atomic_int arrived; int n; } rendezvous;

static int meet(acore_work_t *w, void *ud) {
  rendezvous *r = ud;
  int i;

  atomic_fetch_add(&r->arrived, 1);
  for (i = 0; i < 60000 && atomic_load(&r->arrived) < r->n; i++)
    uv_sleep(1);
  return acore_work_set_int(w, atomic_load(&r->arrived) >= r->n);
}

/* `n` jobs submitted at once, each held until all `n` run together. */
static void burst_meets(acore_loop_t *loop, acore_executor_t *ex, int n) {
  acore_future_t *f[8];
  rendezvous r;
  int i;

  atomic_init(&r.arrived, 0);
  r.n = n;
  for (i = 0; i < n; i++)
    assert_int_equal(acore_run_in_executor(loop, ex, meet, &r, NULL, &f[i]),
                     ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  for (i = 0; i < n; i++) {
    assert_int_equal(int_of(f[i]), 1);
    acore_future_unref(f[i]);
  }
}

/* A burst wakes (or starts) one worker per job even though a submission
 * signals only when no wake-up is in flight: each woken worker wakes the
 * next while jobs are queued. */
static void test_executor_burst_reaches_every_worker(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *lazy = exec_new(4, 0), *ready = exec_new(4, 4);

  burst_meets(loop, lazy, 4); /* workers start one per job */
  burst_meets(loop, ready, 4); /* started, idle */
  uv_sleep(50); /* every worker past its spin, asleep */
  burst_meets(loop, ready, 4);
  burst_meets(loop, lazy, 4); /* the 4 started above, asleep */
  assert_int_equal(acore_executor_stat(lazy, ACORE_EXECUTOR_STAT_WORKERS), 4);
  acore_executor_unref(lazy);
  acore_executor_unref(ready);
}

/* ---- load ---------------------------------------------------------------------- */

#define MANY 100000
static unsigned char hits[MANY];

static void hit(acore_future_t *f, void *ud) {
  assert_int_equal(int_of(f), 5050);
  hits[(intptr_t)ud]++;
}

static void count_iteration(uv_prepare_t *h) { (*(long *)h->data)++; }

static void test_executor_100k_jobs_none_lost(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(4, 0);
  acore_future_t *f;
  uv_prepare_t iter;
  long iterations = 0;
  intptr_t i;

  memset(hits, 0, sizeof(hits));
  uv_prepare_init(acore_loop_uv(loop), &iter); /* counts libuv iterations */
  iter.data = &iterations;
  uv_prepare_start(&iter, count_iteration);
  uv_unref((uv_handle_t *)&iter);
  for (i = 0; i < MANY; i++) {
    assert_int_equal(acore_run_in_executor(loop, ex, sum_ints, NULL, NULL, &f),
                     ACORE_OK);
    assert_int_equal(acore_future_add_done_callback(f, hit, (void *)i, NULL),
                     ACORE_OK);
    acore_future_unref(f);
  }
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  for (i = 0; i < MANY; i++)
    assert_int_equal(hits[i], 1);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_COMPLETED),
                   MANY);
  /* delivered in batches: a loop iteration takes at most one batch of
   * finished jobs (one wake-up), and there were far fewer than jobs */
  print_message("%ld loop iterations for %d jobs\n", iterations, MANY);
  assert_true(iterations < MANY / 10);
  uv_close((uv_handle_t *)&iter, NULL);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
  acore_executor_unref(ex);
}

/* ---- two loops on two threads -------------------------------------------------- */

#define PER_LOOP 2000
typedef struct side {
  acore_executor_t *ex;
  acore_loop_t *loop;
  uv_thread_t self;
  int done;
  int wrong_thread;
} side;

static void on_side_done(acore_future_t *f, void *ud) {
  side *s = ud;
  uv_thread_t me = uv_thread_self();

  int64_t v = 0;

  if (!uv_thread_equal(&me, &s->self) || acore_future_result_int(f, &v) != 0 ||
      v != 5050)
    s->wrong_thread++;
  s->done++;
}

static void side_run(void *arg) {
  side *s = arg;
  acore_future_t *f;
  int i;

  s->self = uv_thread_self();
  for (i = 0; i < PER_LOOP; i++) {
    if (acore_run_in_executor(s->loop, s->ex, sum_ints, NULL, NULL, &f) != 0)
      abort();
    acore_future_add_done_callback(f, on_side_done, s, NULL);
    acore_future_unref(f);
  }
  acore_loop_run(s->loop);
  acore_loop_close(s->loop);
}

static void test_executor_serves_two_loops(void **state) {
  long before = (tu_alloc_install(), tu_alloc_live());
  acore_executor_t *ex = exec_new(3, 0);
  side a, b;
  uv_thread_t ta;

  (void)state;
  memset(&a, 0, sizeof(a));
  memset(&b, 0, sizeof(b));
  a.ex = b.ex = ex;
  a.loop = tu_loop_new(0); /* made here; each runs on its own thread */
  b.loop = tu_loop_new(0);
  assert_int_equal(uv_thread_create(&ta, side_run, &a), 0);
  side_run(&b);
  assert_int_equal(uv_thread_join(&ta), 0);
  assert_int_equal(a.done, PER_LOOP);
  assert_int_equal(b.done, PER_LOOP);
  assert_int_equal(a.wrong_thread + b.wrong_thread, 0);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_COMPLETED),
                   2 * PER_LOOP);
  acore_executor_unref(ex);
  acore_loop_unref(a.loop);
  acore_loop_unref(b.loop);
  assert_int_equal(tu_alloc_live(), before);
}

/* ---- closing a loop with work in flight -------------------------------------- */

static int leaked_back(void *arg) { return tu_alloc_live() == *(long *)arg; }

static int running_then_value(acore_work_t *w, void *ud) {
  gate_pass(ud);
  return acore_work_set_result(w, strdup("late"), free_late);
}

static void close_with_work(int wait_executor) {
  long before = (tu_alloc_install(), tu_alloc_live());
  acore_loop_t *loop = tu_loop_new(0);
  acore_executor_t *ex = exec_new(1, 0);
  acore_future_t *f, *q;
  gate gt;

  gate_init(&gt);
  tu_frees = 0;
  late_frees = 0;
  atomic_store(&ran, 0);
  assert_int_equal(acore_run_in_executor(loop, ex, running_then_value, &gt,
                                         tu_count_free, &f), ACORE_OK);
  assert_int_equal(acore_run_in_executor(loop, ex, counted, NULL,
                                         tu_count_free, &q), ACORE_OK);
  wait_until(gate_arrived, &gt);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(tu_frees, 1); /* the queued one, never run */
  assert_int_equal(acore_future_is_cancelled(f), 1);
  assert_int_equal(acore_future_is_cancelled(q), 1);
  acore_future_unref(f);
  acore_future_unref(q);
  acore_loop_unref(loop);
  if (!wait_executor)
    acore_executor_unref(ex); /* the job holds the last reference */
  gate_open(&gt);
  if (wait_executor) {
    assert_int_equal(acore_executor_shutdown(ex, ACORE_EXECUTOR_WAIT),
                     ACORE_OK);
    acore_executor_unref(ex);
  }
  wait_until(leaked_back, &before); /* the worker freed it all */
  assert_int_equal(tu_frees, 2);
  assert_int_equal(late_frees, 1);
  assert_int_equal(atomic_load(&ran), 0);
  gate_destroy(&gt);
}

static void test_executor_loop_close_with_work_in_flight(void **state) {
  (void)state;
  close_with_work(1);
  close_with_work(0); /* the executor dies on its own worker */
}

/* ---- bad input and allocation failure ---------------------------------------- */

/* A worker thread that cannot start (its stack cannot be mapped: the
 * system says EAGAIN) is ACORE_EIO, as documented, not ACORE_ENOMEM. */
static void test_executor_thread_start_failure_is_eio(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_options_t *o;
  acore_executor_t *ex = NULL;

  assert_int_equal(acore_executor_options_new(&o), ACORE_OK);
  /* larger than the whole address space of x86-64 user code */
  assert_int_equal(acore_executor_options_set_stack_size(o, (size_t)1 << 47),
                   ACORE_OK);
  assert_int_equal(acore_executor_options_set_min_workers(o, 1), ACORE_OK);
  assert_int_equal(acore_executor_new(o, &ex), ACORE_EIO);
  assert_null(ex);
  assert_int_equal(acore_executor_options_set_min_workers(o, 0), ACORE_OK);
  assert_int_equal(acore_executor_new(o, &ex), ACORE_OK);
  tu_frees = 0;
  assert_int_equal(acore_run_in_executor(loop, ex, NULL, NULL, NULL, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_run_in_executor(loop, ex, sum_ints, NULL,
                                         tu_count_free, NULL), ACORE_EIO);
  assert_int_equal(tu_frees, 1);
  acore_executor_unref(ex);
  acore_executor_options_free(o);
}

static void test_executor_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_options_t *o;
  acore_executor_t *ex;

  assert_int_equal(acore_executor_options_new(NULL), ACORE_EINVAL);
  assert_int_equal(acore_executor_options_new(&o), ACORE_OK);
  assert_int_equal(acore_executor_options_set_max_workers(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_executor_options_set_max_workers(o, 0), ACORE_EINVAL);
  assert_int_equal(acore_executor_options_set_max_workers(
                       o, ACORE_EXECUTOR_MAX_WORKERS + 1), ACORE_EINVAL);
  assert_int_equal(acore_executor_options_set_min_workers(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_executor_options_set_min_workers(
                       o, ACORE_EXECUTOR_MAX_WORKERS + 1), ACORE_EINVAL);
  assert_int_equal(acore_executor_options_set_idle_timeout(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_executor_options_set_idle_timeout(o, -1), ACORE_EINVAL);
  assert_int_equal(acore_executor_options_set_idle_timeout(o, 0.0 / 0.0),
                   ACORE_EINVAL);
  assert_int_equal(acore_executor_options_set_stack_size(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_executor_options_set_max_workers(o, 2), ACORE_OK);
  assert_int_equal(acore_executor_options_set_min_workers(o, 3), ACORE_OK);
  assert_int_equal(acore_executor_new(o, &ex), ACORE_EINVAL); /* min > max */
  assert_int_equal(acore_executor_new(o, NULL), ACORE_EINVAL);
  acore_executor_options_free(o);
  acore_executor_options_free(NULL);
  ex = exec_new(1, 0);
  assert_null(acore_executor_ref(NULL));
  acore_executor_unref(NULL);
  assert_int_equal(acore_executor_set_max_workers(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_executor_set_max_workers(ex, 0), ACORE_EINVAL);
  assert_int_equal(acore_executor_stat(NULL, ACORE_EXECUTOR_STAT_QUEUED),
                   ACORE_EINVAL);
  assert_int_equal(acore_executor_stat(ex, 0), ACORE_EINVAL);
  assert_int_equal(acore_executor_stat(ex, 99), ACORE_EINVAL);
  assert_int_equal(acore_executor_shutdown(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_executor_shutdown(ex, 1u << 7), ACORE_EINVAL);
  tu_frees = 0;
  assert_int_equal(acore_run_in_executor(NULL, ex, sum_ints, NULL,
                                         tu_count_free, NULL), ACORE_EINVAL);
  assert_int_equal(acore_run_in_executor(loop, ex, NULL, NULL, tu_count_free,
                                         NULL), ACORE_EINVAL);
  assert_int_equal(tu_frees, 2);
  assert_int_equal(acore_loop_default_executor(NULL, &ex), ACORE_EINVAL);
  assert_int_equal(acore_loop_default_executor(loop, NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_set_default_executor(NULL, ex), ACORE_EINVAL);
  assert_int_equal(acore_loop_set_default_executor(loop, NULL), ACORE_EINVAL);
  assert_int_equal(acore_work_set_result(NULL, NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_work_set_int(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_work_set_double(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_work_set_bytes(NULL, "", 0), ACORE_EINVAL);
  assert_int_equal(acore_work_set_error(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_work_set_error_code(NULL, ACORE_EIO, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_work_is_cancelled(NULL), ACORE_EINVAL);
  assert_null(acore_work_loop(NULL));
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_COMPLETED), 0);
  acore_executor_unref(ex);
}

static int bad_sets(acore_work_t *w, void *ud) {
  int ok = acore_work_loop(w) == ud && acore_work_is_cancelled(w) == 0 &&
           acore_work_set_bytes(w, NULL, 3) == ACORE_EINVAL &&
           acore_work_set_error(w, NULL) == ACORE_EINVAL &&
           acore_work_set_error_code(w, 1, NULL) == ACORE_EINVAL;

  return acore_work_set_int(w, ok ? 3 : 0);
}

static void test_executor_work_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  assert_int_equal(acore_run_in_executor(loop, NULL, bad_sets, loop, NULL, &f),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_OK);
  assert_int_equal(int_of(f), 3);
  acore_future_unref(f);
}

/* On the worker: the copies of set_bytes and set_error_code fail; neither
 * set anything, so a later set_int still counts. The loop thread is idle
 * (waiting for this job) while the failure is armed. */
static int sets_enomem(acore_work_t *w, void *ud) {
  int ok;

  (void)ud;
  tu_alloc_fail_at(1);
  ok = acore_work_set_bytes(w, "abc", 3) == ACORE_ENOMEM;
  tu_alloc_fail_at(1);
  ok = acore_work_set_error_code(w, ACORE_EIO, "m") == ACORE_ENOMEM && ok;
  tu_alloc_fail_at(0);
  return acore_work_set_int(w, ok ? 3 : 0);
}

static void test_executor_work_enomem(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;

  assert_int_equal(acore_run_in_executor(loop, NULL, sets_enomem, NULL, NULL,
                                         &f), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_OK);
  assert_int_equal(int_of(f), 3);
  acore_future_unref(f);
}

/* The loop's executor record is the call's one allocation: ENOMEM, and the
 * next call installs the executor. */
static void test_executor_set_default_enomem(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(1, 0), *got;

  tu_alloc_fail_at(1);
  assert_int_equal(acore_loop_set_default_executor(loop, ex), ACORE_ENOMEM);
  tu_alloc_fail_at(0);
  assert_int_equal(acore_loop_set_default_executor(loop, ex), ACORE_OK);
  assert_int_equal(acore_loop_default_executor(loop, &got), ACORE_OK);
  assert_ptr_equal(got, ex);
  acore_executor_unref(got);
  acore_executor_unref(ex);
}

static void resize_elsewhere(void *ex) {
  if (acore_executor_set_max_workers(ex, 3) != ACORE_OK)
    abort();
}

/* "Thread: any": the maximum changes from another thread while the loop
 * thread submits; every job still runs. */
static void test_executor_set_max_workers_from_another_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(1, 0);
  uv_thread_t t;

  run_limited(loop, ex, 16);
  assert_int_equal(uv_thread_create(&t, resize_elsewhere, ex), 0);
  run_limited(loop, ex, 16);
  assert_int_equal(uv_thread_join(&t), 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_MAX_WORKERS), 3);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_COMPLETED), 32);
  acore_executor_unref(ex);
}

typedef struct foreign_call { acore_loop_t *loop; int rc; } foreign_call;
static void call_from_foreign(void *arg) {
  foreign_call *c = arg;
  acore_executor_t *ex;

  c->rc = acore_run_in_executor(c->loop, NULL, sum_ints, NULL, NULL, NULL);
  if (acore_loop_default_executor(c->loop, &ex) != ACORE_EWRONGTHREAD)
    c->rc = 0;
}

/* Debug mode: loop-thread-only calls from another thread are refused. */
static void test_executor_debug_wrong_thread(void **state) {
  foreign_call c = { TU_LOOP(state), 0 };
  uv_thread_t t;

  assert_int_equal(uv_thread_create(&t, call_from_foreign, &c), 0);
  assert_int_equal(uv_thread_join(&t), 0);
  assert_int_equal(c.rc, ACORE_EWRONGTHREAD);
}

static void test_executor_closed_loop(void **state) {
  acore_loop_t *loop = tu_loop_new(0);

  (void)state;
  tu_frees = 0;
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_run_in_executor(loop, NULL, sum_ints, NULL,
                                         tu_count_free, NULL), ACORE_ECLOSED);
  assert_int_equal(tu_frees, 1);
  acore_loop_unref(loop);
}

/* Fire and forget: an error nobody retrieved is reported. */
static int fails(acore_work_t *w, void *ud) {
  (void)w;
  (void)ud;
  return ACORE_EIO;
}

static void test_executor_unretrieved_error_reported(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  tu_reports r;

  tu_capture_reports(loop, &r);
  assert_int_equal(acore_run_in_executor(loop, NULL, fails, NULL, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.last_kind, ACORE_REPORT_UNRETRIEVED);
  assert_int_equal(r.last_code, ACORE_EIO);
}

static void count_handle(uv_handle_t *h, void *arg) {
  (void)h;
  ++*(int *)arg;
}

static int uv_handles(acore_loop_t *loop) {
  int n = 0;

  uv_walk(acore_loop_uv(loop), count_handle, &n);
  return n;
}

/* The default executor is the executor's own record on the loop: asking
 * for it, or setting one, adds no handle to the loop (the delivery of
 * results is set up by the first job). */
static void test_executor_default_adds_no_handle(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *a, *mine = exec_new(1, 0);
  int handles = uv_handles(loop);

  assert_int_equal(acore_loop_default_executor(loop, &a), ACORE_OK);
  assert_int_equal(uv_handles(loop), handles);
  assert_int_equal(acore_loop_set_default_executor(loop, mine), ACORE_OK);
  assert_int_equal(uv_handles(loop), handles);
  assert_int_equal(acore_executor_stat(a, ACORE_EXECUTOR_STAT_WORKERS), 0);
  acore_executor_unref(a);
  acore_executor_unref(mine);
}

/* A failed acore_run_in_executor() leaves nothing behind: not the default
 * executor it made, nor the loop's delivery state (handles and memory come
 * back once the loop turns), whichever step failed. */
static void test_executor_failed_run_leaves_nothing(void **state) {
  acore_executor_t *shut;
  long nth, live;
  int rc, handles, cache;

  (void)state;
  cache = tu_cache_off(1); /* freed objects go back to the allocator */
  for (nth = 1;; nth++) {
    long before = (tu_alloc_install(), tu_alloc_live());
    acore_loop_t *loop = tu_loop_new(0);

    live = tu_alloc_live();
    handles = uv_handles(loop);
    tu_alloc_fail_at(nth);
    rc = acore_run_in_executor(loop, NULL, sum_ints, NULL, NULL, NULL);
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK) {
      assert_int_equal(acore_loop_run(loop), ACORE_OK);
      tu_loop_free(loop, before);
      break;
    }
    assert_int_equal(rc, ACORE_ENOMEM);
    assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
    assert_int_equal(tu_alloc_live(), live);
    assert_int_equal(uv_handles(loop), handles);
    tu_loop_free(loop, before);
  }
  assert_true(nth > 2);
  /* Refused by a shut-down executor, on a loop's first use. */
  {
    long before = tu_alloc_live();
    acore_loop_t *loop = tu_loop_new(0);

    assert_int_equal(acore_executor_new(NULL, &shut), ACORE_OK);
    assert_int_equal(acore_executor_shutdown(shut, 0), ACORE_OK);
    live = tu_alloc_live();
    handles = uv_handles(loop);
    assert_int_equal(acore_run_in_executor(loop, shut, sum_ints, NULL, NULL,
                                           NULL), ACORE_ECLOSED);
    assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT), 0);
    assert_int_equal(tu_alloc_live(), live);
    assert_int_equal(uv_handles(loop), handles);
    acore_executor_unref(shut);
    tu_loop_free(loop, before);
  }
  tu_cache_off(cache);
}

/* Fail the 1st, 2nd, ... allocation of a first use of the default
 * executor on a fresh loop until it succeeds. */
static void test_executor_alloc_failure_walk(void **state) {
  long nth;
  int rc;

  (void)state;
  for (nth = 1;; nth++) {
    long before = (tu_alloc_install(), tu_alloc_live());
    acore_loop_t *loop = tu_loop_new(0);
    acore_future_t *f = NULL;

    tu_frees = 0;
    tu_alloc_fail_at(nth);
    rc = acore_run_in_executor(loop, NULL, sum_ints, NULL, tu_count_free, &f);
    tu_alloc_fail_at(0);
    assert_int_equal(tu_frees, rc == ACORE_OK ? 0 : 1);
    if (rc != ACORE_OK) {
      assert_int_equal(rc, ACORE_ENOMEM);
      /* the loop still runs the rest */
      assert_int_equal(acore_run_in_executor(loop, NULL, sum_ints, NULL, NULL,
                                             &f), ACORE_OK);
    }
    assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_OK);
    assert_int_equal(int_of(f), 5050);
    acore_future_unref(f);
    tu_loop_free(loop, before);
    if (rc == ACORE_OK)
      break;
  }
  assert_true(nth > 3);
  for (nth = 1;; nth++) { /* an executor with two workers at start */
    long before = tu_alloc_live();
    acore_executor_options_t *o = NULL;
    acore_executor_t *ex = NULL;

    tu_alloc_fail_at(nth);
    rc = acore_executor_options_new(&o);
    if (rc == ACORE_OK && (rc = acore_executor_options_set_min_workers(o, 2)) ==
                              ACORE_OK)
      rc = acore_executor_new(o, &ex);
    tu_alloc_fail_at(0);
    acore_executor_options_free(o);
    if (rc != ACORE_OK)
      assert_int_equal(rc, ACORE_ENOMEM);
    else
      assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_WORKERS), 2);
    acore_executor_unref(ex);
    assert_int_equal(tu_alloc_live(), before);
    if (rc == ACORE_OK)
      break;
  }
}

/* Cancelling a queued job whose message cannot be copied: ACORE_ENOMEM
 * and nothing changed (still queued, pending); a later cancel drops it. */
static void test_executor_cancel_enomem_keeps_job(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_executor_t *ex = exec_new(1, 0);
  acore_future_t *g, *b;
  gate gt;

  gate_init(&gt);
  atomic_store(&ran, 0);
  g = hold_worker(loop, ex, &gt);
  assert_int_equal(acore_run_in_executor(loop, ex, counted, NULL,
                                         tu_count_free, &b), ACORE_OK);
  wait_until(gate_arrived, &gt);
  tu_alloc_fail_at(1); /* the message's copy */
  assert_int_equal(acore_future_cancel(b, "not needed"), ACORE_ENOMEM);
  tu_alloc_fail_at(0);
  assert_int_equal(acore_future_is_done(b), 0);
  assert_int_equal(tu_frees, 0);
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_QUEUED), 1);
  assert_int_equal(acore_future_cancel(b, "not needed"), 1);
  assert_int_equal(tu_frees, 1); /* dropped: its ud_free ran */
  assert_int_equal(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_QUEUED), 0);
  gate_open(&gt);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(atomic_load(&ran), 0); /* b never ran */
  assert_string_equal(acore_future_cancel_message(b), "not needed");
  acore_future_unref(g);
  acore_future_unref(b);
  acore_executor_unref(ex);
  gate_destroy(&gt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup, tu_teardown)
    T(test_executor_runs_work_on_a_worker),
    T(test_executor_thread_start_failure_is_eio),
    T(test_executor_failed_run_leaves_nothing),
    T(test_executor_result_kinds),
    T(test_executor_default_executor),
    T(test_executor_default_shut_down_at_close),
    T(test_executor_default_adds_no_handle),
    T(test_executor_never_exceeds_max_workers),
    T(test_executor_idle_workers_retire),
    T(test_executor_shrink_lowers_min),
    T(test_executor_stats_and_cancel_before_start),
    T(test_executor_cancel_while_running),
    T(test_executor_task_cancel_reaches_job),
    T(test_executor_shutdown),
    T(test_executor_shutdown_wait_from_own_work),
    T(test_executor_shutdown_from_another_thread),
    T(test_executor_set_max_workers_from_another_thread),
    T(test_executor_burst_reaches_every_worker),
    T(test_executor_100k_jobs_none_lost),
    T(test_executor_einval),
    T(test_executor_work_einval),
    T(test_executor_work_enomem),
    T(test_executor_set_default_enomem),
    T(test_executor_unretrieved_error_reported),
    cmocka_unit_test_setup_teardown(test_executor_debug_wrong_thread,
                                    tu_setup_debug, tu_teardown),
    cmocka_unit_test(test_executor_serves_two_loops),
    cmocka_unit_test(test_executor_loop_close_with_work_in_flight),
    cmocka_unit_test(test_executor_closed_loop),
    cmocka_unit_test(test_executor_alloc_failure_walk),
    T(test_executor_cancel_enomem_keeps_job),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
