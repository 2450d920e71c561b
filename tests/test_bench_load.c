/* SPDX-License-Identifier: MIT */
/* test_bench_load.c - the benchmarks' background load (bench_util.h's
 * bench_load_start): its spinning children never outlive the benchmark,
 * also when it ends without bench_load_stop (a failed check() exits). */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define BENCH_NAME "test_bench_load"
#include "../bench/bench_util.h"

#include <sys/prctl.h>

enum { NLOAD = 2 };

/* Reap `pid` (a child of ours) within about `ms` milliseconds: 1 if it
 * ended, 0 if it still runs. */
static int reaped_within(pid_t pid, int ms) {
  int i, status;

  for (i = 0; i < ms; i++) {
    pid_t r = waitpid(pid, &status, WNOHANG);

    if (r == pid)
      return 1;
    usleep(1000);
  }
  return 0;
}

/* A benchmark process that starts the load and dies as check() makes it
 * die: its spinners, re-parented to this test (a subreaper), must end. */
static void test_bench_load_dies_with_the_benchmark(void **state) {
  pid_t bench, pids[NLOAD];
  int fds[2], i, ended = 0, status;

  (void)state;
  assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  assert_int_equal(pipe(fds), 0);
  fflush(NULL); /* the benchmark's exit() flushes only its own output */
  bench = fork();
  assert_true(bench >= 0);
  if (bench == 0) {
    close(fds[0]);
    bench_load_start(NLOAD);
    if (write(fds[1], bench_load_pids, sizeof(pids)) != sizeof(pids))
      _exit(2);
    check(0, "a failed check, the load still running"); /* exits */
  }
  close(fds[1]);
  assert_int_equal(read(fds[0], pids, sizeof(pids)), sizeof(pids));
  close(fds[0]);
  assert_int_equal(waitpid(bench, &status, 0), bench);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  for (i = 0; i < NLOAD; i++)
    ended += reaped_within(pids[i], 2000);
  for (i = 0; i < NLOAD; i++) { /* whatever the verdict: no spinner left */
    kill(pids[i], SIGKILL);
    waitpid(pids[i], NULL, 0);
  }
  assert_int_equal(ended, NLOAD);
}

/* bench_load_stop ends them all and can start again. */
static void test_bench_load_stop_ends_every_spinner(void **state) {
  pid_t pids[NLOAD];
  int i;

  (void)state;
  bench_load_start(NLOAD);
  assert_int_equal(bench_load_n, NLOAD);
  memcpy(pids, bench_load_pids, sizeof(pids));
  bench_load_stop();
  assert_int_equal(bench_load_n, 0);
  for (i = 0; i < NLOAD; i++) { /* reaped already */
    assert_int_equal(waitpid(pids[i], NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
  }
  (void)bench_rss_per_obj;
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bench_load_dies_with_the_benchmark),
    cmocka_unit_test(test_bench_load_stop_ends_every_spinner),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
