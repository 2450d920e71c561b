/* SPDX-License-Identifier: MIT */
/*
 * kit_call.c - one trampoline per acore callback shape, each calling the
 * language's host->call; host values stored as results and queue items;
 * the release safe from any thread.
 *
 * Design notes
 * - The `ud` of every callback is the host callable itself (its first
 *   member points at the host table), so registering a callback allocates
 *   nothing beyond what acore allocates; its `ud_free` is
 *   acore_kit_value_free, which is also the tag of host values.
 * - Coroutine tasks' creation sites: the first coroutine spawn on a loop
 *   gives it the kit's where callback (acore_loop_set_where_fn; a host
 *   data slot marks the loop), which asks the host for the site of a
 *   coroutine task when a dump needs it - also a dump C writes alone (the
 *   dump signal, acore-ps, the stuck report) - never at a spawn. One
 *   where callback serves a loop: a binding that installs its own on the
 *   same loop replaces the kit's (and the other way round).
 * - What a call raised is never lost: in a loop callback it goes to the
 *   loop's error handler (ACORE_REPORT_CALLBACK_ERROR, the error attached);
 *   in a step it fails the task; in a predicate, a comparison or a map job
 *   the kit can only answer (false, equal, the job failed) and report it.
 */
#include "kit.h"

#include "acore/executor.h"

#include "kit_alloc.h"

#include <string.h>

void acore_kit_value_free(void *obj) {
  acore_kit_obj *o = obj;

  if (o != NULL)
    o->host->release(o);
}

/* Call fn; a raised error is handed to the loop's error handler. */
static int call_or_report(acore_loop_t *loop, acore_kit_obj *fn,
                          const acore_kit_arg *args, int nargs,
                          acore_kit_arg *ret) {
  int rc = fn->host->call(fn, args, nargs, ret);

  if (rc >= 0)
    return rc;
  if (ret->kind == ACORE_KIT_ERROR) {
    acore_loop_report(loop, ACORE_REPORT_CALLBACK_ERROR,
                      acore_error_message(ret->u.error), ret->u.error, NULL);
    acore_error_unref(ret->u.error);
  } else {
    acore_loop_report(loop, ACORE_REPORT_CALLBACK_ERROR, acore_strerror(rc),
                      NULL, NULL);
  }
  ret->kind = ACORE_KIT_NONE;
  return rc;
}

/* Drop whatever a call returned that the trampoline does not use. */
static void drop_ret(acore_kit_arg *ret) {
  if (ret->kind == ACORE_KIT_VALUE)
    acore_kit_value_free(ret->u.obj);
  else if (ret->kind == ACORE_KIT_FUTURE)
    acore_future_unref(ret->u.future);
  else if (ret->kind == ACORE_KIT_ERROR)
    acore_error_unref(ret->u.error);
  ret->kind = ACORE_KIT_NONE;
}

/* ---- loop callbacks ---- */

typedef struct soon_ud {
  acore_kit_obj *fn;
  acore_loop_t *loop; /* borrowed: the loop outlives its callbacks */
} soon_ud;

static void tr_call(void *ud) {
  soon_ud *s = ud;
  acore_kit_arg ret = {ACORE_KIT_NONE, {0}};

  call_or_report(s->loop, s->fn, NULL, 0, &ret);
  drop_ret(&ret);
}

static void soon_free(void *ud) {
  soon_ud *s = ud;

  acore_kit_value_free(s->fn);
  kit_free(s);
}

static soon_ud *soon_new(acore_loop_t *loop, acore_kit_obj *fn) {
  soon_ud *s = loop != NULL ? kit_malloc(sizeof(*s)) : NULL;

  if (s == NULL) {
    acore_kit_value_free(fn);
    return NULL;
  }
  s->fn = fn;
  s->loop = loop;
  return s;
}

int acore_kit_call_soon(acore_loop_t *loop, acore_kit_obj *fn,
                        acore_handle_t **out) {
  soon_ud *s = fn != NULL ? soon_new(loop, fn) : NULL;

  if (s == NULL)
    return fn == NULL || loop == NULL ? ACORE_EINVAL : ACORE_ENOMEM;
  return acore_loop_call_soon(loop, tr_call, s, soon_free, out);
}

