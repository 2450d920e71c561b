/* SPDX-License-Identifier: MIT */
/*
 * trace.h - trace hooks and static probes at the task and future life
 * cycle points (trace.c). Internal.
 *
 * Design notes
 * - Each point is ACORE__TRACE(loop, event, fut, probe, arg): a static
 *   probe (sys/sdt.h: a nop and an ELF note, for perf/bpftrace/systemtap;
 *   absent when the header is, or with ACORE_NO_PROBES) and a call of the
 *   loop's trace hook behind one predictable branch on loop->trace.fn.
 * - Probes: provider "acore"; task_create(task, id), step_start(task),
 *   step_end(task, verdict), task_finish(task, state),
 *   future_done(future, state). docs/debugging.md lists them.
 * - The hook is called synchronously inside the machinery: it may read
 *   (names, ids, states, the dump) and must not change the loop.
 */
#ifndef ACORE_TRACE_H
#define ACORE_TRACE_H

#include "acore.h"

#if !defined(ACORE_NO_PROBES) && defined(__has_include)
#if __has_include(<sys/sdt.h>)
#include <sys/sdt.h>
#define ACORE__HAVE_PROBES 1
#endif
#endif

#ifdef ACORE__HAVE_PROBES
#define ACORE__PROBE1(name, a) DTRACE_PROBE1(acore, name, a)
#define ACORE__PROBE2(name, a, b) DTRACE_PROBE2(acore, name, a, b)
#else
#define ACORE__PROBE1(name, a) ((void)0)
#define ACORE__PROBE2(name, a, b) ((void)0)
#endif

/* The loop's part that trace.c owns (a field of struct acore_loop). */
typedef struct acore__loop_trace {
  acore_trace_fn fn; /* NULL: no hook */
  void *ud;
  acore_free_fn ud_free;
  bool in_hook;
} acore__loop_trace;

/* Call the hook (set) with `event` for `fut`. */
void acore__trace_call(acore_loop_t *loop, int event, acore_future_t *fut);
/* Drop the hook (loop close). */
void acore__trace_close(acore_loop_t *loop);

/* Whether the loop has a hook: the one test each point makes when none is
 * set. ACORE_NO_TRACE_HOOKS (a benchmark build only: docs/PERFORMANCE.md
 * measures the hooks' cost against it; the hook tests fail in it) makes
 * it constant false. */
#ifdef ACORE_NO_TRACE_HOOKS
#define ACORE__TRACE_ON(loop) ((void)(loop), 0)
#else
#define ACORE__TRACE_ON(loop) __builtin_expect((loop)->trace.fn != NULL, 0)
#endif

#define ACORE__TRACE_HOOK(loop, event, fut)                  \
  do {                                                       \
    if (ACORE__TRACE_ON(loop))                               \
      acore__trace_call((loop), (event), (fut));             \
  } while (0)

#endif /* ACORE_TRACE_H */
