/* SPDX-License-Identifier: MIT */
/*
 * test_io_soak.c - many connections, many round trips, random cancels.
 *
 * CONNS clients each make ROUNDS round trips to an echo server in the same
 * loop over loopback TCP: a message of 1...256 bytes whose every byte
 * depends on (connection, round, index), echoed back and read with
 * read_exactly. Cancels come at random: a client drops its write future
 * at once (the bytes still go), cancels its read at once or one iteration
 * later (maybe with part of the message in hand: the bytes are kept) and
 * reads again; the server cancels its reads the same way. Every message
 * must come back whole and in order: no byte lost or duplicated. At the
 * end the process has the descriptors it had. Bounded: a watchdog fails
 * the run after LIMIT seconds.
 *
 * Usage: test_io_soak [rounds]   (default 10000; ctest runs a short count
 * in the unit suite and the full one in the label "soak")
 */
#include "io_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { CONNS = 100, MAXLEN = 256 };
#define LIMIT 600.0

typedef struct soak {
  acore_loop_t *loop;
  acore_server_t *srv;
  int port, rounds, done, errors;
  long cancels, rounds_done;
  unsigned seed;
} soak_t;

typedef struct client {
  soak_t *k;
  int id, round;
  acore_stream_t *s;
  size_t len;
  unsigned char want[MAXLEN], got[MAXLEN];
} client_t;

typedef struct echo {
  soak_t *k;
  acore_stream_t *s;
  unsigned char buf[4096];
} echo_t;

static unsigned rnd(soak_t *k) { return (unsigned)rand_r(&k->seed); }

static void unref_fut(void *p) { acore_future_unref(p); }

static void cancel_later(void *p) { acore_future_cancel(p, NULL); }

/* Cancel `f` now, one iteration later, or not at all. */
static void maybe_cancel(soak_t *k, acore_future_t *f) {
  unsigned r = rnd(k) % 32;

  if (r == 0) {
    acore_future_cancel(f, NULL);
    k->cancels++;
  } else if (r == 1) {
    acore_loop_call_soon(k->loop, cancel_later, acore_future_ref(f), unref_fut,
                         NULL);
    k->cancels++;
  }
}

/* ---- the echo server ------------------------------------------------------ */

static void echo_read(echo_t *e);

static void on_echo_read(acore_future_t *f, void *ud) {
  echo_t *e = ud;
  int64_t n = 0;
  acore_future_t *w;

  if (acore_future_is_cancelled(f)) {
    acore_future_unref(f);
    echo_read(e); /* nothing was lost: read again */
    return;
  }
  if (acore_future_result_int(f, &n) != ACORE_OK || n == 0) {
    acore_future_unref(f);
    io_drop(e->s); /* the client is done (or failed) */
    free(e);
    return;
  }
  if (acore_stream_write(e->s, e->buf, (size_t)n, &w) != ACORE_OK) {
    e->k->errors++;
    return;
  }
  acore_future_unref(w); /* dropped: its bytes still go */
  acore_future_unref(f);
  echo_read(e);
}

static void echo_read(echo_t *e) {
  acore_future_t *r;

  if (acore_stream_read(e->s, e->buf, sizeof(e->buf), &r) != ACORE_OK) {
    e->k->errors++;
    return;
  }
  maybe_cancel(e->k, r);
  /* the callback owns the reference: dropping it would cancel the read */
  acore_future_add_done_callback(r, on_echo_read, e, NULL);
}

static void accept_next(soak_t *k);

static void on_accept(acore_future_t *f, void *ud) {
  soak_t *k = ud;
  echo_t *e;

  if (acore_future_is_cancelled(f)) {
    acore_future_unref(f);
    return; /* the server closed */
  }
  e = calloc(1, sizeof(*e));
  e->k = k;
  if (acore_stream_from_future(f, &e->s) != ACORE_OK) {
    k->errors++;
    free(e);
    acore_future_unref(f);
    return;
  }
  acore_future_unref(f);
  echo_read(e);
  accept_next(k);
}

static void accept_next(soak_t *k) {
  acore_future_t *a;

  assert_int_equal(acore_server_accept(k->srv, &a), ACORE_OK);
  acore_future_add_done_callback(a, on_accept, k, NULL); /* owns a */
}

/* ---- the clients ---------------------------------------------------------- */

static void client_round(client_t *c);
static void client_read(client_t *c);

static void client_end(client_t *c) {
  soak_t *k = c->k;

  io_drop(c->s);
  c->s = NULL;
  if (++k->done == CONNS) {
    acore_server_close(k->srv);
  }
}

