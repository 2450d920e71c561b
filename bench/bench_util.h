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
 *
 * One rep, for bench/runner.py: `PROG --once WORKLOAD [--n N] [--rounds R]`
 * runs R rounds (default 2) of one workload with N operations (default: the
 * workload's own size) in this process, and prints one line per round:
 *   REP {"system": S, "workload": W, "round": r, "n": N, "unit": U,
 *        "value": V, "cpu": C[, "heap": H]}
 * N is the --n given (0: the workload's own size); V is the workload's
 * figure in U. For a timed workload, V is wall ns per operation and C the
 * process's CPU time (user + sys, all threads) per operation over the same
 * region, which the workload brackets with bench_start() / bench_stop().
 * For a memory workload (unit "bytes/..."), V is the growth of the
 * process's resident memory per object and C is null; H is the growth of
 * malloc's heap (mallinfo2) per object.
 */
#ifndef ACORE_BENCH_UTIL_H
#define ACORE_BENCH_UTIL_H

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* CPU time of the whole process (all threads), user plus system: what
 * getrusage(RUSAGE_SELF) adds up, read from the process CPU clock, which
 * counts in nanoseconds up to the call (getrusage's sum, in microseconds,
 * can stay behind for a region as short as a few hundred of them). */
static inline uint64_t cpu_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the timed region: wall and CPU clocks read together ---- */

static uint64_t bench_wall0, bench_wall1, bench_cpu0, bench_cpu1;

/* Starts the timed region; returns the wall clock (as now_ns()). */
static inline uint64_t bench_start(void) {
  bench_cpu0 = cpu_ns();
  return bench_wall0 = now_ns();
}

/* Ends the timed region; returns the wall clock (as now_ns()). */
static inline uint64_t bench_stop(void) {
  bench_wall1 = now_ns();
  bench_cpu1 = cpu_ns();
  return bench_wall1;
}

/* CPU ns per operation over the last timed region, whose wall time per
 * operation was `wall_per_op`: the same count of operations divides both. */
static inline double bench_cpu_per_op(double wall_per_op) {
  double wall = (double)(bench_wall1 - bench_wall0);

  return wall > 0 ? wall_per_op * (double)(bench_cpu1 - bench_cpu0) / wall : 0;
}

/* ---- memory ---- */

/* Resident memory of the process in bytes (/proc/self/statm). */
static inline size_t rss_bytes(void) {
  unsigned long size = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");

  if (f != NULL) {
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
      resident = 0;
    fclose(f);
  }
  return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Bytes malloc has handed out and not taken back (headers included). */
static inline size_t heap_in_use(void) {
  struct mallinfo2 mi = mallinfo2();

  return mi.uordblks + mi.hblkhd;
}

/* A memory workload stores here the resident growth per object it saw
 * (its return value is the heap growth per object). */
static double bench_rss_per_obj;

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

/* ---- one rep of one workload (--once) ---- */

/* Operations per round for --once (0: each workload's own size). */
static long bench_n;

static inline long bench_size(long dflt) { return bench_n > 0 ? bench_n : dflt; }

typedef struct bench_once {
  const char *workload;
  int rounds;
} bench_once;

static inline void bench_usage(const char *prog) {
  fprintf(stderr, "usage: %s [workload...]\n"
                  "       %s --once WORKLOAD [--n N] [--rounds R]\n",
          prog, prog);
  exit(2);
}

/* Returns 1 and fills `o` (and bench_n) when argv is a --once line, 0 when
 * it is not (the program's default mode); exits 2 on a malformed one. */
static inline int bench_once_args(int argc, char **argv, bench_once *o) {
  int i;

  if (argc < 2 || strcmp(argv[1], "--once") != 0)
    return 0;
  if (argc < 3)
    bench_usage(argv[0]);
  o->workload = argv[2];
  o->rounds = 2;
  for (i = 3; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--n") == 0)
      bench_n = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--rounds") == 0)
      o->rounds = atoi(argv[i + 1]);
    else
      bench_usage(argv[0]);
  }
  if (i != argc || bench_n < 0 || o->rounds < 1)
    bench_usage(argv[0]);
  return 1;
}

/* Prints the REP line of round `round` whose figure `value` the workload
 * returned (see the top of this file). */
static inline void bench_rep_line(const char *system, const char *workload,
                                  const char *unit, int round, double value) {
  printf("REP {\"system\": \"%s\", \"workload\": \"%s\", \"round\": %d, "
         "\"n\": %ld, \"unit\": \"%s\", ",
         system, workload, round, bench_n, unit);
  if (strncmp(unit, "bytes/", 6) == 0)
    printf("\"value\": %.1f, \"cpu\": null, \"heap\": %.1f}\n",
           bench_rss_per_obj, value);
  else
    printf("\"value\": %.2f, \"cpu\": %.2f}\n", value,
           bench_cpu_per_op(value));
  fflush(stdout);
}

/* Runs `o->rounds` rounds of `rep` and prints their REP lines. */
static inline int bench_run_once(const char *system, const bench_once *o,
                                 const char *unit, double (*rep)(void)) {
  int r;

  for (r = 1; r <= o->rounds; r++)
    bench_rep_line(system, o->workload, unit, r, rep());
  return 0;
}

static inline int bench_unknown(const char *prog, const char *workload) {
  fprintf(stderr, "%s: no workload %s for --once\n", prog, workload);
  return 2;
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

/* LAT for --once: a workload named LAT_<same|cross>_<p50|p99> is one rep
 * of lat_rep(worker_cpu, &p50, &p99) (same: CPU 0, cross: CPU 1), its
 * quantile in ns as the figure. Returns 1 and sets *cpu and *p99 if `w`
 * is one, 0 if not. */
static inline int bench_lat_name(const char *w, int *cpu, int *p99) {
  if (strncmp(w, "LAT_", 4) != 0)
    return 0;
  if (strncmp(w + 4, "same_", 5) == 0)
    *cpu = 0;
  else if (strncmp(w + 4, "cross_", 6) == 0)
    *cpu = 1;
  else
    return 0;
  w += *cpu ? 10 : 9;
  if (strcmp(w, "p50") != 0 && strcmp(w, "p99") != 0)
    return 0;
  *p99 = strcmp(w, "p99") == 0;
  return 1;
}

/* A background load the benchmark starts itself (W4_loaded): `n` processes
 * that spin (a shell's empty loop) until bench_load_stop(). They are new
 * programs (posix_spawn), sharing no memory with the benchmark: fork()ed
 * spinners would keep every page of the benchmark's heap shared, so that
 * each page it wrote during the round took a copy-on-write fault (with a
 * TLB shoot-down), a cost that grows with the memory the program kept
 * from earlier rounds and is not the CPU load meant. bench_load_start()
 * returns once each has spun for 2 ms. Their CPU time is not the
 * benchmark's: the CPU clock and RUSAGE_SELF leave children out. A spinner
 * dies with the benchmark (setpriv's parent-death signal; the shell exits
 * at once if its parent is gone already), also when the benchmark ends
 * without bench_load_stop() (a failed check(), a signal): none is left
 * holding a CPU and the runner's output pipe. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static pid_t bench_load_pids[16];
static int bench_load_n;

/* CPU time `pid` has run, in ns (/proc/PID/schedstat), or -1. */
static inline long long bench_proc_cpu_ns(pid_t pid) {
  char path[64];
  long long ns = -1;
  FILE *f;

  snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
  if ((f = fopen(path, "r")) == NULL)
    return -1;
  if (fscanf(f, "%lld", &ns) != 1)
    ns = -1;
  fclose(f);
  return ns;
}

static inline void bench_load_stop(void) {
  while (bench_load_n > 0) {
    pid_t p = bench_load_pids[--bench_load_n];

    kill(p, SIGKILL);
    while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
      ;
  }
}

static inline void bench_load_start(int n) {
  char script[96];
  char *argv[] = { "setpriv", "--pdeathsig", "KILL", "sh", "-c", script,
                   NULL };
  int i, tries;

  snprintf(script, sizeof(script),
           "[ \"$PPID\" = %d ] || exit 0; while :; do :; done",
           (int)getpid());
  for (i = 0; i < n && bench_load_n < 16; i++) {
    pid_t p;
    int rc = posix_spawn(&p, "/usr/bin/setpriv", NULL, NULL, argv, environ);

    if (rc != 0)
      bench_load_stop(); /* before check() exits */
    check(rc == 0, "posix_spawn /usr/bin/setpriv");
    bench_load_pids[bench_load_n++] = p;
  }
  for (i = 0; i < bench_load_n; i++) /* up to 5 s each */
    for (tries = 0; tries < 5000; tries++) {
      long long ns = bench_proc_cpu_ns(bench_load_pids[i]);

      if (ns < 0 || ns >= 2000000)
        break;
      usleep(1000);
    }
}

#endif /* ACORE_BENCH_UTIL_H */
