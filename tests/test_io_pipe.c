/* SPDX-License-Identifier: MIT */
/*
 * test_io_pipe.c - Unix-domain sockets (in a temporary directory) and
 * streams over descriptors (pipe(2), socketpair(2)). Every test checks
 * that the process's descriptors are the same after it.
 */
#include "io_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char dir[64];
static char path[128];

/* io_setup / io_teardown around a fresh folder for the socket path. */
static int setup(void **state) {
  snprintf(dir, sizeof(dir), "/tmp/acore-pipe-XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/sock", dir);
  return io_setup(state);
}

static int teardown(void **state) {
  unlink(path);
  rmdir(dir);
  return io_teardown(state);
}

static void unix_pair(acore_loop_t *loop, acore_server_t *srv,
                      acore_stream_t **c, acore_stream_t **s) {
  acore_future_t *fc, *fa;

  assert_int_equal(acore_server_accept(srv, &fa), ACORE_OK);
  assert_int_equal(acore_unix_connect(loop, path, &fc), ACORE_OK);
  IO_WAIT(loop, fc);
  IO_WAIT(loop, fa);
  assert_int_equal(acore_stream_from_future(fc, c), ACORE_OK);
  assert_int_equal(acore_stream_from_future(fa, s), ACORE_OK);
  acore_future_unref(fc);
  acore_future_unref(fa);
}

static void test_io_pipe_unix_echo(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_server_t *srv;
  acore_stream_t *c, *s;
  acore_future_t *r;
  char buf[16], host[ACORE_ADDRESS_MAX];
  int port = 0;

  assert_int_equal(acore_unix_listen(loop, path, 0, 0, &srv), ACORE_OK);
  assert_int_equal(acore_server_address(srv, host, sizeof(host), &port),
                   ACORE_OK);
  assert_string_equal(host, path);
  assert_int_equal(port, -1);
  unix_pair(loop, srv, &c, &s);
  assert_int_equal(acore_stream_peer_address(c, host, sizeof(host), &port),
                   ACORE_OK);
  assert_string_equal(host, path);
  io_write_all(loop, c, "unix", 4);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 4);
  assert_memory_equal(buf, "unix", 4);
  acore_future_unref(r);
  assert_int_equal(acore_stream_set_nodelay(c, 1), ACORE_ENOTSUP);
  assert_int_equal(acore_stream_set_keepalive(c, 1, 5), ACORE_ENOTSUP);
  io_drop(c);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 0);
  acore_future_unref(r);
  io_drop(s);
  acore_server_close(srv);
  acore_server_unref(srv);
}

static void test_io_pipe_unix_errors(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_server_t *srv, *srv2 = NULL;
  acore_future_t *c;
  char missing[160];

  snprintf(missing, sizeof(missing), "%s/none", dir);
  assert_int_equal(acore_unix_connect(loop, missing, &c), ACORE_OK);
  IO_WAIT(loop, c);
  assert_int_equal(io_err(c), ACORE_ENOENT);
  acore_future_unref(c);
  assert_int_equal(acore_unix_listen(loop, path, 0, 0, &srv), ACORE_OK);
  assert_int_equal(acore_unix_listen(loop, path, 0, 0, &srv2),
                   ACORE_EADDRINUSE);
  assert_null(srv2);
  acore_server_close(srv);
  acore_server_unref(srv);
  /* closing the listener removed the file */
  assert_int_equal(acore_unix_connect(loop, path, &c), ACORE_OK);
  IO_WAIT(loop, c);
  assert_int_equal(io_err(c), ACORE_ENOENT);
  acore_future_unref(c);
  acore_loop_run(loop);
}

