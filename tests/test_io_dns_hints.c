/* SPDX-License-Identifier: MIT */
/*
 * test_io_dns_hints.c - the resolver's full interface: getaddrinfo with
 * hints (types, protocols, flags, canonical name), getnameinfo with flags,
 * and the resolver's reason of a failure. Loopback names and numeric
 * addresses only; every test checks the process's descriptors.
 */
#include "io_testutil.h"

#include <string.h>

/* Wait for a hints lookup; its address list (or the test fails). */
static const acore_addrinfo_t *gai(acore_loop_t *loop, const char *host,
                                   const char *service, int family,
                                   int socktype, int flags,
                                   acore_future_t **f) {
  const acore_addrinfo_t *ai = NULL;

  assert_int_equal(acore_getaddrinfo_hints(loop, host, service, family,
                                           socktype, 0, flags, f), ACORE_OK);
  IO_WAIT(loop, *f);
  assert_int_equal(acore_addrinfo_from_future(*f, &ai), ACORE_OK);
  return ai;
}

/* The failure's resolver reason (the future must have failed). */
static int gai_reason(acore_loop_t *loop, const char *host,
                      const char *service, int flags, int *code) {
  acore_future_t *f;
  int reason;

  assert_int_equal(acore_getaddrinfo_hints(loop, host, service,
                                           ACORE_AF_INET, ACORE_SOCK_STREAM,
                                           0, flags, &f), ACORE_OK);
  IO_WAIT(loop, f);
  *code = io_err(f);
  reason = acore_dns_error_reason(acore_future_error(f));
  acore_future_unref(f);
  return reason;
}

/* Every socket type of a numeric host, each with its protocol. */
static void test_io_dns_hints_every_type(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  const acore_addrinfo_t *ai = gai(loop, "127.0.0.1", "80", ACORE_AF_INET,
                                   ACORE_SOCK_ANY, 0, &f);
  char host[ACORE_ADDRESS_MAX];
  int seen = 0, type, proto, port;
  unsigned flow = 9, scope = 9;
  size_t i;

  assert_true(acore_addrinfo_count(ai) >= 2);
  for (i = 0; i < acore_addrinfo_count(ai); i++) {
    assert_int_equal(acore_addrinfo_entry(ai, i, &type, &proto, &flow,
                                          &scope), ACORE_OK);
    assert_int_equal(acore_addrinfo_get(ai, i, host, sizeof(host), &port,
                                        NULL), ACORE_OK);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 80);
    assert_int_equal(flow, 0);
    assert_int_equal(scope, 0);
    if (type == ACORE_SOCK_STREAM)
      assert_int_equal(proto, 6);
    if (type == ACORE_SOCK_DGRAM)
      assert_int_equal(proto, 17);
    seen |= 1 << type;
    assert_null(acore_addrinfo_canonname(ai, i));
  }
  assert_int_equal(seen & 6, 6); /* stream and datagram */
  assert_int_equal(acore_addrinfo_entry(ai, i, NULL, NULL, NULL, NULL),
                   ACORE_EINVAL);
  acore_future_unref(f);
  ai = gai(loop, "::1", "7", ACORE_AF_INET6, ACORE_SOCK_DGRAM, 0, &f);
  assert_int_equal(acore_addrinfo_count(ai), 1);
  assert_int_equal(acore_addrinfo_entry(ai, 0, &type, &proto, &flow, &scope),
                   ACORE_OK);
  assert_int_equal(type, ACORE_SOCK_DGRAM);
  assert_int_equal(proto, 17);
  assert_int_equal(flow, 0);
  acore_future_unref(f);
}

/* No host: the loopback address, or the wildcard one with PASSIVE. */
static void test_io_dns_hints_passive(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  char host[ACORE_ADDRESS_MAX];
  int port;
  const acore_addrinfo_t *ai = gai(loop, NULL, "8080", ACORE_AF_INET,
                                   ACORE_SOCK_STREAM, ACORE_AI_PASSIVE, &f);

  assert_int_equal(acore_addrinfo_get(ai, 0, host, sizeof(host), &port, NULL),
                   ACORE_OK);
  assert_string_equal(host, "0.0.0.0");
  assert_int_equal(port, 8080);
  acore_future_unref(f);
  ai = gai(loop, NULL, "http", ACORE_AF_INET, ACORE_SOCK_STREAM, 0, &f);
  assert_int_equal(acore_addrinfo_get(ai, 0, host, sizeof(host), &port, NULL),
                   ACORE_OK);
  assert_string_equal(host, "127.0.0.1");
  assert_int_equal(port, 80); /* a service name */
  acore_future_unref(f);
}

