/* SPDX-License-Identifier: MIT */
/*
 * task.c - tasks: a step function driven by the loop, awaiting futures.
 *
 * Design notes
 * - A task is a future (first member) plus a ready-queue item. The item is
 *   in at most one list: the ready queue (phase READY) or the callbacks of
 *   the future it awaits (phase WAITING). Every phase change goes through
 *   set_phase(), which asserts the transition is legal.
 * - The loop holds one reference to each unfinished task (taken at spawn,
 *   dropped in finish()), so a task nobody holds still runs to its end.
 * - The running step stages its verdict in loop->tasks.stage (only one
 *   step runs at a time); run_step() applies it once the step returns.
 * - Cancellation: a request on a waiting task cancels the awaited future
 *   (which then resumes the task, cancelled); if that future is already
 *   done, or the task is ready or running, the request is kept
 *   (must_cancel) and delivered into the next step. A step that returns a
 *   result while a request is kept ends the task cancelled (asyncio).
 * - Delivery (deliver()) records the message the step answers: the
 *   awaited future's when it ended cancelled (a reference in dfut), else
 *   the kept request's (moved into dmsg). It opens the stage's
 *   ACORE__AFTER_CANCEL; unless uncancel, finish_cancelled or cancel_handled
 *   closes it during the step, the step's verdict is replaced by
 *   "finished cancelled" (CancelledError propagates unless caught).
 * - Phase WAITING also covers "resumed by the awaited future, queued on
 *   the ready queue": the item is then on the ready queue.
 */
#include "alloc.h"
#include "future.h"
#include "loop_impl.h"
#include "queue.h"
#include "task.h"
#include "value.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

enum { PH_READY = 1, PH_WAITING, PH_RUNNING, PH_DONE };
enum { MC_REQUEST = 1, MC_AGAIN }; /* must_cancel: a kept request; redeliver */

#define T_MUST_CANCEL(t) ((t)->item.b[0])
#define T_STATUS(t) ((t)->item.b[1]) /* -status | DLV_* */
#define T_DLV(t) ((t)->fut.v.tc.dlv)

/* In T_STATUS, with the step status (-ACORE_ECANCELLED fits in ST_MASK):
 * a cancel was delivered; its message is T_DLV's future's. */
enum { ST_MASK = 0x3f, DLV_FUT = 0x40, DLV_ANY = 0x80 };
#define T_PHASE(t) ((t)->item.b[2])
#define T_NCANCEL(t) ((t)->item.u32)

static void stamp(acore_task_t *t);

static void set_phase(acore_task_t *t, uint8_t to) {
  uint8_t from = T_PHASE(t);

  assert((from == PH_READY && to == PH_RUNNING) ||
         (from == PH_WAITING && to == PH_RUNNING) ||
         (from == PH_RUNNING && to != PH_RUNNING) ||
         (from == 0 && to == PH_READY) ||
         ((from == PH_READY || from == PH_WAITING) && to == PH_DONE));
  (void)from;
  T_PHASE(t) = to;
}

static acore_task_t *task_of(acore_future_t *f) {
  return (f != NULL && (ACORE__LOAD(f->flags) & ACORE__F_TASK))
             ? (acore_task_t *)f : NULL;
}

/* ---- the step's ud_free (task.h: freers) -------------------------------------- */

/* The ident word of task `id` without a record, its ud_free at `freer`. */
static uintptr_t ident_word(uint64_t id, unsigned freer) {
  return (uintptr_t)(id << ACORE__TASK_ID_SHIFT) | (uintptr_t)(freer << 1) | 1;
}

#define FREER_MASK ((uintptr_t)ACORE__TASK_FREERS << 1)
#define FREER_NONE (ACORE__TASK_FREERS + 1) /* the table is full */

/* freer_of() past the table's first entry: find `ud_free`, or add it. */
__attribute__((noinline)) static unsigned freer_add(acore__loop_tasks *lt,
                                                    acore_free_fn ud_free) {
  unsigned i;

  for (i = 0; i < lt->nfreers; i++)
    if (lt->freers[i] == ud_free)
      return i + 1;
  if (lt->nfreers == ACORE__TASK_FREERS)
    return FREER_NONE;
  lt->freers[lt->nfreers++] = ud_free;
  return lt->nfreers;
}

