/* SPDX-License-Identifier: MIT */
/* exec.c - the executor, work functions, thread-safe completion. */
#include "ob.h"

#include <acore/combinators.h>
#include <acore/executor.h>

#include <string.h>

static acore_loop_t *work_loop_seen;
static int work_value_freed;
static void work_value_free(void *v) { work_value_freed += v == &work_value_freed; }

/* One work function per kind of result; ud selects it. */
static int worker(acore_work_t *w, void *ud) {
  switch (*(const char *)ud) {
  case 'i':
    work_loop_seen = acore_work_loop(w);
    CHECK(acore_work_is_cancelled(w) == 0);
    CHECK(acore_work_set_int(w, 64) == ACORE_OK);
    return acore_work_set_int(w, 65) == ACORE_EINVALIDSTATE ? ACORE_OK : ACORE_EIO;
  case 'd': return acore_work_set_double(w, 1.5);
  case 'b': return acore_work_set_bytes(w, "job", 3);
  case 'p': return acore_work_set_result(w, &work_value_freed, work_value_free);
  case 'e': {
    acore_error_t *e = NULL;
    int rc;
    acore_error_new(ACORE_EHOST, "work", &e);
    rc = acore_work_set_error(w, e);
    acore_error_unref(e);
    return rc;
  }
  case 'c': return acore_work_set_error_code(w, ACORE_EIO, "disk");
  default: return ACORE_EOVERFLOW;
  }
}

static void options(acore_executor_t **out) {
  acore_executor_options_t *o = NULL;

  CHECK(acore_executor_options_new(&o) == ACORE_OK);
  CHECK(acore_executor_options_set_max_workers(o, 0) == ACORE_EINVAL);
  CHECK(acore_executor_options_set_max_workers(o, ACORE_EXECUTOR_MAX_WORKERS + 1) ==
        ACORE_EINVAL);
  CHECK(acore_executor_options_set_max_workers(o, 3) == ACORE_OK);
  CHECK(acore_executor_options_set_min_workers(o, 1) == ACORE_OK);
  CHECK(acore_executor_options_set_idle_timeout(o, -1.0) == ACORE_EINVAL);
  CHECK(acore_executor_options_set_idle_timeout(o, 5.0) == ACORE_OK);
  CHECK(acore_executor_options_set_stack_size(o, 0) == ACORE_OK);
  CHECK(acore_executor_new(o, out) == ACORE_OK);
  acore_executor_options_free(o);
  acore_executor_options_free(NULL);
}

static void jobs(acore_loop_t *loop, acore_executor_t *ex) {
  static const char kinds[] = "idbpecx";
  acore_future_t *f[7], *all = NULL;
  const void *data = NULL;
  void *p = NULL;
  double d = 0;
  int i;

  for (i = 0; i < 7; i++)
    CHECK(acore_run_in_executor(loop, i % 2 ? ex : NULL, worker, (void *)&kinds[i], NULL,
                                &f[i]) == ACORE_OK);
  CHECK(acore_gather(loop, f, 7, ACORE_GATHER_SETTLE_ALL, &all) == ACORE_OK);
  CHECK(acore_loop_run_until_complete(loop, all) == ACORE_OK);
  CHECK(work_loop_seen == loop);
  CHECK(ob_int(f[0]) == 64);
  CHECK(acore_future_result_double(f[1], &d) == ACORE_OK && d == 1.5);
  CHECK(acore_future_result_bytes(f[2], &data, NULL) == ACORE_OK && strcmp(data, "job") == 0);
  CHECK(acore_future_result(f[3], &p) == ACORE_OK && p == &work_value_freed);
  CHECK(acore_error_code(acore_future_error(f[4])) == ACORE_EHOST);
  CHECK(acore_error_code(acore_future_error(f[5])) == ACORE_EIO);
  CHECK(acore_error_code(acore_future_error(f[6])) == ACORE_EOVERFLOW);
  CHECK(acore_future_set_int(f[0], 1) == ACORE_EINVAL); /* only the job completes it */
  acore_future_unref(all);
  for (i = 0; i < 7; i++)
    acore_future_unref(f[i]);
  CHECK(work_value_freed == 1);
}