/* CANONNAME: the name comes with the first entry only. */
static void test_io_dns_hints_canonname(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  const acore_addrinfo_t *ai = gai(loop, "localhost", NULL, ACORE_AF_UNSPEC,
                                   ACORE_SOCK_ANY, ACORE_AI_CANONNAME, &f);
  size_t i;

  assert_non_null(acore_addrinfo_canonname(ai, 0));
  assert_true(strlen(acore_addrinfo_canonname(ai, 0)) > 0);
  for (i = 1; i < acore_addrinfo_count(ai); i++)
    assert_null(acore_addrinfo_canonname(ai, i));
  assert_null(acore_addrinfo_canonname(ai, i));
  assert_null(acore_addrinfo_canonname(NULL, 0));
  acore_future_unref(f);
  ai = gai(loop, "127.0.0.1", NULL, ACORE_AF_INET, ACORE_SOCK_STREAM,
           ACORE_AI_NUMERICHOST | ACORE_AI_NUMERICSERV, &f);
  assert_int_equal(acore_addrinfo_count(ai), 1);
  assert_null(acore_addrinfo_canonname(ai, 0));
  acore_future_unref(f);
}

/* Failures keep the resolver's reason; the code stays the coarse one. */
static void test_io_dns_hints_reasons(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f;
  int code;

  assert_int_equal(gai_reason(loop, "localhost", NULL, ACORE_AI_NUMERICHOST,
                              &code), ACORE_EAI_NONAME);
  assert_int_equal(code, ACORE_ENONAME);
  assert_int_equal(gai_reason(loop, "127.0.0.1", "no-such-service", 0,
                              &code), ACORE_EAI_SERVICE);
  assert_int_equal(code, ACORE_ENONAME);
  assert_int_equal(gai_reason(loop, NULL, "80", ACORE_AI_CANONNAME, &code),
                   ACORE_EAI_BADFLAGS);
  assert_int_equal(code, ACORE_EIO);
  /* the 1.0 forms and other errors have none */
  assert_int_equal(acore_getaddrinfo(loop, "no-such-host.invalid", NULL,
                                     ACORE_AF_UNSPEC, &f), ACORE_OK);
  IO_WAIT(loop, f);
  assert_int_equal(acore_dns_error_reason(acore_future_error(f)),
                   ACORE_EAI_NONE);
  acore_future_unref(f);
  assert_int_equal(acore_dns_error_reason(NULL), ACORE_EAI_NONE);
}

static void test_io_dns_nameinfo_flags(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const char *host = NULL, *service = NULL;
  acore_future_t *f;

  assert_int_equal(acore_getnameinfo_flags(loop, "127.0.0.1", 80,
                                           ACORE_NI_NUMERICHOST |
                                               ACORE_NI_NUMERICSERV, &f),
                   ACORE_OK);
  IO_WAIT(loop, f);
  assert_int_equal(acore_nameinfo_from_future(f, &host, &service), ACORE_OK);
  assert_string_equal(host, "127.0.0.1");
  assert_string_equal(service, "80");
  acore_future_unref(f);
  assert_int_equal(acore_getnameinfo_flags(loop, "::1", 80,
                                           ACORE_NI_NUMERICHOST, &f),
                   ACORE_OK);
  IO_WAIT(loop, f);
  assert_int_equal(acore_nameinfo_from_future(f, &host, NULL), ACORE_OK);
  assert_string_equal(host, "::1");
  assert_int_equal(acore_nameinfo_from_future(f, NULL, &service), ACORE_OK);
  assert_string_equal(service, "http"); /* /etc/services */
  acore_future_unref(f);
}