/* The freer of `ud_free` (0 for NULL), or FREER_NONE. */
static inline unsigned freer_of(acore_loop_t *loop, acore_free_fn ud_free) {
  if (ud_free == NULL)
    return 0;
  if (loop->tasks.freers[0] == ud_free) /* one binding's: the usual one */
    return 1;
  return freer_add(&loop->tasks, ud_free);
}

/* The step's ud_free, NULL once it ran. */
static acore_free_fn task_ud_free(const acore_task_t *t) {
  const acore__task_ident *r = acore__task_ident_of(t);
  unsigned freer;

  if (r != NULL)
    return r->ud_free;
  freer = (unsigned)((t->ident & FREER_MASK) >> 1);
  return freer ? t->fut.loop->tasks.freers[freer - 1] : NULL;
}

/* Take the step's ud_free: the task no longer has one. */
static acore_free_fn task_ud_free_take(acore_task_t *t) {
  acore__task_ident *r = acore__task_ident_of(t);
  acore_free_fn ud_free = task_ud_free(t);

  if (r != NULL)
    r->ud_free = NULL;
  else
    t->ident &= ~FREER_MASK;
  return ud_free;
}

/* ---- spawn ------------------------------------------------------------------- */

static acore__task_ident *ident_new(uint64_t id, const char *name);

/* Give the task being spawned (its plain ident set) the ident record it
 * starts with on a loop that stamps times, with a creation site, or with
 * a ud_free the loop's table has no room for. Out of memory:
 * ACORE_ENOMEM, nothing kept. */
__attribute__((noinline, cold))
static int spawn_ident(acore_loop_t *loop, acore_task_t *t, const char *where,
                       acore_free_fn ud_free) {
  acore__task_ident *r = ident_new(acore_task_id(t), NULL);

  if (r == NULL)
    return ACORE_ENOMEM;
  r->ud_free = ud_free;
  if (where != NULL && (r->where = acore__strdup(where)) == NULL) {
    acore__free(r);
    return ACORE_ENOMEM;
  }
  if (loop->tasks.times)
    r->created = r->since = acore__loop_now(loop);
  t->ident = (uintptr_t)r;
  return ACORE_OK;
}

/* Inlined into both callers: acore_task_spawn's NULL `where` folds away. */
static inline __attribute__((always_inline)) int
spawn(acore_loop_t *loop, acore_step_fn fn, void *ud, acore_free_fn ud_free,
      const char *where, acore_task_t **out) {
  acore_task_t *t;
  int rc = fn == NULL ? ACORE_EINVAL : acore__loop_check_sched(loop);

  if (rc == ACORE_OK && (t = acore__obj_alloc(loop, ACORE__SLAB_TASK)) == NULL)
    rc = ACORE_ENOMEM;
  if (rc == ACORE_OK) {
    unsigned freer = freer_of(loop, ud_free);

    t->ident = ident_word(loop->tasks.next_task_id,
                          freer == FREER_NONE ? 0 : freer);
    if (__builtin_expect(loop->tasks.times || where != NULL ||
                         freer == FREER_NONE, 0) &&
        (rc = spawn_ident(loop, t, where, ud_free)) != ACORE_OK)
      acore__obj_free(loop, ACORE__SLAB_TASK, t);
  }
  if (rc != ACORE_OK) {
    if (ud_free != NULL)
      ud_free(ud);
    return rc;
  }
  acore__future_init(loop, &t->fut, ACORE__F_TASK);
  atomic_init(&t->fut.refs, out ? 2 : 1);
  memset(&t->item, 0, sizeof(t->item));
  t->item.kind = ACORE__ITEM_TASK;
  t->fn = fn;
  t->ud = ud;
  t->awaited = NULL;
  T_DLV(t) = NULL;
  loop->tasks.next_task_id++; /* the id is in t->ident (or its record) */
  acore__queue_insert_tail(&loop->tasks.tasks, &t->tnode);
  loop->tasks.ntasks++;
  set_phase(t, PH_READY);
  acore__loop_push(loop, &t->item);
  if (out != NULL)
    *out = t;
  ACORE__PROBE2(task_create, t, loop->tasks.next_task_id - 1);
  ACORE__TRACE_HOOK(loop, ACORE_TRACE_TASK_CREATE, &t->fut);
  return ACORE_OK;
}

int acore_task_spawn(acore_loop_t *loop, acore_step_fn fn, void *ud,
                     acore_free_fn ud_free, acore_task_t **out) {
  return spawn(loop, fn, ud, ud_free, NULL, out);
}

