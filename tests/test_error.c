/* SPDX-License-Identifier: MIT */
/* test_error.c - version queries, error codes and error objects, the
 * allocator hook. */
#include "testutil.h"

#include "uverr.h"

#include <uv.h>

#include <stdlib.h>
#include <string.h>

static void test_error_version(void **state) {
  (void)state;
  assert_int_equal(acore_version(), ACORE_VERSION_HEX);
  assert_string_equal(acore_version_string(), ACORE_VERSION_STRING);
  assert_int_equal(ACORE_VERSION_HEX, (ACORE_VERSION_MAJOR << 16) |
                                          (ACORE_VERSION_MINOR << 8) |
                                          ACORE_VERSION_PATCH);
}

static void test_error_codes_are_frozen(void **state) {
  (void)state;
  /* These values are the ABI: they never change. */
  assert_int_equal(ACORE_OK, 0);
  assert_int_equal(ACORE_EINVAL, -1);
  assert_int_equal(ACORE_ENOMEM, -2);
  assert_int_equal(ACORE_EINVALIDSTATE, -3);
  assert_int_equal(ACORE_ECANCELLED, -4);
  assert_int_equal(ACORE_ETIMEDOUT, -5);
  assert_int_equal(ACORE_ECLOSED, -6);
  assert_int_equal(ACORE_EBUSY, -7);
  assert_int_equal(ACORE_EWRONGTHREAD, -8);
  assert_int_equal(ACORE_EAGAIN, -9);
  assert_int_equal(ACORE_EFULL, -10);
  assert_int_equal(ACORE_EEMPTY, -11);
  assert_int_equal(ACORE_ENOTOWNER, -12);
  assert_int_equal(ACORE_EOVERFLOW, -13);
  assert_int_equal(ACORE_EGROUP, -14);
  assert_int_equal(ACORE_EIO, -15);
  assert_int_equal(ACORE_ETYPE, -16);
  assert_int_equal(ACORE_EHOST, -17);
  assert_int_equal(ACORE_EOF, -100);
  assert_int_equal(ACORE_ECONNREFUSED, -101);
  assert_int_equal(ACORE_ECONNRESET, -102);
  assert_int_equal(ACORE_ECONNABORTED, -103);
  assert_int_equal(ACORE_EPIPE, -104);
  assert_int_equal(ACORE_ENOTCONN, -105);
  assert_int_equal(ACORE_EADDRINUSE, -106);
  assert_int_equal(ACORE_EADDRNOTAVAIL, -107);
  assert_int_equal(ACORE_ENETUNREACH, -108);
  assert_int_equal(ACORE_EHOSTUNREACH, -109);
  assert_int_equal(ACORE_ENETDOWN, -110);
  assert_int_equal(ACORE_ENOENT, -111);
  assert_int_equal(ACORE_EACCES, -112);
  assert_int_equal(ACORE_EPERM, -113);
  assert_int_equal(ACORE_EEXIST, -114);
  assert_int_equal(ACORE_EMFILE, -115);
  assert_int_equal(ACORE_ENOSPC, -116);
  assert_int_equal(ACORE_EMSGSIZE, -117);
  assert_int_equal(ACORE_ENOTSUP, -118);
  assert_int_equal(ACORE_EAFNOSUPPORT, -119);
  assert_int_equal(ACORE_ENONAME, -120);
  assert_int_equal(ACORE_ENAMEAGAIN, -121);
  assert_int_equal(ACORE_ENAMEFAIL, -122);
  assert_int_equal(ACORE_EBADF, -123);
  assert_int_equal(ACORE_ENOTDIR, -124);
  assert_int_equal(ACORE_EISDIR, -125);
  assert_int_equal(ACORE_ENOBUFS, -126);
  assert_int_equal(ACORE_ESRCH, -200);
  assert_int_equal(ACORE_ECHILD, -201);
}

