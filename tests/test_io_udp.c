/* SPDX-License-Identifier: MIT */
/* test_io_udp.c - UDP sockets over 127.0.0.1 and ::1: datagrams both ways,
 * connected and not, FIFO receives, cancel, close, loop close, errors,
 * allocation failures; every test ends with as many fds open as it began. */
#include "io_testutil.h"
#include "acore/combinators.h"
#include "acore/udp.h"

#include <pthread.h>
#include <string.h>

/* ---- helpers ---- */

static int port_of(acore_udp_t *u) {
  char host[ACORE_ADDRESS_MAX];
  int port = -1;

  assert_int_equal(acore_udp_local_address(u, host, sizeof(host), &port),
                   ACORE_OK);
  assert_true(port > 0);
  return port;
}

static acore_udp_t *bound(acore_loop_t *loop, const char *host) {
  acore_udp_t *u = NULL;

  assert_int_equal(acore_udp_bind(loop, host, 0, 0, &u), ACORE_OK);
  return u;
}

static int error_of(acore_future_t *f) {
  return acore_error_code(acore_future_error(f));
}

/* ---- behaviour ---- */

static void test_io_udp_send_recv_ipv4(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1"), *b = bound(loop, "127.0.0.1");
  acore_future_t *rx, *tx;
  char buf[64], host[ACORE_ADDRESS_MAX];
  int port = 0;

  memset(buf, 'z', sizeof(buf));
  assert_int_equal(acore_udp_recv(b, buf, sizeof(buf), &rx), ACORE_OK);
  assert_int_equal(acore_udp_send(a, "hello", 5, "127.0.0.1", port_of(b),
                                  &tx), ACORE_OK);
  assert_int_equal(acore_future_is_done(tx), 0); /* never synchronous */
  assert_int_equal(acore_future_is_done(rx), 0);
  io_wait(loop, rx, 5.0);
  io_wait(loop, tx, 5.0);
  assert_int_equal(io_int(tx), 5);
  assert_int_equal(io_int(rx), 5);
  assert_memory_equal(buf, "hellozz", 7);
  assert_int_equal(acore_udp_recv_address(rx, host, sizeof(host), &port),
                   ACORE_OK);
  assert_string_equal(host, "127.0.0.1");
  assert_int_equal(port, port_of(a));
  assert_int_equal(acore_udp_local_address(a, host, sizeof(host), NULL),
                   ACORE_OK);
  assert_string_equal(host, "127.0.0.1");
  acore_future_unref(rx);
  acore_future_unref(tx);
  acore_udp_unref(a);
  acore_udp_unref(b);
}

static void test_io_udp_send_recv_bytes_ipv6(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "::1"), *b = bound(loop, "::1");
  acore_future_t *rx, *tx, *empty, *tx0;
  const void *data = NULL;
  char host[ACORE_ADDRESS_MAX];
  size_t len = 0;
  int port = 0;

  assert_int_equal(acore_udp_recv_bytes(b, 1024, &rx), ACORE_OK);
  assert_int_equal(acore_udp_recv_bytes(b, 16, &empty), ACORE_OK);
  assert_int_equal(acore_udp_send(a, "over six", 8, "::1", port_of(b), &tx),
                   ACORE_OK);
  assert_int_equal(acore_udp_send(a, NULL, 0, "::1", port_of(b), &tx0),
                   ACORE_OK);
  io_wait(loop, rx, 5.0);
  io_wait(loop, empty, 5.0);
  assert_int_equal(acore_future_result_bytes(rx, &data, &len), ACORE_OK);
  assert_int_equal(len, 8);
  assert_string_equal(data, "over six");
  assert_int_equal(acore_future_result_bytes(empty, &data, &len), ACORE_OK);
  assert_int_equal(len, 0);
  assert_string_equal(data, "");
  assert_int_equal(acore_udp_recv_address(rx, host, sizeof(host), &port),
                   ACORE_OK);
  assert_string_equal(host, "::1");
  assert_int_equal(port, port_of(a));
  io_wait(loop, tx, 5.0);
  io_wait(loop, tx0, 5.0);
  assert_int_equal(io_int(tx0), 0);
  acore_future_unref(rx);
  acore_future_unref(empty);
  acore_future_unref(tx);
  acore_future_unref(tx0);
  acore_udp_unref(a);
  acore_udp_unref(b);
}