int acore_task_spawn_at(acore_loop_t *loop, acore_step_fn fn, void *ud,
                        acore_free_fn ud_free, const char *where,
                        acore_task_t **out) {
  return spawn(loop, fn, ud, ud_free, where, out);
}

acore_task_t *acore_task_ref(acore_task_t *task) {
  acore_future_ref(task ? &task->fut : NULL);
  return task;
}

void acore_task_unref(acore_task_t *task) {
  acore_future_unref(task ? &task->fut : NULL);
}

acore_future_t *acore_task_future(acore_task_t *task) {
  return task ? &task->fut : NULL;
}

acore_task_t *acore_task_from_future(acore_future_t *fut) {
  return task_of(fut);
}

acore_loop_t *acore_task_loop(const acore_task_t *task) {
  return task ? task->fut.loop : NULL;
}

/* ---- finishing ----------------------------------------------------------------- */

static void release_awaited(acore_task_t *t) {
  acore_future_t *f = t->awaited;

  t->awaited = NULL;
  acore_future_unref(f);
}

/* The message of the last delivered cancel. */
static const char *delivered_msg(const acore_task_t *t) {
  if (T_STATUS(t) & DLV_FUT)
    return acore_future_cancel_message(T_DLV(t));
  return T_DLV(t);
}

/* Forget the last delivered cancel. */
static void drop_delivered(acore_task_t *t) {
  void *d = T_DLV(t);

  T_DLV(t) = NULL;
  if (T_STATUS(t) & DLV_FUT)
    acore_future_unref(d);
  else
    acore__free(d);
  T_STATUS(t) &= ST_MASK;
}

/* The trace hook's points of a finish: its future's FUTURE_DONE (not
 * called by acore__future_complete_task), then TASK_FINISH. */
__attribute__((noinline)) static void finish_traced(acore_loop_t *loop,
                                                    acore_task_t *t) {
  ACORE__TRACE_HOOK(loop, ACORE_TRACE_FUTURE_DONE, &t->fut);
  ACORE__TRACE_HOOK(loop, ACORE_TRACE_TASK_FINISH, &t->fut);
}

/* The task is over: complete its future, let go of everything. */
static void finish(acore_task_t *t, int state, uint8_t kind, acore__value v) {
  acore_loop_t *loop = t->fut.loop;
  acore_free_fn ud_free;

  /* Done first: the releases below may run cleanups, and a cancel from
   * one of them is too late (acore__task_cancel returns 0). */
  set_phase(t, PH_DONE);
  acore__free(t->fut.v.msg); /* a pending task keeps its cancel message */
  t->fut.v.msg = NULL;
  drop_delivered(t);
  release_awaited(t);
  acore__queue_remove(&t->tnode);
  loop->tasks.ntasks--;
  if ((ud_free = task_ud_free_take(t)) != NULL)
    ud_free(t->ud);
  acore__future_complete_task(&t->fut, state, kind, v);
  ACORE__PROBE2(task_finish, t, state);
  if (ACORE__TRACE_ON(loop))
    finish_traced(loop, t);
  acore_task_unref(t); /* the loop's reference */
}

static void finish_error(acore_task_t *t, acore_error_t *err) {
  acore__value v;

  v = acore__value_err(err);
  finish(t, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE, v);
}

/* Cancelled with the message of the cancel the step answers (the last
 * one delivered), else - or with `request` - the latest request's. */
static void finish_cancelled(acore_task_t *t, bool request) {
  acore__value v = acore__value_ptr(NULL, NULL);

  if (request || !(T_STATUS(t) & DLV_ANY)) {
    v.msg = t->fut.v.msg;
    t->fut.v.msg = NULL;
  } else if (T_STATUS(t) & DLV_FUT) {
    v.msg = acore__strdup(delivered_msg(t));
  } else {
    v.msg = T_DLV(t);
    T_DLV(t) = NULL;
  }
  finish(t, ACORE_FUTURE_CANCELLED, ACORE_VALUE_NONE, v);
}

/* ---- stepping ------------------------------------------------------------------ */

static void stage_clear(acore__stage *s) {
  if (s->await != NULL) {
    acore_future_unref(s->await);
    s->await = NULL;
  }
  if (s->err != NULL) {
    acore_error_unref(s->err);
    s->err = NULL;
  }
  if (s->has_result) {
    acore__value_free(ACORE_FUTURE_RESULT, s->kind, &s->v);
    s->has_result = false;
  }
  s->after = 0;
  s->task = NULL;
}

