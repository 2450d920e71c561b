/* SPDX-License-Identifier: MIT */
/* loop.c - loop options, the loop, scheduling order, handles, reports. */
#include "ob.h"

#include <string.h>
#include <unistd.h>

static void options(void) {
  acore_loop_options_t *opts = NULL;
  acore_loop_t *loop = NULL;

  CHECK(acore_loop_options_new(NULL) == ACORE_EINVAL);
  CHECK(acore_loop_options_new(&opts) == ACORE_OK);
  CHECK(acore_loop_options_set_flags(opts, 1u << 30) == ACORE_EINVAL);
  CHECK(acore_loop_options_set_flags(opts, ACORE_LOOP_VIRTUAL_CLOCK |
                                     ACORE_LOOP_DEBUG) == ACORE_OK);
  CHECK(acore_loop_options_set_slow_callback(opts, -1.0) == ACORE_EINVAL);
  CHECK(acore_loop_options_set_slow_callback(opts, 0.5) == ACORE_OK);
  CHECK(acore_loop_options_set_uv_loop(opts, NULL) == ACORE_OK);
  CHECK(acore_loop_options_set_threadsafe_limit(opts, 0) == ACORE_EINVAL);
  CHECK(acore_loop_options_set_threadsafe_limit(opts, 1024) == ACORE_OK);
  CHECK(acore_loop_new(opts, &loop) == ACORE_OK);
  acore_loop_options_free(opts);
  acore_loop_options_free(NULL);
  CHECK(acore_loop_ref(loop) == loop);
  acore_loop_unref(loop);
  CHECK(acore_loop_uv(loop) != NULL && acore_loop_uv(NULL) == NULL);
  CHECK(acore_loop_backend_fd(loop) >= 0);
  CHECK(acore_loop_backend_timeout(loop) == -1); /* nothing scheduled */
  CHECK(acore_loop_call_soon(loop, ob_log_cb, OB_ID(0), NULL, NULL) == ACORE_OK);
  CHECK(acore_loop_backend_timeout(loop) == 0); /* work is ready */
  ob_log_reset();
  CHECK(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0);
  CHECK(strcmp(ob_log, "0") == 0);
  CHECK(acore_loop_run_once(loop, 1u << 20) == ACORE_EINVAL);
  CHECK(acore_loop_is_running(loop) == 0 && acore_loop_is_closed(loop) == 0);
  CHECK(acore_loop_time(loop) == 0.0 && acore_loop_time(NULL) == -1.0);
  CHECK(acore_loop_advance(loop, 1.5) == ACORE_OK);
  CHECK(acore_loop_time(loop) == 1.5);
  CHECK(acore_loop_advance(loop, -1.0) == ACORE_EINVAL);
  CHECK(acore_loop_release(loop) == ACORE_EINVALIDSTATE);
  CHECK(acore_loop_hold(loop) == ACORE_OK);
  CHECK(acore_loop_release(loop) == ACORE_OK);
  ob_vloop_done(loop);
}

/* A bound on waiting thread-safe calls: the one past it fails at once. */
static void threadsafe_limit(void) {
  acore_loop_options_t *opts = NULL;
  acore_loop_t *loop = NULL;

  CHECK(acore_loop_options_new(&opts) == ACORE_OK);
  CHECK(acore_loop_options_set_threadsafe_limit(opts, 0) == ACORE_EINVAL);
  CHECK(acore_loop_options_set_threadsafe_limit(opts, 2) == ACORE_OK);
  CHECK(acore_loop_new(opts, &loop) == ACORE_OK);
  acore_loop_options_free(opts);
  ob_log_reset();
  ob_freed = 0;
  CHECK(acore_loop_call_soon_threadsafe(loop, ob_log_cb, OB_ID(1), ob_count_free) == ACORE_OK);
  CHECK(acore_loop_call_soon_threadsafe(loop, ob_log_cb, OB_ID(2), ob_count_free) == ACORE_OK);
  CHECK(acore_loop_call_soon_threadsafe(loop, ob_log_cb, OB_ID(3), ob_count_free) ==
        ACORE_EAGAIN);
  CHECK(ob_freed == 1); /* the refused call's ud_free ran at once */
  CHECK(acore_loop_run(loop) == ACORE_OK);
  CHECK(strcmp(ob_log, "12") == 0 && ob_freed == 3);
  CHECK((size_t)ACORE_THREADSAFE_LIMIT_DEFAULT == (size_t)1 << 20);
  ob_vloop_done(loop);
}

/* call_soon is first-in-first-out; timers run by deadline, ties in the
 * order scheduled, after the callbacks already queued. */
