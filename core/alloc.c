/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - the allocator hook and the per-loop block caches.
 *
 * Design notes
 * - Every allocation acore makes goes through the four hooked functions,
 *   so a test can fail the Nth one.
 * - A slab caches fixed-size blocks of one kind for one loop. Blocks come
 *   from chunks that grow from 8 blocks to 512; freed blocks go on a free
 *   list and are reused; chunks are returned when the loop's memory is
 *   freed. A slab is touched by the loop thread only (or under the loop's
 *   mutex once it is closed).
 * - Under AddressSanitizer the blocks on a free list are poisoned (see
 *   ACORE__POISON in alloc.h); a chunk is unpoisoned before it is
 *   returned, so the allocator behind the hook sees plain memory.
 * - ACORE_NO_CACHE=1 in the environment turns the caches off for the
 *   loops made while it is set (every block its own malloc), so the test
 *   command can run the suite with every object freed for real; a loop
 *   reads it when it is made and keeps its mode for its whole life (a
 *   block is freed the way it was allocated).
 */
#include "acore.h"
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

static acore_malloc_fn hook_malloc = malloc;
static acore_realloc_fn hook_realloc = realloc;
static acore_calloc_fn hook_calloc = calloc;
static acore_dealloc_fn hook_free = free;

int acore__no_cache(void) {
  const char *v = getenv("ACORE_NO_CACHE");

  return v != NULL && strcmp(v, "1") == 0;
}

void *acore__malloc(size_t size) { return hook_malloc(size); }

void *acore__calloc(size_t count, size_t size) {
  return hook_calloc(count, size);
}

void *acore__realloc(void *ptr, size_t size) {
  return hook_realloc(ptr, size);
}

void acore__free(void *ptr) {
  if (ptr != NULL)
    hook_free(ptr);
}

char *acore__strdup(const char *s) {
  size_t n;
  char *d;

  if (s == NULL)
    return NULL;
  n = strlen(s) + 1;
  d = acore__malloc(n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

int acore_set_allocator(acore_malloc_fn malloc_fn, acore_realloc_fn realloc_fn,
                        acore_calloc_fn calloc_fn, acore_dealloc_fn free_fn) {
  int nnull = !malloc_fn + !realloc_fn + !calloc_fn + !free_fn;

  if (nnull != 0 && nnull != 4)
    return ACORE_EINVAL;
  hook_malloc = malloc_fn ? malloc_fn : malloc;
  hook_realloc = realloc_fn ? realloc_fn : realloc;
  hook_calloc = calloc_fn ? calloc_fn : calloc;
  hook_free = free_fn ? free_fn : free;
  return ACORE_OK;
}

void acore_free(void *ptr) { acore__free(ptr); }

/* ---- slabs ---------------------------------------------------------------- */

enum { SLAB_FIRST_CHUNK = 8, SLAB_MAX_CHUNK = 512 };

/* A chunk: this header (padded to max_align_t), then the blocks. */
typedef struct slab_chunk {
  void *next;      /* the slab's chunks */
  size_t nblocks;  /* blocks in this chunk */
} slab_chunk;
#define CHUNK_HEADER \
  ((sizeof(slab_chunk) + sizeof(max_align_t) - 1) / sizeof(max_align_t) * \
   sizeof(max_align_t))

void acore__slab_init(acore__slab *s, size_t block_size) {
  size_t align = sizeof(void *);

  s->free_list = NULL;
  s->chunks = NULL;
  s->block_size = (block_size + align - 1) / align * align;
  s->next_chunk = SLAB_FIRST_CHUNK;
}

static int slab_grow(acore__slab *s) {
  size_t n = s->next_chunk;
  char *chunk = acore__malloc(CHUNK_HEADER + n * s->block_size);
  slab_chunk *h = (slab_chunk *)chunk;
  size_t i;

  if (chunk == NULL)
    return ACORE_ENOMEM;
  h->next = s->chunks;
  h->nblocks = n;
  s->chunks = chunk;
  /* Thread the blocks onto the free list, first block first. */
  for (i = n; i-- > 0;) {
    void **b = (void **)(chunk + CHUNK_HEADER + i * s->block_size);
    *b = s->free_list;
    s->free_list = b;
    ACORE__POISON(b, s->block_size);
  }
  if (s->next_chunk < SLAB_MAX_CHUNK)
    s->next_chunk *= 2;
  return ACORE_OK;
}

void *acore__slab_alloc(acore__slab *s) {
  void **b;

  if (s->free_list == NULL && slab_grow(s) != ACORE_OK)
    return NULL;
  b = s->free_list;
  ACORE__UNPOISON(b, s->block_size);
  s->free_list = *b;
  return b;
}

void acore__slab_free(acore__slab *s, void *block) {
  *(void **)block = s->free_list;
  s->free_list = block;
  ACORE__POISON(block, s->block_size);
}

void acore__slab_destroy(acore__slab *s) {
  void *c = s->chunks;

  while (c != NULL) {
    slab_chunk *h = c;
    void *next = h->next;

    ACORE__UNPOISON((char *)c + CHUNK_HEADER, h->nblocks * s->block_size);
    acore__free(c);
    c = next;
  }
  s->chunks = NULL;
  s->free_list = NULL;
}