/* Start waiting for `f`; a cancel requested meanwhile is passed on to it. */
static void wait_on(acore_task_t *t, acore_future_t *f) {
  set_phase(t, PH_WAITING);
  if (t->fut.loop->tasks.times) /* ACORE_LOOP_TASK_TIMES only */
    stamp(t);
  acore__queue_insert_tail(&f->cbs, &t->item.node);
  if (T_MUST_CANCEL(t) && acore_future_cancel(f, t->fut.v.msg) == 1)
    T_MUST_CANCEL(t) = 0;
}

/* Apply the verdict `v` of the step that just returned. Returns true when
 * the task must step again at once (it awaited a done future). */
static bool apply_verdict(acore_loop_t *loop, acore_task_t *t, int v) {
  acore__stage *s = &loop->tasks.stage;
  acore_future_t *f;
  acore__value val;

  switch (v) {
  case ACORE_TASK_AWAIT:
    if (s->await == NULL)
      break; /* AWAIT without acore_task_await_take(): fail below */
    release_awaited(t);
    t->awaited = f = s->await;
    s->await = NULL;
    if (f->state != ACORE_FUTURE_PENDING) {
      set_phase(t, PH_WAITING); /* resumed at once by a done future */
      return true;
    }
    wait_on(t, f);
    return false;
  case ACORE_TASK_YIELD:
    set_phase(t, PH_READY);
    if (loop->tasks.times)
      stamp(t);
    acore__loop_push(loop, &t->item);
    return false;
  case ACORE_TASK_DONE:
    if (T_MUST_CANCEL(t)) { /* cancelled right before it returned */
      finish_cancelled(t, true);
      return false;
    }
    memset(&val, 0, sizeof(val));
    if (s->has_result)
      val = s->v;
    finish(t, ACORE_FUTURE_RESULT, s->has_result ? s->kind : ACORE_VALUE_NONE,
           val);
    s->has_result = false;
    return false;
  case ACORE_TASK_CANCELLED:
    finish_cancelled(t, false);
    return false;
  default:
    if (v < 0) {
      acore_error_t *err = s->err ? s->err : acore__error_make(v, NULL);
      s->err = NULL;
      finish_error(t, err);
      return false;
    }
    break;
  }
  finish_error(t, acore__error_make(ACORE_EINVAL, "invalid step verdict"));
  return false;
}

/* Set the status of the step about to run: a cancel is delivered when the
 * awaited future ended cancelled (its message wins, as in asyncio) or a
 * request is kept. Returns true when one is. */
static bool deliver(acore_task_t *t) {
  acore_future_t *a = T_PHASE(t) == PH_WAITING ? t->awaited : NULL;
  bool by_awaited = a != NULL && a->state == ACORE_FUTURE_CANCELLED;

  T_STATUS(t) &= (uint8_t)~ST_MASK; /* ACORE_OK */
  if (!by_awaited && !T_MUST_CANCEL(t))
    return false;
  T_STATUS(t) |= (uint8_t)-ACORE_ECANCELLED;
  if (T_MUST_CANCEL(t) == MC_AGAIN) { /* the same cancel, once more */
    T_MUST_CANCEL(t) = 0;
    return true;
  }
  T_MUST_CANCEL(t) = 0;
  drop_delivered(t);
  T_STATUS(t) |= (uint8_t)-ACORE_ECANCELLED | DLV_ANY;
  if (by_awaited) {
    T_STATUS(t) |= DLV_FUT;
    T_DLV(t) = acore_future_ref(a);
  } else {
    T_DLV(t) = t->fut.v.msg; /* the request is answered: its message moves */
    t->fut.v.msg = NULL;
  }
  return true;
}

/* The step ignored the cancel delivered to it: it ends the task cancelled.
 * A pending future it staged to await is cancelled (as the awaited future
 * of a cancelled task is) and released by stage_clear(). One already done
 * with a result may hold what the step took at once (a permit, an item):
 * the task awaits it and the step runs again at once with the same cancel,
 * so that its *_finish() call gives it back. */
