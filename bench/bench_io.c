/* SPDX-License-Identifier: MIT */
/*
 * bench_io.c - W5 on acore's TCP streams (acore/stream.h): the echo (and
 * sink) server and its client, against the minimal libuv pair
 * (bench/peers/uv_echo.c) and asyncio/uvloop (bench/peers/py_echo.py). The
 * command line and the figures are bench/peers/echo_util.h's.
 *
 * Design notes
 * - Written as a C user of acore would: every operation is a future, its
 *   continuation a done callback (no tasks: the callback style is the
 *   closest to the libuv program's, so the difference is the streams').
 * - The server reads into a per-connection 64 KiB buffer and writes the
 *   echo without waiting for it (the write copies what the kernel did not
 *   take); the next read is asked for at once.
 * - The client writes its 64-byte request (future dropped) and awaits
 *   read_exactly(64) before the next trip.
 * - The stream client keeps 4 writes of 256 KiB in flight, then shuts
 *   down its side and reads the 8-byte count. Its chunk is a static
 *   buffer handed to acore_stream_write_owned (no copy, no release), as
 *   the libuv peer hands it to uv_write.
 */
#define _GNU_SOURCE
#include "acore.h"
#include "acore/stream.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_NAME "bench_io"
#include "bench_util.h"
#include "peers/echo_util.h"

static void ok(int rc, const char *what) {
  if (rc != ACORE_OK) {
    fprintf(stderr, "bench_io: %s: %s\n", what, acore_err_name(rc));
    exit(1);
  }
}

/* A done future's int result, or exit with its error. */
static int64_t int_of(acore_future_t *f, const char *what) {
  int64_t v = 0;
  int rc = acore_future_result_int(f, &v);

  if (rc != ACORE_OK) {
    acore_error_t *e = acore_future_error(f);
    fprintf(stderr, "bench_io: %s: %s\n", what,
            e ? acore_error_message(e) : acore_err_name(rc));
    exit(1);
  }
  return v;
}

/* Call `fn(fut, ud)` once the new future `f` is done; the reference to it
 * is kept until then (dropping a pending operation's last reference
 * cancels it) and dropped after `fn`, by the callback record's ud_free...
 * which C cannot give both `ud` and `f`: so each callback drops it. */
static void then(acore_future_t *f, acore_done_fn fn, void *ud) {
  ok(acore_future_add_done_callback(f, fn, ud, NULL), "add_done_callback");
}

typedef struct conn {
  acore_stream_t *s;
  char buf[65536];
  uint64_t count; /* server sink: bytes read */
  long trips;     /* client: round trips left */
} conn;

static acore_loop_t *loop;
static echo_args args;

/* ---- server ---------------------------------------------------------------- */

static acore_server_t *server;
static long conns_left; /* --exit-after: connections still to serve */
static long accepted;

static void conn_free(conn *c) {
  acore_stream_close(c->s);
  acore_stream_unref(c->s);
  free(c);
}

/* A served connection ended: close the server after the last one. */
static void served(conn *c) {
  conn_free(c);
  if (conns_left > 0 && --conns_left == 0) {
    acore_server_close(server);
    acore_loop_stop(loop); /* (the run did not end by itself: see report) */
  }
}

static void on_server_read(acore_future_t *f, void *ud);

static void server_read(conn *c) {
  acore_future_t *f;

  ok(acore_stream_read(c->s, c->buf, sizeof(c->buf), &f), "read");
  then(f, on_server_read, c);
}

static void on_count_written(acore_future_t *f, void *ud) {
  acore_future_unref(f);
  served(ud);
}

static void on_server_read(acore_future_t *f, void *ud) {
  conn *c = ud;
  acore_future_t *w;
  int64_t n = 0;
  int state = acore_future_state(f);

  if (state == ACORE_FUTURE_RESULT)
    n = int_of(f, "read");
  acore_future_unref(f);
  if (n == 0) { /* end of stream, or reset */
    if (args.sink && state == ACORE_FUTURE_RESULT) {
      uint64_t v = c->count; /* little-endian hosts only */
      ok(acore_stream_write(c->s, &v, sizeof(v), &w), "write");
      then(w, on_count_written, c);
      return;
    }
    served(c);
    return;
  }
  if (args.sink) {
    c->count += (uint64_t)n;
  } else {
    ok(acore_stream_write(c->s, c->buf, (size_t)n, &w), "write");
    acore_future_unref(w);
  }
  server_read(c);
}

static void on_accept(acore_future_t *f, void *ud);

static void accept_next(void) {
  acore_future_t *f;

  ok(acore_server_accept(server, &f), "accept");
  then(f, on_accept, NULL);
}

static void on_accept(acore_future_t *f, void *ud) {
  conn *c = calloc(1, sizeof(*c));

  (void)ud;
  check(c != NULL, "out of memory");
  ok(acore_stream_from_future(f, &c->s), "accept");
  acore_future_unref(f);
  ok(acore_stream_set_nodelay(c->s, 1), "nodelay");
  server_read(c);
  if (args.exit_after == 0 || ++accepted < args.exit_after)
    accept_next();
}

static int serve(void) {
  char host[ACORE_ADDRESS_MAX];
  int port = 0;

  ok(acore_tcp_listen(loop, "127.0.0.1", args.port, 1024, 0, &server),
     "listen");
  ok(acore_server_address(server, host, sizeof(host), &port), "address");
  echo_print_port(port);
  conns_left = args.exit_after;
  accept_next();
  return acore_loop_run(loop);
}

