/* SPDX-License-Identifier: MIT */
/*
 * test_io_tcp.c - TCP over loopback: connect, listen, accept, read,
 * write, addresses, options, and the network's errors (refused, reset
 * mid-read, write to a closed peer, address in use). Every test checks
 * that the process's descriptors are the same after it.
 */
#include "io_testutil.h"

#include <string.h>

static void test_io_tcp_echo_round_trip(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_future_t *r;
  char buf[16] = {0};

  io_pair(loop, &c, &s);
  io_write_all(loop, c, "hello", 5);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 5);
  assert_memory_equal(buf, "hello", 5);
  acore_future_unref(r);
  io_write_all(loop, s, "world!", 6);
  assert_int_equal(acore_stream_read(c, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 6);
  assert_memory_equal(buf, "world!", 6);
  acore_future_unref(r);
  io_drop(c);
  io_drop(s);
}

static void test_io_tcp_addresses(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_server_t *srv;
  acore_stream_t *c, *s;
  char host[ACORE_ADDRESS_MAX], small[4];
  int port, p1 = 0, p2 = 0;

  srv = io_listen(loop, NULL, &port);
  io_pair_on(loop, srv, NULL, &c, &s);
  assert_int_equal(acore_stream_peer_address(c, host, sizeof(host), &p1),
                   ACORE_OK);
  assert_string_equal(host, "127.0.0.1");
  assert_int_equal(p1, port);
  assert_int_equal(acore_stream_local_address(c, host, sizeof(host), &p1),
                   ACORE_OK);
  assert_int_equal(acore_stream_peer_address(s, host, sizeof(host), &p2),
                   ACORE_OK);
  assert_int_equal(p1, p2); /* the client's port, seen from both ends */
  assert_int_equal(acore_stream_local_address(s, host, sizeof(host), NULL),
                   ACORE_OK);
  assert_int_equal(acore_stream_peer_address(c, small, sizeof(small), NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_server_address(srv, small, sizeof(small), NULL),
                   ACORE_EINVAL);
  assert_ptr_equal(acore_stream_loop(c), loop);
  assert_null(acore_stream_loop(NULL));
  io_drop(c);
  io_drop(s);
  acore_server_close(srv);
  acore_server_unref(srv);
}

static void test_io_tcp_ipv6(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_server_t *srv = NULL;
  acore_stream_t *c, *s;
  char host[ACORE_ADDRESS_MAX];
  int rc = acore_tcp_listen(loop, "::1", 0, 0, ACORE_LISTEN_IPV6ONLY, &srv);

  if (rc == ACORE_EADDRNOTAVAIL || rc == ACORE_EAFNOSUPPORT)
    skip(); /* no IPv6 loopback here */
  assert_int_equal(rc, ACORE_OK);
  io_pair_on(loop, srv, "::1", &c, &s);
  assert_int_equal(acore_stream_peer_address(s, host, sizeof(host), NULL),
                   ACORE_OK);
  assert_string_equal(host, "::1");
  io_write_all(loop, c, "v6", 2);
  io_drop(c);
  io_drop(s);
  acore_server_close(srv);
  acore_server_unref(srv);
}

static void test_io_tcp_connect_refused(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *c;
  acore_stream_t *s = NULL;
  int port;
  acore_server_t *srv = io_listen(loop, NULL, &port);

  acore_server_close(srv); /* nothing listens there now */
  acore_server_unref(srv);
  assert_int_equal(acore_tcp_connect(loop, "127.0.0.1", port, &c), ACORE_OK);
  IO_WAIT(loop, c);
  assert_int_equal(io_err(c), ACORE_ECONNREFUSED);
  assert_string_equal(acore_error_message(acore_future_error(c)),
                      "connect: connection refused (ECONNREFUSED)");
  assert_int_equal(acore_stream_from_future(c, &s), ACORE_ECONNREFUSED);
  assert_null(s);
  acore_future_unref(c);
}

static void test_io_tcp_read_eof(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_future_t *f, *r;
  char buf[8];

  io_pair(loop, &c, &s);
  io_write_all(loop, c, "abc", 3);
  assert_int_equal(acore_stream_shutdown(c, &f), ACORE_OK);
  assert_int_equal(acore_stream_shutdown(c, &r), ACORE_EINVALIDSTATE);
  IO_WAIT(loop, f);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_RESULT);
  acore_future_unref(f);
  assert_int_equal(acore_stream_read_exactly(s, buf, 3, &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 3);
  acore_future_unref(r);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 0); /* the end: asyncio's b'' */
  acore_future_unref(r);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 0); /* and again */
  acore_future_unref(r);
  assert_int_equal(acore_stream_read_exactly(s, buf, 2, &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_err(r), ACORE_EOF);
  acore_future_unref(r);
  io_write_all(loop, s, "still", 5); /* the other direction stays open */
  io_drop(c);
  io_drop(s);
}

