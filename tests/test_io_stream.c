/* SPDX-License-Identifier: MIT */
/*
 * test_io_stream.c - what every stream does whatever its transport (shown
 * on TCP over loopback): owned and exact reads, cancellation of each
 * operation with no byte lost, backpressure, close with operations
 * pending, loop close, references from other threads, bad input, and the
 * allocation-failure walk. Every test checks the process's descriptors
 * are the same after it.
 */
#include "io_testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void test_io_stream_read_bytes(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_future_t *r;
  const void *data;
  size_t len;

  io_pair(loop, &c, &s);
  io_write_all(loop, c, "owned", 5);
  assert_int_equal(acore_stream_read_bytes(s, 64, &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(acore_future_result_bytes(r, &data, &len), ACORE_OK);
  assert_int_equal(len, 5);
  assert_string_equal(data, "owned");
  acore_future_unref(r);
  io_drop(c);
  assert_int_equal(acore_stream_read_bytes(s, 64, &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(acore_future_result_bytes(r, &data, &len), ACORE_OK);
  assert_int_equal(len, 0); /* the end: empty bytes */
  acore_future_unref(r);
  io_drop(s);
}

static void test_io_stream_read_exactly_spans_writes(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_future_t *r;
  char buf[10];

  io_pair(loop, &c, &s);
  assert_int_equal(acore_stream_read_exactly(s, buf, 10, &r), ACORE_OK);
  io_write_all(loop, c, "0123", 4);
  assert_int_equal(acore_future_is_done(r), 0);
  io_write_all(loop, c, "456789xy", 8);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 10);
  assert_memory_equal(buf, "0123456789", 10);
  acore_future_unref(r);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r); /* what came after was kept */
  assert_int_equal(io_int(r), 2);
  assert_memory_equal(buf, "xy", 2);
  acore_future_unref(r);
  io_drop(c);
  io_drop(s);
}

static void test_io_stream_read_busy(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_future_t *r, *r2 = NULL;
  char buf[4], buf2[4];

  io_pair(loop, &c, &s);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  assert_int_equal(acore_stream_read(s, buf2, sizeof(buf2), &r2), ACORE_EBUSY);
  assert_int_equal(acore_stream_read_bytes(s, 4, &r2), ACORE_EBUSY);
  assert_null(r2);
  acore_future_unref(r); /* dropping the pending read cancels it */
  assert_int_equal(acore_stream_read(s, buf2, sizeof(buf2), &r2), ACORE_OK);
  acore_future_unref(r2);
  io_drop(c);
  io_drop(s);
}

static void test_io_stream_cancel_read_loses_nothing(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_future_t *r;
  char buf[8];

  io_pair(loop, &c, &s);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  assert_int_equal(acore_future_cancel(r, "stop"), 1);
  assert_int_equal(acore_future_is_cancelled(r), 1);
  acore_future_unref(r);
  io_write_all(loop, c, "later", 5);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 5);
  assert_memory_equal(buf, "later", 5);
  acore_future_unref(r);
  io_drop(c);
  io_drop(s);
}

static void test_io_stream_cancel_partial_exact_read_keeps_bytes(
    void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_future_t *r, *sl;
  char buf[16];

  io_pair(loop, &c, &s);
  assert_int_equal(acore_stream_read_exactly(s, buf, 10, &r), ACORE_OK);
  io_write_all(loop, c, "abcd", 4);
  assert_int_equal(acore_sleep(loop, 0.02, &sl), ACORE_OK);
  IO_WAIT(loop, sl); /* the 4 bytes reached the read */
  acore_future_unref(sl);
  assert_int_equal(acore_future_is_done(r), 0);
  assert_int_equal(acore_future_cancel(r, NULL), 1);
  acore_future_unref(r);
  io_write_all(loop, c, "efgh", 4);
  memset(buf, 0, sizeof(buf));
  assert_int_equal(acore_stream_read_exactly(s, buf, 8, &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 8);
  assert_memory_equal(buf, "abcdefgh", 8);
  acore_future_unref(r);
  io_drop(c);
  io_drop(s);
}

static void test_io_stream_wait_for_read_times_out(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_future_t *r, *w;
  char buf[8];

  io_pair(loop, &c, &s);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  assert_int_equal(acore_wait_for(r, 0.05, &w), ACORE_OK);
  IO_WAIT(loop, w);
  assert_int_equal(io_err(w), ACORE_ETIMEDOUT);
  assert_int_equal(acore_future_is_cancelled(r), 1); /* the read stopped */
  acore_future_unref(w);
  acore_future_unref(r);
  io_write_all(loop, c, "ok", 2);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 2);
  acore_future_unref(r);
  io_drop(c);
  io_drop(s);
}

