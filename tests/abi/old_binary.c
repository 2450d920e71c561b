/* SPDX-License-Identifier: MIT */
/*
 * old_binary.c - a program built against the RELEASED header
 * (tests/abi/released/acore.h, a frozen copy) and run against the library
 * just built: it asserts documented behaviour of the released API, not only
 * that it links. Every constant it uses is the released value, so a
 * renumbered enum or a changed calling convention shows up here.
 *
 * Deliberately plain C (no test framework): an old binary is an ordinary
 * program. Exit status 0 when every check holds; each failed check prints
 * its line.
 */
#include "released/acore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "old_binary.c:%d: check failed: %s\n", __LINE__, \
              #cond);                                                \
      failures++;                                                    \
    }                                                                \
  } while (0)

/* ---- versions and error codes ------------------------------------------ */

static void check_version_and_codes(void) {
  static const struct { int code; const char *name; } codes[] = {
    {ACORE_OK, "OK"}, {ACORE_EINVAL, "EINVAL"}, {ACORE_ENOMEM, "ENOMEM"},
    {ACORE_EINVALIDSTATE, "EINVALIDSTATE"}, {ACORE_ECANCELLED, "ECANCELLED"},
    {ACORE_ETIMEDOUT, "ETIMEDOUT"}, {ACORE_ECLOSED, "ECLOSED"},
    {ACORE_EBUSY, "EBUSY"}, {ACORE_EWRONGTHREAD, "EWRONGTHREAD"},
    {ACORE_EAGAIN, "EAGAIN"}, {ACORE_EFULL, "EFULL"}, {ACORE_EEMPTY, "EEMPTY"},
    {ACORE_ENOTOWNER, "ENOTOWNER"}, {ACORE_EOVERFLOW, "EOVERFLOW"},
    {ACORE_EGROUP, "EGROUP"}, {ACORE_EIO, "EIO"}, {ACORE_ETYPE, "ETYPE"},
    {ACORE_EHOST, "EHOST"},
  };
  size_t i;

  /* The library is this release or a later one of the same ABI. */
  CHECK(acore_version() >= (unsigned)ACORE_VERSION_HEX);
  CHECK(acore_version_string() != NULL);
  for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
    CHECK(strcmp(acore_err_name(codes[i].code), codes[i].name) == 0);
    CHECK(strcmp(acore_strerror(codes[i].code), "unknown error") != 0);
  }
  CHECK(strcmp(acore_strerror(ACORE_EINVAL), "invalid argument") == 0);
  CHECK(strcmp(acore_err_name(12345), "UNKNOWN") == 0);
  CHECK(strcmp(acore_strerror(12345), "unknown error") == 0);
}

/* ---- error objects ---------------------------------------------------------- */

static int payload_freed;
static void payload_free(void *p) { payload_freed += (p == &payload_freed); }

static void check_errors(void) {
  acore_error_t *a = NULL, *b = NULL, *g = NULL, *kids[2];

  CHECK(acore_error_new(0, "x", &a) == ACORE_EINVAL && a == NULL);
  CHECK(acore_error_new(ACORE_EIO, NULL, NULL) == ACORE_EINVAL);
  CHECK(acore_error_new(ACORE_ETIMEDOUT, NULL, &a) == ACORE_OK);
  CHECK(acore_error_code(a) == ACORE_ETIMEDOUT);
  CHECK(strcmp(acore_error_message(a), acore_strerror(ACORE_ETIMEDOUT)) == 0);
  CHECK(acore_error_new_payload(ACORE_EHOST, "boom", &payload_freed,
                                payload_free, &b) == ACORE_OK);
  CHECK(acore_error_payload(b, payload_free) == &payload_freed);
  CHECK(acore_error_payload(b, free) == NULL); /* another binding's tag */
  kids[0] = a;
  kids[1] = b;
  CHECK(acore_error_new_group(ACORE_EGROUP, "two", kids, 2, &g) == ACORE_OK);
  CHECK(acore_error_child_count(g) == 2);
  CHECK(acore_error_child(g, 1) == b && acore_error_child(g, 2) == NULL);
  CHECK(acore_error_ref(a) == a);
  acore_error_unref(a);
  acore_error_unref(a);
  acore_error_unref(b);
  CHECK(payload_freed == 0); /* the group still holds b */
  acore_error_unref(g);
  CHECK(payload_freed == 1);
  acore_error_unref(NULL);
}

/* ---- a loop on the virtual clock: ordering, timers, futures, tasks -------- */

struct trace {
  char log[64];
  int freed;
};

static void log_char(void *ud) {
  struct trace **tp = ud;
  size_t n = strlen((*tp)->log);
  (*tp)->log[n] = (char)('a' + (int)n);
}
static void trace_free(void *ud) {
  struct trace **tp = ud;
  (*tp)->freed++;
  free(tp);
}
static int call(acore_loop_t *loop, double delay, struct trace *t) {
  struct trace **tp = malloc(sizeof(*tp));
  *tp = t;
  if (delay < 0)
    return acore_loop_call_soon(loop, log_char, tp, trace_free, NULL);
  return acore_loop_call_later(loop, delay, log_char, tp, trace_free, NULL);
}

static void complete_21(void *ud) { acore_future_set_int(ud, 21); }