static void test_io_tcp_peer_reset_mid_read(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_future_t *r;
  char buf[8];

  io_pair(loop, &c, &s);
  assert_int_equal(acore_stream_read(c, buf, sizeof(buf), &r), ACORE_OK);
  io_linger0(s);
  io_drop(s); /* the peer resets while c reads */
  IO_WAIT(loop, r);
  assert_int_equal(io_err(r), ACORE_ECONNRESET);
  assert_string_equal(acore_error_message(acore_future_error(r)),
                      "read: connection reset by peer (ECONNRESET)");
  acore_future_unref(r);
  assert_int_equal(acore_stream_read(c, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_err(r), ACORE_ECONNRESET); /* it stays failed */
  acore_future_unref(r);
  io_drop(c);
}

static void test_io_tcp_write_to_closed_peer(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  static char chunk[65536];
  int i, code = 0;

  io_pair(loop, &c, &s);
  io_linger0(s);
  io_drop(s);
  for (i = 0; i < 100 && code == 0; i++) { /* the reset arrives soon */
    acore_future_t *w;
    assert_int_equal(acore_stream_write(c, chunk, sizeof(chunk), &w),
                     ACORE_OK);
    IO_WAIT(loop, w);
    if (acore_future_state(w) == ACORE_FUTURE_ERROR)
      code = io_err(w);
    acore_future_unref(w);
  }
  assert_true(code == ACORE_EPIPE || code == ACORE_ECONNRESET);
  io_drop(c);
}

static void test_io_tcp_listen_in_use(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_server_t *b = NULL;
  int port;
  acore_server_t *a = io_listen(loop, NULL, &port);

  assert_int_equal(acore_tcp_listen(loop, "127.0.0.1", port, 0, 0, &b),
                   ACORE_EADDRINUSE);
  assert_null(b);
  acore_server_close(a);
  assert_int_equal(acore_server_close(a), ACORE_OK); /* idempotent */
  acore_server_unref(a);
  acore_loop_run(loop); /* the failed listener's handle closes */
}

static void test_io_tcp_options(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;

  io_pair(loop, &c, &s);
  assert_int_equal(acore_stream_set_nodelay(c, 1), ACORE_OK);
  assert_int_equal(acore_stream_set_nodelay(c, 0), ACORE_OK);
  assert_int_equal(acore_stream_set_keepalive(c, 1, 30), ACORE_OK);
  assert_int_equal(acore_stream_set_keepalive(c, 0, 0), ACORE_OK);
  assert_int_equal(acore_stream_set_nodelay(c, 2), ACORE_EINVAL);
  assert_int_equal(acore_stream_set_keepalive(c, 1, 0), ACORE_EINVAL);
  assert_int_equal(acore_stream_set_nodelay(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_stream_set_keepalive(NULL, 1, 1), ACORE_EINVAL);
  io_drop(c);
  assert_int_equal(acore_stream_set_nodelay(c, 1), ACORE_ECLOSED);
  io_drop(s);
}

static void test_io_tcp_many_accepts_in_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *a[3], *c[3];
  acore_stream_t *s;
  char host[ACORE_ADDRESS_MAX];
  int port, i, pc, pa;
  acore_server_t *srv = io_listen(loop, NULL, &port);

  for (i = 0; i < 3; i++)
    assert_int_equal(acore_server_accept(srv, &a[i]), ACORE_OK);
  for (i = 0; i < 3; i++) {
    assert_int_equal(acore_tcp_connect(loop, "127.0.0.1", port, &c[i]),
                     ACORE_OK);
    IO_WAIT(loop, c[i]);
    IO_WAIT(loop, a[i]); /* the first accept asked gets the first */
    assert_int_equal(acore_stream_from_future(c[i], &s), ACORE_OK);
    acore_stream_local_address(s, host, sizeof(host), &pc);
    io_drop(s);
    assert_int_equal(acore_stream_from_future(a[i], &s), ACORE_OK);
    acore_stream_peer_address(s, host, sizeof(host), &pa);
    io_drop(s);
    assert_int_equal(pc, pa);
  }
  for (i = 0; i < 3; i++) {
    acore_future_unref(a[i]);
    acore_future_unref(c[i]);
  }
  acore_server_close(srv);
  acore_server_unref(srv);
}

static void test_io_tcp_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_server_t *srv = NULL;
  acore_future_t *f = NULL;

  assert_int_equal(acore_tcp_connect(NULL, "127.0.0.1", 1, &f), ACORE_EINVAL);
  assert_int_equal(acore_tcp_connect(loop, NULL, 1, &f), ACORE_EINVAL);
  assert_int_equal(acore_tcp_connect(loop, "127.0.0.1", 1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_tcp_connect(loop, "127.0.0.1", 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_tcp_connect(loop, "127.0.0.1", -1, &f), ACORE_EINVAL);
  assert_int_equal(acore_tcp_connect(loop, "127.0.0.1", 65536, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_tcp_connect(loop, "no host", 80, &f), ACORE_EINVAL);
  assert_int_equal(acore_tcp_connect(loop, "", 80, &f), ACORE_EINVAL);
  assert_null(f);
  assert_int_equal(acore_tcp_listen(NULL, "127.0.0.1", 0, 0, 0, &srv),
                   ACORE_EINVAL);
  assert_int_equal(acore_tcp_listen(loop, NULL, 0, 0, 0, &srv), ACORE_EINVAL);
  assert_int_equal(acore_tcp_listen(loop, "127.0.0.1", 0, 0, 0, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_tcp_listen(loop, "127.0.0.1", -1, 0, 0, &srv),
                   ACORE_EINVAL);
  assert_int_equal(acore_tcp_listen(loop, "127.0.0.1", 0, -1, 0, &srv),
                   ACORE_EINVAL);
  assert_int_equal(acore_tcp_listen(loop, "127.0.0.1", 0, 0, 1u << 7, &srv),
                   ACORE_EINVAL);
  assert_int_equal(acore_tcp_listen(loop, "localhost!", 0, 0, 0, &srv),
                   ACORE_EINVAL);
  assert_null(srv);
  assert_int_equal(acore_server_accept(NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_server_address(NULL, NULL, 0, NULL), ACORE_EINVAL);
  assert_int_equal(acore_server_close(NULL), ACORE_EINVAL);
  assert_null(acore_server_ref(NULL));
  acore_server_unref(NULL);
  srv = io_listen(loop, NULL, &(int){0});
  assert_int_equal(acore_server_accept(srv, NULL), ACORE_EINVAL);
  assert_int_equal(acore_server_address(srv, NULL, 10, NULL), ACORE_EINVAL);
  acore_server_close(srv);
  assert_int_equal(acore_server_accept(srv, &f), ACORE_ECLOSED);
  assert_int_equal(acore_server_address(srv, (char[64]){0}, 64, NULL),
                   ACORE_ECLOSED);
  acore_server_unref(srv);
}

/* A listener or a connection asked for by a cleanup that loop close runs
 * (a task's ud_free) comes after close's closers ran, so nothing would
 * close its handle (the loop was never freed): refused with ACORE_ECLOSED
 * once close has begun, as every scheduling call is. */
typedef struct late_tcp {
  acore_loop_t *loop;
  int rc[2];
  acore_server_t *srv;
  acore_future_t *f;
} late_tcp;

static void tcp_late(void *ud) {
  late_tcp *l = ud;

  l->rc[0] = acore_tcp_listen(l->loop, "127.0.0.1", 0, 8, 0, &l->srv);
  l->rc[1] = acore_tcp_connect(l->loop, "127.0.0.1", 9, &l->f);
}

static int waits_forever(acore_task_t *t, void *ud) {
  acore_future_t *never;

  (void)ud;
  assert_int_equal(acore_future_new(acore_task_loop(t), &never), ACORE_OK);
  return acore_task_await_take(t, never);
}

static void test_io_tcp_refused_while_closing(void **state) {
  late_tcp l = {0};

  (void)state;
  l.loop = tu_loop_new(0);
  assert_int_equal(acore_task_spawn(l.loop, waits_forever, &l, tcp_late,
                                    NULL), ACORE_OK);
  assert_int_equal(acore_loop_run_once(l.loop, ACORE_RUN_NOWAIT), 0);
  assert_int_equal(acore_loop_close(l.loop), ACORE_OK);
  assert_int_equal(l.rc[0], ACORE_ECLOSED);
  assert_int_equal(l.rc[1], ACORE_ECLOSED);
  assert_null(l.srv);
  assert_null(l.f);
  acore_loop_unref(l.loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) IO_TEST(name)
    T(test_io_tcp_echo_round_trip),
    T(test_io_tcp_addresses),
    T(test_io_tcp_ipv6),
    T(test_io_tcp_connect_refused),
    T(test_io_tcp_read_eof),
    T(test_io_tcp_peer_reset_mid_read),
    T(test_io_tcp_write_to_closed_peer),
    T(test_io_tcp_listen_in_use),
    T(test_io_tcp_options),
    T(test_io_tcp_many_accepts_in_order),
    T(test_io_tcp_einval),
    T(test_io_tcp_refused_while_closing),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
