/* SPDX-License-Identifier: MIT */
/* test_io_fd.c - readiness of file descriptors: acore_fd_readable() /
 * _writable() futures and acore_fd_watcher_t (acore/fd.h). */
#include "io_testutil.h"
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void pair(int sv[2]) {
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void close_pair(int sv[2]) {
  close(sv[0]);
  close(sv[1]);
}

/* One iteration without blocking (registrations reach the kernel). */
static void spin(acore_loop_t *loop) {
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
}

static void test_io_fd_readable(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL;
  int sv[2];

  pair(sv);
  assert_int_equal(acore_fd_readable(loop, sv[0], &f), ACORE_OK);
  spin(loop);
  spin(loop);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_PENDING);
  assert_int_equal(write(sv[1], "x", 1), 1);
  io_wait(loop, f, 5);
  assert_int_equal(io_int(f), ACORE_FD_READABLE);
  acore_future_unref(f);
  close_pair(sv);
}

static void test_io_fd_writable(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL;
  int sv[2];

  pair(sv);
  assert_int_equal(acore_fd_writable(loop, sv[0], &f), ACORE_OK);
  io_wait(loop, f, 5);
  assert_int_equal(io_int(f), ACORE_FD_WRITABLE);
  acore_future_unref(f);
  close_pair(sv);
}

/* Several futures on one fd: each is woken for what it waits for. */
static void test_io_fd_several_waiters(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *r1 = NULL, *r2 = NULL, *w = NULL;
  int sv[2];

  pair(sv);
  assert_int_equal(acore_fd_readable(loop, sv[0], &r1), ACORE_OK);
  assert_int_equal(acore_fd_readable(loop, sv[0], &r2), ACORE_OK);
  assert_int_equal(acore_fd_writable(loop, sv[0], &w), ACORE_OK);
  io_wait(loop, w, 5);
  assert_int_equal(io_int(w), ACORE_FD_WRITABLE);
  assert_int_equal(acore_future_state(r1), ACORE_FUTURE_PENDING);
  assert_int_equal(acore_future_state(r2), ACORE_FUTURE_PENDING);
  assert_int_equal(write(sv[1], "x", 1), 1);
  io_wait(loop, r2, 5);
  assert_int_equal(acore_future_state(r1), ACORE_FUTURE_RESULT);
  assert_int_equal(io_int(r1), ACORE_FD_READABLE);
  assert_int_equal(io_int(r2), ACORE_FD_READABLE);
  acore_future_unref(r1);
  acore_future_unref(r2);
  acore_future_unref(w);
  close_pair(sv);
}

/* Is anything of libuv still active (or closing) on the loop? */
static int uv_busy(acore_loop_t *loop) {
  spin(loop);
  return uv_loop_alive(acore_loop_uv(loop));
}

/* Cancel stops the watching: nothing keeps the loop alive afterwards,
 * and a cancelled waiter leaves its neighbours waiting. */
static void test_io_fd_cancel_stops_watching(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *a = NULL, *b = NULL;
  int sv[2];

  pair(sv);
  assert_int_equal(acore_fd_readable(loop, sv[0], &a), ACORE_OK);
  assert_int_equal(acore_fd_readable(loop, sv[0], &b), ACORE_OK);
  spin(loop);
  assert_true(uv_busy(loop));
  assert_int_equal(acore_future_cancel(a, "enough"), 1);
  assert_true(uv_busy(loop));
  assert_int_equal(acore_future_cancel(b, NULL), 1);
  assert_false(uv_busy(loop));
  assert_int_equal(acore_future_state(a), ACORE_FUTURE_CANCELLED);
  assert_string_equal(acore_future_cancel_message(a), "enough");
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* returns: no work */
  acore_future_unref(a);
  acore_future_unref(b);
  close_pair(sv);
}

/* A pending future dropped by its last holder stops watching too. */
static void test_io_fd_unref_pending(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL;
  int sv[2];

  pair(sv);
  assert_int_equal(acore_fd_readable(loop, sv[0], &f), ACORE_OK);
  spin(loop);
  acore_future_unref(f);
  assert_false(uv_busy(loop));
  close_pair(sv);
}