/* A task that reads, cancelled while it waits. */
typedef struct reader {
  acore_stream_t *s;
  char buf[8];
  int steps;
} reader_t;

static int reader_step(acore_task_t *t, void *ud) {
  reader_t *rd = ud;
  acore_future_t *f;

  if (rd->steps++ == 0) {
    assert_int_equal(acore_stream_read(rd->s, rd->buf, sizeof(rd->buf), &f),
                     ACORE_OK);
    return acore_task_await_take(t, f);
  }
  return acore_task_finish_cancelled(t);
}

static void test_io_stream_task_cancel_stops_read(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_task_t *t;
  acore_future_t *sl;
  reader_t rd = {0};

  io_pair(loop, &c, &s);
  rd.s = s;
  assert_int_equal(acore_task_spawn(loop, reader_step, &rd, NULL, &t),
                   ACORE_OK);
  assert_int_equal(acore_sleep(loop, 0.01, &sl), ACORE_OK);
  IO_WAIT(loop, sl);
  acore_future_unref(sl);
  assert_int_equal(acore_task_cancel(t, NULL), 1);
  IO_WAIT(loop, acore_task_future(t));
  assert_int_equal(acore_future_is_cancelled(acore_task_future(t)), 1);
  acore_task_unref(t);
  io_drop(c);
  io_drop(s);
}

static void test_io_stream_cancel_connect_closes_socket(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *c, *sl;
  int port;
  acore_server_t *srv = io_listen(loop, NULL, &port);
  int fds = io_fd_count() - 1; /* without the listener; after the loop's
                                  first listen (libuv keeps a spare
                                  descriptor for EMFILE from then on) */

  assert_int_equal(acore_tcp_connect(loop, "127.0.0.1", port, &c), ACORE_OK);
  assert_int_equal(acore_future_cancel(c, NULL), 1);
  acore_future_unref(c);
  assert_int_equal(acore_tcp_connect(loop, "127.0.0.1", port, &c), ACORE_OK);
  acore_future_unref(c); /* dropped while pending: cancelled too */
  assert_int_equal(acore_sleep(loop, 0.01, &sl), ACORE_OK);
  IO_WAIT(loop, sl);
  acore_future_unref(sl);
  acore_server_close(srv);
  acore_server_unref(srv);
  acore_loop_run(loop);
  assert_int_equal(io_fd_count(), fds);
}

static void test_io_stream_cancel_accept_keeps_connection(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *a, *c;
  acore_stream_t *x, *y;
  int port;
  acore_server_t *srv = io_listen(loop, NULL, &port);

  assert_int_equal(acore_server_accept(srv, &a), ACORE_OK);
  assert_int_equal(acore_future_cancel(a, NULL), 1);
  acore_future_unref(a);
  assert_int_equal(acore_tcp_connect(loop, "127.0.0.1", port, &c), ACORE_OK);
  IO_WAIT(loop, c);
  assert_int_equal(acore_server_accept(srv, &a), ACORE_OK);
  IO_WAIT(loop, a);
  assert_int_equal(acore_stream_from_future(c, &x), ACORE_OK);
  assert_int_equal(acore_stream_from_future(a, &y), ACORE_OK);
  io_write_all(loop, x, "hi", 2);
  acore_future_unref(a);
  acore_future_unref(c);
  io_drop(x);
  io_drop(y);
  acore_server_close(srv);
  acore_server_unref(srv);
}

