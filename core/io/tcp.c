/* SPDX-License-Identifier: MIT */
/*
 * tcp.c - TCP: connect, listen, and the options of a TCP stream.
 * The stream and the server themselves are in stream.c and server.c.
 */
#include "io.h"

#include "uverr.h"

static int tcp_start(acore_stream_t *s, void *arg) {
  return uv_tcp_connect(&s->creq, &s->uv.tcp, arg, acore__stream_on_connect);
}

int acore_tcp_connect(acore_loop_t *loop, const char *host, int port,
                      acore_future_t **out) {
  struct sockaddr_storage sa;
  int rc;

  if (out == NULL || port == 0 || acore__io_parse_addr(host, port, &sa) != 0)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  return acore__stream_connect(loop, ACORE__STREAM_TCP, tcp_start, &sa, out);
}

int acore_tcp_listen(acore_loop_t *loop, const char *host, int port,
                     int backlog, unsigned flags, acore_server_t **out) {
  struct sockaddr_storage sa;
  acore_server_t *srv;
  int rc;

  if (out == NULL || backlog < 0 || (flags & ~(unsigned)ACORE_LISTEN_IPV6ONLY) ||
      acore__io_parse_addr(host, port, &sa) != 0)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if ((rc = acore__server_new(loop, ACORE__STREAM_TCP, &srv)) != ACORE_OK)
    return rc;
  rc = uv_tcp_bind(&srv->uv.tcp, (struct sockaddr *)&sa,
                   (flags & ACORE_LISTEN_IPV6ONLY) ? UV_TCP_IPV6ONLY : 0);
  rc = rc != 0 ? acore__uv_code(rc) : acore__server_listen(srv, backlog);
  if (rc != ACORE_OK) {
    acore_server_close(srv);
    acore_server_unref(srv);
    return rc;
  }
  *out = srv;
  return ACORE_OK;
}

static int tcp_check(acore_stream_t *s) {
  int rc = acore__io_check(s != NULL ? &s->io : NULL);

  if (rc != ACORE_OK)
    return rc;
  return s->kind == ACORE__STREAM_TCP ? ACORE_OK : ACORE_ENOTSUP;
}

int acore_stream_set_nodelay(acore_stream_t *s, int on) {
  int rc = on != 0 && on != 1 ? ACORE_EINVAL : tcp_check(s);

  return rc != ACORE_OK ? rc : acore__uv_code(uv_tcp_nodelay(&s->uv.tcp, on));
}

int acore_stream_set_keepalive(acore_stream_t *s, int on, unsigned delay) {
  int rc = (on != 0 && on != 1) || (on && delay == 0) ? ACORE_EINVAL
                                                      : tcp_check(s);

  if (rc != ACORE_OK)
    return rc;
  return acore__uv_code(uv_tcp_keepalive(&s->uv.tcp, on, delay));
}