static void test_io_pipe_open_pipe_fds(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *rd, *wr;
  acore_future_t *r;
  int fds[2];
  char buf[8];

  assert_int_equal(pipe(fds), 0);
  assert_int_equal(acore_pipe_open(loop, fds[0], &rd), ACORE_OK);
  assert_int_equal(acore_pipe_open(loop, fds[1], &wr), ACORE_OK);
  io_write_all(loop, wr, "pipe", 4);
  io_drop(wr); /* closes fds[1]: the reader sees the end */
  assert_int_equal(acore_stream_read_exactly(rd, buf, 4, &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_memory_equal(buf, "pipe", 4);
  acore_future_unref(r);
  assert_int_equal(acore_stream_read(rd, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 0);
  acore_future_unref(r);
  io_drop(rd); /* closes fds[0] */
}

static void test_io_pipe_open_socketpair(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *a, *b;
  acore_future_t *r;
  int sv[2];
  char buf[8];

  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(acore_pipe_open(loop, sv[0], &a), ACORE_OK);
  assert_int_equal(acore_pipe_open(loop, sv[1], &b), ACORE_OK);
  io_write_all(loop, a, "pair", 4);
  assert_int_equal(acore_stream_read(b, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 4);
  acore_future_unref(r);
  io_drop(a);
  io_drop(b);
}

static void test_io_pipe_cancel_connect(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_server_t *srv;
  acore_future_t *c;

  assert_int_equal(acore_unix_listen(loop, path, 0, 0, &srv), ACORE_OK);
  assert_int_equal(acore_unix_connect(loop, path, &c), ACORE_OK);
  assert_int_equal(acore_future_cancel(c, NULL), 1);
  acore_future_unref(c);
  acore_server_close(srv);
  acore_server_unref(srv);
  acore_loop_run(loop);
}

static void test_io_pipe_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_server_t *srv = NULL;
  acore_stream_t *s = NULL;
  acore_future_t *f = NULL;
  char longpath[200];

  memset(longpath, 'a', sizeof(longpath) - 1);
  longpath[sizeof(longpath) - 1] = '\0';
  assert_int_equal(acore_unix_connect(NULL, path, &f), ACORE_EINVAL);
  assert_int_equal(acore_unix_connect(loop, NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_unix_connect(loop, "", &f), ACORE_EINVAL);
  assert_int_equal(acore_unix_connect(loop, longpath, &f), ACORE_EINVAL);
  assert_int_equal(acore_unix_connect(loop, path, NULL), ACORE_EINVAL);
  assert_null(f);
  assert_int_equal(acore_unix_listen(NULL, path, 0, 0, &srv), ACORE_EINVAL);
  assert_int_equal(acore_unix_listen(loop, NULL, 0, 0, &srv), ACORE_EINVAL);
  assert_int_equal(acore_unix_listen(loop, longpath, 0, 0, &srv),
                   ACORE_EINVAL);
  assert_int_equal(acore_unix_listen(loop, path, -1, 0, &srv), ACORE_EINVAL);
  assert_int_equal(acore_unix_listen(loop, path, 0, 1, &srv), ACORE_EINVAL);
  assert_int_equal(acore_unix_listen(loop, path, 0, 0, NULL), ACORE_EINVAL);
  assert_null(srv);
  assert_int_equal(acore_pipe_open(NULL, 0, &s), ACORE_EINVAL);
  assert_int_equal(acore_pipe_open(loop, -1, &s), ACORE_EINVAL);
  assert_int_equal(acore_pipe_open(loop, 0, NULL), ACORE_EINVAL);
  assert_int_equal(acore_pipe_open(loop, 1000, &s), ACORE_EBADF);
  assert_null(s);
  acore_loop_run(loop);
}

/* The same for the Unix-domain and pipe calls: a cleanup that loop
 * close runs is refused (ACORE_ECLOSED), nothing is left open. */
typedef struct late_pipe {
  acore_loop_t *loop;
  int rc[3], fd;
  acore_server_t *srv;
  acore_future_t *f;
  acore_stream_t *s;
} late_pipe;

static void pipe_late(void *ud) {
  late_pipe *l = ud;

  l->rc[0] = acore_unix_listen(l->loop, path, 8, 0, &l->srv);
  l->rc[1] = acore_unix_connect(l->loop, path, &l->f);
  l->rc[2] = acore_pipe_open(l->loop, l->fd, &l->s);
}

static int waits_forever(acore_task_t *t, void *ud) {
  acore_future_t *never;

  (void)ud;
  assert_int_equal(acore_future_new(acore_task_loop(t), &never), ACORE_OK);
  return acore_task_await_take(t, never);
}

static void test_io_pipe_refused_while_closing(void **state) {
  late_pipe l = {0};
  int fds[2];

  (void)state;
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  l.fd = fds[0];
  l.loop = tu_loop_new(0);
  assert_int_equal(acore_task_spawn(l.loop, waits_forever, &l, pipe_late,
                                    NULL), ACORE_OK);
  assert_int_equal(acore_loop_run_once(l.loop, ACORE_RUN_NOWAIT), 0);
  assert_int_equal(acore_loop_close(l.loop), ACORE_OK);
  assert_int_equal(l.rc[0], ACORE_ECLOSED);
  assert_int_equal(l.rc[1], ACORE_ECLOSED);
  assert_int_equal(l.rc[2], ACORE_ECLOSED);
  assert_null(l.srv);
  assert_null(l.f);
  assert_null(l.s);
  acore_loop_unref(l.loop);
  close(fds[0]); /* refused: still ours */
  close(fds[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    T(test_io_pipe_unix_echo),
    T(test_io_pipe_unix_errors),
    T(test_io_pipe_open_pipe_fds),
    T(test_io_pipe_open_socketpair),
    T(test_io_pipe_cancel_connect),
    T(test_io_pipe_einval),
    T(test_io_pipe_refused_while_closing),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
