/* SPDX-License-Identifier: MIT */
/*
 * graph.h - the live await graph (graph.c), what dump.c prints. Internal.
 *
 * Design notes
 * - The graph is not stored: it is read off the objects. Its nodes are the
 *   unfinished tasks and the pending futures they reach; its edges go from
 *   a waiting task to the future it awaits (task->awaited) and from a
 *   composite future to its children (acore__future_ops.children).
 *   Walks follow pending futures only and stop at tasks (a task is a root
 *   of its own), so a walk from one task ends at the tasks it waits for.
 * - Walks allocate (a visited set, a children list past 16) and report
 *   ACORE_ENOMEM; they run on the loop thread, where nothing changes the
 *   graph meanwhile (they call no user code).
 */
#ifndef ACORE_GRAPH_H
#define ACORE_GRAPH_H

#include "future.h"
#include "task.h"

/* A set of pointers: open addressing with a generation per slot, so that
 * emptying it (acore__pset_clear) is one increment. */
typedef struct acore__pset {
  struct acore__pslot { const void *p; unsigned gen; } *slots;
  size_t cap, len;
  unsigned gen;
} acore__pset;

void acore__pset_init(acore__pset *s);
void acore__pset_free(acore__pset *s);
void acore__pset_clear(acore__pset *s);
/* 1 added, 0 already in, ACORE_ENOMEM. */
int acore__pset_add(acore__pset *s, const void *p);
bool acore__pset_has(const acore__pset *s, const void *p);

/* The pending children of `f` (borrowed), in `small` when they fit
 * (ACORE__KIDS_SMALL) else in a new array: *list is set, the count
 * returned (SIZE_MAX: ENOMEM). Release with acore__kids_free. */
#define ACORE__KIDS_SMALL 16
size_t acore__kids(const acore_future_t *f, acore_future_t **small,
                   acore_future_t ***list);
void acore__kids_free(acore_future_t **small, acore_future_t **list);

/* Call fn(task, waited, ud) for every task `waited` that the unfinished
 * task `task` waits for through composites (each pair once per `task`),
 * for every task of the loop, oldest first. `seen` is scratch.
 * ACORE_OK or ACORE_ENOMEM (some calls may have been made). */
int acore__graph_task_edges(acore_loop_t *loop, acore__pset *seen,
                            void (*fn)(acore_task_t *task,
                                       acore_task_t *waited, void *ud),
                            void *ud);

/* The state's name ("ready", "running", "waiting", "done"). */
const char *acore__task_state_name(int state);

#endif /* ACORE_GRAPH_H */
