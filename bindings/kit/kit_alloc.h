/* SPDX-License-Identifier: MIT */
/*
 * kit_alloc.h - the allocator of the kit's own blocks (callback records,
 * lists of futures). A binding module uses the C library's; a build that
 * defines ACORE_KIT_HOOKED_ALLOC (tests/test_kit.c, linked with acore's
 * internals) routes them through acore's hooked allocator, so the failing
 * allocator of the tests reaches the kit's blocks as well as acore's.
 * Private to bindings/kit/.
 */
#ifndef ACORE_KIT_ALLOC_H
#define ACORE_KIT_ALLOC_H

#ifdef ACORE_KIT_HOOKED_ALLOC
#include "alloc.h" /* core/: acore__malloc and friends */
#define kit_malloc acore__malloc
#define kit_calloc acore__calloc
#define kit_realloc acore__realloc
#define kit_free acore__free
#else
#include <stdlib.h>
#define kit_malloc malloc
#define kit_calloc calloc
#define kit_realloc realloc
#define kit_free free
#endif

#endif /* ACORE_KIT_ALLOC_H */
