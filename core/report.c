/* SPDX-License-Identifier: MIT */
/*
 * report.c - the loop's error handler: reports of errors nobody retrieved,
 * tasks left pending, slow callbacks and host errors, with their context.
 *
 * Design notes
 * - A report is made on the loop thread and handed to the handler with a
 *   context that lives on the stack for the call: everything in it is
 *   borrowed. Once the loop is closed (its handler's ud freed) reports go
 *   to the default handler, which prints one line to stderr.
 */
#include "loop_impl.h"
#include "report.h"
#include "task.h"

#include <stdio.h>

struct acore_context {
  int kind;
  const char *message;
  acore_error_t *err;
  acore_future_t *fut;
  acore_task_t *task;
  const char *name;
  char namebuf[ACORE__TASK_NAME_BUF]; /* a default name, made here */
};

/* ---- error handler --------------------------------------------------------------- */

int acore_loop_set_error_handler(acore_loop_t *loop, acore_error_handler_fn fn,
                                 void *ud, acore_free_fn ud_free) {
  int rc = acore__loop_check(loop);
  acore_free_fn old_free;
  void *old;

  if (rc != ACORE_OK) {
    if (ud_free != NULL)
      ud_free(ud);
    return rc;
  }
  old_free = loop->report.eh_free;
  old = loop->report.eh_ud;
  loop->report.eh = fn;
  loop->report.eh_ud = ud;
  loop->report.eh_free = ud_free;
  if (old_free != NULL) /* last: it may set a handler again (host code) */
    old_free(old);
  return ACORE_OK;
}

static const char *report_kind_text(int kind) {
  switch (kind) {
  case ACORE_REPORT_UNRETRIEVED: return "error was never retrieved";
  case ACORE_REPORT_TASK_PENDING: return "task was destroyed but it is pending";
  case ACORE_REPORT_SLOW_CALLBACK: return "slow callback";
  case ACORE_REPORT_TASK_STUCK: return "task stuck";
  default: return "error in callback";
  }
}

void acore__loop_report(acore_loop_t *loop, int kind, const char *message,
                        acore_error_t *err, acore_future_t *fut) {
  acore_context_t ctx;

  ctx.kind = kind;
  ctx.message = message ? message : report_kind_text(kind);
  ctx.err = err;
  ctx.fut = fut;
  ctx.task = fut ? acore_task_from_future(fut) : NULL;
  ctx.name = ctx.task ? acore__task_name(ctx.task, ctx.namebuf) : "";
  if (loop != NULL && !loop->core.closed && loop->report.eh != NULL)
    loop->report.eh(loop, &ctx, loop->report.eh_ud);
  else
    acore_loop_default_error_handler(loop, &ctx);
}

int acore_loop_report(acore_loop_t *loop, int kind, const char *message,
                      acore_error_t *err, acore_future_t *fut) {
  if (loop == NULL || kind < ACORE_REPORT_UNRETRIEVED ||
      kind > ACORE_REPORT_TASK_STUCK)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(loop))
    return ACORE_EWRONGTHREAD;
  acore__loop_report(loop, kind, message, err, fut);
  return ACORE_OK;
}

void acore_loop_default_error_handler(acore_loop_t *loop,
                                      const acore_context_t *ctx) {
  (void)loop;
  if (ctx == NULL)
    return;
  fprintf(stderr, "acore: %s", ctx->message);
  if (ctx->name[0] != '\0')
    fprintf(stderr, " (%s)", ctx->name);
  if (ctx->err != NULL)
    fprintf(stderr, ": %s: %s", acore_err_name(ctx->err->code),
            acore_error_message(ctx->err));
  fputc('\n', stderr);
}

int acore_context_kind(const acore_context_t *ctx) {
  return ctx ? ctx->kind : ACORE_EINVAL;
}

const char *acore_context_message(const acore_context_t *ctx) {
  return ctx ? ctx->message : "";
}

acore_error_t *acore_context_error(const acore_context_t *ctx) {
  return ctx ? ctx->err : NULL;
}

acore_future_t *acore_context_future(const acore_context_t *ctx) {
  return ctx ? ctx->fut : NULL;
}

acore_task_t *acore_context_task(const acore_context_t *ctx) {
  return ctx ? ctx->task : NULL;
}

const char *acore_context_name(const acore_context_t *ctx) {
  return ctx ? ctx->name : "";
}