static void test_error_names(void **state) {
  int code;

  (void)state;
  assert_string_equal(acore_err_name(ACORE_OK), "OK");
  assert_string_equal(acore_err_name(ACORE_EINVAL), "EINVAL");
  assert_string_equal(acore_err_name(ACORE_ETIMEDOUT), "ETIMEDOUT");
  assert_string_equal(acore_strerror(ACORE_ENOMEM), "out of memory");
  assert_string_equal(acore_err_name(-999), "UNKNOWN");
  assert_string_equal(acore_strerror(12345), "unknown error");
  assert_string_equal(acore_err_name(ACORE_ECONNREFUSED), "ECONNREFUSED");
  assert_string_equal(acore_strerror(ACORE_EOF), "end of file");
  /* Each range is dense: every value up to its last code has a name. */
  for (code = ACORE_EHOST; code <= 0; code++)
    assert_string_not_equal(acore_err_name(code), "UNKNOWN");
  for (code = ACORE_ENOBUFS; code <= ACORE_EOF; code++) {
    assert_string_not_equal(acore_err_name(code), "UNKNOWN");
    assert_string_not_equal(acore_strerror(code), "unknown error");
  }
  for (code = ACORE_ECHILD; code <= ACORE_ESRCH; code++)
    assert_string_not_equal(acore_err_name(code), "UNKNOWN");
  assert_string_equal(acore_err_name(ACORE_EHOST - 1), "UNKNOWN");
  assert_string_equal(acore_err_name(ACORE_ENOBUFS - 1), "UNKNOWN");
  assert_string_equal(acore_err_name(ACORE_ECHILD - 1), "UNKNOWN");
}

/* libuv's codes map to acore's; one without an equivalent is ACORE_EIO and
 * keeps libuv's name in the message. */
static void test_error_from_uv(void **state) {
  acore_error_t *e = NULL;

  (void)state;
  assert_int_equal(acore__uv_code(0), ACORE_OK);
  assert_int_equal(acore__uv_code(UV_ECONNREFUSED), ACORE_ECONNREFUSED);
  assert_int_equal(acore__uv_code(UV_ECONNRESET), ACORE_ECONNRESET);
  assert_int_equal(acore__uv_code(UV_EOF), ACORE_EOF);
  assert_int_equal(acore__uv_code(UV_ETIMEDOUT), ACORE_ETIMEDOUT);
  assert_int_equal(acore__uv_code(UV_ECANCELED), ACORE_ECANCELLED);
  assert_int_equal(acore__uv_code(UV_EAI_NONAME), ACORE_ENONAME);
  assert_int_equal(acore__uv_code(UV_EAI_AGAIN), ACORE_ENAMEAGAIN);
  assert_int_equal(acore__uv_code(UV_ENFILE), ACORE_EMFILE);
  assert_int_equal(acore__uv_code(UV_ESRCH), ACORE_ESRCH);
  assert_int_equal(acore__uv_code(UV_EPROTO), ACORE_EIO);
  assert_int_equal(acore__uv_error_new(UV_ECONNREFUSED, "connect", &e),
                   ACORE_OK);
  assert_int_equal(acore_error_code(e), ACORE_ECONNREFUSED);
  assert_string_equal(acore_error_message(e),
                      "connect: connection refused (ECONNREFUSED)");
  acore_error_unref(e);
  assert_int_equal(acore__uv_error_new(UV_EPROTO, "read", &e), ACORE_OK);
  assert_int_equal(acore_error_code(e), ACORE_EIO);
  assert_non_null(strstr(acore_error_message(e), "(EPROTO)"));
  acore_error_unref(e);
}

static int payload_frees;
static void payload_free(void *p) {
  payload_frees++;
  free(p);
}

static void test_error_objects(void **state) {
  acore_error_t *e, *p, *g, *kids[2];
  long live = tu_alloc_live();

  (void)state;
  tu_alloc_install();
  assert_int_equal(acore_error_new(ACORE_EIO, "read failed", &e), ACORE_OK);
  assert_int_equal(acore_error_code(e), ACORE_EIO);
  assert_string_equal(acore_error_message(e), "read failed");
  assert_null(acore_error_payload(e, NULL));
  assert_int_equal(acore_error_child_count(e), 0);
  assert_null(acore_error_child(e, 0));
  assert_ptr_equal(acore_error_ref(e), e);
  acore_error_unref(e);
  assert_int_equal(acore_error_new(ACORE_ETIMEDOUT, NULL, &p), ACORE_OK);
  assert_string_equal(acore_error_message(p), "timed out");
  acore_error_unref(p);
  payload_frees = 0;
  assert_int_equal(acore_error_new_payload(ACORE_EHOST, "exc", strdup("obj"),
                                           payload_free, &p), ACORE_OK);
  assert_string_equal(acore_error_payload(p, payload_free), "obj");
  assert_null(acore_error_payload(p, free)); /* another tag */
  kids[0] = e;
  kids[1] = p;
  assert_int_equal(acore_error_new_group(ACORE_EGROUP, "two", kids, 2, &g),
                   ACORE_OK);
  acore_error_unref(e);
  acore_error_unref(p);
  assert_int_equal(payload_frees, 0); /* the group holds them */
  assert_int_equal(acore_error_child_count(g), 2);
  assert_ptr_equal(acore_error_child(g, 0), e);
  assert_ptr_equal(acore_error_child(g, 1), p);
  assert_int_equal(acore_error_code(acore_error_child(g, 1)), ACORE_EHOST);
  acore_error_unref(g);
  assert_int_equal(payload_frees, 1);
  assert_int_equal(tu_alloc_live(), live);
}