static void order(void) {
  acore_loop_t *loop = ob_vloop();
  acore_handle_t *h = NULL, *t = NULL;
  int i;

  ob_log_reset();
  ob_freed = 0;
  CHECK(acore_loop_call_later(loop, 2.0, ob_log_cb, OB_ID(7), ob_count_free, NULL) == ACORE_OK);
  CHECK(acore_loop_call_at(loop, 1.0, ob_log_cb, OB_ID(6), ob_count_free, &t) == ACORE_OK);
  CHECK(acore_loop_call_later(loop, 2.0, ob_log_cb, OB_ID(8), ob_count_free, NULL) == ACORE_OK);
  for (i = 1; i <= 5; i++)
    CHECK(acore_loop_call_soon(loop, ob_log_cb, OB_ID(i), ob_count_free, NULL) == ACORE_OK);
  CHECK(acore_loop_call_soon_threadsafe(loop, ob_log_cb, OB_ID(9), ob_count_free) == ACORE_OK);
  CHECK(acore_loop_call_soon(loop, ob_log_cb, OB_ID(0), ob_count_free, &h) == ACORE_OK);
  CHECK(acore_handle_when(h) == -1.0 && acore_handle_when(t) == 1.0);
  CHECK(acore_handle_ref(h) == h);
  acore_handle_unref(h);
  CHECK(acore_handle_is_cancelled(h) == 0);
  CHECK(acore_handle_cancel(h) == 1 && ob_freed == 1);
  CHECK(acore_handle_cancel(h) == 0 && acore_handle_is_cancelled(h) == 1);
  CHECK(strlen(ob_log) == 0); /* nothing runs inside the calls */
  CHECK(acore_loop_run(loop) == ACORE_OK);
  /* first in, first out; the thread-safe call joins after them */
  CHECK(strcmp(ob_log, "123459") == 0);
  CHECK(acore_loop_advance(loop, 5.0) == ACORE_OK);
  CHECK(acore_loop_run(loop) == ACORE_OK);
  CHECK(strcmp(ob_log, "123459678") == 0); /* by deadline, ties in order */
  CHECK(ob_freed == 10);
  acore_handle_unref(h);
  acore_handle_unref(t);
  ob_vloop_done(loop);
}

/* stop: the iteration finishes; what it scheduled waits for the next run. */
static acore_loop_t *stop_loop;
static void stopper(void *ud) {
  ob_log_add(*(const char *)ud);
  CHECK(acore_loop_is_running(stop_loop) == 1);
  CHECK(acore_loop_run(stop_loop) == ACORE_EBUSY);
  CHECK(acore_loop_call_soon(stop_loop, ob_log_cb, OB_ID(3), NULL, NULL) == ACORE_OK);
  CHECK(acore_loop_stop(stop_loop) == ACORE_OK);
}

static void stop(void) {
  acore_loop_t *loop = ob_vloop();

  stop_loop = loop;
  ob_log_reset();
  acore_loop_call_soon(loop, stopper, OB_ID(1), NULL, NULL);
  acore_loop_call_soon(loop, ob_log_cb, OB_ID(2), NULL, NULL);
  CHECK(acore_loop_run(loop) == ACORE_OK);
  CHECK(strcmp(ob_log, "12") == 0);
  CHECK(acore_loop_run(loop) == ACORE_OK);
  CHECK(strcmp(ob_log, "123") == 0);
  ob_vloop_done(loop);
}

/* Reports reach the handler with their context. */
struct seen {
  int kind, code, calls, freed;
  char message[64], name[64];
  acore_future_t *fut;
  acore_task_t *task;
};

static void on_report(acore_loop_t *loop, const acore_context_t *ctx, void *ud) {
  struct seen *s = ud;
  acore_error_t *e = acore_context_error(ctx);

  s->calls++;
  s->kind = acore_context_kind(ctx);
  s->code = e ? acore_error_code(e) : 0;
  strncpy(s->message, acore_context_message(ctx), sizeof(s->message) - 1);
  strncpy(s->name, acore_context_name(ctx), sizeof(s->name) - 1);
  s->fut = acore_context_future(ctx);
  s->task = acore_context_task(ctx);
  if (s->calls == 1)
    acore_loop_default_error_handler(loop, ctx); /* one line on stderr */
}

static void seen_free(void *ud) { ((struct seen *)ud)->freed++; }

static void reports(void) {
  acore_loop_t *loop = ob_vloop();
  struct seen s;
  acore_error_t *err = NULL;
  acore_future_t *f = NULL;

  memset(&s, 0, sizeof(s));
  CHECK(acore_context_kind(NULL) == ACORE_EINVAL);
  CHECK(acore_loop_set_error_handler(loop, on_report, &s, seen_free) == ACORE_OK);
  CHECK(acore_error_new(ACORE_EHOST, "from a callback", &err) == ACORE_OK);
  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_loop_report(loop, 99, "x", NULL, NULL) == ACORE_EINVAL);
  CHECK(acore_loop_report(loop, ACORE_REPORT_CALLBACK_ERROR, "cb failed", err, f) == ACORE_OK);
  acore_loop_run(loop);
  CHECK(s.calls == 1 && s.kind == ACORE_REPORT_CALLBACK_ERROR);
  CHECK(s.code == ACORE_EHOST && strstr(s.message, "cb failed") != NULL);
  CHECK(s.fut == f && s.task == NULL && s.name[0] == '\0');
  acore_error_unref(err);
  /* An error nobody retrieved is reported when the future goes. */
  CHECK(acore_future_set_error_code(f, ACORE_EIO, "lost") == ACORE_OK);
  acore_future_unref(f);
  acore_loop_run(loop);
  CHECK(s.calls == 2 && s.kind == ACORE_REPORT_UNRETRIEVED && s.code == ACORE_EIO);
  CHECK(acore_loop_set_error_handler(loop, NULL, NULL, NULL) == ACORE_OK);
  CHECK(s.freed == 1);
  ob_vloop_done(loop);
}

