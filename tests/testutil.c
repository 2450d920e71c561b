/* SPDX-License-Identifier: MIT */
/* testutil.c - see testutil.h. */
#include "testutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long live, made, fail_at;
static atomic_int failed, fail_sticky;
int tu_frees;

static int should_fail(void) {
  long n = atomic_fetch_add(&made, 1) + 1;
  long f = atomic_load(&fail_at);

  if (f != 0 && (n == f || (n > f && atomic_load(&fail_sticky)))) {
    atomic_store(&failed, 1);
    return 1;
  }
  return 0;
}

static void *tu_malloc(size_t size) {
  void *p = should_fail() ? NULL : malloc(size);
  if (p != NULL)
    atomic_fetch_add(&live, 1);
  return p;
}

static void *tu_calloc(size_t count, size_t size) {
  void *p = should_fail() ? NULL : calloc(count, size);
  if (p != NULL)
    atomic_fetch_add(&live, 1);
  return p;
}

static void *tu_realloc(void *ptr, size_t size) {
  void *p;

  if (should_fail())
    return NULL;
  p = realloc(ptr, size);
  if (p != NULL && ptr == NULL)
    atomic_fetch_add(&live, 1);
  return p;
}

static void tu_free(void *ptr) {
  if (ptr != NULL) {
    atomic_fetch_sub(&live, 1);
    free(ptr);
  }
}

void tu_alloc_install(void) {
  assert_int_equal(acore_set_allocator(tu_malloc, tu_realloc, tu_calloc,
                                       tu_free), ACORE_OK);
}

long tu_alloc_live(void) { return atomic_load(&live); }
long tu_alloc_made(void) { return atomic_load(&made); }

void tu_alloc_fail_at(long nth) { tu_alloc_fail_mode(nth, 0); }

void tu_alloc_fail_mode(long nth, int and_later) {
  atomic_store(&failed, 0);
  atomic_store(&fail_sticky, and_later);
  atomic_store(&fail_at, nth == 0 ? 0 : atomic_load(&made) + nth);
}

int tu_alloc_failed(void) { return atomic_load(&failed); }

acore_loop_t *tu_loop_new(unsigned flags) {
  acore_loop_options_t *opts;
  acore_loop_t *loop;

  tu_alloc_install();
  assert_int_equal(acore_loop_options_new(&opts), ACORE_OK);
  assert_int_equal(acore_loop_options_set_flags(opts, flags), ACORE_OK);
  assert_int_equal(acore_loop_new(opts, &loop), ACORE_OK);
  acore_loop_options_free(opts);
  return loop;
}

void tu_loop_free(acore_loop_t *loop, long live_before) {
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_loop_close(loop), ACORE_OK); /* twice: harmless */
  acore_loop_unref(loop);
  assert_int_equal(tu_alloc_live(), live_before);
}

static int setup_flags(void **state, unsigned flags) {
  tu_fixture *fx = calloc(1, sizeof(*fx));

  tu_alloc_install();
  tu_alloc_fail_at(0);
  fx->live_before = tu_alloc_live();
  fx->cache_before = -1; /* untouched */
  fx->loop = tu_loop_new(flags);
  tu_frees = 0;
  *state = fx;
  return 0;
}

int tu_cache_off(int off) {
  const char *v = getenv("ACORE_NO_CACHE");
  int before = v != NULL && strcmp(v, "1") == 0;

  if (off)
    setenv("ACORE_NO_CACHE", "1", 1);
  else
    unsetenv("ACORE_NO_CACHE");
  return before;
}

int tu_setup(void **state) { return setup_flags(state, 0); }
int tu_setup_walk(void **state) {
  int cache_before = tu_cache_off(1);

  setup_flags(state, 0);
  ((tu_fixture *)*state)->cache_before = cache_before;
  return 0;
}
int tu_setup_virtual(void **state) {
  return setup_flags(state, ACORE_LOOP_VIRTUAL_CLOCK);
}
int tu_setup_debug(void **state) { return setup_flags(state, ACORE_LOOP_DEBUG); }

int tu_teardown(void **state) {
  tu_fixture *fx = *state;

  tu_alloc_fail_at(0);
  tu_loop_free(fx->loop, fx->live_before);
  if (fx->cache_before >= 0)
    tu_cache_off(fx->cache_before);
  free(fx);
  return 0;
}

static void capture(acore_loop_t *loop, const acore_context_t *ctx, void *ud) {
  tu_reports *r = ud;
  acore_error_t *err = acore_context_error(ctx);

  (void)loop;
  r->count++;
  r->last_kind = acore_context_kind(ctx);
  r->last_code = err ? acore_error_code(err) : 0;
  snprintf(r->last_message, sizeof(r->last_message), "%s",
           acore_context_message(ctx));
  snprintf(r->last_name, sizeof(r->last_name), "%s", acore_context_name(ctx));
}

void tu_capture_reports(acore_loop_t *loop, tu_reports *r) {
  memset(r, 0, sizeof(*r));
  assert_int_equal(acore_loop_set_error_handler(loop, capture, r, NULL),
                   ACORE_OK);
}

void tu_count_free(void *ud) {
  (void)ud;
  tu_frees++;
}
