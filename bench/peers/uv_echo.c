/* SPDX-License-Identifier: MIT */
/*
 * uv_echo.c - W5 written by hand on libuv: the TCP echo (and sink) server
 * and its client, the floor acore's streams are measured against. The
 * command line and the figures are echo_util.h's.
 *
 * Design notes
 * - The smallest honest program: one uv_tcp_t per connection with its own
 *   64 KiB read buffer; the server writes an echo with uv_try_write() and
 *   queues (a malloc'd copy, uv_write) only what the kernel did not take.
 *   The client's requests come from a static buffer, so its uv_write
 *   needs no copy; the reply is read into the connection's buffer and
 *   counted until all 64 bytes are back (TCP may split them).
 * - The stream client keeps 4 writes of 256 KiB in flight from one static
 *   buffer, then shuts its side down and reads the 8-byte count.
 * - TCP_NODELAY on both sides (a 64-byte request must not wait for Nagle).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define BENCH_NAME "uv_echo"
#include "../bench_util.h"
#include "echo_util.h"

#define container_of(ptr, type, field) \
  ((type *)((char *)(ptr) - offsetof(type, field)))

static void check_uv(int rc, const char *call) {
  if (rc < 0) {
    fprintf(stderr, "uv_echo: %s: %s\n", call, uv_strerror(rc));
    exit(1);
  }
}

static void *xmalloc(size_t n) {
  void *p = malloc(n);

  check(p != NULL, "out of memory");
  return p;
}

typedef struct conn {
  uv_tcp_t tcp;
  char buf[65536];
  uint64_t count;  /* server sink: bytes read; client: bytes of this trip */
  long trips;      /* client: round trips left */
  uv_write_t wreq; /* client: its one request in flight */
} conn;

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf) {
  conn *c = h->data;

  (void)size;
  *buf = uv_buf_init(c->buf, sizeof(c->buf));
}

static void on_conn_closed(uv_handle_t *h) { free(h->data); }

static void conn_close(conn *c) {
  uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

/* ---- server ---------------------------------------------------------------- */

typedef struct wcopy {
  uv_write_t req;
  char data[];
} wcopy;

static void on_copy_written(uv_write_t *req, int status) {
  (void)status;
  free(container_of(req, wcopy, req));
}

/* Write `len` bytes of `data` on `s`: what the kernel takes now, the rest
 * as a queued copy. */
static void server_write(uv_stream_t *s, const char *data, size_t len) {
  uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
  int n = uv_try_write(s, &b, 1);
  wcopy *w;

  if (n == (int)len)
    return;
  if (n < 0 && n != UV_EAGAIN)
    return; /* the peer is gone: its read sees it */
  if (n < 0)
    n = 0;
  w = xmalloc(sizeof(*w) + len - (size_t)n);
  memcpy(w->data, data + n, len - (size_t)n);
  b = uv_buf_init(w->data, (unsigned)(len - (size_t)n));
  check_uv(uv_write(&w->req, s, &b, 1, on_copy_written), "uv_write");
}

static int sink_mode;
static long conns_left; /* --exit-after: connections still to serve */
static uv_tcp_t server;

static void server_conn_ended(void) {
  if (conns_left > 0 && --conns_left == 0)
    uv_close((uv_handle_t *)&server, NULL);
}

static void on_server_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  conn *c = s->data;

  if (n > 0) {
    if (sink_mode)
      c->count += (uint64_t)n;
    else
      server_write(s, buf->base, (size_t)n);
    return;
  }
  if (n == 0)
    return;
  if (n == UV_EOF && sink_mode) {
    uint64_t v = c->count; /* little-endian hosts only (x86-64, arm64) */
    server_write(s, (const char *)&v, sizeof(v));
  }
  conn_close(c);
  server_conn_ended();
}

static void on_connection(uv_stream_t *server, int status) {
  conn *c;

  check_uv(status, "listen");
  c = xmalloc(sizeof(*c));
  c->count = 0;
  check_uv(uv_tcp_init(server->loop, &c->tcp), "uv_tcp_init");
  c->tcp.data = c;
  check_uv(uv_accept(server, (uv_stream_t *)&c->tcp), "uv_accept");
  uv_tcp_nodelay(&c->tcp, 1);
  check_uv(uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_server_read),
           "uv_read_start");
}

static int serve(const echo_args *a) {
  uv_loop_t *loop = uv_default_loop();
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof(bound);

  sink_mode = a->sink;
  conns_left = a->exit_after;
  signal(SIGPIPE, SIG_IGN);
  check_uv(uv_ip4_addr("127.0.0.1", a->port, &addr), "uv_ip4_addr");
  check_uv(uv_tcp_init(loop, &server), "uv_tcp_init");
  check_uv(uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0), "bind");
  check_uv(uv_listen((uv_stream_t *)&server, 1024, on_connection), "listen");
  check_uv(uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &len),
           "getsockname");
  echo_print_port(ntohs(((struct sockaddr_in *)&bound)->sin_port));
  return uv_run(loop, UV_RUN_DEFAULT);
}

/* ---- client: W5 ------------------------------------------------------------- */

static const char request[W5_MSG] = "0123456789abcdef0123456789abcdef"
                                    "0123456789abcdef0123456789abcde";
static echo_args args;
static echo_clock clk;
static int connected, finished;
static conn *conns[W5_CONNS];

static void on_req_written(uv_write_t *req, int status) {
  (void)req;
  check_uv(status, "write");
}

static void send_request(conn *c) {
  uv_buf_t b = uv_buf_init((char *)request, W5_MSG);

  c->count = 0;
  check_uv(uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_req_written),
           "uv_write");
}