static void test_error_einval(void **state) {
  acore_error_t *e = NULL, *kids[1] = {NULL};

  (void)state;
  payload_frees = 0;
  assert_int_equal(acore_error_new(ACORE_EIO, NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_error_new(0, NULL, &e), ACORE_EINVAL);
  assert_int_equal(acore_error_new(3, NULL, &e), ACORE_EINVAL);
  assert_int_equal(acore_error_new_payload(ACORE_EIO, NULL, strdup("x"),
                                           payload_free, NULL), ACORE_EINVAL);
  assert_int_equal(payload_frees, 1); /* the payload passed anyway */
  assert_int_equal(acore_error_new_group(ACORE_EGROUP, NULL, NULL, 1, &e),
                   ACORE_EINVAL);
  assert_int_equal(acore_error_new_group(ACORE_EGROUP, NULL, kids, 1, &e),
                   ACORE_EINVAL);
  assert_int_equal(acore_error_new_group(0, NULL, NULL, 0, &e), ACORE_EINVAL);
  assert_int_equal(acore_error_new_group(ACORE_EGROUP, NULL, NULL, 0, NULL),
                   ACORE_EINVAL);
  assert_null(e);
  assert_null(acore_error_ref(NULL));
  acore_error_unref(NULL);
  assert_int_equal(acore_error_code(NULL), ACORE_EINVAL);
  assert_string_equal(acore_error_message(NULL), "");
  assert_null(acore_error_payload(NULL, NULL));
  assert_int_equal(acore_error_child_count(NULL), 0);
  assert_null(acore_error_child(NULL, 0));
  /* Allocator: all or nothing. */
  assert_int_equal(acore_set_allocator(malloc, NULL, calloc, free),
                   ACORE_EINVAL);
  acore_free(NULL);
}

static void test_error_enomem(void **state) {
  acore_error_t *e = NULL, *g = NULL, *kids[1];
  long live;

  (void)state;
  tu_alloc_install();
  live = tu_alloc_live();
  tu_alloc_fail_at(1);
  assert_int_equal(acore_error_new(ACORE_EIO, "x", &e), ACORE_ENOMEM);
  payload_frees = 0;
  tu_alloc_fail_at(1);
  assert_int_equal(acore_error_new_payload(ACORE_EIO, "x", strdup("p"),
                                           payload_free, &e), ACORE_ENOMEM);
  assert_int_equal(payload_frees, 1);
  tu_alloc_fail_at(0);
  acore_error_new(ACORE_EIO, "x", &kids[0]);
  tu_alloc_fail_at(2); /* the children array */
  assert_int_equal(acore_error_new_group(ACORE_EGROUP, NULL, kids, 1, &g),
                   ACORE_ENOMEM);
  tu_alloc_fail_at(0);
  acore_error_unref(kids[0]);
  assert_null(g);
  assert_int_equal(tu_alloc_live(), live);
  /* The allocator can be put back to the C library's. */
  assert_int_equal(acore_set_allocator(NULL, NULL, NULL, NULL), ACORE_OK);
  assert_int_equal(acore_error_new(ACORE_EIO, NULL, &e), ACORE_OK);
  acore_error_unref(e);
  tu_alloc_install();
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_error_version),
    cmocka_unit_test(test_error_codes_are_frozen),
    cmocka_unit_test(test_error_names),
    cmocka_unit_test(test_error_from_uv),
    cmocka_unit_test(test_error_objects),
    cmocka_unit_test(test_error_einval),
    cmocka_unit_test(test_error_enomem),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