static int doubler(acore_task_t *t, void *ud) {
  int *at = ud;
  acore_future_t *f = NULL;
  int64_t v = 0;

  if ((*at)++ == 0) {
    if (acore_future_new(acore_task_loop(t), &f) != ACORE_OK)
      return ACORE_ENOMEM;
    acore_loop_call_later(acore_task_loop(t), 5.0, complete_21, f, NULL, NULL);
    return acore_task_await(t, f);
  }
  if (acore_future_int(acore_task_awaited(t), &v) != ACORE_OK)
    return acore_task_fail_code(t, ACORE_ETYPE, "not an int");
  return acore_task_return_int(t, v * 2);
}

static int reports;
static void on_report(acore_loop_t *loop, const acore_context_t *ctx, void *ud) {
  (void)loop;
  (void)ud;
  reports += acore_context_kind(ctx) == ACORE_REPORT_UNRETRIEVED;
}

static int done_calls;
static void on_done(acore_future_t *fut, void *ud) {
  (void)ud;
  done_calls += acore_future_done(fut) == 1;
}

static void check_loop(void) {
  acore_loop_options_t *opts = NULL;
  acore_loop_t *loop = NULL;
  acore_future_t *f = NULL, *bad = NULL;
  acore_task_t *task = NULL;
  struct trace tr = {{0}, 0};
  int at = 0;
  int64_t v = 0;

  CHECK(acore_loop_options_new(&opts) == ACORE_OK);
  CHECK(acore_loop_options_set_flags(opts, 1u << 30) == ACORE_EINVAL);
  CHECK(acore_loop_options_set_flags(opts, ACORE_LOOP_VIRTUAL_CLOCK) == ACORE_OK);
  CHECK(acore_loop_new(&loop, opts) == ACORE_OK);
  acore_loop_options_free(opts);
  if (loop == NULL)
    return;
  CHECK(acore_loop_time(loop) == 0.0);
  CHECK(acore_loop_set_error_handler(loop, on_report, NULL, NULL) == ACORE_OK);

  /* call_soon runs later, in order; a due timer joins the end. */
  CHECK(call(loop, 1.0, &tr) == ACORE_OK);
  CHECK(call(loop, -1, &tr) == ACORE_OK);
  CHECK(call(loop, -1, &tr) == ACORE_OK);
  CHECK(strlen(tr.log) == 0);
  CHECK(acore_loop_run(loop) == ACORE_OK);
  CHECK(strcmp(tr.log, "ab") == 0 && tr.freed == 2);
  CHECK(acore_loop_advance(loop, 1.0) == ACORE_OK);
  CHECK(acore_loop_run(loop) == ACORE_OK);
  CHECK(strcmp(tr.log, "abc") == 0 && tr.freed == 3);

  /* Done callbacks never run synchronously. */
  CHECK(acore_future_new(loop, &f) == ACORE_OK);
  CHECK(acore_future_add_done_callback(f, on_done, NULL, NULL) == ACORE_OK);
  CHECK(acore_future_set_int(f, 7) == ACORE_OK);
  CHECK(done_calls == 0);
  CHECK(acore_future_set_int(f, 8) == ACORE_EINVALIDSTATE);
  CHECK(acore_future_cancel(f, NULL) == 0);
  CHECK(acore_loop_run(loop) == ACORE_OK);
  CHECK(done_calls == 1);
  CHECK(acore_future_state(f) == ACORE_FUTURE_RESULT);
  CHECK(acore_future_value_kind(f) == ACORE_VALUE_INT);
  CHECK(acore_future_int(f, &v) == ACORE_OK && v == 7);
  acore_future_unref(f);

  /* A task awaits a timer-completed future; the first step is not inline. */
  CHECK(acore_task_spawn(loop, doubler, &at, NULL, &task) == ACORE_OK);
  CHECK(at == 0);
  CHECK(strncmp(acore_task_name(task), "Task-", 5) == 0);
  CHECK(acore_loop_run_until_complete(loop, acore_task_future(task)) == ACORE_EAGAIN);
  CHECK(acore_loop_advance(loop, 5.0) == ACORE_OK);
  CHECK(acore_loop_run_until_complete(loop, acore_task_future(task)) == ACORE_OK);
  CHECK(acore_future_int(acore_task_future(task), &v) == ACORE_OK && v == 42);
  acore_task_unref(task);

  /* An error nobody retrieved is reported. */
  CHECK(acore_future_new(loop, &bad) == ACORE_OK);
  CHECK(acore_future_set_error_code(bad, ACORE_EIO, "lost") == ACORE_OK);
  acore_future_unref(bad);
  acore_loop_run(loop);
  CHECK(reports == 1);

  /* Close drops pending callbacks (ud_free once); later calls: ECLOSED. */
  CHECK(call(loop, 10.0, &tr) == ACORE_OK);
  CHECK(acore_loop_close(loop) == ACORE_OK);
  CHECK(tr.freed == 4 && strcmp(tr.log, "abc") == 0);
  CHECK(acore_loop_close(loop) == ACORE_OK);
  CHECK(acore_loop_is_closed(loop) == 1);
  CHECK(acore_loop_call_soon(loop, log_char, NULL, NULL, NULL) == ACORE_ECLOSED);
  acore_loop_unref(loop);
}

int main(void) {
  check_version_and_codes();
  check_errors();
  check_loop();
  if (failures)
    fprintf(stderr, "old_binary: %d check(s) failed\n", failures);
  else
    printf("old_binary: the released API behaves as documented (built "
           "against %s, running %s)\n", ACORE_VERSION_STRING,
           acore_version_string());
  return failures ? 1 : 0;
}