/* wait_for: the readiness future is cancelled at the timeout. */
static void test_io_fd_wait_for(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL, *wf = NULL;
  int sv[2];

  pair(sv);
  assert_int_equal(acore_fd_readable(loop, sv[0], &f), ACORE_OK);
  assert_int_equal(acore_wait_for(f, 0.02, &wf), ACORE_OK);
  io_wait(loop, wf, 5);
  assert_int_equal(acore_future_result(wf, NULL), ACORE_ETIMEDOUT);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_CANCELLED);
  assert_false(uv_busy(loop));
  acore_future_unref(wf);
  acore_future_unref(f);
  close_pair(sv);
}

/* An error condition (a refused connection) wakes a writable waiter with
 * ACORE_FD_ERROR. */
static void test_io_fd_error_condition(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  struct sockaddr_in sa;
  socklen_t len = sizeof(sa);
  acore_future_t *f = NULL;
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s;

  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &len), 0);
  close(l); /* nobody listens on that port now */
  s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  assert_true(connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
              errno == EINPROGRESS || errno == ECONNREFUSED);
  assert_int_equal(acore_fd_writable(loop, s, &f), ACORE_OK);
  io_wait(loop, f, 5);
  assert_true(io_int(f) & ACORE_FD_WRITABLE);
  assert_true(io_int(f) & ACORE_FD_ERROR);
  acore_future_unref(f);
  close(s);
}

/* A task awaiting readiness under a timeout scope: the deadline cancels
 * the readiness future (the fd is no longer watched) and the task sees
 * ACORE_ETIMEDOUT. */
typedef struct scoped {
  int fd;
  int at;
  acore_timeout_t *scope;
  acore_future_t *waited; /* a reference, to check afterwards */
} scoped;

static int scoped_step(acore_task_t *t, void *ud) {
  scoped *j = ud;
  acore_loop_t *loop = acore_task_loop(t);
  acore_future_t *f = NULL;
  int rc;

  if (j->at++ == 0) {
    assert_int_equal(acore_timeout_new(t, acore_loop_time(loop) + 0.02,
                                       &j->scope), ACORE_OK);
    assert_int_equal(acore_fd_readable(loop, j->fd, &f), ACORE_OK);
    j->waited = acore_future_ref(f);
    return acore_task_await_take(t, f);
  }
  rc = acore_timeout_exit(j->scope, acore_task_resume(t, NULL));
  acore_timeout_free(j->scope);
  return acore_task_return_int(t, rc);
}

static void test_io_fd_timeout_scope(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  scoped j = {0};
  acore_task_t *t = NULL;
  int sv[2];

  pair(sv);
  j.fd = sv[0];
  assert_int_equal(acore_task_spawn(loop, scoped_step, &j, NULL, &t),
                   ACORE_OK);
  io_wait(loop, acore_task_future(t), 5);
  assert_int_equal(io_int(acore_task_future(t)), ACORE_ETIMEDOUT);
  assert_int_equal(acore_future_state(j.waited), ACORE_FUTURE_CANCELLED);
  assert_false(uv_busy(loop));
  acore_future_unref(j.waited);
  acore_task_unref(t);
  close_pair(sv);
}

/* Tasks of a group await readiness; cancelling the group cancels them
 * and stops the watching. */
static int group_step(acore_task_t *t, void *ud) {
  acore_future_t *f = NULL;

  if (acore_task_awaited(t) == NULL) {
    assert_int_equal(acore_fd_readable(acore_task_loop(t), *(int *)ud, &f),
                     ACORE_OK);
    return acore_task_await_take(t, f);
  }
  return acore_task_return_int(t, 1); /* not reached: cancelled */
}

