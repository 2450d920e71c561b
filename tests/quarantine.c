/* SPDX-License-Identifier: MIT */
/* quarantine.c - see quarantine.h. */
#include "quarantine.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define PATTERN 0xA5
#define HDR 32 /* keeps the user block 16-byte aligned */

typedef struct block {
  struct block *next; /* quarantine list, once freed */
  size_t size;
} block;

static block *freed;
static long live;

static void *q_malloc(size_t size) {
  block *b = malloc(HDR + size);

  if (b == NULL)
    return NULL;
  b->next = NULL;
  b->size = size;
  live++;
  return (char *)b + HDR;
}

static void *q_calloc(size_t count, size_t size) {
  void *p = count && size > (size_t)-1 / count ? NULL : q_malloc(count * size);

  if (p != NULL)
    memset(p, 0, count * size);
  return p;
}

static void q_free(void *p) {
  block *b;

  if (p == NULL)
    return;
  b = (block *)((char *)p - HDR);
  memset(p, PATTERN, b->size);
  POISON(p, b->size);
  b->next = freed;
  freed = b;
  live--;
}

static void *q_realloc(void *p, size_t size) {
  void *n;

  if (p == NULL)
    return q_malloc(size);
  n = q_malloc(size);
  if (n == NULL)
    return NULL;
  {
    block *b = (block *)((char *)p - HDR);
    memcpy(n, p, b->size < size ? b->size : size);
  }
  q_free(p);
  return n;
}

int tq_intact(void) {
  block *b;

  for (b = freed; b != NULL; b = b->next) {
    unsigned char *p = (unsigned char *)b + HDR;
    size_t i;

    UNPOISON(p, b->size);
    for (i = 0; i < b->size; i++)
      if (p[i] != PATTERN)
        return 0;
    POISON(p, b->size);
  }
  return 1;
}

long tq_live(void) { return live; }

static void release_all(void) {
  while (freed != NULL) {
    block *b = freed;
    freed = b->next;
    UNPOISON((char *)b + HDR, b->size);
    free(b);
  }
}

int tq_setup(void **state) {
  tu_fixture *fx = calloc(1, sizeof(*fx));
  acore_loop_options_t *opts;

  fx->cache_before = tu_cache_off(1);
  live = 0;
  assert_int_equal(acore_set_allocator(q_malloc, q_realloc, q_calloc, q_free),
                   ACORE_OK);
  assert_int_equal(acore_loop_options_new(&opts), ACORE_OK);
  assert_int_equal(acore_loop_options_set_flags(opts,
                                                ACORE_LOOP_VIRTUAL_CLOCK),
                   ACORE_OK);
  assert_int_equal(acore_loop_new(opts, &fx->loop), ACORE_OK);
  acore_loop_options_free(opts);
  tu_frees = 0;
  *state = fx;
  return 0;
}

int tq_teardown(void **state) {
  tu_fixture *fx = *state;

  assert_int_equal(acore_loop_close(fx->loop), ACORE_OK);
  acore_loop_unref(fx->loop);
  assert_true(tq_intact());
  assert_int_equal(tq_live(), 0);
  release_all();
  assert_int_equal(acore_set_allocator(NULL, NULL, NULL, NULL), ACORE_OK);
  tu_cache_off(fx->cache_before);
  free(fx);
  return 0;
}