static void test_io_stream_backpressure(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  enum { BIG = 16 << 20 };
  acore_stream_t *c, *s;
  acore_future_t *w, *w2, *r, *sl;
  char *big = calloc(1, BIG), *sink = malloc(1 << 20);
  size_t got = 0;

  io_pair(loop, &c, &s);
  assert_int_equal(acore_stream_write(c, big, BIG, &w), ACORE_OK);
  assert_int_equal(acore_sleep(loop, 0.02, &sl), ACORE_OK);
  IO_WAIT(loop, sl);
  acore_future_unref(sl);
  /* nobody reads: the kernel is full, the rest waits in the queue */
  assert_int_equal(acore_future_is_done(w), 0);
  assert_true(acore_stream_write_queue_size(c) > 0);
  assert_true(acore_stream_write_queue_size(c) < BIG);
  /* under a high-water mark above the queue, a write completes at once */
  assert_int_equal(acore_stream_set_write_high_water(c, 2 * BIG), ACORE_OK);
  assert_int_equal(acore_stream_write(c, "x", 1, &w2), ACORE_OK);
  assert_int_equal(acore_future_is_done(w2), 1);
  assert_int_equal(acore_future_is_done(w), 1); /* released too */
  acore_future_unref(w);
  acore_future_unref(w2);
  assert_int_equal(acore_stream_set_write_high_water(c, 0), ACORE_OK);
  assert_int_equal(acore_stream_write(c, "y", 1, &w), ACORE_OK);
  while (got < (size_t)BIG + 2) { /* the reader drains it all */
    assert_int_equal(acore_stream_read(s, sink, 1 << 20, &r), ACORE_OK);
    IO_WAIT(loop, r);
    got += (size_t)io_int(r);
    acore_future_unref(r);
  }
  IO_WAIT(loop, w);
  assert_int_equal(io_int(w), 1);
  assert_int_equal(acore_stream_write_queue_size(c), 0);
  acore_future_unref(w);
  free(big);
  free(sink);
  io_drop(c);
  io_drop(s);
}

/* Releases of owned write buffers: each counts itself. */
static int released, owned_taken;
static void count_release(void *ud) { (*(int *)ud)++; }

static void test_io_stream_write_owned(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  enum { BIG = 16 << 20 };
  acore_stream_t *c, *s;
  acore_future_t *w, *w2, *r;
  char *big = malloc(BIG), *sink = malloc(1 << 20), small[5] = "ping";
  size_t got = 0, i;
  int rel = 0, rel_big = 0;
  unsigned sum = 0, want = 0;

  for (i = 0; i < BIG; i++)
    want += (unsigned char)(big[i] = (char)(i * 7));
  io_pair(loop, &c, &s);
  /* taken at once by the kernel: released before the call returns */
  assert_int_equal(acore_stream_write_owned(c, small, 4, count_release, &rel,
                                            &w), ACORE_OK);
  assert_int_equal(rel, 1);
  IO_WAIT(loop, w);
  assert_int_equal(io_int(w), 4);
  acore_future_unref(w);
  /* too big for the kernel: the rest waits in libuv, not copied, and the
   * buffer is released once, after the last byte went out */
  assert_int_equal(acore_stream_write_owned(c, big, BIG, count_release,
                                            &rel_big, &w), ACORE_OK);
  assert_int_equal(rel_big, 0);
  assert_true(acore_stream_write_queue_size(c) > 0);
  /* a static buffer needs no release */
  assert_int_equal(acore_stream_write_owned(c, "!", 1, NULL, NULL, &w2),
                   ACORE_OK);
  while (got < 4 + (size_t)BIG + 1) {
    assert_int_equal(acore_stream_read(s, sink, 1 << 20, &r), ACORE_OK);
    IO_WAIT(loop, r);
    for (i = 0; i < (size_t)io_int(r); i++, got++)
      if (got >= 4 && got < 4 + (size_t)BIG)
        sum += (unsigned char)sink[i];
      else if (got == 4 + (size_t)BIG)
        assert_int_equal(sink[i], '!');
    acore_future_unref(r);
  }
  assert_int_equal(sum, want); /* the bytes as they were, in order */
  IO_WAIT(loop, w);
  IO_WAIT(loop, w2);
  assert_int_equal(io_int(w), BIG);
  assert_int_equal(rel_big, 1);
  acore_future_unref(w);
  acore_future_unref(w2);
  /* a pending owned write cancelled: its bytes still go out, and the
   * buffer is released only once libuv is done with them */
  rel_big = 0;
  assert_int_equal(acore_stream_write_owned(c, big, BIG, count_release,
                                            &rel_big, &w), ACORE_OK);
  assert_true(acore_stream_write_queue_size(c) > 0);
  assert_int_equal(acore_future_cancel(w, NULL), 1);
  assert_int_equal(rel_big, 0);
  for (got = 0; got < (size_t)BIG;) {
    assert_int_equal(acore_stream_read(s, sink, 1 << 20, &r), ACORE_OK);
    IO_WAIT(loop, r);
    got += (size_t)io_int(r);
    acore_future_unref(r);
  }
  assert_int_equal(got, (size_t)BIG);
  for (i = 0; i < 100 && rel_big == 0; i++)
    io_spin(loop);
  assert_int_equal(rel_big, 1);
  acore_future_unref(w);
  /* a pending owned write cut by close: released once, by the close */
  rel_big = 0;
  assert_int_equal(acore_stream_write_owned(c, big, BIG, count_release,
                                            &rel_big, &w), ACORE_OK);
  assert_int_equal(rel_big, 0);
  assert_int_equal(acore_stream_close(c), ACORE_OK);
  io_spin(loop);
  assert_int_equal(rel_big, 1);
  assert_int_equal(acore_future_is_cancelled(w), 1);
  acore_future_unref(w);
  /* refused calls take nothing */
  rel = 0;
  assert_int_equal(acore_stream_write_owned(c, small, 4, count_release, &rel,
                                            &w), ACORE_ECLOSED);
  assert_int_equal(acore_stream_write_owned(NULL, small, 4, count_release,
                                            &rel, &w), ACORE_EINVAL);
  assert_int_equal(acore_stream_write_owned(s, NULL, 4, count_release, &rel,
                                            &w), ACORE_EINVAL);
  assert_int_equal(acore_stream_write_owned(s, small, 4, count_release, &rel,
                                            NULL), ACORE_EINVAL);
  assert_int_equal(acore_stream_write_owned(s, small, (size_t)1 << 40,
                                            count_release, &rel, &w),
                   ACORE_EINVAL);
  assert_int_equal(rel, 0);
  acore_stream_unref(c);
  io_drop(s);
  free(big);
  free(sink);
}