static void test_io_fd_group_cancel(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_group_t *g = NULL;
  int sv[2];

  pair(sv);
  assert_int_equal(acore_group_new(loop, &g), ACORE_OK);
  assert_int_equal(acore_group_spawn(g, group_step, &sv[0], NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_group_spawn(g, group_step, &sv[1], NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_group_seal(g), ACORE_OK);
  spin(loop);
  spin(loop);
  assert_true(uv_busy(loop));
  assert_int_equal(acore_future_cancel(acore_group_future(g), NULL), 1);
  io_wait(loop, acore_group_future(g), 5);
  assert_int_equal(acore_future_state(acore_group_future(g)),
                   ACORE_FUTURE_CANCELLED);
  assert_false(uv_busy(loop));
  acore_group_unref(g);
  close_pair(sv);
}

/* ---- watchers ----------------------------------------------------------- */

typedef struct wlog {
  int calls;
  unsigned last;
  int fd;
  acore_fd_watcher_t *other; /* closed by the callback, if set */
  int close_self;
  int drain;
} wlog;

static void on_ready(acore_fd_watcher_t *w, int fd, unsigned events,
                     void *ud) {
  wlog *l = ud;
  char buf[64];

  l->calls++;
  l->last = events;
  l->fd = fd;
  if (l->drain)
    while (read(fd, buf, sizeof(buf)) > 0)
      ;
  if (l->other != NULL)
    assert_int_equal(acore_fd_watcher_close(l->other), ACORE_OK);
  if (l->close_self)
    assert_int_equal(acore_fd_watcher_close(w), ACORE_OK);
}

static void run_a_bit(acore_loop_t *loop, double seconds) {
  acore_future_t *s = NULL;

  assert_int_equal(acore_sleep(loop, seconds, &s), ACORE_OK);
  io_wait(loop, s, seconds + 5);
  acore_future_unref(s);
}

static void test_io_fd_watcher(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_fd_watcher_t *w = NULL;
  wlog log = {0};
  int sv[2];

  pair(sv);
  log.drain = 1;
  tu_frees = 0;
  assert_int_equal(acore_fd_watcher_new(loop, sv[0], ACORE_FD_READABLE,
                                        on_ready, &log, tu_count_free, &w),
                   ACORE_OK);
  assert_int_equal(acore_fd_watcher_fd(w), sv[0]);
  assert_int_equal(acore_fd_watcher_events(w), ACORE_FD_READABLE);
  run_a_bit(loop, 0.01);
  assert_int_equal(log.calls, 0);
  assert_int_equal(write(sv[1], "ab", 2), 2);
  run_a_bit(loop, 0.01);
  assert_int_equal(log.calls, 1); /* drained: called once */
  assert_int_equal(log.last, ACORE_FD_READABLE);
  assert_int_equal(log.fd, sv[0]);
  /* paused: data waits, no call */
  assert_int_equal(acore_fd_watcher_set_events(w, 0), ACORE_OK);
  assert_int_equal(write(sv[1], "c", 1), 1);
  run_a_bit(loop, 0.01);
  assert_int_equal(log.calls, 1);
  /* both: called with both */
  assert_int_equal(acore_fd_watcher_set_events(w, ACORE_FD_READABLE |
                                                  ACORE_FD_WRITABLE),
                   ACORE_OK);
  log.drain = 0;
  assert_int_equal(acore_loop_run_once(loop, 0) >= 0, 1);
  assert_int_equal(log.calls, 2);
  assert_int_equal(log.last, ACORE_FD_READABLE | ACORE_FD_WRITABLE);
  assert_int_equal(acore_fd_watcher_close(w), ACORE_OK);
  assert_int_equal(tu_frees, 1); /* ud_free ran, once */
  assert_int_equal(acore_fd_watcher_close(w), ACORE_OK);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_fd_watcher_events(w), 0);
  assert_int_equal(acore_fd_watcher_set_events(w, ACORE_FD_READABLE),
                   ACORE_ECLOSED);
  assert_false(uv_busy(loop));
  assert_ptr_equal(acore_fd_watcher_ref(w), w);
  acore_fd_watcher_unref(w);
  acore_fd_watcher_unref(w);
  close_pair(sv);
}

/* A callback closes another watcher of the same fd (not called after)
 * and itself; a future on the fd is woken in the same pass. */
static void test_io_fd_watcher_close_in_callback(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_fd_watcher_t *a = NULL, *b = NULL;
  acore_future_t *f = NULL;
  wlog la = {0}, lb = {0};
  int sv[2];

  pair(sv);
  tu_frees = 0;
  assert_int_equal(acore_fd_watcher_new(loop, sv[0], ACORE_FD_WRITABLE,
                                        on_ready, &la, tu_count_free, &a),
                   ACORE_OK);
  assert_int_equal(acore_fd_watcher_new(loop, sv[0], ACORE_FD_WRITABLE,
                                        on_ready, &lb, tu_count_free, &b),
                   ACORE_OK);
  assert_int_equal(acore_fd_writable(loop, sv[0], &f), ACORE_OK);
  la.other = b;
  la.close_self = 1;
  io_wait(loop, f, 5);
  run_a_bit(loop, 0.01);
  assert_int_equal(la.calls, 1);
  assert_int_equal(lb.calls, 0);
  assert_int_equal(tu_frees, 2);
  assert_false(uv_busy(loop));
  acore_fd_watcher_unref(a);
  acore_fd_watcher_unref(b);
  acore_future_unref(f);
  close_pair(sv);
}

/* The last unref of an open watcher closes it (ud_free runs). */
static void test_io_fd_watcher_unref_closes(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_fd_watcher_t *w = NULL;
  wlog log = {0};
  int sv[2];

  pair(sv);
  tu_frees = 0;
  assert_int_equal(acore_fd_watcher_new(loop, sv[0], ACORE_FD_WRITABLE,
                                        on_ready, &log, tu_count_free, &w),
                   ACORE_OK);
  acore_fd_watcher_unref(w);
  assert_int_equal(tu_frees, 1);
  assert_false(uv_busy(loop));
  close_pair(sv);
}

static void *unref_elsewhere(void *w) {
  acore_fd_watcher_unref(w);
  return NULL;
}

/* ... also from another thread: deferred to the loop thread. */
static void test_io_fd_watcher_unref_other_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_fd_watcher_t *w = NULL;
  wlog log = {0};
  pthread_t th;
  int sv[2];

  pair(sv);
  tu_frees = 0;
  assert_int_equal(acore_fd_watcher_new(loop, sv[0], 0, on_ready, &log,
                                        tu_count_free, &w),
                   ACORE_OK);
  assert_int_equal(pthread_create(&th, NULL, unref_elsewhere, w), 0);
  pthread_join(th, NULL);
  assert_int_equal(tu_frees, 0);
  run_a_bit(loop, 0.01);
  assert_int_equal(tu_frees, 1);
  assert_false(uv_busy(loop));
  close_pair(sv);
}

