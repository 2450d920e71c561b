/* SPDX-License-Identifier: MIT */
/*
 * test_io_dns.c - getaddrinfo and getnameinfo futures, and TCP connect by
 * host name, with loopback names only ("localhost"; a name under the
 * reserved .invalid domain never resolves). Every test checks that the
 * process's descriptors are the same after it.
 */
#include "io_testutil.h"

#include <string.h>

static void test_io_dns_localhost(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const acore_addrinfo_t *ai;
  acore_future_t *f;
  char host[ACORE_ADDRESS_MAX];
  int port, family;
  size_t i;

  assert_int_equal(acore_getaddrinfo(loop, "localhost", "8080",
                                     ACORE_AF_UNSPEC, &f), ACORE_OK);
  IO_WAIT(loop, f);
  assert_int_equal(acore_addrinfo_from_future(f, &ai), ACORE_OK);
  assert_true(acore_addrinfo_count(ai) >= 1);
  for (i = 0; i < acore_addrinfo_count(ai); i++) {
    assert_int_equal(acore_addrinfo_get(ai, i, host, sizeof(host), &port,
                                        &family), ACORE_OK);
    assert_int_equal(port, 8080);
    assert_true((family == ACORE_AF_INET && strcmp(host, "127.0.0.1") == 0) ||
                (family == ACORE_AF_INET6 && strcmp(host, "::1") == 0));
  }
  assert_int_equal(acore_addrinfo_get(ai, i, host, sizeof(host), NULL, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_addrinfo_get(ai, 0, host, 2, NULL, NULL),
                   ACORE_EINVAL);
  acore_future_unref(f);
  assert_int_equal(acore_getaddrinfo(loop, "127.0.0.1", NULL, ACORE_AF_INET,
                                     &f), ACORE_OK);
  IO_WAIT(loop, f);
  assert_int_equal(acore_addrinfo_from_future(f, &ai), ACORE_OK);
  assert_int_equal(acore_addrinfo_count(ai), 1);
  assert_int_equal(acore_addrinfo_get(ai, 0, host, sizeof(host), &port, NULL),
                   ACORE_OK);
  assert_string_equal(host, "127.0.0.1");
  assert_int_equal(port, 0);
  acore_future_unref(f);
}

static void test_io_dns_name_does_not_resolve(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const acore_addrinfo_t *ai = NULL;
  acore_future_t *f;

  assert_int_equal(acore_getaddrinfo(loop, "no-such-host.invalid", NULL,
                                     ACORE_AF_UNSPEC, &f), ACORE_OK);
  IO_WAIT(loop, f);
  assert_int_equal(io_err(f), ACORE_ENONAME);
  assert_non_null(strstr(acore_error_message(acore_future_error(f)),
                         "getaddrinfo: "));
  assert_int_equal(acore_addrinfo_from_future(f, &ai), ACORE_ENONAME);
  assert_null(ai);
  acore_future_unref(f);
}

static void test_io_dns_getnameinfo(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  const void *name;
  size_t len;

  assert_int_equal(acore_getnameinfo(loop, "127.0.0.1", 80, &f), ACORE_OK);
  IO_WAIT(loop, f);
  assert_int_equal(acore_future_result_bytes(f, &name, &len), ACORE_OK);
  assert_true(len > 0); /* "localhost" here; some hosts name it otherwise */
  acore_future_unref(f);
}

static void test_io_dns_cancel(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f[8];
  int i;

  /* more lookups than libuv's pool has threads: some are still queued
   * (uv_cancel takes them back), some run (their answer is dropped) */
  for (i = 0; i < 8; i++) {
    assert_int_equal(acore_getaddrinfo(loop, "localhost", NULL,
                                       ACORE_AF_UNSPEC, &f[i]), ACORE_OK);
    assert_int_equal(acore_future_cancel(f[i], NULL), 1);
    assert_int_equal(acore_future_is_cancelled(f[i]), 1);
  }
  for (i = 0; i < 8; i++)
    acore_future_unref(f[i]);
  assert_int_equal(acore_getaddrinfo(loop, "localhost", NULL,
                                     ACORE_AF_UNSPEC, &f[0]), ACORE_OK);
  acore_future_unref(f[0]); /* dropped while pending: cancelled */
  acore_loop_run(loop); /* until libuv called every request back */
}

static void test_io_dns_loop_close_cancels(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *g;

  assert_int_equal(acore_getaddrinfo(loop, "localhost", NULL,
                                     ACORE_AF_UNSPEC, &f), ACORE_OK);
  assert_int_equal(acore_getnameinfo(loop, "127.0.0.1", 0, &g), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_future_is_cancelled(f), 1);
  assert_int_equal(acore_future_is_cancelled(g), 1);
  acore_future_unref(f);
  acore_future_unref(g);
}

static void test_io_dns_connect_by_name(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_stream_t *c, *s;
  acore_future_t *fc, *fa;
  char host[ACORE_ADDRESS_MAX];
  int port;
  acore_server_t *srv = io_listen(loop, "127.0.0.1", &port);

  /* localhost may give ::1 first: that connect is refused and the next
   * address is tried */
  assert_int_equal(acore_server_accept(srv, &fa), ACORE_OK);
  assert_int_equal(acore_tcp_connect(loop, "localhost", port, &fc), ACORE_OK);
  IO_WAIT(loop, fc);
  IO_WAIT(loop, fa);
  assert_int_equal(acore_stream_from_future(fc, &c), ACORE_OK);
  assert_int_equal(acore_stream_from_future(fa, &s), ACORE_OK);
  assert_int_equal(acore_stream_peer_address(c, host, sizeof(host), NULL),
                   ACORE_OK);
  assert_string_equal(host, "127.0.0.1");
  io_write_all(loop, c, "by name", 7);
  acore_future_unref(fc);
  acore_future_unref(fa);
  io_drop(c);
  io_drop(s);
  acore_server_close(srv);
  acore_server_unref(srv);
}

static void test_io_dns_connect_by_name_errors(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *fc;
  int port;
  acore_server_t *srv = io_listen(loop, "127.0.0.1", &port);

  acore_server_close(srv);
  acore_server_unref(srv);
  assert_int_equal(acore_tcp_connect(loop, "no-such-host.invalid", port, &fc),
                   ACORE_OK);
  IO_WAIT(loop, fc);
  assert_int_equal(io_err(fc), ACORE_ENONAME);
  acore_future_unref(fc);
  assert_int_equal(acore_tcp_connect(loop, "localhost", port, &fc), ACORE_OK);
  IO_WAIT(loop, fc); /* every address refused: the last error */
  assert_int_equal(io_err(fc), ACORE_ECONNREFUSED);
  acore_future_unref(fc);
  assert_int_equal(acore_tcp_connect(loop, "localhost", port, &fc), ACORE_OK);
  assert_int_equal(acore_future_cancel(fc, NULL), 1); /* while it looks up */
  acore_future_unref(fc);
  acore_loop_run(loop);
}

static void test_io_dns_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL, *p;
  const acore_addrinfo_t *ai = NULL;

  assert_int_equal(acore_getaddrinfo(NULL, "localhost", NULL, 0, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo(loop, NULL, NULL, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo(loop, "", NULL, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo(loop, "localhost", NULL, 5, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo(loop, "localhost", NULL, 0, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_getnameinfo(NULL, "127.0.0.1", 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_getnameinfo(loop, NULL, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_getnameinfo(loop, "localhost", 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_getnameinfo(loop, "127.0.0.1", -1, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_getnameinfo(loop, "127.0.0.1", 0, NULL),
                   ACORE_EINVAL);
  assert_null(f);
  assert_int_equal(acore_tcp_connect(loop, "bad name!", 80, &f),
                   ACORE_EINVAL);
  assert_null(f);
  assert_int_equal(acore_addrinfo_from_future(NULL, &ai), ACORE_EINVAL);
  assert_int_equal(acore_future_new(loop, &p), ACORE_OK);
  assert_int_equal(acore_addrinfo_from_future(p, NULL), ACORE_EINVAL);
  acore_future_set_int(p, 1);
  assert_int_equal(acore_addrinfo_from_future(p, &ai), ACORE_ETYPE);
  acore_future_unref(p);
  assert_int_equal(acore_addrinfo_count(NULL), 0);
  assert_int_equal(acore_addrinfo_get(NULL, 0, (char[8]){0}, 8, NULL, NULL),
                   ACORE_EINVAL);
}

/* Each allocation of a connect by name fails in turn. */
static void test_io_dns_allocation_failure_walk(void **state) {
  long live, n;
  int failures = 0, cache;

  (void)state;
  tu_alloc_install();
  cache = tu_cache_off(1);
  live = tu_alloc_live();
  for (n = 1; n < 1000; n++) {
    acore_loop_t *loop = tu_loop_new(0);
    acore_server_t *srv = NULL;
    acore_future_t *f = NULL;
    int port = 0, failed, rc;

    rc = acore_tcp_listen(loop, "127.0.0.1", 0, 0, 0, &srv);
    assert_int_equal(rc, ACORE_OK);
    acore_server_address(srv, (char[ACORE_ADDRESS_MAX]){0},
                         ACORE_ADDRESS_MAX, &port);
    tu_alloc_fail_at(n);
    rc = acore_tcp_connect(loop, "localhost", port, &f);
    if (rc == ACORE_OK)
      acore_loop_run_until_complete(loop, f);
    failed = tu_alloc_failed();
    tu_alloc_fail_at(0);
    if (failed) {
      int code = rc != ACORE_OK ? rc
                 : acore_future_state(f) == ACORE_FUTURE_ERROR
                     ? acore_error_code(acore_future_error(f))
                     : ACORE_OK;
      assert_true(code == ACORE_ENOMEM || code == ACORE_OK);
      failures++;
    } else {
      assert_int_equal(acore_future_state(f), ACORE_FUTURE_RESULT);
    }
    acore_future_unref(f);
    acore_server_close(srv);
    acore_server_unref(srv);
    acore_loop_close(loop);
    acore_loop_unref(loop);
    assert_int_equal(tu_alloc_live(), live);
    if (!failed)
      break;
  }
  tu_cache_off(cache);
  print_message("failed each of %d allocations in turn\n", failures);
  assert_true(failures >= 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) IO_TEST(name)
    T(test_io_dns_localhost),
    T(test_io_dns_name_does_not_resolve),
    T(test_io_dns_getnameinfo),
    T(test_io_dns_cancel),
    T(test_io_dns_loop_close_cancels),
    T(test_io_dns_connect_by_name),
    T(test_io_dns_connect_by_name_errors),
    T(test_io_dns_einval),
    cmocka_unit_test(test_io_dns_allocation_failure_walk),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