static void test_io_dns_hints_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f = NULL, *p;
  const char *h;

  assert_int_equal(acore_getaddrinfo_hints(NULL, "localhost", NULL, 0, 0, 0,
                                           0, &f), ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo_hints(loop, NULL, NULL, 0, 0, 0, 0, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo_hints(loop, "", "80", 0, 0, 0, 0, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo_hints(loop, "localhost", NULL, 5, 0, 0,
                                           0, &f), ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo_hints(loop, "localhost", NULL, 0, 4, 0,
                                           0, &f), ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo_hints(loop, "localhost", NULL, 0, 0,
                                           -1, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo_hints(loop, "localhost", NULL, 0, 0,
                                           256, 0, &f), ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo_hints(loop, "localhost", NULL, 0, 0, 0,
                                           128, &f), ACORE_EINVAL);
  assert_int_equal(acore_getaddrinfo_hints(loop, "localhost", NULL, 0, 0, 0,
                                           0, NULL), ACORE_EINVAL);
  assert_int_equal(acore_getnameinfo_flags(NULL, "127.0.0.1", 0, 0, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_getnameinfo_flags(loop, "localhost", 0, 0, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_getnameinfo_flags(loop, "127.0.0.1", 65536, 0, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_getnameinfo_flags(loop, "127.0.0.1", 0, 32, &f),
                   ACORE_EINVAL);
  assert_int_equal(acore_getnameinfo_flags(loop, "127.0.0.1", 0, 0, NULL),
                   ACORE_EINVAL);
  assert_null(f);
  assert_int_equal(acore_addrinfo_entry(NULL, 0, NULL, NULL, NULL, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_nameinfo_from_future(NULL, &h, &h), ACORE_EINVAL);
  assert_int_equal(acore_future_new(loop, &p), ACORE_OK);
  acore_future_set_int(p, 1);
  assert_int_equal(acore_nameinfo_from_future(p, &h, &h), ACORE_ETYPE);
  acore_future_unref(p);
  /* a 1.0 getnameinfo result is bytes, not a nameinfo */
  assert_int_equal(acore_getnameinfo(loop, "127.0.0.1", 0, &p), ACORE_OK);
  IO_WAIT(loop, p);
  assert_int_equal(acore_nameinfo_from_future(p, &h, &h), ACORE_ETYPE);
  acore_future_unref(p);
}

/* One lookup of each form, each allocation failing in turn: ENOMEM (as
 * the call's code or the future's), never a leak. */
static int walk_one(acore_loop_t *loop, int which) {
  acore_future_t *f = NULL;
  int rc = which == 0
               ? acore_getaddrinfo_hints(loop, "localhost", "80",
                                         ACORE_AF_UNSPEC, ACORE_SOCK_ANY, 0,
                                         ACORE_AI_CANONNAME, &f)
           : which == 1
               ? acore_getnameinfo_flags(loop, "127.0.0.1", 80, 0, &f)
               : acore_getaddrinfo_hints(loop, "x", "80", 0, 0, 0,
                                         ACORE_AI_NUMERICHOST, &f);

  if (rc != ACORE_OK)
    return rc;
  acore_loop_run_until_complete(loop, f);
  rc = acore_future_state(f) == ACORE_FUTURE_ERROR
           ? acore_error_code(acore_future_error(f))
           : ACORE_OK;
  if (which == 2 && rc == ACORE_ENONAME) /* its reason's error was made */
    rc = acore_dns_error_reason(acore_future_error(f)) == ACORE_EAI_NONAME
             ? ACORE_OK
             : ACORE_EIO;
  acore_future_unref(f);
  return rc;
}

static void test_io_dns_hints_allocation_failure_walk(void **state) {
  long live, n;
  int failures = 0, cache, which;

  (void)state;
  tu_alloc_install();
  cache = tu_cache_off(1);
  live = tu_alloc_live();
  for (which = 0; which < 3; which++)
    for (n = 1; n < 1000; n++) {
      acore_loop_t *loop = tu_loop_new(0);
      int rc, failed;

      tu_alloc_fail_at(n);
      rc = walk_one(loop, which);
      failed = tu_alloc_failed();
      tu_alloc_fail_at(0);
      acore_loop_close(loop);
      acore_loop_unref(loop);
      assert_int_equal(tu_alloc_live(), live);
      if (!failed) {
        assert_int_equal(rc, ACORE_OK);
        break;
      }
      assert_true(rc == ACORE_ENOMEM || rc == ACORE_OK);
      failures++;
    }
  tu_cache_off(cache);
  print_message("failed each of %d allocations in turn\n", failures);
  assert_true(failures >= 6);
}

/* A lookup asked for by a cleanup that loop close runs (a task's ud_free)
 * would start a request close no longer waits for (its closers ran
 * already): refused with ACORE_ECLOSED, as every scheduling call is once
 * close has begun; nothing is left in flight when the loop goes. */
typedef struct late_lookup {
  acore_loop_t *loop;
  int rc[4];
  acore_future_t *f[4];
} late_lookup;

static void lookup_late(void *ud) {
  late_lookup *l = ud;

  l->rc[0] = acore_getaddrinfo_hints(l->loop, "127.0.0.1", "80",
                                     ACORE_AF_INET, ACORE_SOCK_STREAM, 0, 0,
                                     &l->f[0]);
  l->rc[1] = acore_getnameinfo_flags(l->loop, "127.0.0.1", 80,
                                     ACORE_NI_NUMERICHOST, &l->f[1]);
  l->rc[2] = acore_getaddrinfo(l->loop, "127.0.0.1", "80", ACORE_AF_INET,
                               &l->f[2]);
  l->rc[3] = acore_getnameinfo(l->loop, "127.0.0.1", 80, &l->f[3]);
}

static int pending_step(acore_task_t *t, void *ud) {
  acore_future_t *never;

  (void)ud;
  assert_int_equal(acore_future_new(acore_task_loop(t), &never), ACORE_OK);
  return acore_task_await_take(t, never);
}

static void test_io_dns_refused_while_closing(void **state) {
  late_lookup l = {0};
  int i;

  (void)state;
  l.loop = tu_loop_new(0);
  assert_int_equal(acore_task_spawn(l.loop, pending_step, &l, lookup_late,
                                    NULL), ACORE_OK);
  assert_int_equal(acore_loop_run_once(l.loop, ACORE_RUN_NOWAIT), 0);
  assert_int_equal(acore_loop_close(l.loop), ACORE_OK);
  for (i = 0; i < 4; i++) {
    assert_int_equal(l.rc[i], ACORE_ECLOSED);
    assert_null(l.f[i]);
  }
  acore_loop_unref(l.loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) IO_TEST(name)
    T(test_io_dns_hints_every_type),
    T(test_io_dns_hints_passive),
    T(test_io_dns_hints_canonname),
    T(test_io_dns_hints_reasons),
    T(test_io_dns_nameinfo_flags),
    T(test_io_dns_hints_einval),
    cmocka_unit_test(test_io_dns_hints_allocation_failure_walk),
    cmocka_unit_test(test_io_dns_refused_while_closing),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