/* ---- an fd closed while watched ----------------------------------------- */

static void test_io_fd_closed_while_watched(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *old = NULL, *f = NULL;
  acore_fd_watcher_t *w = NULL;
  wlog log = {0};
  int sv[2], sv2[2], fd;

  pair(sv);
  fd = sv[0];
  assert_int_equal(acore_fd_readable(loop, fd, &old), ACORE_OK);
  assert_int_equal(acore_fd_watcher_new(loop, fd, ACORE_FD_READABLE, on_ready,
                                        &log, NULL, &w),
                   ACORE_OK);
  spin(loop);
  close(fd); /* behind acore's back: the kernel forgets it */
  assert_int_equal(acore_fd_writable(loop, fd, &f), ACORE_EBADF);
  assert_null(f);
  assert_int_equal(acore_future_state(old), ACORE_FUTURE_ERROR);
  assert_int_equal(acore_error_code(acore_future_error(old)), ACORE_EBADF);
  assert_int_equal(acore_fd_watcher_events(w), 0); /* paused */
  assert_int_equal(acore_fd_watcher_set_events(w, ACORE_FD_READABLE),
                   ACORE_EBADF);
  acore_future_unref(old);

  /* The number comes back as another file: the watch follows the new one. */
  close(sv[1]);
  pair(sv);
  fd = sv[0];
  assert_int_equal(acore_fd_readable(loop, fd, &old), ACORE_OK);
  spin(loop);
  close(fd);
  pair(sv2); /* takes the lowest free number: fd */
  assert_int_equal(sv2[0], fd);
  assert_int_equal(acore_fd_writable(loop, fd, &f), ACORE_OK);
  assert_int_equal(acore_future_state(old), ACORE_FUTURE_ERROR);
  assert_int_equal(acore_error_code(acore_future_error(old)), ACORE_EBADF);
  io_wait(loop, f, 5);
  assert_int_equal(io_int(f), ACORE_FD_WRITABLE);
  acore_future_unref(f);
  acore_future_unref(old);
  close(sv[1]);
  assert_int_equal(log.calls, 0);
  acore_fd_watcher_unref(w);
  assert_false(uv_busy(loop));
  close_pair(sv2);
}