static int unhandled_cancel(acore_loop_t *loop, acore_task_t *t, int v) {
  acore_future_t *f = loop->tasks.stage.await;

  if (v == ACORE_TASK_AWAIT && f != NULL && f->state == ACORE_FUTURE_RESULT) {
    T_MUST_CANCEL(t) = MC_AGAIN;
    return v;
  }
  if (f != NULL)
    acore_future_cancel(f, acore_task_cancel_message(t));
  return ACORE_TASK_CANCELLED;
}

/* The trace hook is set: STEP_START now, and STEP_END once it returns
 * (also set by a hook installed during the step, trace.c). */
__attribute__((noinline)) static void step_start_traced(acore_loop_t *loop,
                                                        acore_task_t *t) {
  loop->tasks.stage.after |= ACORE__AFTER_TRACE;
  ACORE__TRACE_HOOK(loop, ACORE_TRACE_STEP_START, &t->fut);
}

/* The step returned with something to do (stage.after): the hook's
 * STEP_END, then an unhandled cancel, which propagates. Returns the
 * verdict to apply. */
__attribute__((noinline)) static int step_after(acore_loop_t *loop,
                                                acore_task_t *t, int v) {
  if (loop->tasks.stage.after & ACORE__AFTER_TRACE)
    ACORE__TRACE_HOOK(loop, ACORE_TRACE_STEP_END, &t->fut);
  if (loop->tasks.stage.after & ACORE__AFTER_CANCEL) /* not handled */
    v = unhandled_cancel(loop, t, v);
  return v;
}

void acore__task_run(acore_loop_t *loop, acore_task_t *t) {
  acore_task_t *prev = loop->core.current;
  bool again;
  int v;

  /* No reference taken: t is not touched once a verdict finished it. */
  do {
    bool open = deliver(t);

    set_phase(t, PH_RUNNING);
    loop->core.current = t;
    loop->tasks.stage.task = t;
    loop->tasks.stage.after = open ? ACORE__AFTER_CANCEL : 0;
    ACORE__PROBE1(step_start, t);
    if (ACORE__TRACE_ON(loop))
      step_start_traced(loop, t);
    v = t->fn(t, t->ud);
    ACORE__PROBE2(step_end, t, v);
    if (__builtin_expect(loop->tasks.stage.after != 0, 0))
      v = step_after(loop, t, v);
    again = apply_verdict(loop, t, v);
    stage_clear(&loop->tasks.stage);
    loop->core.current = prev;
  } while (again);
}

/* ---- verdicts -------------------------------------------------------------------- */

static bool in_step(const acore_task_t *t) {
  return t != NULL && t->fut.loop->tasks.stage.task == t &&
         T_PHASE(t) == PH_RUNNING;
}

int acore_task_await_take(acore_task_t *task, acore_future_t *fut) {
  acore__stage *s;

  if (!in_step(task) || fut == NULL || fut->loop != task->fut.loop ||
      fut == &task->fut) {
    acore_future_unref(fut);
    return ACORE_EINVAL;
  }
  s = &task->fut.loop->tasks.stage;
  acore_future_unref(s->await);
  s->await = fut;
  return ACORE_TASK_AWAIT;
}

int acore_task_yield(acore_task_t *task) {
  return in_step(task) ? ACORE_TASK_YIELD : ACORE_EINVAL;
}

static int stage_result(acore_task_t *t, uint8_t kind, acore__value v) {
  acore__stage *s = &t->fut.loop->tasks.stage;

  if (s->has_result)
    acore__value_free(ACORE_FUTURE_RESULT, s->kind, &s->v);
  s->has_result = true;
  s->kind = kind;
  s->v = v;
  return ACORE_TASK_DONE;
}

int acore_task_return(acore_task_t *task, void *value,
                      acore_free_fn value_free) {
  acore__value v;

  if (!in_step(task))
    return ACORE_EINVAL;
  v = acore__value_ptr(value, value_free);
  return stage_result(task,
                      acore__ptr_kind(value, value_free),
                      v);
}

int acore_task_return_int(acore_task_t *task, int64_t value) {
  acore__value v;

  if (!in_step(task))
    return ACORE_EINVAL;
  v = acore__value_int(value);
  return stage_result(task, ACORE_VALUE_INT, v);
}

int acore_task_return_double(acore_task_t *task, double value) {
  acore__value v;

  if (!in_step(task))
    return ACORE_EINVAL;
  v = acore__value_double(value);
  return stage_result(task, ACORE_VALUE_DOUBLE, v);
}