static void executors(acore_loop_t *loop) {
  acore_executor_t *ex = NULL, *def = NULL;

  options(&ex);
  CHECK(acore_executor_ref(ex) == ex);
  acore_executor_unref(ex);
  CHECK(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_MAX_WORKERS) == 3);
  CHECK(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_WORKERS) >= 1); /* min 1 */
  CHECK(acore_executor_stat(ex, 99) == ACORE_EINVAL);
  CHECK(acore_executor_set_max_workers(ex, 2) == ACORE_OK);
  CHECK(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_MAX_WORKERS) == 2);
  CHECK(acore_loop_default_executor(loop, &def) == ACORE_OK && def != NULL);
  acore_executor_unref(def);
  jobs(loop, ex);
  CHECK(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_COMPLETED) >= 3);
  CHECK(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_QUEUED) == 0);
  CHECK(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_RUNNING) == 0);
  CHECK(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_IDLE) >= 0);
  CHECK(acore_executor_stat(ex, ACORE_EXECUTOR_STAT_CANCELLED) == 0);
  CHECK(acore_loop_set_default_executor(loop, ex) == ACORE_OK);
  CHECK(acore_loop_default_executor(loop, &def) == ACORE_OK && def == ex);
  acore_executor_unref(def);
  CHECK(acore_executor_shutdown(ex, ACORE_EXECUTOR_WAIT) == ACORE_OK);
  CHECK(acore_run_in_executor(loop, ex, worker, (void *)"i", NULL, NULL) == ACORE_ECLOSED);
  acore_executor_unref(ex);
}

/* Thread-safe completions are applied later, in the order made. */
static void on_done(acore_future_t *fut, void *ud) {
  (void)fut;
  ob_log_add(*(const char *)ud);
}

static void threadsafe(acore_loop_t *loop) {
  acore_future_t *f[7];
  acore_error_t *e = NULL;
  const void *data = NULL;
  double d = 0;
  void *p = NULL;
  int i;

  ob_log_reset();
  for (i = 0; i < 7; i++) {
    CHECK(acore_future_new(loop, &f[i]) == ACORE_OK);
    acore_future_add_done_callback(f[i], on_done, OB_ID(i), NULL);
  }
  acore_error_new(ACORE_EHOST, "ts", &e);
  CHECK(acore_future_set_int_threadsafe(f[0], 11) == ACORE_OK);
  CHECK(acore_future_set_double_threadsafe(f[1], 0.5) == ACORE_OK);
  CHECK(acore_future_set_bytes_threadsafe(f[2], "ts", 2) == ACORE_OK);
  CHECK(acore_future_set_result_threadsafe(f[3], (void *)ob_ids, NULL) == ACORE_OK);
  CHECK(acore_future_set_error_threadsafe(f[4], e) == ACORE_OK);
  CHECK(acore_future_set_error_code_threadsafe(f[5], ACORE_EIO, "ts") == ACORE_OK);
  CHECK(acore_future_cancel_threadsafe(f[6], "ts") == ACORE_OK);
  acore_error_unref(e);
  CHECK(acore_future_is_done(f[0]) == 0); /* queued, not applied yet */
  acore_loop_run(loop);
  CHECK(strcmp(ob_log, "0123456") == 0);
  CHECK(ob_int(f[0]) == 11);
  CHECK(acore_future_result_double(f[1], &d) == ACORE_OK && d == 0.5);
  CHECK(acore_future_result_bytes(f[2], &data, NULL) == ACORE_OK && strcmp(data, "ts") == 0);
  CHECK(acore_future_result(f[3], &p) == ACORE_OK && p == ob_ids);
  CHECK(acore_error_code(acore_future_error(f[4])) == ACORE_EHOST);
  CHECK(acore_error_code(acore_future_error(f[5])) == ACORE_EIO);
  CHECK(acore_future_is_cancelled(f[6]) == 1);
  for (i = 0; i < 7; i++)
    acore_future_unref(f[i]);
}

/* The worker hook runs on each worker thread, START then STOP. */
static int hook_starts, hook_stops; /* one worker: no race */
static void on_worker(int phase, void *ud) {
  if (ud != &hook_starts)
    return;
  hook_starts += phase == ACORE_WORKER_START;
  hook_stops += phase == ACORE_WORKER_STOP;
}

static void worker_hook(void) {
  acore_executor_options_t *o = NULL;
  acore_executor_t *ex = NULL;

  CHECK(acore_executor_options_new(&o) == ACORE_OK);
  CHECK(acore_executor_options_set_worker_hook(NULL, on_worker, NULL) == ACORE_EINVAL);
  CHECK(acore_executor_options_set_max_workers(o, 1) == ACORE_OK);
  CHECK(acore_executor_options_set_min_workers(o, 1) == ACORE_OK);
  CHECK(acore_executor_options_set_worker_hook(o, on_worker, &hook_starts) == ACORE_OK);
  CHECK(acore_executor_new(o, &ex) == ACORE_OK);
  acore_executor_options_free(o);
  CHECK(acore_executor_shutdown(ex, ACORE_EXECUTOR_WAIT) == ACORE_OK);
  CHECK(hook_starts == 1 && hook_stops == 1);
  acore_executor_unref(ex);
}

void ob_exec(void) {
  acore_loop_t *loop = ob_vloop();

  executors(loop);
  threadsafe(loop);
  worker_hook();
  ob_vloop_done(loop);
}