/* ---- loop close --------------------------------------------------------- */

static void test_io_fd_loop_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL;
  acore_fd_watcher_t *w = NULL;
  wlog log = {0};
  int sv[2];

  pair(sv);
  tu_frees = 0;
  assert_int_equal(acore_fd_readable(loop, sv[0], &f), ACORE_OK);
  assert_int_equal(acore_fd_watcher_new(loop, sv[0], ACORE_FD_READABLE,
                                        on_ready, &log, tu_count_free, &w),
                   ACORE_OK);
  spin(loop);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_CANCELLED);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_fd_watcher_set_events(w, 1), ACORE_ECLOSED);
  assert_int_equal(acore_fd_watcher_close(w), ACORE_OK);
  assert_int_equal(acore_fd_readable(loop, sv[0], &f), ACORE_ECLOSED);
  acore_fd_watcher_unref(w);
  acore_future_unref(f);
  close_pair(sv);
}

/* ---- bad input ---------------------------------------------------------- */

static void test_io_fd_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL;
  acore_fd_watcher_t *w = NULL;
  char path[] = "/tmp/acore-fd-XXXXXX";
  int sv[2], file;

  pair(sv);
  tu_frees = 0;
  assert_int_equal(acore_fd_readable(NULL, sv[0], &f), ACORE_EINVAL);
  assert_int_equal(acore_fd_readable(loop, -1, &f), ACORE_EINVAL);
  assert_int_equal(acore_fd_readable(loop, sv[0], NULL), ACORE_EINVAL);
  assert_int_equal(acore_fd_writable(NULL, sv[0], &f), ACORE_EINVAL);
  assert_int_equal(acore_fd_writable(loop, -3, &f), ACORE_EINVAL);
  assert_int_equal(acore_fd_writable(loop, sv[0], NULL), ACORE_EINVAL);
  assert_int_equal(acore_fd_readable(loop, 1000, &f), ACORE_EBADF);
  file = mkstemp(path);
  assert_true(file >= 0);
  unlink(path);
  assert_int_equal(acore_fd_readable(loop, file, &f), ACORE_EPERM);
  close(file);
  assert_null(f);
  assert_int_equal(acore_fd_watcher_new(NULL, sv[0], 1, on_ready, NULL,
                                        tu_count_free, &w), ACORE_EINVAL);
  assert_int_equal(acore_fd_watcher_new(loop, -1, 1, on_ready, NULL,
                                        tu_count_free, &w), ACORE_EINVAL);
  assert_int_equal(acore_fd_watcher_new(loop, sv[0], 8, on_ready, NULL,
                                        tu_count_free, &w), ACORE_EINVAL);
  assert_int_equal(acore_fd_watcher_new(loop, sv[0], 1, NULL, NULL,
                                        tu_count_free, &w), ACORE_EINVAL);
  assert_int_equal(acore_fd_watcher_new(loop, sv[0], 1, on_ready, NULL,
                                        tu_count_free, NULL), ACORE_EINVAL);
  assert_int_equal(acore_fd_watcher_new(loop, 1000, 1, on_ready, NULL,
                                        tu_count_free, &w), ACORE_EBADF);
  assert_int_equal(tu_frees, 6); /* ud_free ran on every failure */
  assert_null(w);
  assert_int_equal(acore_fd_watcher_set_events(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_fd_watcher_close(NULL), ACORE_EINVAL);
  assert_int_equal(acore_fd_watcher_events(NULL), 0);
  assert_int_equal(acore_fd_watcher_fd(NULL), -1);
  assert_null(acore_fd_watcher_ref(NULL));
  acore_fd_watcher_unref(NULL);
  assert_int_equal(acore_fd_watcher_new(loop, sv[0], 1, on_ready, NULL, NULL,
                                        &w), ACORE_OK);
  assert_int_equal(acore_fd_watcher_set_events(w, 4), ACORE_EINVAL);
  assert_int_equal(acore_fd_watcher_events(w), 1); /* unchanged */
  acore_fd_watcher_unref(w);
  assert_false(uv_busy(loop));
  close_pair(sv);
}

