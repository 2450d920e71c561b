/* SPDX-License-Identifier: MIT */
/*
 * echo_util.h - what the W5 echo programs share (bench/peers/uv_echo.c, the
 * minimal libuv one; bench/bench_io.c, acore's), so both measure the same
 * way. Header-only; include after bench_util.h.
 *
 * W5 runs as a pair of processes over loopback, a server and a client of
 * the same system (bench/runner.py starts both):
 *   PROG --server echo|sink [--port P] [--exit-after K]
 *       listens on 127.0.0.1:P (0: a free port), prints "PORT <p>" and
 *       serves until killed, or until K connections have ended (then it
 *       exits normally: how the runner counts its instructions under
 *       callgrind). echo: every byte read is written back. sink:
 *       bytes are counted until the client's EOF, then the count is written
 *       back as 8 bytes (little-endian) and the connection closed.
 *   PROG --once W5|W5_stream --port P --server-pid PID [--n N] [--rounds R]
 *       the client; per round:
 *       W5: 100 connections (connected before the timed region), each
 *         making N/100 round trips of a 64-byte request whose 64-byte echo
 *         it reads in full before the next; N round trips (default 10,000).
 *       W5_stream: one connection (to a sink server) sending N MiB (default
 *         1024: 1 GiB) in 256 KiB writes, then EOF; ends when the count
 *         comes back.
 *       Prints a REP line per round (bench_util.h's format): value = wall
 *       ns per round trip (per MiB for W5_stream), cpu = CPU ns of the PAIR
 *       per op: the client's process CPU time plus the server's, read
 *       through the server's process CPU clock (clock_getcpuclockid) at the
 *       edges of the timed region; cpu_client and cpu_server split it.
 */
#ifndef ACORE_ECHO_UTIL_H
#define ACORE_ECHO_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define W5_CONNS 100
#define W5_MSG 64
#define W5_CHUNK (256 * 1024)

typedef struct echo_args {
  int server;            /* 1: --server */
  int sink;              /* --server sink */
  int stream;            /* --once W5_stream */
  const char *workload;
  int port;
  pid_t server_pid;
  long n;                /* round trips (W5) or MiB (W5_stream) */
  long exit_after;       /* server: connections to serve (0: forever) */
  int rounds;
} echo_args;

static inline void echo_usage(const char *prog) {
  fprintf(stderr,
          "usage: %s --server echo|sink [--port P] [--exit-after K]\n"
          "       %s --once W5|W5_stream --port P --server-pid PID "
          "[--n N] [--rounds R]\n", prog, prog);
  exit(2);
}

static inline void echo_parse(int argc, char **argv, echo_args *a) {
  int i;

  memset(a, 0, sizeof(*a));
  a->rounds = 2;
  if (argc < 3)
    echo_usage(argv[0]);
  if (strcmp(argv[1], "--server") == 0) {
    a->server = 1;
    a->sink = strcmp(argv[2], "sink") == 0;
    if (!a->sink && strcmp(argv[2], "echo") != 0)
      echo_usage(argv[0]);
  } else if (strcmp(argv[1], "--once") == 0) {
    a->workload = argv[2];
    a->stream = strcmp(argv[2], "W5_stream") == 0;
    if (!a->stream && strcmp(argv[2], "W5") != 0)
      echo_usage(argv[0]);
  } else {
    echo_usage(argv[0]);
  }
  for (i = 3; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port") == 0)
      a->port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--server-pid") == 0)
      a->server_pid = (pid_t)atol(argv[i + 1]);
    else if (strcmp(argv[i], "--exit-after") == 0)
      a->exit_after = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--n") == 0)
      a->n = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--rounds") == 0)
      a->rounds = atoi(argv[i + 1]);
    else
      echo_usage(argv[0]);
  }
  if (i != argc || a->n < 0 || a->rounds < 1 ||
      (!a->server && (a->port <= 0 || a->server_pid <= 0)))
    echo_usage(argv[0]);
  if (a->n == 0)
    a->n = a->stream ? 1024 : 10000;
  if (!a->stream && (a->n < W5_CONNS || a->n % W5_CONNS != 0))
    echo_usage(argv[0]); /* whole round trips per connection */
}

/* The server's CPU time (all threads), ns. */
static inline uint64_t echo_server_cpu(pid_t pid) {
  struct timespec ts;
  clockid_t clk;

  if (clock_getcpuclockid(pid, &clk) != 0 || clock_gettime(clk, &ts) != 0) {
    fprintf(stderr, "echo: cannot read the CPU clock of server %d\n",
            (int)pid);
    exit(1);
  }
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct echo_clock {
  uint64_t wall0, wall1, cpu0, cpu1, scpu0, scpu1;
} echo_clock;

static inline void echo_start(echo_clock *c, pid_t server) {
  c->scpu0 = echo_server_cpu(server);
  c->cpu0 = cpu_ns();
  c->wall0 = now_ns();
}

static inline void echo_stop(echo_clock *c, pid_t server) {
  c->wall1 = now_ns();
  c->cpu1 = cpu_ns();
  c->scpu1 = echo_server_cpu(server);
}

static inline void echo_rep_line(const char *system, const echo_args *a,
                                 int round, const echo_clock *c) {
  double n = (double)a->n;
  double cl = (double)(c->cpu1 - c->cpu0) / n;
  double sv = (double)(c->scpu1 - c->scpu0) / n;

  printf("REP {\"system\": \"%s\", \"workload\": \"%s\", \"round\": %d, "
         "\"n\": %ld, \"unit\": \"%s\", \"value\": %.2f, \"cpu\": %.2f, "
         "\"cpu_client\": %.2f, \"cpu_server\": %.2f}\n",
         system, a->workload, round, a->n,
         a->stream ? "ns/MiB" : "ns/roundtrip",
         (double)(c->wall1 - c->wall0) / n, cl + sv, cl, sv);
  fflush(stdout);
}

static inline void echo_print_port(int port) {
  printf("PORT %d\n", port);
  fflush(stdout);
}

#endif /* ACORE_ECHO_UTIL_H */
