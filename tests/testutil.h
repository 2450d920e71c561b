/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - shared helpers for acore's cmocka tests: a counting
 * allocator that can fail the Nth allocation, a fresh loop per test whose
 * teardown asserts a clean close and no leak, captured error reports and
 * counted ud_free calls.
 */
#ifndef ACORE_TESTUTIL_H
#define ACORE_TESTUTIL_H

/* cmocka 1.1 needs these four first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "acore.h"

/* ---- counting allocator ---- */
void tu_alloc_install(void);      /* idempotent */
long tu_alloc_live(void);         /* allocations not yet freed */
long tu_alloc_made(void);         /* allocations made so far */
void tu_alloc_fail_at(long nth);  /* fail the nth allocation from now
                                     (1-based); 0: never */
/* As tu_alloc_fail_at; and_later: every allocation after the nth fails
 * too, until the next tu_alloc_fail_at / tu_alloc_fail_mode. */
void tu_alloc_fail_mode(long nth, int and_later);
int tu_alloc_failed(void);        /* 1 once the planned failure happened */

/* ---- loops ---- */
/* A fresh loop (ACORE_LOOP_* flags), with the counting allocator. */
acore_loop_t *tu_loop_new(unsigned flags);
/* Close and release the loop; assert nothing acore allocated is left. */
void tu_loop_free(acore_loop_t *loop, long live_before);

/* Object caches of the loops made from now on: off (every object its own
 * allocation, so tu_alloc_fail_at reaches each one) or on, through the
 * environment's ACORE_NO_CACHE (read when a loop is made). Returns the
 * previous setting, to give back to tu_cache_off() when done. */
int tu_cache_off(int off);

/* cmocka fixtures: *state is a tu_fixture. */
typedef struct tu_fixture {
  acore_loop_t *loop;
  long live_before;
  int cache_before; /* tu_setup_walk: tu_cache_off()'s setting to restore */
} tu_fixture;
int tu_setup(void **state);         /* real clock */
int tu_setup_virtual(void **state); /* virtual clock */
int tu_setup_debug(void **state);   /* debug mode, real clock */
/* Real clock, and every object its own allocation for the loop's lifetime
 * (no per-loop object cache), so tu_alloc_fail_at reaches each one. */
int tu_setup_walk(void **state);
int tu_teardown(void **state);
#define TU_LOOP(state) (((tu_fixture *)*(state))->loop)

/* ---- error reports ---- */
typedef struct tu_reports {
  int count;
  int last_kind;
  int last_code;          /* the reported error's code, or 0 */
  char last_message[256];
  char last_name[64];
} tu_reports;
/* Install a handler that records reports into *r (zeroed first). */
void tu_capture_reports(acore_loop_t *loop, tu_reports *r);

/* ---- counted ud_free ---- */
extern int tu_frees;
void tu_count_free(void *ud);       /* tu_frees++ */

#endif /* ACORE_TESTUTIL_H */