int acore_task_return_bytes(acore_task_t *task, const void *data, size_t len) {
  acore__value v;
  int rc;

  if (!in_step(task))
    return ACORE_EINVAL;
  if ((rc = acore__value_bytes(data, len, &v)) != ACORE_OK)
    return rc;
  return stage_result(task, ACORE_VALUE_BYTES, v);
}

int acore_task_fail_take(acore_task_t *task, acore_error_t *err) {
  acore__stage *s;

  if (!in_step(task) || err == NULL) {
    acore_error_unref(err);
    return ACORE_EINVAL;
  }
  s = &task->fut.loop->tasks.stage;
  acore_error_unref(s->err);
  s->err = err;
  return err->code;
}

int acore_task_fail_code(acore_task_t *task, int code, const char *message) {
  acore_error_t *err;

  if (!in_step(task) || code >= 0)
    return ACORE_EINVAL;
  err = acore__error_make(code, message);
  return acore_task_fail_take(task, err) == code ? code : ACORE_ENOMEM;
}

int acore_task_finish_cancelled(acore_task_t *task) {
  if (!in_step(task))
    return ACORE_EINVAL;
  task->fut.loop->tasks.stage.after &= (uint8_t)~ACORE__AFTER_CANCEL;
  return ACORE_TASK_CANCELLED;
}

void acore__task_cancel_handled(acore_task_t *t) {
  if (in_step(t))
    t->fut.loop->tasks.stage.after &= (uint8_t)~ACORE__AFTER_CANCEL;
}

int acore_task_cancel_handled(acore_task_t *task) {
  if (!in_step(task))
    return ACORE_EINVAL;
  acore__task_cancel_handled(task);
  return ACORE_OK;
}

int acore_task_resume(acore_task_t *task, acore_future_t **awaited) {
  if (awaited != NULL)
    *awaited = NULL;
  if (!in_step(task))
    return ACORE_EINVAL;
  if (awaited != NULL)
    *awaited = task->awaited;
  return -(int)(T_STATUS(task) & ST_MASK);
}

acore_future_t *acore_task_awaited(const acore_task_t *task) {
  return task ? task->awaited : NULL;
}

int acore_task_step_status(const acore_task_t *task) {
  if (task == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(task->fut.loop))
    return ACORE_EWRONGTHREAD;
  return -(int)(T_STATUS(task) & ST_MASK);
}

/* ---- cancellation ---------------------------------------------------------------- */

int acore_task_cancel(acore_task_t *task, const char *message) {
  int rc;

  if (task == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(task->fut.loop)) != ACORE_OK)
    return rc;
  return acore__cancel(&task->fut, message);
}

int acore__task_cancel_cycle(acore_task_t *t) {
  if (T_PHASE(t) != PH_WAITING || t->awaited == NULL ||
      t->awaited->state != ACORE_FUTURE_PENDING)
    return 0;
  acore__queue_remove(&t->item.node); /* from the awaited future's list */
  T_MUST_CANCEL(t) = MC_REQUEST;
  acore__loop_push(t->fut.loop, &t->item); /* "resumed, queued" */
  return 1;
}

int acore__task_cancel(acore_task_t *task, const char *message) {
  char *msg = NULL;

  /* PH_DONE while pending: finishing, its ud_free runs (too late) */
  if (task->fut.state != ACORE_FUTURE_PENDING || T_PHASE(task) == PH_DONE)
    return 0;
  if (message != NULL && (msg = acore__strdup(message)) == NULL)
    return ACORE_ENOMEM;
  acore__free(task->fut.v.msg);
  task->fut.v.msg = msg;
  T_NCANCEL(task)++;
  if (T_PHASE(task) == PH_WAITING && task->awaited != NULL &&
      acore_future_cancel(task->awaited, message) == 1)
    return 1;
  T_MUST_CANCEL(task) = MC_REQUEST;
  return 1;
}

int acore_task_cancelling_count(const acore_task_t *task) {
  if (task == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(task->fut.loop))
    return ACORE_EWRONGTHREAD;
  return (int)T_NCANCEL(task);
}

int acore__task_uncancel(acore_task_t *t) {
  if (T_NCANCEL(t) > 0 && --T_NCANCEL(t) == 0)
    T_MUST_CANCEL(t) = 0;
  return (int)T_NCANCEL(t);
}

int acore_task_uncancel(acore_task_t *task) {
  if (task == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(task->fut.loop))
    return ACORE_EWRONGTHREAD;
  acore__task_cancel_handled(task); /* absorbs a cancel its step got */
  return acore__task_uncancel(task);
}

