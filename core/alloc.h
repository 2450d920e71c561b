/* SPDX-License-Identifier: MIT */
/*
 * alloc.h - acore's allocation: the hooked allocator every allocation
 * goes through, and the per-loop caches of fixed-size blocks (alloc.c).
 * Internal.
 *
 * Design notes
 * - acore__malloc and friends call the functions acore_set_allocator()
 *   installed, so a test can fail the Nth allocation.
 * - A slab caches blocks of one size for one loop; the loop's object
 *   caches (acore__obj_alloc in loop.h) are an array of slabs indexed by
 *   ACORE__SLAB_*. A slab is touched by its loop's thread only (or under
 *   the loop's mutex once the loop is closed). A loop whose caches are
 *   off (acore__no_cache() when it was made) takes every block from
 *   acore__malloc instead and never uses its slabs.
 */
#ifndef ACORE_ALLOC_H
#define ACORE_ALLOC_H

#include <stddef.h>

void *acore__malloc(size_t size);
void *acore__calloc(size_t count, size_t size);
void *acore__realloc(void *ptr, size_t size);
void acore__free(void *ptr);
char *acore__strdup(const char *s); /* NULL for NULL or on failure */

/* Per-loop caches of fixed-size blocks (futures, tasks, records). */
enum { ACORE__SLAB_FUTURE, ACORE__SLAB_TASK, ACORE__SLAB_CBREC,
       ACORE__SLAB_HANDLE, ACORE__SLAB_CALL,
       /* composite futures, by size: 16, 32, ... 16 * ACORE__XSLABS bytes */
       ACORE__SLAB_X0, ACORE__XSLABS = 24,
       ACORE__SLAB_COUNT = ACORE__SLAB_X0 + ACORE__XSLABS };

typedef struct acore__slab {
  void *free_list;   /* blocks ready for reuse, linked through first word */
  void *chunks;      /* chunks, linked through their first word */
  size_t block_size;
  size_t next_chunk; /* blocks in the next chunk */
} acore__slab;

void acore__slab_init(acore__slab *s, size_t block_size);
void *acore__slab_alloc(acore__slab *s);
void acore__slab_free(acore__slab *s, void *block);
void acore__slab_destroy(acore__slab *s);
/* Whether loops made now run with their object caches off (every block
 * its own acore__malloc): ACORE_NO_CACHE=1 in the environment, read when
 * a loop is made, so a valgrind or allocator-counting run sees every
 * object freed for real. */
int acore__no_cache(void);

/* Under AddressSanitizer a block on a free list is poisoned: a read or
 * write through a stale pointer into a cached block is reported like one
 * into freed memory. The free-list link is written before poisoning and
 * read after unpoisoning. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ACORE__ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(ACORE__ASAN)
#define ACORE__ASAN 1
#endif
#ifdef ACORE__ASAN
#include <sanitizer/asan_interface.h>
#define ACORE__POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define ACORE__UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ACORE__POISON(p, n) ((void)(p), (void)(n))
#define ACORE__UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#endif /* ACORE_ALLOC_H */
