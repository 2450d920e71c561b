/* SPDX-License-Identifier: MIT */
/*
 * interop.c - a small C library written against acore alone, loaded by the
 * Python tests with ctypes: given the loop's acore_loop_t * (Loop.address()),
 * it spawns C tasks and returns C futures that Python awaits, and runs a C
 * task that awaits a future Python completes. The point: an async C library
 * written once against acore works inside Python's loop.
 */
#include <stdint.h>
#include <stdlib.h>

#include "acore.h"

typedef struct job {
  int at;
  int64_t n;
  acore_future_t *in; /* a future to await (a reference), or NULL */
} job;

static void job_free(void *ud) {
  job *j = ud;
  acore_future_unref(j->in);
  free(j);
}

/* double: sleep 1 ms, then return 2n. */
static int double_step(acore_task_t *t, void *ud) {
  job *j = ud;
  acore_future_t *f;
  int rc;

  switch (j->at) {
  case 0:
    j->at = 1;
    rc = acore_sleep(acore_task_loop(t), 0.001, &f);
    return rc < 0 ? rc : acore_task_await_take(t, f);
  default:
    return acore_task_return_int(t, j->n * 2);
  }
}

/* plus_one: await j->in (completed by Python with an int), return it + 1;
 * a cancellation is passed on, an error fails the task. */
static int plus_one_step(acore_task_t *t, void *ud) {
  job *j = ud;
  int64_t v;
  int rc;

  if (j->at == 0) {
    j->at = 1;
    return acore_task_await_take(t, acore_future_ref(j->in));
  }
  if (acore_task_step_status(t) == ACORE_ECANCELLED)
    return acore_task_finish_cancelled(t);
  rc = acore_future_result_int(j->in, &v);
  if (rc < 0)
    return acore_task_fail_code(t, rc, "the awaited future did not give an int");
  return acore_task_return_int(t, v + 1);
}

static acore_future_t *spawn(void *loop, acore_step_fn fn, job *j) {
  acore_task_t *t;

  if (acore_task_spawn(loop, fn, j, job_free, &t) < 0)
    return NULL;
  return acore_task_future(t); /* the reference of `t` */
}

/* A new reference to a C task's future whose result is 2n (int). */
void *interop_spawn_double(void *loop, int64_t n) {
  job *j = calloc(1, sizeof(*j));

  if (j == NULL)
    return NULL;
  j->n = n;
  return spawn(loop, double_step, j);
}

/* A new reference to a C task that awaits `fut` (borrowed; a Python
 * future) and gives its int result plus one. */
void *interop_spawn_plus_one(void *loop, void *fut) {
  job *j = calloc(1, sizeof(*j));

  if (j == NULL)
    return NULL;
  j->in = acore_future_ref(fut);
  return spawn(loop, plus_one_step, j);
}

/* A new reference to a future that fails with ACORE_ETIMEDOUT after a
 * call_soon. */
static void fail_later(void *ud) {
  acore_future_set_error_code(ud, ACORE_ETIMEDOUT, "C deadline passed");
}

static void unref_future(void *ud) { acore_future_unref(ud); }

void *interop_failing_future(void *loop) {
  acore_future_t *f;

  if (acore_future_new(loop, &f) < 0)
    return NULL;
  if (acore_loop_call_soon(loop, fail_later, acore_future_ref(f), unref_future,
                           NULL) < 0) {
    acore_future_unref(f);
    return NULL;
  }
  return f;
}

/* interop_spawn_plus_one with a name and its creation site (the await
 * graph tests: test_graph.py). */
void *interop_spawn_named_waiter(void *loop, void *fut, const char *name) {
  job *j = calloc(1, sizeof(*j));
  acore_task_t *t;

  if (j == NULL)
    return NULL;
  j->in = acore_future_ref(fut);
  if (acore_task_spawn_at(loop, plus_one_step, j, job_free, ACORE_WHERE(),
                          &t) < 0)
    return NULL;
  (void)acore_task_set_name(t, name); /* ENOMEM: the default name stays */
  return acore_task_future(t);
}

/* The loop's dump written by C alone, as the dump signal writes it (no
 * Python call on the way): to `fd`, JSON when `json`. */
int interop_dump_fd(void *loop, int json, int fd) {
  return acore_loop_dump_fd(loop, json ? ACORE_DUMP_JSON : ACORE_DUMP_TREE,
                            fd);
}

/* The site C stores for the task of future `fut` (NULL: none). */
const char *interop_task_where(void *fut) {
  return acore_task_where(acore_task_from_future(fut));
}
