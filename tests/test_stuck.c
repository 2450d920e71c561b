/* SPDX-License-Identifier: MIT */
/* test_stuck.c - stuck-task detection: tasks that wait on one await
 * longer than the loop's threshold are reported once per await with their
 * await chain, by the loop's own timer and by acore_loop_check_stuck();
 * and the dump the loop writes on its dump signal. */
#include "deadlock_util.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static acore_loop_t *stuck_loop(unsigned flags, double threshold) {
  acore_loop_options_t *o;
  acore_loop_t *loop;

  assert_int_equal(acore_loop_options_new(&o), ACORE_OK);
  assert_int_equal(acore_loop_options_set_flags(o, flags), ACORE_OK);
  assert_int_equal(acore_loop_options_set_stuck_threshold(o, threshold),
                   ACORE_OK);
  assert_int_equal(acore_loop_new(o, &loop), ACORE_OK);
  acore_loop_options_free(o);
  return loop;
}

static int setup(void **state, unsigned flags, double threshold) {
  tu_fixture *fx = calloc(1, sizeof(*fx));

  tu_alloc_install();
  tu_alloc_fail_at(0);
  fx->live_before = tu_alloc_live();
  fx->cache_before = -1;
  fx->loop = stuck_loop(flags, threshold);
  tu_frees = 0;
  *state = fx;
  return 0;
}

static int setup_virtual_10s(void **state) {
  return setup(state, ACORE_LOOP_VIRTUAL_CLOCK, 10.0);
}

static int setup_real_50ms(void **state) { return setup(state, 0, 0.05); }

/* Every report: its kind, task id and message. */
typedef struct seen {
  int n;
  int kind[8];
  uint64_t id[8];
  char msg[8][512];
} seen;

static void collect(acore_loop_t *loop, const acore_context_t *ctx, void *ud) {
  seen *s = ud;

  (void)loop;
  if (s->n < 8) {
    s->kind[s->n] = acore_context_kind(ctx);
    s->id[s->n] = acore_task_id(acore_context_task(ctx));
    snprintf(s->msg[s->n], sizeof(s->msg[0]), "%s", acore_context_message(ctx));
  }
  s->n++;
}

/* ---- the deadlock of test_graph.c (deadlock_util.h): main gathers a
 * and b, a holds l1 and waits for l2, b holds l2 and waits for l1 ---- */

/* The loop's where callback: a site for the locker `ud` alone. */
static int where_of(acore_task_t *task, acore_step_fn step, void *step_ud,
                    char *buf, size_t cap, void *ud) {
  (void)task;
  (void)step;
  return step_ud == ud ? snprintf(buf, cap, "lazy.c:1") : 0;
}

static void test_stuck_reports_chain(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_lock_t *l1, *l2;
  locker a = {0}, b = {0};
  mainj m = {{NULL, NULL}, 0};
  acore_task_t *main_task;
  seen s;
  int i;

  memset(&s, 0, sizeof(s));
  acore_loop_set_error_handler(loop, collect, &s, NULL);
  acore_lock_new(loop, &l1);
  acore_lock_new(loop, &l2);
  a.first = b.second = l1;
  a.second = b.first = l2;
  acore_task_spawn(loop, main_step, &m, NULL, &main_task);
  acore_task_spawn(loop, locker_step, &a, NULL, &m.kids[0]);
  acore_task_spawn(loop, locker_step, &b, NULL, &m.kids[1]);
  acore_task_set_name(m.kids[0], "a");
  acore_task_set_name(m.kids[1], "b");
  acore_loop_set_where_fn(loop, where_of, &a, NULL);
  for (i = 0; i < 4; i++)
    assert_true(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0);
  acore_loop_advance(loop, 9.5);
  assert_int_equal(acore_loop_check_stuck(loop), ACORE_OK);
  assert_int_equal(s.n, 0); /* not yet */
  acore_loop_advance(loop, 1.0);
  assert_int_equal(acore_loop_check_stuck(loop), ACORE_OK);
  assert_int_equal(s.n, 3); /* oldest first */
  for (i = 0; i < 3; i++) {
    assert_int_equal(s.kind[i], ACORE_REPORT_TASK_STUCK);
    assert_int_equal(s.id[i], (uint64_t)i + 1);
  }
  assert_non_null(strstr(s.msg[0], "task waiting for 10.500 s (threshold "
                                   "10.000 s): awaits gather: 0 of 2 done "
                                   "-> a (#2) -> awaits waiter: lock 0x"));
  assert_non_null(strstr(s.msg[0], "held by b (#3)"));
  assert_non_null(strstr(s.msg[1], "(threshold 10.000 s) at lazy.c:1: "
                                   "awaits waiter: lock 0x"));
  assert_non_null(strstr(s.msg[2], "): awaits waiter: lock 0x"));
  assert_non_null(strstr(s.msg[2], "; held by a (#2)"));
  acore_loop_advance(loop, 100.0);
  assert_int_equal(acore_loop_check_stuck(loop), ACORE_OK);
  assert_int_equal(s.n, 3); /* once per await */

  acore_task_cancel(main_task, NULL);
  while (acore_loop_task_count(loop) > 0)
    assert_true(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0);
  acore_task_unref(main_task);
  acore_task_unref(m.kids[0]);
  acore_task_unref(m.kids[1]);
  acore_lock_unref(l1);
  acore_lock_unref(l2);
}

