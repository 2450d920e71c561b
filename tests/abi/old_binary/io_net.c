/* SPDX-License-Identifier: MIT */
/*
 * io_net.c - streams, servers and names (acore/stream.h, acore/dns.h,
 * 1.1): a TCP echo over loopback, a Unix socket, a pipe, lookups. Built
 * only when the headers it is built against have them (the released 1.0
 * headers do not: then ob_net() does nothing).
 */
#define _POSIX_C_SOURCE 200809L
#include "ob.h"

#if defined(__has_include)
#if __has_include(<acore/stream.h>) && __has_include(<acore/dns.h>)
#define OB_HAVE_NET 1
#endif
#endif

#ifdef OB_HAVE_NET
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static acore_loop_t *rloop(void) {
  acore_loop_t *loop = NULL;

  CHECK(acore_loop_new(NULL, &loop) == ACORE_OK);
  return loop;
}

static void wait_done(acore_loop_t *loop, acore_future_t *f) {
  CHECK(acore_loop_run_until_complete(loop, f) == ACORE_OK);
}

/* Both ends of one connection through srv (connect made by `c`). */
static void pair(acore_loop_t *loop, acore_server_t *srv, acore_future_t *c,
                 acore_stream_t **a, acore_stream_t **b) {
  acore_future_t *acc = NULL;

  CHECK(acore_server_accept(srv, &acc) == ACORE_OK);
  wait_done(loop, c);
  wait_done(loop, acc);
  CHECK(acore_stream_from_future(c, a) == ACORE_OK);
  CHECK(acore_stream_from_future(acc, b) == ACORE_OK);
  acore_future_unref(c);
  acore_future_unref(acc);
}

static void tcp(acore_loop_t *loop) {
  acore_server_t *srv = NULL;
  acore_stream_t *a = NULL, *b = NULL;
  acore_future_t *c = NULL, *f = NULL;
  char host[ACORE_ADDRESS_MAX], buf[8];
  const void *data;
  size_t len;
  int port = 0, p2 = 0;

  CHECK(acore_tcp_listen(loop, "127.0.0.1", 0, 0, 0, &srv) == ACORE_OK);
  CHECK(acore_server_ref(srv) == srv);
  acore_server_unref(srv);
  CHECK(acore_server_address(srv, host, sizeof(host), &port) == ACORE_OK);
  CHECK(strcmp(host, "127.0.0.1") == 0 && port > 0);
  CHECK(acore_tcp_connect(loop, "127.0.0.1", port, &c) == ACORE_OK);
  pair(loop, srv, c, &a, &b);
  CHECK(acore_stream_loop(a) == loop);
  CHECK(acore_stream_ref(a) == a);
  acore_stream_unref(a);
  CHECK(acore_stream_set_nodelay(a, 1) == ACORE_OK);
  CHECK(acore_stream_set_keepalive(a, 1, 10) == ACORE_OK);
  CHECK(acore_stream_set_write_high_water(a, 0) == ACORE_OK);
  CHECK(acore_stream_peer_address(a, host, sizeof(host), &p2) == ACORE_OK &&
        p2 == port);
  CHECK(acore_stream_local_address(b, host, sizeof(host), &p2) == ACORE_OK &&
        p2 == port);
  CHECK(acore_stream_write(a, "abcdef", 6, &f) == ACORE_OK);
  wait_done(loop, f);
  CHECK(ob_int(f) == 6);
  acore_future_unref(f);
  CHECK(acore_stream_write_queue_size(a) == 0);
  CHECK(acore_stream_write_owned(a, "gh", 2, NULL, NULL, &f) == ACORE_OK);
  wait_done(loop, f);
  CHECK(ob_int(f) == 2);
  acore_future_unref(f);
  CHECK(acore_stream_read_exactly(b, buf, 2, &f) == ACORE_OK);
  wait_done(loop, f);
  CHECK(ob_int(f) == 2 && memcmp(buf, "ab", 2) == 0);
  acore_future_unref(f);
  CHECK(acore_stream_read(b, buf, 2, &f) == ACORE_OK);
  wait_done(loop, f);
  CHECK(ob_int(f) == 2 && memcmp(buf, "cd", 2) == 0);
  acore_future_unref(f);
  CHECK(acore_stream_read_bytes(b, 8, &f) == ACORE_OK);
  wait_done(loop, f);
  CHECK(acore_future_result_bytes(f, &data, &len) == ACORE_OK && len == 4 &&
        memcmp(data, "efgh", 4) == 0); /* "gh": the owned write's */
  acore_future_unref(f);
  CHECK(acore_stream_shutdown(a, &f) == ACORE_OK);
  wait_done(loop, f);
  acore_future_unref(f);
  CHECK(acore_stream_read(b, buf, 8, &f) == ACORE_OK);
  wait_done(loop, f);
  CHECK(ob_int(f) == 0); /* the end of the stream */
  acore_future_unref(f);
  CHECK(acore_stream_close(a) == ACORE_OK);
  CHECK(acore_stream_read(a, buf, 8, &f) == ACORE_ECLOSED);
  acore_stream_unref(a);
  acore_stream_unref(b);
  CHECK(acore_server_close(srv) == ACORE_OK);
  CHECK(acore_server_accept(srv, &f) == ACORE_ECLOSED);
  acore_server_unref(srv);
}

