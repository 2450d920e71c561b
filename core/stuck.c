/* SPDX-License-Identifier: MIT */
/*
 * stuck.c - stuck-task detection: a task that has waited on the same await
 * longer than the loop's threshold is reported to the error handler
 * (ACORE_REPORT_TASK_STUCK) with its await chain, once per await.
 *
 * Design notes
 * - A libuv timer ticks every threshold / 2 (at least 1 ms) and is
 *   unreferenced: it never keeps a run going, and it wakes a loop blocked
 *   in its poll. Each tick scans the unfinished tasks (O(tasks)).
 * - The times come from the tasks' ident records (the option turns
 *   ACORE_LOOP_TASK_TIMES on); a record's `stuck` mark is cleared when the
 *   task starts a new wait (task.c's stamp), so a task is reported once
 *   per await.
 * - The handler is user code that may change the task list: the stuck
 *   tasks are collected first (references, at most BATCH per tick), then
 *   reported.
 */
#include "graph.h"
#include "loop_impl.h"
#include "stuck.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { BATCH = 64, CHAIN_DEPTH = 8 };

static void on_tick(uv_timer_t *h) { acore__stuck_scan(h->data); }

void acore__stuck_init(acore_loop_t *loop, double threshold) {
  uint64_t ms;

  if (!(threshold > 0))
    return;
  loop->stuck.threshold_ns = (uint64_t)(threshold * 1e9);
  ms = loop->stuck.threshold_ns / 2000000;
  uv_timer_init(loop->core.uv, &loop->stuck.timer);
  loop->stuck.timer.data = loop;
  uv_timer_start(&loop->stuck.timer, on_tick, ms ? ms : 1, ms ? ms : 1);
  uv_unref((uv_handle_t *)&loop->stuck.timer);
}

void acore__stuck_close(acore_loop_t *loop, uv_close_cb on_closed) {
  if (loop->stuck.threshold_ns == 0)
    return;
  loop->closing_handles++;
  uv_close((uv_handle_t *)&loop->stuck.timer, on_closed);
}

/* ---- the await chain ------------------------------------------------------------ */

typedef struct chain {
  char *buf;
  size_t cap, len;
} chain;

__attribute__((format(printf, 2, 3)))
static void add(chain *c, const char *fmt, ...) {
  va_list ap;
  int n;

  if (c->len >= c->cap)
    return;
  va_start(ap, fmt);
  n = vsnprintf(c->buf + c->len, c->cap - c->len, fmt, ap);
  va_end(ap);
  if (n > 0)
    c->len += (size_t)n < c->cap - c->len ? (size_t)n : c->cap - c->len - 1;
}

/* The first pending child of `f`, or NULL. */
static acore_future_t *first_kid(const acore_future_t *f) {
  acore_future_t *small[ACORE__KIDS_SMALL], **list, *k = NULL;
  size_t n = acore__kids(f, small, &list);

  if (n != SIZE_MAX && n > 0)
    k = list[0];
  if (n != SIZE_MAX)
    acore__kids_free(small, list);
  return k;
}

/* "awaits gather: 0 of 2 done -> worker (#2) -> awaits waiter: ...",
 * following the first pending child at each level. */
static void await_chain(chain *c, acore_task_t *t) {
  char name[ACORE__TASK_NAME_BUF], detail[256];
  acore_future_t *f = acore_task_awaited(t);
  int depth;

  for (depth = 0; f != NULL && depth < CHAIN_DEPTH; depth++) {
    acore_task_t *w = acore_task_from_future(f);
    if (w != NULL) {
      add(c, " -> %s (#%llu)", acore__task_name(w, name),
          (unsigned long long)acore_task_id(w));
      if (w == t || acore_task_state(w) != ACORE_TASK_STATE_WAITING)
        return;
      f = acore_task_awaited(w);
      continue;
    }
    acore_future_describe(f, detail, sizeof(detail));
    add(c, "%sawaits %s%s%s", depth ? " -> " : "", acore_future_kind(f),
        detail[0] ? ": " : "", detail);
    f = first_kid(f);
  }
}

/* ---- the scan -------------------------------------------------------------------- */

static bool stuck(const acore_loop_t *loop, acore_task_t *t, uint64_t now) {
  acore__task_ident *r = acore__task_ident_of(t);

  return r != NULL && !r->stuck && r->since != ACORE__NO_TIME &&
         acore_task_state(t) == ACORE_TASK_STATE_WAITING &&
         now - r->since >= loop->stuck.threshold_ns;
}

static void report(acore_loop_t *loop, acore_task_t *t, uint64_t now) {
  char msg[768], buf[256];
  chain c = {msg, sizeof(msg), 0};
  acore__task_ident *r = acore__task_ident_of(t);
  const char *site = acore__task_site(t, buf, sizeof(buf));

  add(&c, "task waiting for %.3f s (threshold %.3f s)%s%s: ",
      (double)(now - r->since) / 1e9,
      (double)loop->stuck.threshold_ns / 1e9, site ? " at " : "",
      site ? site : "");
  await_chain(&c, t);
  acore__loop_report(loop, ACORE_REPORT_TASK_STUCK, msg, NULL, &t->fut);
}

void acore__stuck_scan(acore_loop_t *loop) {
  acore_task_t *found[BATCH], *t = NULL;
  uint64_t now = acore__loop_now(loop);
  size_t n = 0, i;

  if (loop->core.closed || loop->stuck.threshold_ns == 0)
    return;
  while (n < BATCH && (t = acore__task_next(loop, t)) != NULL)
    if (stuck(loop, t, now)) {
      acore__task_ident_of(t)->stuck = true;
      found[n++] = acore_task_ref(t);
    }
  for (i = 0; i < n; i++) {
    if (!loop->core.closed && acore_task_state(found[i]) ==
                                  ACORE_TASK_STATE_WAITING)
      report(loop, found[i], now);
    acore_task_unref(found[i]);
  }
}

int acore_loop_check_stuck(acore_loop_t *loop) {
  int rc = acore__loop_check(loop);

  if (rc == ACORE_OK)
    acore__stuck_scan(loop);
  return rc;
}
