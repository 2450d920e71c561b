/* SPDX-License-Identifier: MIT */
/* io_testutil.c - see io_testutil.h. */
#include "io_testutil.h"

#include "io/io.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int io_fd_count(void) {
  static int warm;
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;

  if (!warm++) { /* libuv's first loop opens process-wide descriptors */
    acore_loop_t *loop = NULL;
    assert_int_equal(acore_loop_new(NULL, &loop), ACORE_OK);
    acore_loop_close(loop);
    acore_loop_unref(loop);
  }
  assert_non_null(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

static int fds_at_setup;

int io_setup(void **state) {
  fds_at_setup = io_fd_count();
  return tu_setup(state);
}

int io_setup_walk(void **state) {
  fds_at_setup = io_fd_count();
  return tu_setup_walk(state);
}

int io_setup_debug(void **state) {
  fds_at_setup = io_fd_count();
  return tu_setup_debug(state);
}

int io_teardown(void **state) {
  int rc = tu_teardown(state);

  assert_int_equal(io_fd_count(), fds_at_setup);
  return rc;
}

void io_spin(acore_loop_t *loop) {
  int i;

  for (i = 0; i < 4; i++)
    acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
}

static void on_watchdog(void *ud) { acore_loop_stop(ud); }

void io_wait(acore_loop_t *loop, acore_future_t *fut, double seconds) {
  acore_handle_t *h = NULL;
  int rc;

  assert_int_equal(acore_loop_call_later(loop, seconds, on_watchdog, loop,
                                         NULL, &h), ACORE_OK);
  rc = acore_loop_run_until_complete(loop, fut);
  acore_handle_cancel(h);
  acore_handle_unref(h);
  if (rc != ACORE_OK || !acore_future_is_done(fut))
    fail_msg("the future was not done within %.1f s (%s)", seconds,
             acore_err_name(rc));
}

int64_t io_int(acore_future_t *fut) {
  int64_t v = -1;
  int rc = acore_future_result_int(fut, &v);

  if (rc != ACORE_OK)
    fail_msg("no int result: %s (%s)", acore_err_name(rc),
             acore_future_error(fut) ? acore_error_message(
                                           acore_future_error(fut))
                                     : "-");
  return v;
}

int io_err(acore_future_t *fut) {
  acore_error_t *err;

  assert_int_equal(acore_future_state(fut), ACORE_FUTURE_ERROR);
  err = acore_future_error(fut);
  assert_non_null(err);
  return acore_error_code(err);
}

acore_server_t *io_listen(acore_loop_t *loop, const char *host, int *port) {
  acore_server_t *srv = NULL;
  char text[ACORE_ADDRESS_MAX];

  assert_int_equal(acore_tcp_listen(loop, host ? host : "127.0.0.1", 0, 0, 0,
                                    &srv), ACORE_OK);
  assert_int_equal(acore_server_address(srv, text, sizeof(text), port),
                   ACORE_OK);
  assert_true(*port > 0);
  return srv;
}

void io_pair_on(acore_loop_t *loop, acore_server_t *srv, const char *host,
                acore_stream_t **client, acore_stream_t **server_side) {
  acore_future_t *c = NULL, *a = NULL;
  char text[ACORE_ADDRESS_MAX];
  int port;

  assert_int_equal(acore_server_address(srv, text, sizeof(text), &port),
                   ACORE_OK);
  assert_int_equal(acore_server_accept(srv, &a), ACORE_OK);
  assert_int_equal(acore_tcp_connect(loop, host ? host : "127.0.0.1", port,
                                     &c), ACORE_OK);
  IO_WAIT(loop, c);
  IO_WAIT(loop, a);
  assert_int_equal(acore_stream_from_future(c, client), ACORE_OK);
  assert_int_equal(acore_stream_from_future(a, server_side), ACORE_OK);
  acore_future_unref(c);
  acore_future_unref(a);
}

void io_pair(acore_loop_t *loop, acore_stream_t **client,
             acore_stream_t **server_side) {
  int port;
  acore_server_t *srv = io_listen(loop, NULL, &port);

  io_pair_on(loop, srv, NULL, client, server_side);
  acore_server_close(srv);
  acore_server_unref(srv);
}

void io_drop(acore_stream_t *s) {
  if (s == NULL)
    return;
  acore_stream_close(s);
  acore_stream_unref(s);
}

void io_write_all(acore_loop_t *loop, acore_stream_t *s, const void *data,
                  size_t len) {
  acore_future_t *w = NULL;

  assert_int_equal(acore_stream_write(s, data, len, &w), ACORE_OK);
  IO_WAIT(loop, w);
  assert_int_equal(io_int(w), (int64_t)len);
  acore_future_unref(w);
}

void io_linger0(acore_stream_t *s) {
  struct linger l = {1, 0};
  uv_os_fd_t fd;

  assert_int_equal(uv_fileno((uv_handle_t *)acore__stream_uv(s), &fd), 0);
  assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
}