static void on_client_read(acore_future_t *f, void *ud) {
  client_t *c = ud;
  int rc;

  if (acore_future_is_cancelled(f)) {
    acore_future_unref(f);
    client_read(c); /* what came is kept: the same read again */
    return;
  }
  rc = acore_future_result_int(f, &(int64_t){0});
  acore_future_unref(f);
  if (rc != ACORE_OK || memcmp(c->got, c->want, c->len) != 0) {
    fprintf(stderr, "client %d round %d: %s\n", c->id, c->round,
            rc != ACORE_OK ? acore_err_name(rc) : "bytes differ");
    c->k->errors++;
    client_end(c);
    return;
  }
  c->round++;
  c->k->rounds_done++;
  client_round(c);
}

static void client_read(client_t *c) {
  acore_future_t *r;

  memset(c->got, 0, sizeof(c->got));
  if (acore_stream_read_exactly(c->s, c->got, c->len, &r) != ACORE_OK) {
    c->k->errors++;
    client_end(c);
    return;
  }
  maybe_cancel(c->k, r);
  acore_future_add_done_callback(r, on_client_read, c, NULL); /* owns r */
}

static void client_round(client_t *c) {
  acore_future_t *w;
  size_t i;

  if (c->round == c->k->rounds) {
    client_end(c);
    return;
  }
  c->len = 1 + rnd(c->k) % MAXLEN;
  for (i = 0; i < c->len; i++)
    c->want[i] = (unsigned char)(c->id * 131 + c->round * 7 + (int)i);
  if (acore_stream_write(c->s, c->want, c->len, &w) != ACORE_OK) {
    c->k->errors++;
    client_end(c);
    return;
  }
  if (rnd(c->k) % 32 == 0)
    acore_future_cancel(w, NULL); /* the bytes still go, once */
  acore_future_unref(w);
  client_read(c);
}

static void on_connected(acore_future_t *f, void *ud) {
  client_t *c = ud;
  int rc = acore_stream_from_future(f, &c->s);

  acore_future_unref(f);
  if (rc != ACORE_OK) {
    c->k->errors++;
    c->k->done++;
    return;
  }
  client_round(c);
}

static void on_watchdog(void *ud) {
  soak_t *k = ud;

  fprintf(stderr, "soak: not done after %.0f s\n", LIMIT);
  k->errors++;
  acore_loop_stop(k->loop);
}

static void test_io_soak(void **state) {
  static soak_t k;
  static client_t clients[CONNS];
  acore_handle_t *wd;
  struct timespec t0, t1;
  int fds = io_fd_count(), i;
  double secs;
  char *env = getenv("ACORE_SOAK_ROUNDS");

  (void)state;
  memset(&k, 0, sizeof(k));
  k.rounds = env != NULL ? atoi(env) : 10000;
  k.seed = 12345;
  assert_int_equal(acore_loop_new(NULL, &k.loop), ACORE_OK);
  k.srv = io_listen(k.loop, NULL, &k.port);
  accept_next(&k);
  for (i = 0; i < CONNS; i++) {
    acore_future_t *f;
    clients[i].k = &k;
    clients[i].id = i;
    clients[i].round = 0;
    assert_int_equal(acore_tcp_connect(k.loop, "127.0.0.1", k.port, &f),
                     ACORE_OK);
    acore_future_add_done_callback(f, on_connected, &clients[i], NULL);
  }
  assert_int_equal(acore_loop_call_later(k.loop, LIMIT, on_watchdog, &k,
                                         NULL, &wd), ACORE_OK);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (k.done < CONNS && k.errors == 0)
    acore_loop_run_once(k.loop, 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  acore_handle_cancel(wd);
  acore_handle_unref(wd);
  acore_loop_run(k.loop); /* the echo side sees the ends and closes */
  secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  print_message("soak: %d connections x %d round trips = %ld in %.2f s "
                "(%.1f us each), %ld cancels\n", CONNS, k.rounds,
                k.rounds_done, secs, secs * 1e6 / (double)(k.rounds_done ? k.rounds_done : 1),
                k.cancels);
  assert_int_equal(k.errors, 0);
  assert_int_equal(k.rounds_done, (long)CONNS * k.rounds);
  acore_server_unref(k.srv);
  assert_int_equal(acore_loop_close(k.loop), ACORE_OK);
  acore_loop_unref(k.loop);
  assert_int_equal(io_fd_count(), fds);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_io_soak),
  };
  if (argc > 1)
    setenv("ACORE_SOAK_ROUNDS", argv[1], 1);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