static void test_io_stream_close_cancels_pending(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  enum { BIG = 16 << 20 };
  acore_stream_t *c, *s;
  acore_future_t *r, *w, *x;
  char buf[4], *big = calloc(1, BIG);

  io_pair(loop, &c, &s);
  assert_int_equal(acore_stream_read(c, buf, sizeof(buf), &r), ACORE_OK);
  assert_int_equal(acore_stream_write(c, big, BIG, &w), ACORE_OK);
  assert_int_equal(acore_stream_close(c), ACORE_OK);
  assert_int_equal(acore_stream_close(c), ACORE_OK); /* idempotent */
  assert_int_equal(acore_future_is_cancelled(r), 1);
  assert_string_equal(acore_future_cancel_message(r), "closed");
  assert_int_equal(acore_future_is_cancelled(w), 1);
  assert_int_equal(acore_stream_read(c, buf, sizeof(buf), &x), ACORE_ECLOSED);
  assert_int_equal(acore_stream_write(c, "a", 1, &x), ACORE_ECLOSED);
  assert_int_equal(acore_stream_shutdown(c, &x), ACORE_ECLOSED);
  assert_int_equal(acore_stream_set_write_high_water(c, 1), ACORE_ECLOSED);
  assert_int_equal(acore_stream_write_queue_size(c), 0);
  acore_future_unref(r);
  acore_future_unref(w);
  acore_stream_unref(c);
  io_drop(s);
  free(big);
}

static void test_io_stream_loop_close_closes_everything(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_future_t *r, *a, *k;
  acore_server_t *srv;
  char buf[4], host[ACORE_ADDRESS_MAX];
  int port;

  srv = io_listen(loop, NULL, &port);
  io_pair_on(loop, srv, NULL, &c, &s);
  assert_int_equal(acore_stream_read(c, buf, sizeof(buf), &r), ACORE_OK);
  assert_int_equal(acore_server_accept(srv, &a), ACORE_OK);
  assert_int_equal(acore_tcp_connect(loop, "127.0.0.1", port, &k), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(r), 1);
  assert_int_equal(acore_future_is_cancelled(a), 1);
  assert_int_equal(acore_future_is_cancelled(k), 1);
  /* the objects outlive their loop: closed objects */
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_ECLOSED);
  assert_int_equal(acore_stream_local_address(s, host, sizeof(host), NULL),
                   ACORE_ECLOSED);
  assert_int_equal(acore_server_accept(srv, &a), ACORE_ECLOSED);
  assert_int_equal(acore_stream_close(s), ACORE_OK);
  acore_future_unref(r);
  acore_future_unref(a);
  acore_future_unref(k);
  acore_stream_unref(c);
  acore_stream_unref(s);
  acore_server_unref(srv);
}

static void *unref_on_thread(void *p) {
  acore_stream_unref(p);
  return NULL;
}