static void test_io_udp_connected(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1"), *b = bound(loop, "127.0.0.1");
  acore_future_t *rx, *tx;
  char buf[16], host[ACORE_ADDRESS_MAX];
  int port = 0;

  assert_int_equal(acore_udp_peer_address(a, host, sizeof(host), &port),
                   ACORE_ENOTCONN);
  assert_int_equal(acore_udp_send(a, "x", 1, NULL, 0, &tx), ACORE_ENOTCONN);
  assert_int_equal(acore_udp_connect(a, "127.0.0.1", port_of(b)), ACORE_OK);
  assert_int_equal(acore_udp_peer_address(a, host, sizeof(host), &port),
                   ACORE_OK);
  assert_string_equal(host, "127.0.0.1");
  assert_int_equal(port, port_of(b));
  /* A connected socket sends to its peer only. */
  assert_int_equal(acore_udp_send(a, "x", 1, "127.0.0.1", port_of(b), &tx),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_recv(b, buf, sizeof(buf), &rx), ACORE_OK);
  assert_int_equal(acore_udp_send(a, "peer", 4, NULL, 0, &tx), ACORE_OK);
  io_wait(loop, rx, 5.0);
  assert_int_equal(io_int(rx), 4);
  assert_memory_equal(buf, "peer", 4);
  io_wait(loop, tx, 5.0);
  acore_future_unref(rx);
  acore_future_unref(tx);
  /* Connect again elsewhere, then disconnect. */
  assert_int_equal(acore_udp_connect(a, "127.0.0.1", port_of(a)), ACORE_OK);
  assert_int_equal(acore_udp_connect(a, NULL, 0), ACORE_OK);
  assert_int_equal(acore_udp_peer_address(a, host, sizeof(host), &port),
                   ACORE_ENOTCONN);
  assert_int_equal(acore_udp_connect(a, NULL, 0), ACORE_OK); /* again */
  assert_int_equal(acore_udp_send(a, "x", 1, NULL, 0, &tx), ACORE_ENOTCONN);
  acore_udp_unref(a);
  acore_udp_unref(b);
}

static void test_io_udp_receives_in_order(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1"), *b = bound(loop, "127.0.0.1");
  acore_future_t *rx[3], *tx[3];
  char buf[3][8];
  int i;

  for (i = 0; i < 3; i++)
    assert_int_equal(acore_udp_recv(b, buf[i], sizeof(buf[i]), &rx[i]),
                     ACORE_OK);
  for (i = 0; i < 3; i++) {
    char d = (char)('a' + i);
    assert_int_equal(acore_udp_send(a, &d, 1, "127.0.0.1", port_of(b),
                                    &tx[i]), ACORE_OK);
  }
  io_wait(loop, rx[2], 5.0);
  for (i = 0; i < 3; i++) {
    assert_int_equal(io_int(rx[i]), 1);
    assert_int_equal(buf[i][0], 'a' + i);
    io_wait(loop, tx[i], 5.0);
    acore_future_unref(rx[i]);
    acore_future_unref(tx[i]);
  }
  acore_udp_unref(a);
  acore_udp_unref(b);
}

/* A datagram that comes while no receive is pending waits for one. */
static void test_io_udp_datagram_waits_for_receive(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1"), *b = bound(loop, "127.0.0.1");
  acore_future_t *rx, *tx;
  char buf[8];

  assert_int_equal(acore_udp_send(a, "later", 5, "127.0.0.1", port_of(b),
                                  &tx), ACORE_OK);
  io_wait(loop, tx, 5.0);
  io_spin(loop);
  assert_int_equal(acore_udp_recv(b, buf, sizeof(buf), &rx), ACORE_OK);
  io_wait(loop, rx, 5.0);
  assert_int_equal(io_int(rx), 5);
  acore_future_unref(rx);
  acore_future_unref(tx);
  acore_udp_unref(a);
  acore_udp_unref(b);
}