const char *acore_task_cancel_message(const acore_task_t *task) {
  if (task == NULL)
    return NULL;
  if (task->fut.state == ACORE_FUTURE_CANCELLED)
    return task->fut.v.msg;
  if (task->fut.state != ACORE_FUTURE_PENDING)
    return NULL;
  if (!(T_STATUS(task) & DLV_ANY))
    return task->fut.v.msg; /* the latest request's */
  return delivered_msg(task);
}

/* ---- names and introspection ------------------------------------------------------ */

static acore__task_ident *ident_record(const acore_task_t *t) {
  return acore__task_ident_of(t);
}

uint64_t acore_task_id(const acore_task_t *task) {
  const acore__task_ident *r;

  if (task == NULL)
    return 0;
  r = ident_record(task);
  return r ? r->id : (uint64_t)(task->ident >> ACORE__TASK_ID_SHIFT);
}

/* A record for task `id` named `name` (NULL: no name of its own), with no
 * scope, site or times; NULL on ENOMEM. */
static acore__task_ident *ident_new(uint64_t id, const char *name) {
  size_t len = name ? strlen(name) + 1 : 1;
  acore__task_ident *r = acore__malloc(sizeof(*r) + len);

  if (r == NULL)
    return NULL;
  r->id = id;
  r->tscope = NULL;
  r->where = NULL;
  r->created = r->since = ACORE__NO_TIME;
  r->ud_free = NULL;
  r->named = name != NULL;
  r->stuck = false;
  memcpy(r->name, name ? name : "", len);
  return r;
}

/* The record holds nothing but the id. */
static bool ident_plain(const acore__task_ident *r) {
  return !r->named && r->tscope == NULL && r->where == NULL &&
         r->created == ACORE__NO_TIME;
}

/* Give the task the name `name` (NULL: no name of its own), keeping what
 * else its record holds; with nothing else, back to the id alone. */
static int ident_set(acore_task_t *t, const char *name) {
  acore__task_ident *old = ident_record(t), *r;
  uint64_t id = acore_task_id(t);
  acore_free_fn ud_free = task_ud_free(t);
  unsigned freer;

  if (name == NULL) { /* no name of its own: no new record needed */
    if (old != NULL && (old->named = false, ident_plain(old)) &&
        (freer = freer_of(t->fut.loop, ud_free)) != FREER_NONE) {
      acore__free(old); /* nothing else to keep: the id alone */
      t->ident = ident_word(id, freer);
    }
    return ACORE_OK;
  }
  if ((r = ident_new(id, name)) == NULL)
    return ACORE_ENOMEM;
  r->ud_free = ud_free;
  if (old != NULL) {
    r->tscope = old->tscope;
    r->where = old->where;
    r->created = old->created;
    r->since = old->since;
    r->stuck = old->stuck;
  }
  acore__free(old);
  t->ident = (uintptr_t)r;
  return ACORE_OK;
}

/* The task's record, made (with the id alone) when it has none. */
static acore__task_ident *ident_get(acore_task_t *t) {
  acore__task_ident *r = ident_record(t);

  if (r == NULL && (r = ident_new(acore_task_id(t), NULL)) != NULL) {
    r->ud_free = task_ud_free(t);
    t->ident = (uintptr_t)r;
  }
  return r;
}

void **acore__task_tscope(acore_task_t *t, bool create) {
  acore__task_ident *r = create ? ident_get(t) : ident_record(t);

  return r ? &r->tscope : NULL;
}

/* Note the time the task started waiting or was scheduled again
 * (ACORE_LOOP_TASK_TIMES). */
static void stamp(acore_task_t *t) {
  acore__task_ident *r = ident_record(t);

  if (r != NULL) {
    r->since = acore__loop_now(t->fut.loop);
    r->stuck = false;
  }
}

int acore_task_set_name(acore_task_t *task, const char *name) {
  if (task == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(task->fut.loop))
    return ACORE_EWRONGTHREAD;
  return ident_set(task, name);
}

const char *acore__task_name(const acore_task_t *t, char *buf) {
  const acore__task_ident *r = ident_record(t);

  if (r != NULL && r->named)
    return r->name;
  snprintf(buf, ACORE__TASK_NAME_BUF, "Task-%llu",
           (unsigned long long)acore_task_id(t));
  return buf;
}

