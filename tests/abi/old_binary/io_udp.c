/* SPDX-License-Identifier: MIT */
/* io_udp.c - UDP sockets (acore/udp.h, since 1.1): a datagram each way
 * over 127.0.0.1, connected and not, the sender's address, close. Built
 * only once the released headers have acore/udp.h (a 1.1 baseline); until
 * then ob_udp() does nothing. */
#include "ob.h"

#if defined(__has_include)
#if __has_include(<acore/udp.h>)
#define OB_HAVE_UDP 1
#endif
#endif

#ifdef OB_HAVE_UDP
#include <acore/udp.h>

#include <string.h>

static int ob_port(acore_udp_t *u) {
  char host[ACORE_ADDRESS_MAX];
  int port = 0;

  CHECK(acore_udp_local_address(u, host, sizeof(host), &port) == ACORE_OK);
  CHECK(strcmp(host, "127.0.0.1") == 0);
  return port;
}

void ob_udp(void) {
  acore_loop_t *loop = NULL;
  acore_udp_t *a = NULL, *b = NULL;
  acore_future_t *rx = NULL, *rb = NULL, *tx = NULL, *tx2 = NULL;
  char buf[8], host[ACORE_ADDRESS_MAX];
  const void *data = NULL;
  size_t len = 0;
  int port = 0;

  CHECK(acore_loop_new(NULL, &loop) == ACORE_OK);
  CHECK(acore_udp_bind(loop, "127.0.0.1", 0, ACORE_UDP_REUSEADDR, &a) == ACORE_OK);
  CHECK(acore_udp_bind(loop, "127.0.0.1", 0, 0, &b) == ACORE_OK);
  CHECK(acore_udp_bind(loop, "localhost", 0, 0, &b) == ACORE_EINVAL);
  CHECK(acore_udp_ref(a) == a);
  acore_udp_unref(a);
  CHECK(acore_udp_recv(b, buf, sizeof(buf), &rx) == ACORE_OK);
  CHECK(acore_udp_recv_bytes(b, 8, &rb) == ACORE_OK);
  CHECK(acore_udp_send(a, "abc", 3, "127.0.0.1", ob_port(b), &tx) == ACORE_OK);
  CHECK(acore_udp_peer_address(a, host, sizeof(host), &port) == ACORE_ENOTCONN);
  CHECK(acore_udp_connect(a, "127.0.0.1", ob_port(b)) == ACORE_OK);
  CHECK(acore_udp_peer_address(a, host, sizeof(host), &port) == ACORE_OK &&
        port == ob_port(b));
  CHECK(acore_udp_send(a, "de", 2, NULL, 0, &tx2) == ACORE_OK);
  CHECK(acore_loop_run_until_complete(loop, rb) == ACORE_OK);
  CHECK(ob_int(rx) == 3 && memcmp(buf, "abc", 3) == 0);
  CHECK(acore_future_result_bytes(rb, &data, &len) == ACORE_OK && len == 2 &&
        strcmp(data, "de") == 0);
  CHECK(acore_udp_recv_address(rx, host, sizeof(host), &port) == ACORE_OK &&
        strcmp(host, "127.0.0.1") == 0 && port == ob_port(a));
  CHECK(acore_udp_close(a) == ACORE_OK);
  CHECK(acore_udp_send(a, "x", 1, NULL, 0, &rx) == ACORE_ECLOSED);
  acore_future_unref(rx);
  acore_future_unref(rb);
  acore_future_unref(tx);
  acore_future_unref(tx2);
  acore_udp_unref(a);
  acore_udp_unref(b);
  CHECK(acore_loop_close(loop) == ACORE_OK);
  acore_loop_unref(loop);
}
#else
void ob_udp(void) {}
#endif
