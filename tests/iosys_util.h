/* SPDX-License-Identifier: MIT */
/*
 * iosys_util.h - helpers of the fd, signal and process tests
 * (test_io_fd.c, test_io_signal.c, test_io_process.c): a fixture that
 * also checks the process's open fds are the same after the test, and a
 * bounded run (a test never waits more than a few seconds).
 */
#ifndef ACORE_IOSYS_UTIL_H
#define ACORE_IOSYS_UTIL_H

#include "testutil.h"

#include <dirent.h>
#include <stdlib.h>

/* Open fds of the process (entries of /proc/self/fd, less the one the
 * listing itself uses). */
static inline int iosys_fd_count(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;

  assert_non_null(d);
  while (readdir(d) != NULL)
    n++;
  closedir(d);
  return n;
}

static int iosys_fds_at_setup;

/* libuv opens a few process-wide fds with the first loop: make one first,
 * so the tests' counts see only their own. */
static inline void iosys_warm_up(void) {
  acore_loop_t *loop = NULL;

  if (acore_loop_new(NULL, &loop) == ACORE_OK) {
    acore_loop_close(loop);
    acore_loop_unref(loop);
  }
}

static inline int iosys_setup(void **state) {
  iosys_fds_at_setup = iosys_fd_count();
  return tu_setup(state);
}

static inline int iosys_setup_walk(void **state) {
  iosys_fds_at_setup = iosys_fd_count();
  return tu_setup_walk(state);
}

static inline int iosys_teardown(void **state) {
  int rc = tu_teardown(state);

  assert_int_equal(iosys_fd_count(), iosys_fds_at_setup);
  return rc;
}

static int iosys_timed_out;

static inline void iosys_on_deadline(void *ud) {
  iosys_timed_out = 1;
  acore_loop_stop(ud);
}

/* Run until `fut` is done, failing the test after `seconds`. */
static inline void iosys_run(acore_loop_t *loop, acore_future_t *fut,
                             double seconds) {
  acore_handle_t *h = NULL;

  iosys_timed_out = 0;
  assert_int_equal(acore_loop_call_later(loop, seconds, iosys_on_deadline,
                                         loop, NULL, &h), ACORE_OK);
  acore_loop_run_until_complete(loop, fut);
  acore_handle_cancel(h);
  acore_handle_unref(h);
  assert_int_equal(iosys_timed_out, 0);
  assert_int_not_equal(acore_future_state(fut), ACORE_FUTURE_PENDING);
}

/* The int result of a done future (fails the test otherwise). */
static inline int64_t iosys_int(acore_future_t *fut) {
  int64_t v = -1;

  assert_int_equal(acore_future_result_int(fut, &v), ACORE_OK);
  return v;
}

#endif /* ACORE_IOSYS_UTIL_H */