int acore_task_name(const acore_task_t *task, char *buf, size_t cap) {
  char dflt[ACORE__TASK_NAME_BUF];
  const char *name;
  size_t len;

  if (task == NULL || (buf == NULL && cap > 0))
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(task->fut.loop))
    return ACORE_EWRONGTHREAD;
  name = acore__task_name(task, dflt);
  len = strlen(name);
  if (cap > 0) {
    size_t n = len < cap ? len : cap - 1;
    memcpy(buf, name, n);
    buf[n] = '\0';
  }
  return len > INT32_MAX ? INT32_MAX : (int)len;
}

int acore_task_set_where(acore_task_t *task, const char *where) {
  acore__task_ident *r;
  char *copy = NULL;

  if (task == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(task->fut.loop))
    return ACORE_EWRONGTHREAD;
  if (where != NULL && (copy = acore__strdup(where)) == NULL)
    return ACORE_ENOMEM;
  if ((r = ident_get(task)) == NULL) {
    acore__free(copy);
    return ACORE_ENOMEM;
  }
  acore__free(r->where);
  r->where = copy;
  return ACORE_OK;
}

const char *acore_task_where(const acore_task_t *task) {
  const acore__task_ident *r = task ? ident_record(task) : NULL;

  return r ? r->where : NULL;
}

int acore_task_state(const acore_task_t *task) {
  if (task == NULL)
    return ACORE_EINVAL;
  switch (T_PHASE(task)) {
  case PH_RUNNING: return ACORE_TASK_STATE_RUNNING;
  case PH_WAITING:
    if (task->awaited != NULL && task->awaited->state == ACORE_FUTURE_PENDING)
      return ACORE_TASK_STATE_WAITING;
    return ACORE_TASK_STATE_READY; /* resumed, queued */
  case PH_DONE: return ACORE_TASK_STATE_DONE;
  default: return ACORE_TASK_STATE_READY;
  }
}

int acore_task_times(const acore_task_t *task, double *created,
                     double *since) {
  const acore__task_ident *r;

  if (task == NULL)
    return ACORE_EINVAL;
  r = ident_record(task);
  if (created != NULL)
    *created = r && r->created != ACORE__NO_TIME ? (double)r->created / 1e9
                                                 : -1.0;
  if (since != NULL)
    *since = r && r->since != ACORE__NO_TIME ? (double)r->since / 1e9 : -1.0;
  return ACORE_OK;
}

acore_task_t *acore__task_next(acore_loop_t *loop, acore_task_t *prev) {
  acore__queue *q = prev ? prev->tnode.next : loop->tasks.tasks.next;

  return q == &loop->tasks.tasks ? NULL
                                 : acore__queue_data(q, acore_task_t, tnode);
}

acore_task_t *acore_loop_current_task(acore_loop_t *loop) {
  return loop ? loop->core.current : NULL;
}

size_t acore_loop_task_count(const acore_loop_t *loop) {
  return loop ? loop->tasks.ntasks : 0;
}

int acore_loop_all_tasks(acore_loop_t *loop, acore_task_t **tasks, size_t cap,
                         size_t *n) {
  acore__queue *q;
  size_t i = 0;

  if (loop == NULL || n == NULL || (tasks == NULL && cap > 0))
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(loop))
    return ACORE_EWRONGTHREAD;
  for (q = loop->tasks.tasks.next; q != &loop->tasks.tasks && i < cap;
       q = q->next)
    tasks[i++] = acore_task_ref(acore__queue_data(q, acore_task_t, tnode));
  *n = loop->tasks.ntasks;
  return ACORE_OK;
}

/* ---- close and destroy ------------------------------------------------------------- */

void acore__task_close(acore_task_t *t) {
  acore_loop_t *loop = t->fut.loop;

  acore__loop_report(loop, ACORE_REPORT_TASK_PENDING,
                     "task was pending when its loop closed", NULL, &t->fut);
  acore__queue_remove(&t->item.node); /* from the ready queue or a future */
  finish_cancelled(t, t->fut.v.msg != NULL); /* a request's, else delivered */
}

void acore__task_destroy(acore_task_t *t) {
  assert(T_PHASE(t) == PH_DONE);
  release_awaited(t); /* finish() dropped the delivered cancel */
  if (ident_record(t) != NULL)
    acore__free(ident_record(t)->where);
  acore__free(ident_record(t));
  t->ident = 1;
}
