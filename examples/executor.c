/* SPDX-License-Identifier: MIT */
/*
 * executor.c - blocking work on an executor of fixed size while the loop
 * stays responsive.
 *
 * Six blocking jobs - four that sleep (nanosleep, standing in for a slow
 * blocking call) and two that hash a file with FNV-1a (this program's own
 * binary, read in 64 KiB blocks) - run on an executor of 2 workers. Meanwhile
 * a heartbeat timer on the loop prints every 50 ms with the executor's
 * statistics: the loop never stalls, and never more than 2 jobs run.
 * One more sleeper is cancelled before it starts: it never runs.
 *
 * Usage: executor [file-to-hash]
 */
#include "acore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct app {
  acore_loop_t *loop;
  acore_executor_t *ex;
  int pending;   /* jobs not yet done */
  int ticks;
  int peak_running;
} app;

/* ---- work functions: run on a worker thread ---- */

static int sleep_ms(acore_work_t *w, void *ud) {
  int ms = *(int *)ud;
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

  nanosleep(&ts, NULL); /* a real blocking call */
  return acore_work_set_int(w, ms);
}

static int hash_file(acore_work_t *w, void *ud) {
  const char *path = ud;
  unsigned char buf[65536];
  uint64_t h = 1469598103934665603ull; /* FNV-1a, 64 bits */
  size_t n, i;
  FILE *f = fopen(path, "rb");

  if (f == NULL)
    return acore_work_set_error_code(w, ACORE_EIO, "cannot open the file");
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
    if (acore_work_is_cancelled(w)) { /* nobody wants the result any more */
      fclose(f);
      return ACORE_ECANCELLED;
    }
    for (i = 0; i < n; i++)
      h = (h ^ buf[i]) * 1099511628211ull;
  }
  fclose(f);
  return acore_work_set_int(w, (int64_t)h);
}

/* ---- on the loop thread ---- */

static void heartbeat(void *ud) {
  app *a = ud;
  int64_t running = acore_executor_stat(a->ex, ACORE_EXECUTOR_STAT_RUNNING);

  if (running > a->peak_running)
    a->peak_running = (int)running;
  printf("tick %2d: running %lld, queued %lld, completed %lld\n", ++a->ticks,
         (long long)running,
         (long long)acore_executor_stat(a->ex, ACORE_EXECUTOR_STAT_QUEUED),
         (long long)acore_executor_stat(a->ex, ACORE_EXECUTOR_STAT_COMPLETED));
  if (a->pending > 0)
    acore_loop_call_later(a->loop, 0.05, heartbeat, a, NULL, NULL);
}

static void on_sleep_done(acore_future_t *f, void *ud) {
  app *a = ud;
  int64_t ms = 0;

  if (acore_future_result_int(f, &ms) == ACORE_OK)
    printf("  slept %lld ms\n", (long long)ms);
  a->pending--;
}

static void on_hash_done(acore_future_t *f, void *ud) {
  app *a = ud;
  int64_t h = 0;
  int rc = acore_future_result_int(f, &h);

  if (rc == ACORE_OK)
    printf("  hash %016llx\n", (unsigned long long)h);
  else
    printf("  hash failed: %s\n", acore_strerror(rc));
  a->pending--;
}

static void submit(app *a, acore_work_fn fn, void *ud, acore_done_fn done) {
  acore_future_t *f;

  if (acore_run_in_executor(a->loop, a->ex, fn, ud, NULL, &f) != ACORE_OK) {
    fprintf(stderr, "run_in_executor failed\n");
    exit(1);
  }
  acore_future_add_done_callback(f, done, a, NULL);
  acore_future_unref(f);
  a->pending++;
}

int main(int argc, char **argv) {
  static int ms[] = { 200, 150, 100, 250, 1000 };
  const char *path = argc > 1 ? argv[1] : argv[0];
  acore_executor_options_t *o;
  acore_future_t *never;
  app a;
  int i;

  memset(&a, 0, sizeof(a));
  acore_loop_new(NULL, &a.loop);
  acore_executor_options_new(&o);
  acore_executor_options_set_max_workers(o, 2); /* a fixed size */
  acore_executor_options_set_min_workers(o, 2);
  acore_executor_new(o, &a.ex);
  acore_executor_options_free(o);

  for (i = 0; i < 4; i++)
    submit(&a, sleep_ms, &ms[i], on_sleep_done);
  submit(&a, hash_file, (void *)path, on_hash_done);
  submit(&a, hash_file, (void *)path, on_hash_done);
  /* a fifth sleeper, cancelled while it waits in the queue: never runs */
  acore_run_in_executor(a.loop, a.ex, sleep_ms, &ms[4], NULL, &never);
  printf("cancel a queued job: %d\n", acore_future_cancel(never, NULL));
  acore_future_unref(never);

  acore_loop_call_later(a.loop, 0.05, heartbeat, &a, NULL, NULL);
  acore_loop_run(a.loop); /* runs until every job is back */

  printf("%d heartbeats while the workers blocked; at most %d jobs ran at "
         "once; %lld cancelled before starting\n",
         a.ticks, a.peak_running,
         (long long)acore_executor_stat(a.ex, ACORE_EXECUTOR_STAT_CANCELLED));
  acore_executor_shutdown(a.ex, ACORE_EXECUTOR_WAIT);
  acore_executor_unref(a.ex);
  acore_loop_close(a.loop);
  acore_loop_unref(a.loop);
  return a.peak_running <= 2 && a.ticks >= 1 ? 0 : 1;
}
