/* SPDX-License-Identifier: MIT */
/* graph.c - 1.1: the await graph (task state, times, creation site, future
 * kind, detail, children, awaiters), the loop's dump, its where callback
 * and trace hook, and a lock made of a semaphore naming its holder.
 * Compiled only against headers that declare it (ACORE_WHERE is defined
 * with it): the release 1.0 headers do not, and a 1.0 binary calls none
 * of it. */
#include "ob.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef ACORE_WHERE

static int once(acore_task_t *t, void *ud) {
  (void)ud;
  CHECK(acore_task_state(t) == ACORE_TASK_STATE_RUNNING);
  return acore_task_return_int(t, 1);
}

/* Awaits the future in *ud. */
static int waiter(acore_task_t *t, void *ud) {
  if (acore_task_awaited(t) != NULL)
    return acore_task_finish_cancelled(t);
  return acore_task_await_take(t, acore_future_ref(ud));
}

static void count_event(acore_loop_t *loop, int event, acore_future_t *fut,
                        void *ud) {
  (void)loop;
  (void)fut;
  if (event == ACORE_TRACE_FUTURE_DONE)
    (*(int *)ud)++;
}

/* The trace hook sees a future complete; removing it frees its ud. */
static void trace_hook(acore_loop_t *loop) {
  acore_future_t *f = NULL;
  int done = 0, freed = ob_freed;

  CHECK(acore_loop_set_trace_hook(loop, count_event, &done, ob_count_free) ==
        ACORE_OK);
  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_set_int(f, 3) == ACORE_OK);
  CHECK(done == 1);
  CHECK(acore_loop_set_trace_hook(loop, NULL, NULL, NULL) == ACORE_OK);
  CHECK(ob_freed == freed + 1);
  acore_future_unref(f);
}

static void note_stuck(acore_loop_t *loop, const acore_context_t *ctx,
                       void *ud) {
  (void)loop;
  if (acore_context_kind(ctx) == ACORE_REPORT_TASK_STUCK)
    (*(int *)ud)++;
}

/* A task waiting longer than the stuck threshold is reported once. */
static void stuck_tasks(void) {
  acore_loop_options_t *o = NULL;
  acore_loop_t *loop = NULL;
  acore_future_t *f = NULL;
  acore_task_t *t = NULL;
  int reports = 0;

  CHECK(acore_loop_options_new(&o) == ACORE_OK);
  CHECK(acore_loop_options_set_flags(o, ACORE_LOOP_VIRTUAL_CLOCK) == ACORE_OK);
  CHECK(acore_loop_options_set_stuck_threshold(o, 5.0) == ACORE_OK);
  CHECK(acore_loop_options_set_dump_signal(o, 9) == ACORE_EINVAL); /* KILL */
  CHECK(acore_loop_options_set_dump_signal(o, 0) == ACORE_OK);
  CHECK(acore_loop_new(o, &loop) == ACORE_OK);
  acore_loop_options_free(o);
  if (loop == NULL)
    return;
  acore_loop_set_error_handler(loop, note_stuck, &reports, NULL);
  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_task_spawn(loop, waiter, f, NULL, &t) == ACORE_OK);
  CHECK(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0);
  CHECK(acore_loop_advance(loop, 6.0) == ACORE_OK);
  CHECK(acore_loop_check_stuck(loop) == ACORE_OK && reports == 1);
  CHECK(acore_loop_check_stuck(loop) == ACORE_OK && reports == 1);
  acore_task_cancel(t, NULL);
  CHECK(acore_loop_run(loop) == ACORE_OK);
  acore_task_unref(t);
  acore_future_unref(f);
  ob_vloop_done(loop);
}

static void collect(const char *data, size_t len, void *ud) {
  char *buf = ud;
  size_t n = strlen(buf);

  if (n + len < 1024) {
    memcpy(buf + n, data, len);
    buf[n + len] = '\0';
  }
}

static void sites_and_states(acore_loop_t *loop) {
  acore_task_t *t = NULL;
  double created = 0, since = 0;

  CHECK(acore_task_spawn_at(loop, once, NULL, NULL, "here.c:1", &t) ==
        ACORE_OK);
  CHECK(strcmp(acore_task_where(t), "here.c:1") == 0);
  CHECK(acore_task_set_where(t, ACORE_WHERE()) == ACORE_OK);
  CHECK(strstr(acore_task_where(t), "graph.c:") != NULL);
  CHECK(acore_task_state(t) == ACORE_TASK_STATE_READY);
  CHECK(acore_task_times(t, &created, &since) == ACORE_OK);
  CHECK(created == -1.0 && since == -1.0); /* no ACORE_LOOP_TASK_TIMES */
  CHECK(acore_loop_run(loop) == ACORE_OK);
  CHECK(acore_task_state(t) == ACORE_TASK_STATE_DONE);
  acore_task_unref(t);
}