static void test_io_udp_long_datagram_is_cut(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1"), *b = bound(loop, "127.0.0.1");
  acore_future_t *rx, *rb, *tx, *tx2;
  const void *data = NULL;
  char buf[4];
  size_t len = 0;

  assert_int_equal(acore_udp_recv(b, buf, sizeof(buf), &rx), ACORE_OK);
  assert_int_equal(acore_udp_recv_bytes(b, 3, &rb), ACORE_OK);
  assert_int_equal(acore_udp_send(a, "0123456789", 10, "127.0.0.1",
                                  port_of(b), &tx), ACORE_OK);
  assert_int_equal(acore_udp_send(a, "abcdef", 6, "127.0.0.1", port_of(b),
                                  &tx2), ACORE_OK);
  io_wait(loop, rb, 5.0);
  assert_int_equal(io_int(rx), 4);
  assert_memory_equal(buf, "0123", 4);
  assert_int_equal(acore_future_result_bytes(rb, &data, &len), ACORE_OK);
  assert_int_equal(len, 3);
  assert_string_equal(data, "abc");
  io_wait(loop, tx, 5.0);
  io_wait(loop, tx2, 5.0);
  acore_future_unref(rx);
  acore_future_unref(rb);
  acore_future_unref(tx);
  acore_future_unref(tx2);
  acore_udp_unref(a);
  acore_udp_unref(b);
}

static void test_io_udp_cancel_pending_receive(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1"), *b = bound(loop, "127.0.0.1");
  acore_future_t *r1, *r2, *r3, *tx;
  char b1[8] = "-------", b2[8] = "-------", b3[8];

  assert_int_equal(acore_udp_recv(b, b1, sizeof(b1), &r1), ACORE_OK);
  assert_int_equal(acore_udp_recv_bytes(b, 8, &r3), ACORE_OK);
  assert_int_equal(acore_udp_recv(b, b2, sizeof(b2), &r2), ACORE_OK);
  assert_int_equal(acore_future_cancel(r1, "no"), 1);
  assert_int_equal(acore_future_is_cancelled(r1), 1);
  acore_future_unref(r3); /* dropped while pending: leaves the queue */
  assert_int_equal(acore_udp_recv_address(r1, b3, sizeof(b3), NULL),
                   ACORE_EINVALIDSTATE);
  assert_int_equal(acore_udp_send(a, "two", 3, "127.0.0.1", port_of(b),
                                  &tx), ACORE_OK);
  io_wait(loop, r2, 5.0);
  assert_int_equal(io_int(r2), 3);
  assert_memory_equal(b2, "two", 3);
  assert_string_equal(b1, "-------"); /* never written */
  io_wait(loop, tx, 5.0);
  acore_future_unref(r1);
  acore_future_unref(r2);
  acore_future_unref(tx);
  acore_udp_unref(a);
  acore_udp_unref(b);
}

/* wait_for cancels a receive that timed out; the next one gets the data. */
static void test_io_udp_wait_for_times_out(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1"), *b = bound(loop, "127.0.0.1");
  acore_future_t *rx, *w, *tx;
  char buf[8];

  assert_int_equal(acore_udp_recv(b, buf, sizeof(buf), &rx), ACORE_OK);
  assert_int_equal(acore_wait_for(rx, 0.02, &w), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, w), ACORE_OK);
  assert_int_equal(error_of(w), ACORE_ETIMEDOUT);
  assert_int_equal(acore_future_is_cancelled(rx), 1);
  acore_future_unref(w);
  acore_future_unref(rx);
  assert_int_equal(acore_udp_recv(b, buf, sizeof(buf), &rx), ACORE_OK);
  assert_int_equal(acore_udp_send(a, "late", 4, "127.0.0.1", port_of(b),
                                  &tx), ACORE_OK);
  io_wait(loop, rx, 5.0);
  assert_int_equal(io_int(rx), 4);
  io_wait(loop, tx, 5.0);
  acore_future_unref(rx);
  acore_future_unref(tx);
  acore_udp_unref(a);
  acore_udp_unref(b);
}