static void closing(void) {
  acore_loop_t *loop = ob_vloop();

  ob_freed = 0;
  CHECK(acore_loop_call_later(loop, 10.0, ob_log_cb, OB_ID(1), ob_count_free, NULL) == ACORE_OK);
  CHECK(acore_loop_close(loop) == ACORE_OK);
  CHECK(ob_freed == 1);
  CHECK(acore_loop_close(loop) == ACORE_OK);
  CHECK(acore_loop_is_closed(loop) == 1);
  CHECK(acore_loop_call_soon(loop, ob_log_cb, OB_ID(1), NULL, NULL) == ACORE_ECLOSED);
  CHECK(acore_loop_run(loop) == ACORE_ECLOSED);
  acore_loop_unref(loop);
}

/* The poll hook around a real wait, and the wake-up fd's phase. */
static void on_poll(acore_loop_t *loop, int phase, void *ud) {
  (void)loop;
  (void)ud;
  ob_log_add(phase == ACORE_POLL_BEFORE   ? 'B'
             : phase == ACORE_POLL_AFTER  ? 'A'
             : phase == ACORE_POLL_WAKEUP ? 'W'
                                          : '?');
}

static void polling(void) {
  acore_loop_t *loop = NULL;
  int fds[2];
  size_t i, n;

  CHECK(acore_loop_new(NULL, &loop) == ACORE_OK);
  CHECK(acore_loop_set_poll_hook(NULL, on_poll, NULL, NULL) == ACORE_EINVAL);
  CHECK(acore_loop_set_wakeup_fd(loop, -2) == ACORE_EINVAL);
  ob_freed = 0;
  CHECK(acore_loop_set_poll_hook(loop, on_poll, OB_ID(1), ob_count_free) ==
        ACORE_OK);
  CHECK(pipe(fds) == 0);
  CHECK(acore_loop_set_wakeup_fd(loop, fds[0]) == ACORE_OK);
  CHECK(write(fds[1], "x", 1) == 1);
  ob_log_reset();
  CHECK(acore_loop_call_later(loop, 0.05, ob_log_cb, OB_ID(7), NULL, NULL) ==
        ACORE_OK);
  CHECK(acore_loop_run(loop) == ACORE_OK);
  /* waits announced in pairs, the fd's wake-up inside the first, then the
   * timer's callback */
  n = strlen(ob_log);
  CHECK(n >= 4 && strncmp(ob_log, "BW", 2) == 0 && ob_log[n - 1] == '7');
  for (i = 0; i + 1 < n; i++)
    CHECK(ob_log[i] != 'B' || ob_log[i + 1] == 'A' || ob_log[i + 1] == 'W');
  CHECK(ob_log[n - 2] == 'A');
  CHECK(acore_loop_set_wakeup_fd(loop, -1) == ACORE_OK);
  CHECK(acore_loop_set_poll_hook(loop, NULL, NULL, NULL) == ACORE_OK);
  CHECK(ob_freed == 1); /* the replaced hook's ud_free */
  CHECK(acore_loop_close(loop) == ACORE_OK);
  acore_loop_unref(loop);
  close(fds[0]);
  close(fds[1]);
}

/* Host data: one slot per key, freed when replaced and at close. */
static char host_key;
static int host_freed;
static void host_free(void *p) { host_freed += p == &host_freed; }

static void host_data(void) {
  acore_loop_t *loop = ob_vloop();

  CHECK(acore_loop_host_data(loop, &host_key) == NULL);
  CHECK(acore_loop_set_host_data(loop, NULL, NULL, NULL) == ACORE_EINVAL);
  CHECK(acore_loop_set_host_data(loop, &host_key, &host_freed, host_free) == ACORE_OK);
  CHECK(acore_loop_host_data(loop, &host_key) == &host_freed);
  CHECK(acore_loop_set_host_data(loop, &host_key, &host_freed, host_free) == ACORE_OK);
  CHECK(host_freed == 1); /* the replaced one */
  ob_vloop_done(loop);
  CHECK(host_freed == 2); /* at close */
}

void ob_loop(void) {
  options();
  threadsafe_limit();
  order();
  stop();
  reports();
  closing();
  polling();
  host_data();
}
