/* SPDX-License-Identifier: MIT */
/*
 * ob.h - shared helpers of the old-binary program (tests/abi/old_binary/).
 * The program is built from the released headers only (see
 * tests/abi/abi_tests.py): nothing here may use anything else of acore.
 */
#ifndef OB_H
#define OB_H

#include <acore.h>

#include <stddef.h>

extern int ob_failures;

#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      ob_fail(__FILE__, __LINE__, #cond);                                \
    }                                                                    \
  } while (0)

void ob_fail(const char *file, int line, const char *what);

/* An order log: callbacks append one character each. */
extern char ob_log[256];
void ob_log_reset(void);
void ob_log_add(char c);

/* fn(ud) appends the character *ud; ud_free counts in ob_freed. */
extern int ob_freed;
void ob_log_cb(void *ud);
void ob_count_free(void *ud);
extern const char ob_ids[];  /* "0123456789abcdefghijklmnopqrstuvwxyz" */
#define OB_ID(i) ((void *)&ob_ids[(i)])

/* A loop on the virtual clock (time 0, moves only by acore_loop_advance). */
acore_loop_t *ob_vloop(void);
/* Close and drop a loop made by ob_vloop(). */
void ob_vloop_done(acore_loop_t *loop);
/* The future's int result, or -999 when it has none. */
long long ob_int(acore_future_t *fut);

void ob_base(void);      /* version, error codes, error objects, allocator */
void ob_loop(void);      /* loop options, loop, scheduling, handles, reports */
void ob_future(void);    /* futures */
void ob_task(void);      /* tasks */
void ob_comb(void);      /* sleep, gather, wait, wait_for, timeouts, ... */
void ob_group(void);     /* task groups, as_completed, shield */
void ob_exec(void);      /* executor, work, thread-safe completion */
void ob_sync(void);      /* semaphore, lock, event, condition */
void ob_queue(void);     /* queues and the bounded map */
void ob_udp(void);       /* UDP sockets (1.1; a no-op before) */
void ob_io_sys(void);    /* 1.1: fd readiness, signals, processes */
void ob_net(void);       /* streams, servers, names (1.1; io_net.c) */
void ob_graph(void);     /* 1.1: the await graph and the dump */

#endif
