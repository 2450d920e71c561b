/* SPDX-License-Identifier: MIT */
/*
 * fire_and_forget.c - background work whose errors are still reported.
 *
 * asyncio users learn two things the hard way: a task nobody keeps a
 * reference to may vanish, and an exception in such a task shows up only as
 * "Task exception was never retrieved". In acore the loop holds every task
 * until it finishes, so a task spawned with `out == NULL` always runs to its
 * end; if it ends with an error nobody read, the loop's error handler is
 * told when the task is freed.
 *
 *  1. three background jobs, one fails: the default handler prints one line
 *     to stderr;
 *  2. the same with a custom handler (here: count and print to stdout);
 *  3. keep a reference and read the error yourself, or read it in a done
 *     callback: then nothing is reported.
 */
#include <acore.h>

#include <stdio.h>
#include <stdlib.h>

/* ---- a background job: wait a little, then succeed or fail ---- */

typedef struct job {
  int id;
  int fails;
} job_t;

static void complete(void *ud) { acore_future_set_int(ud, 0); }
static void unref_future(void *ud) { acore_future_unref(ud); }

/* A future completed `ms` milliseconds from now (an asyncio.sleep). */
static acore_future_t *sleep_ms(acore_loop_t *loop, int ms) {
  acore_future_t *f;

  if (acore_future_new(loop, &f) != ACORE_OK)
    return NULL;
  if (acore_loop_call_later(loop, ms / 1000.0, complete, acore_future_ref(f),
                            unref_future, NULL) != ACORE_OK) {
    acore_future_unref(f);
    return NULL;
  }
  return f;
}

/* async def job(): await asyncio.sleep(...); if fails: raise OSError(...) */
static int job_step(acore_task_t *t, void *ud) {
  job_t *j = ud;
  acore_future_t *f;

  if (acore_task_awaited(t) == NULL) { /* first step */
    f = sleep_ms(acore_task_loop(t), j->id);
    return f != NULL ? acore_task_await_take(t, f) : ACORE_ENOMEM;
  }
  if (j->fails)
    return acore_task_fail_code(t, ACORE_EIO, "could not write the report");
  return acore_task_return_int(t, j->id);
}

/* Spawn a job; the loop owns `j` (freed with free() after its last step). */
static int spawn_job(acore_loop_t *loop, int id, int fails,
                     acore_task_t **out) {
  job_t *j = malloc(sizeof(*j));

  if (j == NULL)
    return ACORE_ENOMEM;
  j->id = id;
  j->fails = fails;
  return acore_task_spawn(loop, job_step, j, free, out);
}

/* asyncio.create_task(job()) with the task thrown away: fire and forget. */
static void spawn_three(acore_loop_t *loop) {
  spawn_job(loop, 1, 0, NULL);
  spawn_job(loop, 2, 1, NULL); /* this one fails */
  spawn_job(loop, 3, 0, NULL);
}

/* ---- a custom error handler (loop.set_exception_handler) ---- */

static void on_report(acore_loop_t *loop, const acore_context_t *ctx,
                      void *ud) {
  int *count = ud;
  acore_error_t *err = acore_context_error(ctx);

  (*count)++;
  printf("  handler: %s; task %s; error %s: %s\n", acore_context_message(ctx),
         acore_context_name(ctx), acore_err_name(acore_error_code(err)),
         acore_error_message(err));
  (void)loop;
}

/* A done callback that reads the error: that counts as retrieving it. */
static void log_outcome(acore_future_t *fut, void *ud) {
  acore_error_t *err = acore_future_error(fut);

  (void)ud;
  if (err != NULL)
    printf("  done callback: job failed: %s\n", acore_error_message(err));
}

int main(void) {
  acore_loop_t *loop;
  acore_task_t *kept, *watched;
  int reports = 0, rc;

  setvbuf(stdout, NULL, _IOLBF, 0); /* keep stdout and stderr in order */
  if (acore_loop_new(NULL, &loop) != ACORE_OK)
    return 1;

  printf("1. fire and forget, default handler (one line on stderr):\n");
  spawn_three(loop);
  acore_loop_run(loop); /* the loop kept all three alive to their end */

  printf("2. fire and forget, custom handler:\n");
  acore_loop_set_error_handler(loop, on_report, &reports, NULL);
  spawn_three(loop);
  acore_loop_run(loop);
  printf("  reports so far: %d\n", reports);

  printf("3. keep a reference, or watch with a done callback:\n");
  spawn_job(loop, 4, 1, &kept);
  spawn_job(loop, 5, 1, &watched);
  acore_future_add_done_callback(acore_task_future(watched), log_outcome,
                                 NULL, NULL);
  acore_task_unref(watched); /* the callback will still run */
  acore_loop_run(loop);
  rc = acore_future_result(acore_task_future(kept), NULL);
  printf("  kept task ended with %s: %s\n", acore_err_name(rc),
         acore_error_message(acore_future_error(acore_task_future(kept))));
  acore_task_unref(kept); /* retrieved: nothing is reported */
  printf("  reports at the end: %d\n", reports);

  acore_loop_close(loop);
  acore_loop_unref(loop);
  return reports == 1 ? 0 : 1;
}