int acore_kit_call_later(acore_loop_t *loop, double delay, acore_kit_obj *fn,
                         acore_handle_t **out) {
  soon_ud *s = fn != NULL ? soon_new(loop, fn) : NULL;

  if (s == NULL)
    return fn == NULL || loop == NULL ? ACORE_EINVAL : ACORE_ENOMEM;
  return acore_loop_call_later(loop, delay, tr_call, s, soon_free, out);
}

/* From any thread: fn() on the loop thread. A refused call (the loop
 * closed, the bound reached) releases fn on the calling thread. */
int acore_kit_call_soon_threadsafe(acore_loop_t *loop, acore_kit_obj *fn) {
  soon_ud *s = fn != NULL ? soon_new(loop, fn) : NULL;

  if (s == NULL)
    return fn == NULL || loop == NULL ? ACORE_EINVAL : ACORE_ENOMEM;
  return acore_loop_call_soon_threadsafe(loop, tr_call, s, soon_free);
}

static void tr_done(acore_future_t *fut, void *ud) {
  acore_kit_arg arg = {ACORE_KIT_FUTURE, {0}};
  acore_kit_arg ret = {ACORE_KIT_NONE, {0}};

  arg.u.future = fut;
  call_or_report(acore_future_loop(fut), ud, &arg, 1, &ret);
  drop_ret(&ret);
}

int acore_kit_add_done_callback(acore_future_t *fut, acore_kit_obj *fn) {
  if (fn == NULL)
    return ACORE_EINVAL;
  return acore_future_add_done_callback(fut, tr_done, fn,
                                        acore_kit_value_free);
}

/* ---- task steps ---- */

/* Turn what the step returned into the task's verdict. */
static int verdict(acore_task_t *task, int rc, acore_kit_arg *ret) {
  switch (ret->kind) {
  case ACORE_KIT_FUTURE:
    return acore_task_await_take(task, ret->u.future);
  case ACORE_KIT_VALUE:
    return acore_task_return(task, ret->u.obj, acore_kit_value_free);
  case ACORE_KIT_ERROR:
    return acore_task_fail_take(task, ret->u.error);
  case ACORE_KIT_INT:
    return (int)ret->u.i;
  default:
    return rc < 0 ? rc : ACORE_TASK_DONE;
  }
}

static int tr_step(acore_task_t *task, void *ud) {
  acore_kit_obj *fn = ud;
  acore_kit_arg args[3], ret = {ACORE_KIT_NONE, {0}};
  acore_future_t *awaited = NULL;
  int rc, st = acore_task_resume(task, &awaited);

  if (fn->host->flags & ACORE_KIT_LEAN_STEPS) {
    args[0].kind = ACORE_KIT_INT;
    args[0].u.i = st;
    rc = fn->host->call(fn, args, 1, &ret);
  } else {
    args[0].kind = ACORE_KIT_TASK;
    args[0].u.task = task;
    args[1].kind = ACORE_KIT_INT;
    args[1].u.i = st;
    args[2].kind = awaited != NULL ? ACORE_KIT_FUTURE : ACORE_KIT_NONE;
    args[2].u.future = awaited;
    rc = fn->host->call(fn, args, 3, &ret);
  }
  rc = verdict(task, rc, &ret);
  if (ret.kind == ACORE_KIT_VALUE && rc != ACORE_TASK_DONE)
    acore_kit_value_free(ret.u.obj); /* refused: still ours */
  return rc;
}

int acore_kit_spawn(acore_loop_t *loop, acore_kit_obj *fn,
                    acore_task_t **out) {
  if (fn == NULL)
    return ACORE_EINVAL;
  return acore_task_spawn(loop, tr_step, fn, acore_kit_value_free, out);
}

int acore_kit_group_spawn(acore_group_t *group, acore_kit_obj *fn,
                          acore_task_t **out) {
  if (fn == NULL)
    return ACORE_EINVAL;
  return acore_group_spawn(group, tr_step, fn, acore_kit_value_free, out);
}

/* ---- coroutine steps: the host resumes, the kit gives the verdict ---- */

/* The coroutine whose step runs on this thread. */
static _Thread_local acore_kit_obj *co_running;