static void test_io_udp_close_cancels_pending(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1");
  acore_future_t *rx, *rb, *tx;
  char buf[8], host[ACORE_ADDRESS_MAX];

  assert_int_equal(acore_udp_recv(a, buf, sizeof(buf), &rx), ACORE_OK);
  assert_int_equal(acore_udp_recv_bytes(a, 8, &rb), ACORE_OK);
  assert_int_equal(acore_udp_send(a, "x", 1, "127.0.0.1", 9, &tx), ACORE_OK);
  assert_int_equal(acore_udp_close(a), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(rx), 1);
  assert_string_equal(acore_future_cancel_message(rx), "closed");
  assert_int_equal(acore_future_is_cancelled(rb), 1);
  assert_int_equal(acore_future_is_cancelled(tx), 1);
  assert_int_equal(acore_udp_close(a), ACORE_OK); /* idempotent */
  assert_int_equal(acore_udp_recv(a, buf, sizeof(buf), &rx), ACORE_ECLOSED);
  assert_int_equal(acore_udp_recv_bytes(a, 8, &rx), ACORE_ECLOSED);
  assert_int_equal(acore_udp_send(a, "x", 1, "127.0.0.1", 9, &rx),
                   ACORE_ECLOSED);
  assert_int_equal(acore_udp_connect(a, "127.0.0.1", 9), ACORE_ECLOSED);
  assert_int_equal(acore_udp_local_address(a, host, sizeof(host), NULL),
                   ACORE_ECLOSED);
  assert_int_equal(acore_udp_peer_address(a, host, sizeof(host), NULL),
                   ACORE_ECLOSED);
  io_spin(loop);
  acore_future_unref(rx);
  acore_future_unref(rb);
  acore_future_unref(tx);
  acore_udp_unref(a);
}

static void test_io_udp_last_unref_closes(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "::1");
  acore_future_t *rx;
  char buf[8];

  assert_ptr_equal(acore_udp_ref(a), a);
  acore_udp_unref(a);
  assert_null(acore_udp_ref(NULL));
  acore_udp_unref(NULL);
  assert_int_equal(acore_udp_recv(a, buf, sizeof(buf), &rx), ACORE_OK);
  acore_udp_unref(a);
  assert_int_equal(acore_future_is_cancelled(rx), 1);
  acore_future_unref(rx);
}

static void *unref_thread(void *ud) {
  acore_udp_unref(ud);
  return NULL;
}

static void test_io_udp_unref_on_another_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1");
  acore_future_t *rx;
  pthread_t th;
  char buf[8];

  assert_int_equal(acore_udp_recv(a, buf, sizeof(buf), &rx), ACORE_OK);
  assert_int_equal(pthread_create(&th, NULL, unref_thread, a), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  io_wait(loop, rx, 5.0); /* the loop thread closes it */
  assert_string_equal(acore_future_cancel_message(rx), "closed");
  acore_future_unref(rx);
  io_spin(loop);
}

/* Closing the loop cancels what is pending and closes the socket; the
 * object outlives the loop as a closed object. */