typedef struct thr_arg {
  acore_loop_t *loop;
  acore_fd_watcher_t *w;
  int fd;
  int rc[4];
} thr_arg;

static void *from_other_thread(void *ud) {
  thr_arg *a = ud;
  acore_future_t *f = NULL;
  acore_fd_watcher_t *w = NULL;

  a->rc[0] = acore_fd_readable(a->loop, a->fd, &f);
  a->rc[1] = acore_fd_watcher_new(a->loop, a->fd, 1, on_ready, NULL, NULL, &w);
  a->rc[2] = acore_fd_watcher_set_events(a->w, 2);
  a->rc[3] = acore_fd_watcher_close(a->w);
  return NULL;
}

static void test_io_fd_wrong_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  thr_arg a = {loop, NULL, -1, {0}};
  pthread_t th;
  int sv[2];

  pair(sv);
  a.fd = sv[0];
  assert_int_equal(acore_fd_watcher_new(loop, sv[0], 1, on_ready, NULL, NULL,
                                        &a.w), ACORE_OK);
  assert_int_equal(pthread_create(&th, NULL, from_other_thread, &a), 0);
  pthread_join(th, NULL);
  assert_int_equal(a.rc[0], ACORE_EWRONGTHREAD);
  assert_int_equal(a.rc[1], ACORE_EWRONGTHREAD);
  assert_int_equal(a.rc[2], ACORE_EWRONGTHREAD);
  assert_int_equal(a.rc[3], ACORE_EWRONGTHREAD);
  acore_fd_watcher_unref(a.w);
  close_pair(sv);
}

/* ---- allocation failures ------------------------------------------------ */

static int alloc_scenario(acore_loop_t *loop, int fd, int fd2) {
  acore_future_t *f = NULL, *g = NULL;
  acore_fd_watcher_t *w = NULL;
  int rc;

  tu_frees = 0;
  if ((rc = acore_fd_readable(loop, fd, &f)) != ACORE_OK)
    return rc;
  rc = acore_fd_watcher_new(loop, fd, ACORE_FD_WRITABLE, on_ready, NULL,
                            tu_count_free, &w);
  assert_int_equal(tu_frees, rc == ACORE_OK ? 0 : 1);
  if (rc == ACORE_OK)
    rc = acore_fd_writable(loop, fd2, &g);
  if (rc == ACORE_OK)
    rc = acore_fd_watcher_set_events(w, ACORE_FD_READABLE);
  acore_future_unref(f);
  acore_future_unref(g);
  acore_fd_watcher_unref(w);
  return rc;
}

static void test_io_fd_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  long nth;
  int sv[2], rc;

  pair(sv);
  for (nth = 1; nth < 100; nth++) {
    tu_alloc_fail_at(nth);
    rc = alloc_scenario(loop, sv[0], sv[1]);
    tu_alloc_fail_at(0);
    assert_false(uv_busy(loop));
    if (rc == ACORE_OK) {
      assert_int_equal(tu_alloc_failed(), 0);
      break;
    }
    assert_int_equal(rc, ACORE_ENOMEM);
  }
  assert_true(nth > 2 && nth < 100);
  close_pair(sv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    IO_TEST(test_io_fd_readable),
    IO_TEST(test_io_fd_writable),
    IO_TEST(test_io_fd_several_waiters),
    IO_TEST(test_io_fd_cancel_stops_watching),
    IO_TEST(test_io_fd_unref_pending),
    IO_TEST(test_io_fd_wait_for),
    IO_TEST(test_io_fd_error_condition),
    IO_TEST(test_io_fd_timeout_scope),
    IO_TEST(test_io_fd_group_cancel),
    IO_TEST(test_io_fd_watcher),
    IO_TEST(test_io_fd_watcher_close_in_callback),
    IO_TEST(test_io_fd_watcher_unref_closes),
    IO_TEST(test_io_fd_watcher_unref_other_thread),
    IO_TEST(test_io_fd_closed_while_watched),
    IO_TEST(test_io_fd_loop_close),
    IO_TEST(test_io_fd_einval),
    cmocka_unit_test_setup_teardown(test_io_fd_wrong_thread, tu_setup_debug,
                                    tu_teardown),
    IO_TEST_WALK(test_io_fd_alloc_failure_walk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
