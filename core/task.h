/* SPDX-License-Identifier: MIT */
/*
 * task.h - the task (task.c): a future driven by a step function, and the
 * staged verdict of the step that runs. Internal.
 *
 * Design notes
 * - A task is a future (its first member) and a ready-queue item: queueing
 *   its step never allocates. The loop holds a reference to every
 *   unfinished task (the loop's task list).
 * - One step runs at a time per loop; what the step asks for (await,
 *   result, error) is staged in the loop's acore__stage and applied when
 *   the step returns.
 */
#ifndef ACORE_TASK_H
#define ACORE_TASK_H

#include "future.h"

#include <stdbool.h>

struct acore_task {
  struct acore_future fut; /* first: a task is a future */
  acore__item item;        /* b[0] must_cancel, b[1] step status and
                              delivery flags, b[2] phase; u32 cancel
                              requests */
  acore_step_fn fn;
  void *ud;
  acore_future_t *awaited; /* a reference, or NULL */
  acore__queue tnode;      /* loop->tasks.tasks */
  uintptr_t ident;         /* (id << ACORE__TASK_ID_SHIFT) | (freer << 1) | 1,
                              or an acore__task_ident * */
};

/* A task's ud_free is not a field of its own: few distinct functions free
 * steps' user data (NULL, free, a binding's release), so the loop keeps
 * them in a table (acore__loop_tasks.freers) and the task's ident word
 * keeps `freer`, the index + 1 of its own (0: none). A task whose ud_free
 * has no room in the table, or that has an ident record, keeps it in the
 * record. This keeps a task at 128 bytes (x86-64). */
enum { ACORE__TASK_FREERS = 15, ACORE__TASK_ID_SHIFT = 5 };

/* What few tasks need lives in this record, made on first need: the name
 * (set, or asked for), the innermost open timeout scope, the creation site
 * ("where") and, on a loop with ACORE_LOOP_TASK_TIMES, the loop times of
 * its creation and of its last state change. Until then task->ident holds
 * the id alone, so a pending task does not grow for what it does not use. */
typedef struct acore__task_ident {
  uint64_t id;
  void *tscope;     /* timeout.c: innermost open timeout scope, or NULL */
  char *where;      /* the creation site (owned), or NULL */
  uint64_t created; /* loop time (ns) of the spawn, or ACORE__NO_TIME */
  uint64_t since;   /* ... of the last state change, or ACORE__NO_TIME */
  acore_free_fn ud_free; /* the step's, until it ran (see freers) */
  bool named;
  bool stuck;       /* stuck.c: reported for its current wait */
  char name[];
} acore__task_ident;

#define ACORE__NO_TIME UINT64_MAX

/* The task's ident record, or NULL when it has none (ids alone). */
static inline acore__task_ident *acore__task_ident_of(const acore_task_t *t) {
  return (t->ident & 1) ? NULL : (acore__task_ident *)t->ident;
}

/* The task's timeout-scope slot, made on first use; NULL: out of memory
 * (with create) or no scope (without). */
void **acore__task_tscope(acore_task_t *t, bool create);

/* The task's name: its own, or the default "Task-<id>" written into
 * `buf` (ACORE__TASK_NAME_BUF bytes). Allocates nothing. */
#define ACORE__TASK_NAME_BUF 32
const char *acore__task_name(const acore_task_t *t, char *buf);
void acore__task_run(acore_loop_t *loop, acore_task_t *t);
/* The unfinished task after `prev` (NULL: the oldest), or NULL. */
acore_task_t *acore__task_next(acore_loop_t *loop, acore_task_t *prev);
/* acore_task_cancel() past its checks (through acore__cancel). */
int acore__task_cancel(acore_task_t *t, const char *message);
/* The task was reached again by the cancel it passes on to what it
 * awaits: a cycle. Wake it (the cancel is delivered into its next step);
 * 1 if it was woken, 0 when it waits for nothing pending. */
int acore__task_cancel_cycle(acore_task_t *t);
/* acore_task_uncancel() without handling the cancel delivered to the
 * running step (a timeout scope withdrawing its own request). */
int acore__task_uncancel(acore_task_t *t);
/* Mark the cancel delivered to `t`'s running step handled; no-op outside. */
void acore__task_cancel_handled(acore_task_t *t);
void acore__task_close(acore_task_t *t); /* loop close: cancel, release */
void acore__task_destroy(acore_task_t *t);

/* The staged verdict of the running step (one step runs at a time). */
typedef struct acore__stage {
  acore_task_t *task;      /* whose step is running */
  acore_future_t *await;   /* acore_task_await_take's future */
  acore_error_t *err;      /* acore_task_fail_take's error */
  uint8_t kind;            /* ACORE_VALUE_* of a staged result */
  bool has_result;
  uint8_t after;           /* ACORE__AFTER_*: to do once it returns */
  acore__value v;
} acore__stage;

enum { /* acore__stage.after: one test once the step returns covers both */
  ACORE__AFTER_CANCEL = 1u << 0, /* a cancel delivered to it, not handled */
  ACORE__AFTER_TRACE = 1u << 1   /* the trace hook's STEP_END (trace.c) */
};

/* The loop's part that task.c owns (a field of struct acore_loop). */
typedef struct acore__loop_tasks {
  acore__queue tasks; /* unfinished tasks, oldest first */
  size_t ntasks;
  uint64_t next_task_id;
  bool times;         /* ACORE_LOOP_TASK_TIMES: stamp state changes */
  unsigned nfreers;   /* entries used in freers */
  acore_free_fn freers[ACORE__TASK_FREERS]; /* the tasks' ud_free values */
  acore__stage stage; /* the verdict of the step that runs */
} acore__loop_tasks;

#endif /* ACORE_TASK_H */