static void on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  conn *c = s->data;

  (void)buf;
  if (n == 0)
    return;
  check_uv((int)n, "read");
  c->count += (uint64_t)n;
  if (c->count < W5_MSG)
    return;
  check(c->count == W5_MSG, "more than the echo came back");
  if (--c->trips > 0) {
    send_request(c);
    return;
  }
  uv_read_stop(s);
  if (++finished == W5_CONNS)
    echo_stop(&clk, args.server_pid);
}

static void on_connected(uv_connect_t *req, int status) {
  int i;

  check_uv(status, "connect");
  free(req);
  if (++connected < W5_CONNS)
    return;
  echo_start(&clk, args.server_pid); /* every connection is up */
  for (i = 0; i < W5_CONNS; i++) {
    check_uv(uv_read_start((uv_stream_t *)&conns[i]->tcp, on_alloc,
                           on_client_read), "uv_read_start");
    send_request(conns[i]);
  }
}

static void connect_one(uv_loop_t *loop, const struct sockaddr_in *addr,
                        conn *c) {
  uv_connect_t *req = xmalloc(sizeof(*req));

  check_uv(uv_tcp_init(loop, &c->tcp), "uv_tcp_init");
  c->tcp.data = c;
  uv_tcp_nodelay(&c->tcp, 1);
  check_uv(uv_tcp_connect(req, &c->tcp, (const struct sockaddr *)addr,
                          on_connected), "uv_tcp_connect");
}

static void w5_round(uv_loop_t *loop, const struct sockaddr_in *addr) {
  int i;

  connected = finished = 0;
  for (i = 0; i < W5_CONNS; i++) {
    conns[i] = xmalloc(sizeof(conn));
    conns[i]->trips = args.n / W5_CONNS;
    connect_one(loop, addr, conns[i]);
  }
  while (finished < W5_CONNS)
    uv_run(loop, UV_RUN_ONCE);
  for (i = 0; i < W5_CONNS; i++)
    conn_close(conns[i]);
  uv_run(loop, UV_RUN_DEFAULT);
}

/* ---- client: W5_stream ---------------------------------------------------------- */

static char chunk[W5_CHUNK];
static long chunks_left;
static uv_shutdown_t shut;
static uv_write_t wreqs[4];

static void on_chunk_written(uv_write_t *req, int status);

static void write_chunk(conn *c, uv_write_t *req) {
  uv_buf_t b = uv_buf_init(chunk, W5_CHUNK);

  chunks_left--;
  check_uv(uv_write(req, (uv_stream_t *)&c->tcp, &b, 1, on_chunk_written),
           "uv_write");
}

static void on_shut(uv_shutdown_t *req, int status) {
  (void)req;
  check_uv(status, "shutdown");
}

static int in_flight;

static void on_chunk_written(uv_write_t *req, int status) {
  conn *c = req->handle->data;

  check_uv(status, "write");
  in_flight--;
  if (chunks_left > 0) {
    in_flight++;
    write_chunk(c, req);
  } else if (in_flight == 0) {
    check_uv(uv_shutdown(&shut, (uv_stream_t *)&c->tcp, on_shut),
             "uv_shutdown");
  }
}

static void on_count_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  conn *c = s->data;
  uint64_t v;

  if (n == 0)
    return;
  if (n == UV_EOF) {
    check(c->count == 8, "no count came back");
    memcpy(&v, c->buf + 65536 - 8, 8);
    check(v == (uint64_t)args.n * 1024 * 1024, "the sink lost bytes");
    echo_stop(&clk, args.server_pid);
    finished = 1;
    conn_close(c);
    return;
  }
  check_uv((int)n, "read");
  check(c->count + (uint64_t)n <= 8, "more than the count came back");
  memcpy(c->buf + 65536 - 8 + c->count, buf->base, (size_t)n);
  c->count += (uint64_t)n;
}

static void on_alloc_low(uv_handle_t *h, size_t size, uv_buf_t *buf) {
  conn *c = h->data;

  (void)size;
  *buf = uv_buf_init(c->buf, 65536 - 8); /* the count goes to the tail */
}

static void on_stream_connected(uv_connect_t *req, int status) {
  conn *c = req->handle->data;
  int i;

  check_uv(status, "connect");
  free(req);
  echo_start(&clk, args.server_pid);
  check_uv(uv_read_start((uv_stream_t *)&c->tcp, on_alloc_low,
                         on_count_read), "uv_read_start");
  for (i = 0; i < 4 && chunks_left > 0; i++) {
    in_flight++;
    write_chunk(c, &wreqs[i]);
  }
}

static void stream_round(uv_loop_t *loop, const struct sockaddr_in *addr) {
  conn *c = xmalloc(sizeof(*c));
  uv_connect_t *req = xmalloc(sizeof(*req));

  finished = 0;
  c->count = 0;
  chunks_left = args.n * (1024 * 1024 / W5_CHUNK);
  check_uv(uv_tcp_init(loop, &c->tcp), "uv_tcp_init");
  c->tcp.data = c;
  check_uv(uv_tcp_connect(req, &c->tcp, (const struct sockaddr *)addr,
                          on_stream_connected), "uv_tcp_connect");
  uv_run(loop, UV_RUN_DEFAULT);
  check(finished, "the stream did not finish");
}

int main(int argc, char **argv) {
  struct sockaddr_in addr;
  uv_loop_t *loop;
  int r;

  echo_parse(argc, argv, &args);
  if (args.server)
    return serve(&args);
  signal(SIGPIPE, SIG_IGN);
  loop = uv_default_loop();
  check_uv(uv_ip4_addr("127.0.0.1", args.port, &addr), "uv_ip4_addr");
  for (r = 1; r <= args.rounds; r++) {
    if (args.stream)
      stream_round(loop, &addr);
    else
      w5_round(loop, &addr);
    echo_rep_line("libuv", &args, r, &clk);
  }
  return 0;
}
