/* SPDX-License-Identifier: MIT */
/*
 * io_testutil.h - helpers of the I/O tests (test_io_*.c): fixtures that
 * check a test ends with as many open descriptors as it began, bounded
 * waits, a connected TCP pair over loopback.
 */
#ifndef ACORE_IO_TESTUTIL_H
#define ACORE_IO_TESTUTIL_H

#include "testutil.h"

/* Open file descriptors of this process (entries of /proc/self/fd). */
int io_fd_count(void);

/* cmocka fixtures: tu_setup / tu_setup_walk / tu_teardown, and the
 * teardown fails the test if the process's open descriptors changed. */
int io_setup(void **state);
int io_setup_walk(void **state);
int io_setup_debug(void **state); /* tu_setup_debug: debug mode */
int io_teardown(void **state);
#define IO_TEST(fn) cmocka_unit_test_setup_teardown(fn, io_setup, io_teardown)
#define IO_TEST_WALK(fn)                                                      \
  cmocka_unit_test_setup_teardown(fn, io_setup_walk, io_teardown)

/* Let the loop run what is ready (closes, queued callbacks): a few
 * non-blocking iterations. */
void io_spin(acore_loop_t *loop);

/* Run the loop until `fut` is done, at most `seconds` (then the test
 * fails). */
void io_wait(acore_loop_t *loop, acore_future_t *fut, double seconds);
#define IO_WAIT(loop, fut) io_wait((loop), (fut), 10.0)

/* The int result of a done future (asserts it has one). */
int64_t io_int(acore_future_t *fut);
/* The error code of a failed future (asserts it failed). */
int io_err(acore_future_t *fut);

/* A listener on 127.0.0.1 (or `host`), a free port; its port in *port. */
acore_server_t *io_listen(acore_loop_t *loop, const char *host, int *port);
/* Connect to srv (on `host`) and accept: both ends of one connection. */
void io_pair_on(acore_loop_t *loop, acore_server_t *srv, const char *host,
                acore_stream_t **client, acore_stream_t **server_side);
/* A fresh listener on 127.0.0.1 and a connection through it; the
 * listener is closed and dropped. */
void io_pair(acore_loop_t *loop, acore_stream_t **client,
             acore_stream_t **server_side);
/* Drop a stream: close and unref (NULL: nothing). */
void io_drop(acore_stream_t *s);
/* Write all of data and wait for it. */
void io_write_all(acore_loop_t *loop, acore_stream_t *s, const void *data,
                  size_t len);
/* Make a stream's close send a reset (SO_LINGER 0). */
void io_linger0(acore_stream_t *s);

#endif
