/* SPDX-License-Identifier: MIT */
/*
 * bench_util.h - what every benchmark program here shares, acore's and the
 * libuv peer's alike, so both sides measure the same way: the monotonic
 * clock, the process's CPU time, quantiles of a sample, a check that ends
 * the program, and the LAT driver (CPU placement of the loop and worker).
 *
 * Header-only (each benchmark is one C file). Define BENCH_NAME (the
 * program's name, for failure messages) before including it; build with
 * _GNU_SOURCE for the LAT driver's CPU affinity calls.
 */
#ifndef ACORE_BENCH_UTIL_H
#define ACORE_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#ifdef _GNU_SOURCE
#include <sched.h>
#endif

#ifndef BENCH_NAME
#error "define BENCH_NAME before including bench_util.h"
#endif

static inline uint64_t now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of the whole process (all threads), user plus system. */
static inline uint64_t cpu_ns(void) {
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
             1000000000u +
         ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

static inline void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "%s: %s\n", BENCH_NAME, what);
    exit(1);
  }
}

static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

/* Sorts `v` in place; returns the element at fraction `q` (0.5: median). */
static inline double quantile(double *v, size_t n, double q) {
  qsort(v, n, sizeof(v[0]), cmp_double);
  return v[(size_t)(q * (double)(n - 1) + 0.5)];
}

#ifdef _GNU_SOURCE
/* LAT: `lat_report(placement, worker_cpu)` with the loop thread on CPU 0 and
 * the worker on CPU 0 ("same") and, when there is one, CPU 1 ("cross");
 * the program's CPU affinity is restored afterwards. */
static inline void run_lat_placements(void (*lat_report)(const char *, int)) {
  cpu_set_t saved;

  check(sched_getaffinity(0, sizeof(saved), &saved) == 0, "sched_getaffinity");
  if (!CPU_ISSET(0, &saved)) {
    printf("# LAT skipped: CPU 0 not available\n");
    return;
  }
  lat_report("same", 0);
  if (CPU_ISSET(1, &saved))
    lat_report("cross", 1);
  else
    printf("# LAT_cross skipped: CPU 1 not available\n");
  check(sched_setaffinity(0, sizeof(saved), &saved) == 0, "sched_setaffinity");
}
#endif

#endif /* ACORE_BENCH_UTIL_H */