static void test_io_stream_unref_on_another_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  pthread_t th;
  acore_future_t *r, *sl;
  char buf[4];

  io_pair(loop, &c, &s);
  assert_int_equal(pthread_create(&th, NULL, unref_on_thread, c), 0);
  pthread_join(th, NULL); /* the last reference: closed on the loop */
  assert_int_equal(acore_sleep(loop, 0.01, &sl), ACORE_OK);
  IO_WAIT(loop, sl);
  acore_future_unref(sl);
  assert_int_equal(acore_stream_read(s, buf, sizeof(buf), &r), ACORE_OK);
  IO_WAIT(loop, r);
  assert_int_equal(io_int(r), 0); /* the peer saw it close */
  acore_future_unref(r);
  assert_ptr_equal(acore_stream_ref(s), s);
  acore_stream_unref(s);
  io_drop(s);
}

static void *read_on_thread(void *p) {
  acore_future_t *f = NULL;
  char buf[4];

  return (void *)(intptr_t)acore_stream_read(p, buf, sizeof(buf), &f);
}

static void test_io_stream_wrong_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  pthread_t th;
  void *rc;

  io_pair(loop, &c, &s);
  assert_int_equal(pthread_create(&th, NULL, read_on_thread, c), 0);
  pthread_join(th, &rc);
  assert_int_equal((int)(intptr_t)rc, ACORE_EWRONGTHREAD);
  io_drop(c);
  io_drop(s);
}

