/* SPDX-License-Identifier: MIT */
/* base.c - version, error codes, error objects, the allocator hooks. */
#include "ob.h"

#include <stdlib.h>
#include <string.h>

static void codes(void) {
  static const struct { int code; const char *name; } tab[] = {
    {ACORE_OK, "OK"}, {ACORE_EINVAL, "EINVAL"}, {ACORE_ENOMEM, "ENOMEM"},
    {ACORE_EINVALIDSTATE, "EINVALIDSTATE"}, {ACORE_ECANCELLED, "ECANCELLED"},
    {ACORE_ETIMEDOUT, "ETIMEDOUT"}, {ACORE_ECLOSED, "ECLOSED"},
    {ACORE_EBUSY, "EBUSY"}, {ACORE_EWRONGTHREAD, "EWRONGTHREAD"},
    {ACORE_EAGAIN, "EAGAIN"}, {ACORE_EFULL, "EFULL"}, {ACORE_EEMPTY, "EEMPTY"},
    {ACORE_ENOTOWNER, "ENOTOWNER"}, {ACORE_EOVERFLOW, "EOVERFLOW"},
    {ACORE_EGROUP, "EGROUP"}, {ACORE_EIO, "EIO"}, {ACORE_ETYPE, "ETYPE"},
    {ACORE_EHOST, "EHOST"},
  };
  size_t i;

  /* The library is this release or a later one of the same ABI. */
  CHECK(acore_version() >= (unsigned)ACORE_VERSION_HEX);
  CHECK(acore_version_string() != NULL && acore_version_string()[0] != '\0');
  for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
    CHECK(strcmp(acore_err_name(tab[i].code), tab[i].name) == 0);
    CHECK(strcmp(acore_strerror(tab[i].code), "unknown error") != 0);
  }
  CHECK(strcmp(acore_strerror(ACORE_EINVAL), "invalid argument") == 0);
  CHECK(strcmp(acore_err_name(12345), "UNKNOWN") == 0);
  CHECK(strcmp(acore_strerror(12345), "unknown error") == 0);
}

static int payload_freed;
static void payload_free(void *p) { payload_freed += (p == &payload_freed); }

static void errors(void) {
  acore_error_t *a = NULL, *b = NULL, *g = NULL, *kids[2];

  CHECK(acore_error_new(0, "x", &a) == ACORE_EINVAL && a == NULL);
  CHECK(acore_error_new(ACORE_EIO, NULL, NULL) == ACORE_EINVAL);
  CHECK(acore_error_new(ACORE_ETIMEDOUT, NULL, &a) == ACORE_OK);
  CHECK(acore_error_code(a) == ACORE_ETIMEDOUT);
  CHECK(strcmp(acore_error_message(a), acore_strerror(ACORE_ETIMEDOUT)) == 0);
  CHECK(acore_error_new_payload(ACORE_EHOST, "boom", &payload_freed,
                                payload_free, &b) == ACORE_OK);
  CHECK(strcmp(acore_error_message(b), "boom") == 0);
  CHECK(acore_error_payload(b, payload_free) == &payload_freed);
  CHECK(acore_error_payload(b, free) == NULL); /* another binding's tag */
  kids[0] = a;
  kids[1] = b;
  CHECK(acore_error_new_group(ACORE_EGROUP, "two", kids, 2, &g) == ACORE_OK);
  CHECK(acore_error_code(g) == ACORE_EGROUP);
  CHECK(acore_error_child_count(g) == 2 && acore_error_child_count(a) == 0);
  CHECK(acore_error_child(g, 0) == a && acore_error_child(g, 1) == b);
  CHECK(acore_error_child(g, 2) == NULL);
  CHECK(acore_error_ref(a) == a);
  acore_error_unref(a);
  acore_error_unref(a);
  acore_error_unref(b);
  CHECK(payload_freed == 0); /* the group still holds b */
  acore_error_unref(g);
  CHECK(payload_freed == 1);
  acore_error_unref(NULL);
}

/* The allocator hooks: every acore allocation goes through them. */
static int n_malloc, n_realloc, n_calloc, n_free;
static void *my_malloc(size_t size) { n_malloc++; return malloc(size); }
static void *my_realloc(void *p, size_t size) { n_realloc++; return realloc(p, size); }
static void *my_calloc(size_t c, size_t size) { n_calloc++; return calloc(c, size); }
static void my_free(void *p) { n_free += p != NULL; free(p); }

static void allocator(void) {
  acore_error_t *e = NULL;
  acore_loop_t *loop;

  CHECK(acore_set_allocator(my_malloc, NULL, my_calloc, my_free) == ACORE_EINVAL);
  CHECK(acore_set_allocator(my_malloc, my_realloc, my_calloc, my_free) == ACORE_OK);
  CHECK(acore_error_new(ACORE_EIO, "counted", &e) == ACORE_OK);
  CHECK(n_malloc + n_calloc + n_realloc > 0);
  acore_error_unref(e);
  loop = ob_vloop();
  ob_vloop_done(loop);
  acore_free(NULL);
  acore_free(my_malloc(16)); /* acore_free frees with the installed hooks */
  CHECK(n_free == n_malloc + n_calloc);
  CHECK(acore_set_allocator(NULL, NULL, NULL, NULL) == ACORE_OK);
}

void ob_base(void) {
  codes();
  errors();
  allocator();
}