static int tr_resume(acore_task_t *task, void *ud) {
  acore_kit_obj *co = ud, *outer = co_running;
  acore_kit_arg out = {ACORE_KIT_NONE, {0}};
  acore_future_t *awaited = NULL;
  int cancel = acore_task_resume(task, &awaited) == ACORE_ECANCELLED, did;

  if (cancel && !co->kit_ran) /* nothing in it to raise the cancel in */
    return acore_task_finish_cancelled(task);
  co->kit_ran = 1;
  co_running = co;
  did = ((const acore_kit_coroutine_host *)co->host)
            ->resume(co, task, cancel, &out);
  co_running = outer;
  if (did == ACORE_KIT_RAISED && out.kind != ACORE_KIT_ERROR)
    return acore_task_finish_cancelled(task); /* the cancel went through */
  if (cancel && did > 0) /* it caught the cancel and went on */
    acore_task_cancel_handled(task);
  switch (did) {
  case ACORE_KIT_YIELDED:
    if (out.kind == ACORE_KIT_FUTURE)
      return acore_task_await_take(task, out.u.future);
    drop_ret(&out);
    return ACORE_TASK_YIELD;
  case ACORE_KIT_RETURNED:
    return acore_kit_task_return(task, &out);
  case ACORE_KIT_RAISED:
    return acore_task_fail_take(task, out.u.error);
  }
  drop_ret(&out);
  return did < 0 ? did : ACORE_EINVAL;
}

/* The loop's where callback: a coroutine task's site, from its host. */
static int co_where(acore_task_t *task, acore_step_fn step, void *step_ud,
                    char *buf, size_t cap, void *ud) {
  const acore_kit_coroutine_host *h;

  (void)task;
  (void)ud;
  if (step != tr_resume)
    return 0; /* not a kit coroutine task */
  h = (const acore_kit_coroutine_host *)((acore_kit_obj *)step_ud)->host;
  return h->site != NULL ? h->site(step_ud, buf, cap) : 0;
}

/* The key of the host data slot that marks a loop given co_where. */
static const char where_key;

/* Give `loop` the kit's where callback if it has not got it yet (an
 * ENOMEM only costs the sites). */
static void where_install(acore_loop_t *loop) {
  if (acore_loop_host_data(loop, &where_key) != NULL ||
      acore_loop_set_host_data(loop, &where_key, (void *)&where_key, NULL) !=
          ACORE_OK)
    return;
  if (acore_loop_set_where_fn(loop, co_where, NULL, NULL) != ACORE_OK)
    (void)acore_loop_set_host_data(loop, &where_key, NULL, NULL); /* retry */
}

/* Spawn on the loop (group NULL) or in the group. */
static int spawn_co(acore_loop_t *loop, acore_group_t *group,
                    acore_kit_obj *co, acore_task_t **out) {
  acore_task_t *t = NULL;
  int rc;

  if (co == NULL || !(co->host->flags & ACORE_KIT_COROUTINES)) {
    acore_kit_value_free(co);
    return ACORE_EINVAL;
  }
  co->kit_task = NULL;
  co->kit_ran = 0;
  rc = group != NULL ? acore_group_spawn(group, tr_resume, co,
                                         acore_kit_value_free, &t)
                     : acore_task_spawn(loop, tr_resume, co,
                                        acore_kit_value_free, &t);
  if (rc != ACORE_OK)
    return rc;
  co->kit_task = t;
  where_install(acore_task_loop(t));
  if (out != NULL)
    *out = t;
  else
    acore_task_unref(t);
  return ACORE_OK;
}

int acore_kit_spawn_coroutine(acore_loop_t *loop, acore_kit_obj *co,
                              acore_task_t **out) {
  return spawn_co(loop, NULL, co, out);
}

int acore_kit_group_spawn_coroutine(acore_group_t *group, acore_kit_obj *co,
                                    acore_task_t **out) {
  if (group == NULL) { /* not the loop path */
    acore_kit_value_free(co);
    return ACORE_EINVAL;
  }
  return spawn_co(NULL, group, co, out);
}

acore_task_t *acore_kit_running(acore_kit_obj **co) {
  if (co != NULL)
    *co = co_running;
  return co_running != NULL ? co_running->kit_task : NULL;
}