/* ---- client: W5 ------------------------------------------------------------- */

static const char request[W5_MSG] = "0123456789abcdef0123456789abcdef"
                                    "0123456789abcdef0123456789abcde";
static echo_clock clk;
static int connected, finished;
static conn *conns[W5_CONNS];
static acore_future_t *round_done;

static void on_reply(acore_future_t *f, void *ud);

static void trip(conn *c) {
  acore_future_t *w, *r;

  ok(acore_stream_write(c->s, request, W5_MSG, &w), "write");
  acore_future_unref(w);
  ok(acore_stream_read_exactly(c->s, c->buf, W5_MSG, &r), "read_exactly");
  then(r, on_reply, c);
}

static void on_reply(acore_future_t *f, void *ud) {
  conn *c = ud;

  int_of(f, "read_exactly");
  acore_future_unref(f);
  if (--c->trips > 0) {
    trip(c);
    return;
  }
  if (++finished == W5_CONNS) {
    echo_stop(&clk, args.server_pid);
    acore_future_set_int(round_done, 0);
  }
}

static void on_connected(acore_future_t *f, void *ud) {
  conn *c = ud;
  int i;

  ok(acore_stream_from_future(f, &c->s), "connect");
  acore_future_unref(f);
  ok(acore_stream_set_nodelay(c->s, 1), "nodelay");
  if (++connected < W5_CONNS)
    return;
  echo_start(&clk, args.server_pid); /* every connection is up */
  for (i = 0; i < W5_CONNS; i++)
    trip(conns[i]);
}

static void w5_round(void) {
  acore_future_t *f;
  int i;

  connected = finished = 0;
  for (i = 0; i < W5_CONNS; i++) {
    conns[i] = calloc(1, sizeof(conn));
    check(conns[i] != NULL, "out of memory");
    conns[i]->trips = args.n / W5_CONNS;
    ok(acore_tcp_connect(loop, "127.0.0.1", args.port, &f), "connect");
    then(f, on_connected, conns[i]);
  }
  ok(acore_loop_run_until_complete(loop, round_done), "run");
  for (i = 0; i < W5_CONNS; i++)
    conn_free(conns[i]);
}

/* ---- client: W5_stream ---------------------------------------------------------- */

static char chunk[W5_CHUNK];
static long chunks_left;
static int in_flight;
static conn *sconn;

static void on_chunk_written(acore_future_t *f, void *ud);

static void write_chunk(void) {
  acore_future_t *w;

  chunks_left--;
  in_flight++;
  ok(acore_stream_write_owned(sconn->s, chunk, W5_CHUNK, NULL, NULL, &w),
     "write");
  then(w, on_chunk_written, NULL);
}

static void on_count(acore_future_t *f, void *ud) {
  uint64_t v;

  (void)ud;
  int_of(f, "read_exactly");
  acore_future_unref(f);
  memcpy(&v, sconn->buf, 8);
  check(v == (uint64_t)args.n * 1024 * 1024, "the sink lost bytes");
  echo_stop(&clk, args.server_pid);
  acore_future_set_int(round_done, 0);
}

static void on_chunk_written(acore_future_t *f, void *ud) {
  acore_future_t *sd, *r;

  (void)ud;
  int_of(f, "write");
  acore_future_unref(f);
  in_flight--;
  if (chunks_left > 0) {
    write_chunk();
  } else if (in_flight == 0) {
    ok(acore_stream_shutdown(sconn->s, &sd), "shutdown");
    acore_future_unref(sd);
    ok(acore_stream_read_exactly(sconn->s, sconn->buf, 8, &r), "read");
    then(r, on_count, NULL);
  }
}

static void on_stream_connected(acore_future_t *f, void *ud) {
  int i;

  (void)ud;
  ok(acore_stream_from_future(f, &sconn->s), "connect");
  acore_future_unref(f);
  echo_start(&clk, args.server_pid);
  for (i = 0; i < 4 && chunks_left > 0; i++)
    write_chunk();
}

static void stream_round(void) {
  acore_future_t *f;

  sconn = calloc(1, sizeof(*sconn));
  check(sconn != NULL, "out of memory");
  chunks_left = args.n * (1024 * 1024 / W5_CHUNK);
  in_flight = 0;
  ok(acore_tcp_connect(loop, "127.0.0.1", args.port, &f), "connect");
  then(f, on_stream_connected, NULL);
  ok(acore_loop_run_until_complete(loop, round_done), "run");
  conn_free(sconn);
}

int main(int argc, char **argv) {
  int r;

  echo_parse(argc, argv, &args);
  signal(SIGPIPE, SIG_IGN);
  ok(acore_loop_new(NULL, &loop), "loop");
  if (args.server)
    return serve();
  for (r = 1; r <= args.rounds; r++) {
    ok(acore_future_new(loop, &round_done), "future");
    if (args.stream)
      stream_round();
    else
      w5_round();
    acore_future_unref(round_done);
    acore_loop_run_once(loop, ACORE_RUN_NOWAIT); /* closes */
    echo_rep_line("acore", &args, r, &clk);
  }
  acore_loop_close(loop);
  acore_loop_unref(loop);
  return 0;
}