/* With the real clock the loop's timer finds a task stuck in a wait that a
 * timer ends later; a task awaiting a second time is reported again. */
static int sleeper(acore_task_t *t, void *ud) {
  int *at = ud;
  acore_future_t *f = NULL;

  if ((*at)++ == 2)
    return acore_task_return_int(t, 0);
  assert_int_equal(acore_sleep(acore_task_loop(t), 0.15, &f), ACORE_OK);
  return acore_task_await_take(t, f);
}

static void test_stuck_timer(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  seen s;
  int at = 0;

  memset(&s, 0, sizeof(s));
  acore_loop_set_error_handler(loop, collect, &s, NULL);
  assert_int_equal(acore_task_spawn(loop, sleeper, &at, NULL, NULL), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(at, 3);
  assert_int_equal(s.n, 2); /* each sleep, once */
  assert_int_equal(s.kind[0], ACORE_REPORT_TASK_STUCK);
  assert_non_null(strstr(s.msg[0], "awaits sleep"));
}

/* Without the option nothing is watched and the check is a no-op. */
static void test_stuck_off(void **state) {
  acore_loop_t *loop = TU_LOOP(state);

  assert_int_equal(acore_loop_check_stuck(loop), ACORE_OK);
}

static void test_stuck_einval(void **state) {
  acore_loop_options_t *o;

  (void)state;
  assert_int_equal(acore_loop_options_new(&o), ACORE_OK);
  assert_int_equal(acore_loop_options_set_stuck_threshold(NULL, 1.0),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_stuck_threshold(o, -1.0),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_stuck_threshold(o, 0.0 / 0.0),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_stuck_threshold(o, 0.0), ACORE_OK);
  acore_loop_options_free(o);
  assert_int_equal(acore_loop_check_stuck(NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_close(TU_LOOP(state)), ACORE_OK);
  assert_int_equal(acore_loop_check_stuck(TU_LOOP(state)), ACORE_ECLOSED);
}

/* ---- the dump on a signal (sigdump.c) ---- */

static void noop(void *ud) { (void)ud; }

static void test_dump_signal(void **state) {
  acore_loop_options_t *o;
  acore_loop_t *loop;
  char dir[] = "/tmp/acore-test-XXXXXX", path[128], text[256] = "";
  FILE *f;
  int i;

  (void)state;
  assert_non_null(mkdtemp(dir));
  setenv("ACORE_DUMP_DIR", dir, 1);
  assert_int_equal(acore_loop_options_new(&o), ACORE_OK);
  assert_int_equal(acore_loop_options_set_dump_signal(o, SIGUSR2), ACORE_OK);
  assert_int_equal(acore_loop_new(o, &loop), ACORE_OK);
  acore_loop_options_free(o);
  assert_int_equal(raise(SIGUSR2), 0);
  snprintf(path, sizeof(path), "%s/acore-%ld.txt", dir, (long)getpid());
  for (i = 0; i < 100 && access(path, F_OK) != 0; i++) {
    /* the watcher keeps no run going: a timer does, as a program's work */
    acore_loop_call_later(loop, 0.01, noop, NULL, NULL, NULL);
    acore_loop_run(loop);
  }
  assert_non_null(f = fopen(path, "r"));
  assert_non_null(fgets(text, sizeof(text), f));
  fclose(f);
  assert_memory_equal(text, "acore loop: 0 tasks, loop time ", 31);
  unlink(path);
  snprintf(path, sizeof(path), "%s/acore-%ld.json", dir, (long)getpid());
  assert_int_equal(unlink(path), 0);
  rmdir(dir);
  unsetenv("ACORE_DUMP_DIR");
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  acore_loop_unref(loop);
}

static void test_dump_signal_einval(void **state) {
  acore_loop_options_t *o;

  (void)state;
  assert_int_equal(acore_loop_options_new(&o), ACORE_OK);
  assert_int_equal(acore_loop_options_set_dump_signal(NULL, SIGUSR1),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_dump_signal(o, -1), ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_dump_signal(o, SIGKILL),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_dump_signal(o, SIGSTOP),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_dump_signal(o, 100000),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_options_set_dump_signal(o, 0), ACORE_OK);
  acore_loop_options_free(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_stuck_reports_chain,
                                      setup_virtual_10s, tu_teardown),
      cmocka_unit_test_setup_teardown(test_stuck_timer, setup_real_50ms,
                                      tu_teardown),
      cmocka_unit_test_setup_teardown(test_stuck_off, tu_setup, tu_teardown),
      cmocka_unit_test_setup_teardown(test_stuck_einval, tu_setup,
                                      tu_teardown),
      cmocka_unit_test(test_dump_signal),
      cmocka_unit_test(test_dump_signal_einval),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