acore_task_t *acore_kit_running_task(void) {
  return acore_task_ref(acore_kit_running(NULL));
}

int acore_kit_loop_dump(acore_loop_t *loop, int json, char **text) {
  if (loop == NULL || text == NULL)
    return ACORE_EINVAL;
  if (acore_loop_is_closed(loop) == 1)
    return ACORE_ECLOSED;
  return acore_loop_dump_string(loop, json ? ACORE_DUMP_JSON : ACORE_DUMP_TREE,
                                text);
}

/* ---- the error handler ---- */

/* The context's future is not passed: it may be about to be freed (the
 * handler runs while an unretrieved task is destroyed), and a host would
 * keep a reference to it. */
static void tr_report(acore_loop_t *loop, const acore_context_t *ctx,
                      void *ud) {
  acore_kit_arg args[4], ret = {ACORE_KIT_NONE, {0}};
  acore_error_t *err = acore_context_error(ctx);
  int rc;

  args[0].kind = ACORE_KIT_INT;
  args[0].u.i = acore_context_kind(ctx);
  args[1].kind = ACORE_KIT_STRING;
  args[1].u.s = acore_context_message(ctx);
  args[2].kind = ACORE_KIT_STRING;
  args[2].u.s = acore_context_name(ctx);
  args[3].kind = err != NULL ? ACORE_KIT_ERROR : ACORE_KIT_NONE;
  args[3].u.error = err;
  rc = ((acore_kit_obj *)ud)->host->call(ud, args, 4, &ret);
  if (rc < 0) /* the handler itself failed: the default handler says it */
    acore_loop_default_error_handler(loop, ctx);
  drop_ret(&ret);
}

int acore_kit_set_error_handler(acore_loop_t *loop, acore_kit_obj *fn) {
  if (fn == NULL)
    return acore_loop_set_error_handler(loop, NULL, NULL, NULL);
  return acore_loop_set_error_handler(loop, tr_report, fn,
                                      acore_kit_value_free);
}

/* ---- synchronous callbacks: predicate, comparison, map job ---- */

typedef struct sync_ud {
  acore_kit_obj *fn;
  acore_loop_t *loop; /* a reference */
} sync_ud;

static void sync_free(void *ud) {
  sync_ud *s = ud;

  acore_kit_value_free(s->fn);
  acore_loop_unref(s->loop);
  kit_free(s);
}

static sync_ud *sync_new(acore_loop_t *loop, acore_kit_obj *fn) {
  sync_ud *s = loop != NULL ? kit_malloc(sizeof(*s)) : NULL;

  if (s == NULL) {
    acore_kit_value_free(fn);
    return NULL;
  }
  s->fn = fn;
  s->loop = acore_loop_ref(loop);
  return s;
}

static int tr_pred(void *ud) {
  sync_ud *s = ud;
  acore_kit_arg ret = {ACORE_KIT_NONE, {0}};
  int yes = 0;

  if (call_or_report(s->loop, s->fn, NULL, 0, &ret) >= 0)
    yes = (ret.kind == ACORE_KIT_BOOL || ret.kind == ACORE_KIT_INT) &&
          ret.u.i != 0;
  drop_ret(&ret);
  return yes;
}

int acore_kit_cond_wait_for(acore_cond_t *cond, acore_kit_obj *fn,
                            acore_future_t **out) {
  acore_loop_t *loop = acore_lock_loop(acore_cond_lock(cond));
  sync_ud *s;

  if (fn == NULL || cond == NULL || loop == NULL) {
    acore_kit_value_free(fn);
    return ACORE_EINVAL;
  }
  if ((s = sync_new(loop, fn)) == NULL)
    return ACORE_ENOMEM;
  return acore_cond_wait_for(cond, tr_pred, s, sync_free, out);
}

/* fn(a, b): a number (negative: a first), or a boolean "a < b" (then b < a
 * is asked too, to tell "after" from "equal"). */