static void test_io_stream_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s, *x = NULL;
  acore_future_t *f = NULL, *p;
  char buf[4];

  io_pair(loop, &c, &s);
  assert_int_equal(acore_stream_read(NULL, buf, 4, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_read(c, NULL, 4, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_read(c, buf, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_read(c, buf, (size_t)1 << 40, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_stream_read(c, buf, 4, NULL), ACORE_EINVAL);
  assert_int_equal(acore_stream_read_exactly(NULL, buf, 4, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_read_exactly(c, NULL, 4, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_read_exactly(c, buf, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_read_bytes(NULL, 4, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_read_bytes(c, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_read_bytes(c, (size_t)-1, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_write(NULL, "a", 1, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_write(c, NULL, 1, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_write(c, "a", 1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_stream_write(c, buf, (size_t)1 << 40, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_stream_shutdown(NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_stream_shutdown(c, NULL), ACORE_EINVAL);
  assert_int_equal(acore_stream_close(NULL), ACORE_EINVAL);
  assert_int_equal(acore_stream_set_write_high_water(NULL, 1), ACORE_EINVAL);
  assert_int_equal(acore_stream_write_queue_size(NULL), 0);
  assert_int_equal(acore_stream_peer_address(NULL, buf, 4, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_stream_peer_address(c, NULL, 4, NULL), ACORE_EINVAL);
  assert_int_equal(acore_stream_local_address(NULL, buf, 4, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_stream_local_address(c, NULL, 4, NULL),
                   ACORE_EINVAL);
  assert_null(acore_stream_ref(NULL));
  acore_stream_unref(NULL);
  assert_null(f);
  assert_int_equal(acore_stream_from_future(NULL, &x), ACORE_EINVAL);
  assert_int_equal(acore_future_new(loop, &p), ACORE_OK);
  assert_int_equal(acore_stream_from_future(p, NULL), ACORE_EINVAL);
  assert_int_equal(acore_stream_from_future(p, &x), ACORE_EINVALIDSTATE);
  acore_future_set_int(p, 3);
  assert_int_equal(acore_stream_from_future(p, &x), ACORE_ETYPE);
  assert_null(x);
  acore_future_unref(p);
  /* a write of nothing completes at once */
  assert_int_equal(acore_stream_write(c, NULL, 0, &f), ACORE_OK);
  assert_int_equal(io_int(f), 0);
  acore_future_unref(f);
  io_drop(c);
  io_drop(s);
}

/* One round of everything, any call of which may fail for memory: the
 * number of calls that returned ACORE_ENOMEM or failed a future with it;
 * *completed: every step succeeded (a failure absorbed on the way, such
 * as a read buffer that could not be made, is retried later). */
static int alloc_scenario(acore_loop_t *loop, int *completed) {
  acore_server_t *srv = NULL;
  acore_stream_t *c = NULL, *s = NULL;
  acore_future_t *fa = NULL, *fc = NULL, *fw = NULL, *fr = NULL, *fb = NULL;
  char host[ACORE_ADDRESS_MAX], buf[8];
  int port = 0, nomem = 0, rc;

#define TRY(call)                          \
  do {                                     \
    rc = (call);                           \
    if (rc == ACORE_ENOMEM) {              \
      nomem++;                             \
      goto out;                            \
    }                                      \
    assert_int_equal(rc, ACORE_OK);        \
  } while (0)
#define DONE(f)                                                 \
  do {                                                          \
    acore_loop_run_until_complete(loop, f); /* no allocation */ \
    if (acore_future_state(f) == ACORE_FUTURE_ERROR &&          \
        acore_error_code(acore_future_error(f)) == ACORE_ENOMEM) { \
      nomem++;                                                  \
      goto out;                                                 \
    }                                                           \
  } while (0)
  TRY(acore_tcp_listen(loop, "127.0.0.1", 0, 0, 0, &srv));
  TRY(acore_server_address(srv, host, sizeof(host), &port));
  TRY(acore_server_accept(srv, &fa));
  TRY(acore_tcp_connect(loop, "127.0.0.1", port, &fc));
  DONE(fc);
  DONE(fa);
  TRY(acore_stream_from_future(fc, &c));
  TRY(acore_stream_from_future(fa, &s));
  TRY(acore_stream_write_owned(c, "ping", 4, count_release, &released,
                               &fw));
  owned_taken = 1;
  DONE(fw);
  TRY(acore_stream_read_exactly(s, buf, 4, &fr));
  DONE(fr);
  assert_memory_equal(buf, "ping", 4);
  TRY(acore_stream_write(s, "pong", 4, &fb));
  DONE(fb);
  acore_future_unref(fr);
  fr = NULL;
  TRY(acore_stream_read_bytes(c, 8, &fr));
  DONE(fr);
  *completed = acore_future_state(fr) == ACORE_FUTURE_RESULT;
out:
#undef TRY
#undef DONE
  acore_future_unref(fa);
  acore_future_unref(fc);
  acore_future_unref(fw);
  acore_future_unref(fr);
  acore_future_unref(fb);
  io_drop(c);
  io_drop(s);
  if (srv != NULL)
    acore_server_close(srv);
  acore_server_unref(srv);
  return nomem;
}

static void test_io_stream_allocation_failure_walk(void **state) {
  long live, n;
  int failures = 0, absorbed = 0, cache, fds = io_fd_count();

  (void)state;
  tu_alloc_install();
  cache = tu_cache_off(1);
  live = tu_alloc_live();
  for (n = 1; n < 1000; n++) {
    acore_loop_t *loop = tu_loop_new(0); /* made before the failure */
    int nomem, failed, completed = 0;

    tu_alloc_fail_at(n);
    released = owned_taken = 0;
    nomem = alloc_scenario(loop, &completed);
    failed = tu_alloc_failed();
    tu_alloc_fail_at(0);
    acore_loop_close(loop);
    acore_loop_unref(loop);
    assert_int_equal(tu_alloc_live(), live); /* nothing leaked */
    /* the owned buffer: released once if the write was taken */
    assert_int_equal(released, owned_taken);
    assert_int_equal(io_fd_count(), fds);
    if (!failed)
      break;
    /* the failure surfaced as ACORE_ENOMEM, or was absorbed */
    assert_true(nomem >= 1 || completed);
    if (nomem == 0)
      absorbed++;
    failures++;
  }
  tu_cache_off(cache);
  print_message("failed each of %d allocations in turn (%d absorbed)\n",
                failures, absorbed);
  assert_true(failures >= 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) IO_TEST(name)
    T(test_io_stream_read_bytes),
    T(test_io_stream_write_owned),
    T(test_io_stream_read_exactly_spans_writes),
    T(test_io_stream_read_busy),
    T(test_io_stream_cancel_read_loses_nothing),
    T(test_io_stream_cancel_partial_exact_read_keeps_bytes),
    T(test_io_stream_wait_for_read_times_out),
    T(test_io_stream_task_cancel_stops_read),
    T(test_io_stream_cancel_connect_closes_socket),
    T(test_io_stream_cancel_accept_keeps_connection),
    T(test_io_stream_backpressure),
    T(test_io_stream_close_cancels_pending),
    T(test_io_stream_unref_on_another_thread),
    T(test_io_stream_einval),
    cmocka_unit_test_setup_teardown(test_io_stream_wrong_thread,
                                    io_setup_debug, io_teardown),
    T(test_io_stream_loop_close_closes_everything),
    cmocka_unit_test(test_io_stream_allocation_failure_walk),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
