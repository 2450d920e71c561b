/* SPDX-License-Identifier: MIT */
/*
 * sync_stress.h - shared helpers of the randomized, seeded, reproducible
 * stress tests of the synchronisation primitives (test_sync_stress*.c):
 * a seeded PRNG, CHECK() that prints the failing seed and step, and a
 * driver running one sequence per seed.
 *
 * Reproduce one sequence with  ACORE_STRESS_SEED=<seed> ./<test>
 * ACORE_STRESS_SEQS=<n> changes the number of sequences per test.
 */
#ifndef ACORE_SYNC_STRESS_H
#define ACORE_SYNC_STRESS_H

#include "testutil.h"
#include "acore/sync.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed_now; /* the sequence being run */
static int step_now;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond))                                                           \
      fail_msg("stress failure: seed %llu step %d: %s (reproduce with "    \
               "ACORE_STRESS_SEED=%llu)", (unsigned long long)seed_now,    \
               step_now, #cond, (unsigned long long)seed_now);             \
  } while (0)

static uint64_t rng;
static uint32_t rnd(uint32_t n) { /* xorshift64*, uniform enough */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t)((rng * 2685821657736338717ull) >> 33) % n;
}

/* Run fn(loop, seed) for many seeds, or the one in ACORE_STRESS_SEED. */
static void for_seeds(acore_loop_t *loop, uint64_t base,
                      void (*fn)(acore_loop_t *loop)) {
  const char *one = getenv("ACORE_STRESS_SEED");
  const char *nseq = getenv("ACORE_STRESS_SEQS");
  long n = nseq ? atol(nseq) : 5000, i;

  for (i = 0; i < n; i++) {
    seed_now = one ? strtoull(one, NULL, 10) : base + (uint64_t)i;
    rng = seed_now * 0x9E3779B97F4A7C15ull + 1;
    step_now = 0;
    fn(loop);
    if (one)
      break;
  }
}

static void drain(acore_loop_t *loop) {
  CHECK(acore_loop_run(loop) == ACORE_OK);
}


enum { MAXF = 64 };
enum { W_QUEUED = 1, W_GRANTED, W_CANCELLED, W_CLOSED, W_DROPPED };

typedef struct mfut {
  acore_future_t *f;
  size_t n;
  int st;
} mfut;

#endif /* ACORE_SYNC_STRESS_H */