static int compare_once(sync_ud *s, const void *a, const void *b, int *order) {
  acore_kit_arg args[2], ret = {ACORE_KIT_NONE, {0}};
  int is_bool = 0;

  args[0].kind = ACORE_KIT_VALUE;
  args[0].u.obj = (acore_kit_obj *)a;
  args[1].kind = ACORE_KIT_VALUE;
  args[1].u.obj = (acore_kit_obj *)b;
  *order = 0;
  if (call_or_report(s->loop, s->fn, args, 2, &ret) >= 0) {
    if (ret.kind == ACORE_KIT_INT)
      *order = ret.u.i < 0 ? -1 : ret.u.i > 0;
    else if (ret.kind == ACORE_KIT_DOUBLE)
      *order = ret.u.d < 0 ? -1 : ret.u.d > 0;
    else if (ret.kind == ACORE_KIT_BOOL)
      *order = ret.u.i ? -1 : 0, is_bool = 1;
  }
  drop_ret(&ret);
  return is_bool;
}

static int tr_compare(const void *a, const void *b, void *ud) {
  int order, swapped;

  if (compare_once(ud, a, b, &order) && order == 0 &&
      compare_once(ud, b, a, &swapped))
    order = swapped < 0 ? 1 : 0;
  return order;
}

int acore_kit_queue_new_priority(acore_loop_t *loop, size_t maxsize,
                                 acore_kit_obj *fn, acore_queue_t **out) {
  sync_ud *s;

  if (fn == NULL || loop == NULL) {
    acore_kit_value_free(fn);
    return ACORE_EINVAL;
  }
  if ((s = sync_new(loop, fn)) == NULL)
    return ACORE_ENOMEM;
  return acore_queue_new_priority(loop, maxsize, tr_compare, s, sync_free,
                                  out);
}

static int tr_map(acore_loop_t *loop, size_t i, void *ud,
                  acore_future_t **out) {
  sync_ud *s = ud;
  acore_kit_arg arg = {ACORE_KIT_INT, {0}}, ret = {ACORE_KIT_NONE, {0}};
  int rc;

  (void)loop;
  arg.u.i = (int64_t)i;
  rc = s->fn->host->call(s->fn, &arg, 1, &ret);
  if (rc >= 0 && ret.kind == ACORE_KIT_FUTURE) {
    *out = ret.u.future;
    return ACORE_OK;
  }
  if (rc >= 0)
    rc = ACORE_ETYPE; /* a job must give a future */
  if (ret.kind == ACORE_KIT_ERROR) /* the job fails with the code; say why */
    acore_loop_report(s->loop, ACORE_REPORT_CALLBACK_ERROR,
                      acore_error_message(ret.u.error), ret.u.error, NULL);
  drop_ret(&ret);
  return rc;
}

int acore_kit_map(acore_loop_t *loop, size_t n, size_t k, acore_kit_obj *fn,
                  unsigned flags, acore_future_t **out) {
  sync_ud *s;

  if (fn == NULL || loop == NULL) {
    acore_kit_value_free(fn);
    return ACORE_EINVAL;
  }
  if ((s = sync_new(loop, fn)) == NULL)
    return ACORE_ENOMEM;
  return acore_map(loop, n, k, tr_map, s, sync_free, flags, out);
}

/* ---- C work on the executor ---- */

int acore_kit_run_c_work(acore_loop_t *loop, acore_executor_t *ex,
                         void *work, const void *data, size_t len,
                         acore_future_t **out) {
  char *copy;

  if (work == NULL || (data == NULL && len > 0))
    return ACORE_EINVAL;
  if ((copy = kit_malloc(len + 1)) == NULL)
    return ACORE_ENOMEM;
  if (len > 0)
    memcpy(copy, data, len);
  copy[len] = '\0';
  return acore_run_in_executor(loop, ex, (acore_work_fn)work, copy, kit_free,
                               out);
}

/* ---- release from any thread ---- */

static void nothing(void *ud) { (void)ud; }

int acore_kit_release_anywhere(acore_loop_t *loop, acore_free_fn unref,
                               void *handle) {
  if (loop == NULL || unref == NULL)
    return ACORE_EINVAL;
  /* the ud_free runs on the loop thread, or here at once when the post
   * fails (the loop closed: any thread may then drop it) */
  acore_loop_call_soon_threadsafe(loop, nothing, handle, unref);
  return ACORE_OK;
}