static void graph_and_dump(acore_loop_t *loop) {
  acore_future_t *f = NULL, *g = NULL, *kids[2];
  acore_task_t *t = NULL;
  char buf[1024] = "", *s = NULL;
  size_t n = 9;
  int fds[2];

  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_gather(loop, &f, 1, 0, &g) == ACORE_OK);
  CHECK(acore_task_spawn(loop, waiter, g, NULL, &t) == ACORE_OK);
  CHECK(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0);
  CHECK(strcmp(acore_future_kind(g), "gather") == 0);
  CHECK(acore_future_describe(g, buf, sizeof(buf)) == 11 &&
        strcmp(buf, "0 of 1 done") == 0);
  CHECK(acore_future_children(g, kids, 2, &n) == ACORE_OK && n == 1 &&
        kids[0] == f);
  acore_future_unref(kids[0]);
  CHECK(acore_future_awaiters(g, kids, 2, &n) == ACORE_OK && n == 1 &&
        kids[0] == acore_task_future(t));
  acore_future_unref(kids[0]);
  buf[0] = '\0';
  CHECK(acore_loop_dump(loop, ACORE_DUMP_TREE, collect, buf, ob_count_free) ==
        ACORE_OK);
  CHECK(strstr(buf, "Task-") != NULL && strstr(buf, "awaits gather") != NULL);
  CHECK(acore_loop_dump_string(loop, ACORE_DUMP_JSON, &s) == ACORE_OK &&
        strstr(s, "\"kind\": \"gather\"") != NULL);
  acore_free(s);
  if (pipe(fds) == 0) {
    CHECK(acore_loop_dump_fd(loop, ACORE_DUMP_TREE, fds[1]) == ACORE_OK);
    CHECK(read(fds[0], buf, 20) == 20 &&
          memcmp(buf, "acore loop: 1 tasks", 19) == 0);
    close(fds[0]);
    close(fds[1]);
  }
  acore_task_cancel(t, NULL);
  CHECK(acore_loop_run(loop) == ACORE_OK);
  acore_task_unref(t);
  acore_future_unref(g);
  acore_future_unref(f);
}

static int site_of(acore_task_t *task, acore_step_fn step, void *step_ud,
                   char *buf, size_t cap, void *ud) {
  (void)task;
  (void)step_ud;
  (void)ud;
  return step == waiter ? snprintf(buf, cap, "lazy.py:1 in w()") : 0;
}

/* The where callback names a site in the dump; a lock-semaphore names its
 * holder. */
static void lazy_sites_and_holders(acore_loop_t *loop) {
  acore_future_t *f = NULL, *g = NULL;
  acore_task_t *t = NULL;
  acore_sem_t *sem = NULL;
  char *s = NULL, buf[256];
  int freed = ob_freed;

  CHECK(acore_loop_set_where_fn(NULL, site_of, NULL, NULL) == ACORE_EINVAL);
  CHECK(acore_loop_set_where_fn(loop, site_of, NULL, ob_count_free) ==
        ACORE_OK);
  CHECK(acore_sem_new(loop, 1, ACORE_SEM_LOCK, &sem) == ACORE_OK);
  CHECK(acore_sem_try_acquire(sem, 1) == ACORE_OK);
  CHECK(acore_sem_acquire(sem, 1, &g) == ACORE_OK);
  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_task_spawn(loop, waiter, f, NULL, &t) == ACORE_OK);
  CHECK(acore_sem_set_holder(sem, t) == ACORE_OK);
  CHECK(acore_future_describe(g, buf, sizeof(buf)) > 0 &&
        strncmp(buf, "lock ", 5) == 0 && strstr(buf, "; held by Task-"));
  CHECK(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0);
  CHECK(acore_loop_dump_string(loop, ACORE_DUMP_TREE, &s) == ACORE_OK &&
        strstr(s, " at lazy.py:1 in w()") != NULL);
  acore_free(s);
  CHECK(acore_sem_set_holder(sem, NULL) == ACORE_OK);
  CHECK(acore_loop_set_where_fn(loop, NULL, NULL, NULL) == ACORE_OK &&
        ob_freed == freed + 1);
  acore_task_cancel(t, NULL);
  CHECK(acore_loop_run(loop) == ACORE_OK);
  acore_task_unref(t);
  acore_future_unref(f);
  acore_future_unref(g);
  acore_sem_unref(sem);
}

void ob_graph(void) {
  acore_loop_t *loop = ob_vloop();
  int freed = ob_freed;

  sites_and_states(loop);
  graph_and_dump(loop);
  CHECK(ob_freed == freed + 1); /* the dump's writer ud */
  trace_hook(loop);
  lazy_sites_and_holders(loop);
  stuck_tasks();
  ob_vloop_done(loop);
}

#else
void ob_graph(void) {}
#endif