static void test_io_udp_loop_close(void **state) {
  long live = tu_alloc_live();
  int fds = io_fd_count();
  acore_loop_t *loop = tu_loop_new(0);
  acore_udp_t *a = bound(loop, "127.0.0.1"), *b = bound(loop, "::1");
  acore_future_t *rx, *tx;
  char buf[8];

  (void)state;
  assert_int_equal(acore_udp_recv(a, buf, sizeof(buf), &rx), ACORE_OK);
  assert_int_equal(acore_udp_send(b, "x", 1, "::1", 9, &tx), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(io_fd_count(), fds); /* the loop's and the sockets' */
  assert_int_equal(acore_future_is_cancelled(rx), 1);
  assert_string_equal(acore_future_cancel_message(rx), "closed");
  assert_int_equal(acore_future_is_cancelled(tx), 1);
  assert_int_equal(acore_udp_recv(a, buf, sizeof(buf), &rx), ACORE_ECLOSED);
  assert_int_equal(acore_udp_close(a), ACORE_OK);
  assert_int_equal(acore_udp_bind(loop, "127.0.0.1", 0, 0, &a),
                   ACORE_ECLOSED);
  acore_future_unref(rx);
  acore_future_unref(tx);
  acore_udp_unref(a);
  acore_loop_unref(loop); /* b keeps the loop's memory */
  acore_udp_unref(b);
  assert_int_equal(tu_alloc_live(), live);
}

static void test_io_udp_emsgsize(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1");
  static char big[70000];
  acore_future_t *tx;

  assert_int_equal(acore_udp_send(a, big, sizeof(big), "127.0.0.1", 9, &tx),
                   ACORE_OK);
  io_wait(loop, tx, 5.0);
  assert_int_equal(error_of(tx), ACORE_EMSGSIZE);
  assert_non_null(strstr(acore_error_message(acore_future_error(tx)),
                         "send: "));
  acore_future_unref(tx);
  acore_udp_unref(a);
}

/* A connected socket hears that nobody listens at its peer's port. */
static void test_io_udp_connection_refused(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1"), *gone = bound(loop, "127.0.0.1");
  int port = port_of(gone);
  acore_future_t *rx, *tx;
  char buf[8];

  acore_udp_unref(gone);
  io_spin(loop);
  assert_int_equal(acore_udp_connect(a, "127.0.0.1", port), ACORE_OK);
  assert_int_equal(acore_udp_recv(a, buf, sizeof(buf), &rx), ACORE_OK);
  assert_int_equal(acore_udp_send(a, "x", 1, NULL, 0, &tx), ACORE_OK);
  io_wait(loop, rx, 5.0);
  assert_int_equal(error_of(rx), ACORE_ECONNREFUSED);
  io_wait(loop, tx, 5.0);
  acore_future_error(tx); /* sent, or refused: either is fine */
  acore_future_unref(rx);
  acore_future_unref(tx);
  acore_udp_unref(a);
}

static void test_io_udp_bind_errors(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1"), *b = NULL, *c = NULL;
  char host[ACORE_ADDRESS_MAX];

  assert_int_equal(acore_udp_bind(loop, "127.0.0.1", port_of(a), 0, &b),
                   ACORE_EADDRINUSE);
  assert_null(b);
  assert_int_equal(acore_udp_bind(loop, "127.0.0.1", 0, ACORE_UDP_REUSEADDR,
                                  &b), ACORE_OK);
  assert_int_equal(acore_udp_bind(loop, "127.0.0.1", port_of(b),
                                  ACORE_UDP_REUSEADDR, &c), ACORE_OK);
  assert_int_equal(port_of(b), port_of(c));
  acore_udp_unref(c);
  /* IPv6 only: bound to "::", it reports "::". */
  assert_int_equal(acore_udp_bind(loop, "::", 0, ACORE_UDP_IPV6ONLY, &c),
                   ACORE_OK);
  assert_int_equal(acore_udp_local_address(c, host, sizeof(host), NULL),
                   ACORE_OK);
  assert_string_equal(host, "::");
  acore_udp_unref(c);
  c = NULL;
  assert_int_equal(acore_udp_bind(loop, "127.0.0.1", 0, ACORE_UDP_IPV6ONLY,
                                  &c), ACORE_EINVAL);
  assert_null(c);
  assert_int_equal(acore_udp_bind(loop, "192.0.2.1", 0, 0, &c),
                   ACORE_EADDRNOTAVAIL);
  io_spin(loop); /* the failed binds' sockets close */
  acore_udp_unref(a);
  acore_udp_unref(b);
}

static void test_io_udp_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_udp_t *a = bound(loop, "127.0.0.1"), *u = NULL;
  acore_future_t *f = NULL, *plain;
  static const char *bad[] = {"", "localhost", "1.2.3", "1.2.3.4.5",
                              "::g", "256.0.0.1", " 127.0.0.1"};
  char buf[8], host[ACORE_ADDRESS_MAX];
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(acore_udp_bind(loop, bad[i], 0, 0, &u), ACORE_EINVAL);
    assert_int_equal(acore_udp_send(a, "x", 1, bad[i], 9, &f), ACORE_EINVAL);
    assert_int_equal(acore_udp_connect(a, bad[i], 9), ACORE_EINVAL);
  }
  assert_int_equal(acore_udp_bind(NULL, "127.0.0.1", 0, 0, &u), ACORE_EINVAL);
  assert_int_equal(acore_udp_bind(loop, NULL, 0, 0, &u), ACORE_EINVAL);
  assert_int_equal(acore_udp_bind(loop, "127.0.0.1", 0, 0, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_bind(loop, "127.0.0.1", -1, 0, &u), ACORE_EINVAL);
  assert_int_equal(acore_udp_bind(loop, "127.0.0.1", 65536, 0, &u),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_bind(loop, "127.0.0.1", 0, 1u << 7, &u),
                   ACORE_EINVAL);
  assert_null(u);
  assert_int_equal(acore_udp_close(NULL), ACORE_EINVAL);
  assert_int_equal(acore_udp_connect(NULL, "127.0.0.1", 9), ACORE_EINVAL);
  assert_int_equal(acore_udp_connect(a, "127.0.0.1", 0), ACORE_EINVAL);
  assert_int_equal(acore_udp_connect(a, "127.0.0.1", 65536), ACORE_EINVAL);
  assert_int_equal(acore_udp_send(NULL, "x", 1, "127.0.0.1", 9, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_send(a, "x", 1, "127.0.0.1", 9, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_send(a, NULL, 1, "127.0.0.1", 9, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_send(a, "x", (size_t)INT32_MAX + 1, "127.0.0.1",
                                  9, &f), ACORE_EINVAL);
  assert_int_equal(acore_udp_send(a, "x", 1, "127.0.0.1", 0, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_recv(NULL, buf, 8, &f), ACORE_EINVAL);
  assert_int_equal(acore_udp_recv(a, NULL, 8, &f), ACORE_EINVAL);
  assert_int_equal(acore_udp_recv(a, buf, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_udp_recv(a, buf, (size_t)INT32_MAX + 1, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_recv(a, buf, 8, NULL), ACORE_EINVAL);
  assert_int_equal(acore_udp_recv_bytes(NULL, 8, &f), ACORE_EINVAL);
  assert_int_equal(acore_udp_recv_bytes(a, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_udp_recv_bytes(a, 65537, &f), ACORE_EINVAL);
  assert_int_equal(acore_udp_recv_bytes(a, 8, NULL), ACORE_EINVAL);
  assert_null(f);
  assert_int_equal(acore_udp_local_address(NULL, host, sizeof(host), NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_local_address(a, NULL, sizeof(host), NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_local_address(a, host, 9, NULL), ACORE_EINVAL);
  assert_int_equal(acore_udp_local_address(a, host, 10, NULL), ACORE_OK);
  assert_int_equal(acore_udp_peer_address(NULL, host, sizeof(host), NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_peer_address(a, NULL, sizeof(host), NULL),
                   ACORE_EINVAL);
  /* recv_addr: only receive futures, only with a result. */
  assert_int_equal(acore_future_new(loop, &plain), ACORE_OK);
  assert_int_equal(acore_future_set_int(plain, 1), ACORE_OK);
  assert_int_equal(acore_udp_recv_address(plain, host, sizeof(host), NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_recv_address(NULL, host, sizeof(host), NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_recv(a, buf, 8, &f), ACORE_OK);
  assert_int_equal(acore_udp_recv_address(f, NULL, sizeof(host), NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_udp_recv_address(f, host, sizeof(host), NULL),
                   ACORE_EINVALIDSTATE);
  /* Only the socket completes its futures. */
  assert_int_equal(acore_future_set_int(f, 1), ACORE_EINVAL);
  acore_future_unref(f);
  acore_future_unref(plain);
  acore_udp_unref(a);
}

typedef struct foreign {
  acore_udp_t *u;
  int rc[4];
} foreign;

static void *foreign_thread(void *ud) {
  foreign *fo = ud;
  acore_future_t *f = NULL;
  char buf[8];

  fo->rc[0] = acore_udp_close(fo->u);
  fo->rc[1] = acore_udp_recv(fo->u, buf, sizeof(buf), &f);
  fo->rc[2] = acore_udp_connect(fo->u, "127.0.0.1", 9);
  fo->rc[3] = acore_udp_send(fo->u, "x", 1, "127.0.0.1", 9, &f);
  return NULL;
}

/* In debug mode, calls from another thread are refused with nothing done. */
static void test_io_udp_wrong_thread(void **state) {
  long live = tu_alloc_live();
  acore_loop_t *loop = tu_loop_new(ACORE_LOOP_DEBUG);
  foreign fo = {bound(loop, "127.0.0.1"), {0}};
  pthread_t th;
  int i;

  (void)state;
  assert_int_equal(pthread_create(&th, NULL, foreign_thread, &fo), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  for (i = 0; i < 4; i++)
    assert_int_equal(fo.rc[i], ACORE_EWRONGTHREAD);
  assert_true(port_of(fo.u) > 0); /* still open */
  acore_udp_unref(fo.u);
  tu_loop_free(loop, live);
}

/* ---- allocation failures ---- */

typedef struct scen {
  acore_udp_t *a, *b;
  acore_future_t *rx, *rb, *tx, *tx2;
  char buf[8];
} scen;

static int scen_start(acore_loop_t *loop, scen *s) {
  char host[ACORE_ADDRESS_MAX];
  int rc, port = 0;

  if ((rc = acore_udp_bind(loop, "127.0.0.1", 0, 0, &s->a)) != ACORE_OK ||
      (rc = acore_udp_bind(loop, "::1", 0, 0, &s->b)) != ACORE_OK ||
      (rc = acore_udp_local_address(s->b, host, sizeof(host), &port)) != 0 ||
      (rc = acore_udp_recv(s->b, s->buf, sizeof(s->buf), &s->rx)) != 0 ||
      (rc = acore_udp_recv_bytes(s->b, 8, &s->rb)) != ACORE_OK)
    return rc;
  acore_udp_unref(s->a);
  if ((rc = acore_udp_bind(loop, "::1", 0, 0, &s->a)) != ACORE_OK ||
      (rc = acore_udp_send(s->a, "1", 1, host, port, &s->tx)) != ACORE_OK ||
      (rc = acore_udp_connect(s->a, host, port)) != ACORE_OK)
    return rc;
  return acore_udp_send(s->a, "22", 2, NULL, 0, &s->tx2);
}

static void scen_end(scen *s) {
  acore_future_unref(s->rx);
  acore_future_unref(s->rb);
  acore_future_unref(s->tx);
  acore_future_unref(s->tx2);
  acore_udp_unref(s->a);
  acore_udp_unref(s->b);
  memset(s, 0, sizeof(*s));
}

static void test_io_udp_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const void *data = NULL;
  long nth;
  scen s;
  int rc;

  memset(&s, 0, sizeof(s));
  for (nth = 1; nth < 100; nth++) {
    tu_alloc_fail_at(nth);
    rc = scen_start(loop, &s);
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK && !tu_alloc_failed()) {
      io_wait(loop, s.rb, 5.0);
      assert_int_equal(io_int(s.rx), 1);
      assert_int_equal(acore_future_result_bytes(s.rb, &data, NULL),
                       ACORE_OK);
      assert_string_equal(data, "22");
      io_wait(loop, s.tx2, 5.0);
      scen_end(&s);
      break;
    }
    assert_int_equal(rc, ACORE_ENOMEM);
    scen_end(&s);
    io_spin(loop);
  }
  assert_true(nth > 1 && nth < 100);
  io_spin(loop);
}

int main(void) {
  /* libuv's first loop opens its process-wide signal pipe (two fds for
   * good): open it before any test counts. */
  acore_loop_unref(tu_loop_new(0));
  tu_cache_off(1); /* allocation walks see every object */
  const struct CMUnitTest tests[] = {
    IO_TEST(test_io_udp_send_recv_ipv4),
    IO_TEST(test_io_udp_send_recv_bytes_ipv6),
    IO_TEST(test_io_udp_connected),
    IO_TEST(test_io_udp_receives_in_order),
    IO_TEST(test_io_udp_datagram_waits_for_receive),
    IO_TEST(test_io_udp_long_datagram_is_cut),
    IO_TEST(test_io_udp_cancel_pending_receive),
    IO_TEST(test_io_udp_wait_for_times_out),
    IO_TEST(test_io_udp_close_cancels_pending),
    IO_TEST(test_io_udp_last_unref_closes),
    IO_TEST(test_io_udp_unref_on_another_thread),
    IO_TEST(test_io_udp_loop_close),
    IO_TEST(test_io_udp_emsgsize),
    IO_TEST(test_io_udp_connection_refused),
    IO_TEST(test_io_udp_bind_errors),
    IO_TEST(test_io_udp_einval),
    IO_TEST(test_io_udp_wrong_thread),
    IO_TEST_WALK(test_io_udp_alloc_failure_walk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
