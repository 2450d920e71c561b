/* SPDX-License-Identifier: MIT */
/*
 * quarantine.h - an allocator for use-after-free regression tests: every
 * object is its own allocation (no per-loop cache), and a freed block is
 * never given back during the test: it is filled with a pattern (and
 * poisoned under AddressSanitizer), so a later write into it is found by
 * tq_intact() and a later read sees the pattern, not another object.
 */
#ifndef ACORE_QUARANTINE_H
#define ACORE_QUARANTINE_H

#include "testutil.h"

/* cmocka fixtures: a fresh loop (virtual clock) over the quarantine. */
int tq_setup(void **state);
/* Close and release the loop, assert tq_intact() and that nothing is
 * left allocated, then free the quarantine and restore the defaults. */
int tq_teardown(void **state);
/* 1 when no freed block was written to since it was freed. */
int tq_intact(void);
/* Blocks allocated and not yet freed. */
long tq_live(void);

#endif /* ACORE_QUARANTINE_H */