static void unix_and_pipe(acore_loop_t *loop) {
  acore_server_t *srv = NULL;
  acore_stream_t *a = NULL, *b = NULL;
  acore_future_t *c = NULL, *f = NULL;
  char path[64], buf[4];
  int fds[2];

  snprintf(path, sizeof(path), "/tmp/acore-ob-%ld.sock", (long)getpid());
  unlink(path);
  CHECK(acore_unix_listen(loop, path, 0, 0, &srv) == ACORE_OK);
  CHECK(acore_unix_connect(loop, path, &c) == ACORE_OK);
  pair(loop, srv, c, &a, &b);
  CHECK(acore_stream_set_nodelay(a, 1) == ACORE_ENOTSUP);
  acore_stream_unref(a); /* the last reference closes it */
  acore_stream_unref(b);
  acore_server_unref(srv);
  CHECK(pipe(fds) == 0);
  CHECK(acore_pipe_open(loop, fds[0], &a) == ACORE_OK);
  CHECK(acore_pipe_open(loop, fds[1], &b) == ACORE_OK);
  CHECK(acore_stream_write(b, "p", 1, &f) == ACORE_OK);
  acore_future_unref(f);
  CHECK(acore_stream_read(a, buf, sizeof(buf), &f) == ACORE_OK);
  wait_done(loop, f);
  CHECK(ob_int(f) == 1 && buf[0] == 'p');
  acore_future_unref(f);
  acore_stream_unref(a);
  acore_stream_unref(b);
}

/* The resolver's full interface (getaddrinfo hints, getnameinfo flags,
 * the reason of a failure). */
static void names_hints(acore_loop_t *loop) {
  const acore_addrinfo_t *ai = NULL;
  const char *host = NULL, *service = NULL;
  acore_future_t *f = NULL;
  int type = 0, proto = 0;
  unsigned flow = 1, scope = 1;

  CHECK(acore_getaddrinfo_hints(loop, "127.0.0.1", "80", ACORE_AF_INET,
                                ACORE_SOCK_STREAM, 0,
                                ACORE_AI_NUMERICHOST | ACORE_AI_CANONNAME,
                                &f) == ACORE_OK);
  wait_done(loop, f);
  CHECK(acore_addrinfo_from_future(f, &ai) == ACORE_OK);
  CHECK(acore_addrinfo_entry(ai, 0, &type, &proto, &flow, &scope) ==
        ACORE_OK);
  CHECK(type == ACORE_SOCK_STREAM && proto == 6 && flow == 0 && scope == 0);
  CHECK(acore_addrinfo_canonname(ai, 0) != NULL);
  acore_future_unref(f);
  CHECK(acore_getaddrinfo_hints(loop, "x", "80", ACORE_AF_INET, 0, 0,
                                ACORE_AI_NUMERICHOST, &f) == ACORE_OK);
  wait_done(loop, f);
  CHECK(acore_dns_error_reason(acore_future_error(f)) == ACORE_EAI_NONAME);
  acore_future_unref(f);
  CHECK(acore_getnameinfo_flags(loop, "127.0.0.1", 80,
                                ACORE_NI_NUMERICHOST | ACORE_NI_NUMERICSERV,
                                &f) == ACORE_OK);
  wait_done(loop, f);
  CHECK(acore_nameinfo_from_future(f, &host, &service) == ACORE_OK);
  CHECK(strcmp(host, "127.0.0.1") == 0 && strcmp(service, "80") == 0);
  acore_future_unref(f);
}

static void names(acore_loop_t *loop) {
  const acore_addrinfo_t *ai = NULL;
  acore_future_t *f = NULL;
  char host[ACORE_ADDRESS_MAX];
  int port = 0, family = 0;

  CHECK(acore_getaddrinfo(loop, "127.0.0.1", "80", ACORE_AF_INET, &f) ==
        ACORE_OK);
  wait_done(loop, f);
  CHECK(acore_addrinfo_from_future(f, &ai) == ACORE_OK);
  CHECK(acore_addrinfo_count(ai) == 1);
  CHECK(acore_addrinfo_get(ai, 0, host, sizeof(host), &port, &family) ==
        ACORE_OK);
  CHECK(strcmp(host, "127.0.0.1") == 0 && port == 80 &&
        family == ACORE_AF_INET);
  acore_future_unref(f);
  CHECK(acore_getnameinfo(loop, "127.0.0.1", 80, &f) == ACORE_OK);
  wait_done(loop, f);
  CHECK(acore_future_state(f) == ACORE_FUTURE_RESULT);
  acore_future_unref(f);
  names_hints(loop);
  CHECK(ACORE_EOF == -100 && ACORE_ENONAME == -120 &&
        ACORE_LISTEN_IPV6ONLY == 1 && ACORE_AF_INET6 == 6);
}

void ob_net(void) {
  acore_loop_t *loop = rloop();

  tcp(loop);
  unix_and_pipe(loop);
  names(loop);
  CHECK(acore_loop_close(loop) == ACORE_OK);
  acore_loop_unref(loop);
}
#else
void ob_net(void) {}
#endif
