/* SPDX-License-Identifier: MIT */
/*
 * fuzz_task.c - the harness's task scripts and the callbacks that call
 * back into acore (docs/internals/fuzzing.md).
 *
 * A script is six step bytes read from the input. A plain script awaits
 * any slot's future (an older or younger one, a gather holding the task
 * itself, a task awaiting this one: cycles included; its own future is
 * refused with ACORE_EINVAL), yields, sleeps, opens and leaves a timeout
 * scope, fails, finishes cancelled or returns. A sync script takes the
 * lock (or the condition's), waits on the condition (with or without a
 * predicate), notifies it, acquires a semaphore, gets from or puts into a
 * queue, and calls the primitive's _finish() when resumed.
 *
 * Callbacks and cleanups with an action (track.act) call back into acore:
 * keep their future in a slot (reviving one whose last reference is gone),
 * release a slot, cancel or set a slot's future, schedule a call, spawn a
 * task, close the loop (also from a cleanup that close itself runs), or
 * try every scheduling call at once (refused with ACORE_ECLOSED while the
 * loop closes, their ud_free run).
 */
#include "fuzz.h"

#include <string.h>

#define NSCRIPT 256 /* task scripts per input */

enum { PLAIN, SYNC };
enum { W_NONE, W_LOCK, W_SEM, W_GET, W_PUT };

struct script {
  track *tr;       /* its ud_free (and the cleanup's action) */
  uint8_t kind;    /* PLAIN or SYNC */
  uint8_t prog[6]; /* what each step does */
  int pc;
  acore_timeout_t *scope; /* an open timeout scope, or NULL */
  int wait;               /* what the awaited future is (W_*) */
  acore_lock_t *lk;       /* the primitive waited on (a reference) */
  acore_sem_t *sem;
  acore_queue_t *q;
};

static script SC[NSCRIPT];
static int nsc;

void scripts_reset(void) { nsc = 0; }

int script_freed(const script *sc) {
  return atomic_load(&sc->tr->frees) == 1;
}

void script_set_act(script *sc, uint8_t act, uint8_t arg) {
  sc->tr->act = act;
  sc->tr->arg = arg;
}

static void drop_waited(script *sc) {
  acore_lock_unref(sc->lk);
  acore_sem_unref(sc->sem);
  acore_queue_unref(sc->q);
  sc->lk = NULL;
  sc->sem = NULL;
  sc->q = NULL;
  sc->wait = W_NONE;
}

void script_free(void *ud) {
  script *sc = ud;

  acore_timeout_free(sc->scope); /* dropped without a last step */
  sc->scope = NULL;
  drop_waited(sc);
  act_free(sc->tr);
}

/* A new script (NULL when the pool is full) with its steps from the
 * input; its ud_free is tracked. */
script *script_new(uint8_t kind) {
  script *sc;
  track *tr;
  size_t i;

  if (nsc == NSCRIPT || (tr = track_new()) == NULL)
    return NULL;
  sc = &SC[nsc++];
  memset(sc, 0, sizeof(*sc));
  sc->tr = tr;
  sc->kind = kind;
  for (i = 0; i < sizeof(sc->prog); i++)
    sc->prog[i] = (uint8_t)next();
  return sc;
}

/* A plain script whose steps come from `seed` (spawned by a callback,
 * which reads no input). */
script *script_fixed(uint8_t seed) {
  script *sc;
  track *tr;
  size_t i;

  if (nsc == NSCRIPT || (tr = track_new()) == NULL)
    return NULL;
  sc = &SC[nsc++];
  memset(sc, 0, sizeof(*sc));
  sc->tr = tr;
  for (i = 0; i < sizeof(sc->prog); i++)
    sc->prog[i] = (uint8_t)(seed * (i + 1) + i);
  return sc;
}

/* Leave the task's timeout scope, if open, with the step's status. */
static int leave_scope(script *sc, int status) {
  int rc;

  if (sc->scope == NULL)
    return status;
  rc = acore_timeout_exit(sc->scope, status);
  FZ_CHECK(rc == status ||
           (status == ACORE_ECANCELLED && rc == ACORE_ETIMEDOUT));
  acore_timeout_free(sc->scope);
  sc->scope = NULL;
  return rc;
}

/* Await any slot's future: its own is refused (ACORE_EINVAL, which the
 * step returns: the task fails with it). */
static int await_slot(acore_task_t *t, unsigned i) {
  acore_future_t *f = F[i % NF].f;
  int rc;

  if (f == NULL)
    return acore_task_yield(t);
  rc = acore_task_await_take(t, acore_future_ref(f));
  FZ_CHECK(rc == (f == acore_task_future(t) ? ACORE_EINVAL : ACORE_TASK_AWAIT));
  return rc;
}

/* ---- sync scripts ---- */

/* The step resumed by a primitive's future: hand it to _finish(). */
static int finish_wait(script *sc, acore_task_t *t) {
  acore_future_t *f = acore_task_awaited(t);
  int rc = ACORE_OK;

  switch (sc->wait) {
  case W_LOCK:
    rc = acore_lock_acquire_finish(sc->lk, f);
    break;
  case W_SEM:
    rc = acore_sem_acquire_finish(sc->sem, f);
    break;
  case W_GET:
    rc = acore_queue_get_finish(sc->q, f);
    break;
  case W_PUT:
    rc = acore_queue_put_finish(sc->q, f);
    break;
  default:
    return ACORE_OK;
  }
  FZ_CHECK(rc == ACORE_OK || rc == ACORE_ECANCELLED || rc == ACORE_ECLOSED);
  drop_waited(sc);
  return rc;
}

static acore_lock_t *pick_lock(uint8_t op) {
  return op & 8 && CV != NULL ? acore_cond_lock(CV) : LK;
}

static int sync_lock(script *sc, acore_task_t *t, uint8_t op) {
  acore_lock_t *lk = pick_lock(op);
  acore_future_t *f;
  int rc;

  if (lk == NULL)
    return acore_task_yield(t);
  if (op % 8 == 1) {
    rc = acore_lock_release(lk);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EINVALIDSTATE ||
             rc == ACORE_ENOTOWNER || rc == ACORE_ECLOSED);
    return acore_task_yield(t);
  }
  rc = acore_lock_acquire(lk, &f);
  FZ_CHECK(rc == ACORE_OK || rc == ACORE_ECLOSED);
  if (rc != ACORE_OK)
    return acore_task_yield(t);
  sc->wait = W_LOCK;
  sc->lk = acore_lock_ref(lk);
  return acore_task_await_take(t, f);
}

static int sync_cond(acore_task_t *t, uint8_t op) {
  acore_future_t *f;
  track *p;
  int rc;

  if (CV == NULL)
    return acore_task_yield(t);
  if (op % 8 == 4) {
    rc = op >> 4 & 3 ? acore_cond_notify(CV, op >> 4 & 3)
                     : acore_cond_notify_all(CV);
    FZ_CHECK(rc >= 0 || rc == ACORE_ENOTOWNER || rc == ACORE_ECLOSED);
    return acore_task_yield(t);
  }
  if (op % 8 == 2)
    rc = acore_cond_wait(CV, &f);
  else if ((p = track_new()) != NULL)
    rc = acore_cond_wait_for(CV, pred_true, p, track_free, &f);
  else
    return acore_task_yield(t);
  FZ_CHECK(rc == ACORE_OK || rc == ACORE_ENOTOWNER || rc == ACORE_ECLOSED);
  if (rc != ACORE_OK)
    return acore_task_yield(t);
  return acore_task_await_take(t, f);
}

static int sync_queue(script *sc, acore_task_t *t, uint8_t op) {
  acore_queue_t *q = Q[op >> 3 & 1];
  acore_future_t *f;
  track *it = NULL;
  int rc;

  if (q == NULL || (op & 0x20 && (it = track_new()) == NULL))
    return acore_task_yield(t);
  rc = it ? acore_queue_put(q, it, track_free, &f) : acore_queue_get(q, &f);
  FZ_CHECK(rc == ACORE_OK || rc == ACORE_ECLOSED);
  if (rc != ACORE_OK) {
    if (it != NULL) /* the item stays the caller's on error */
      track_free(it);
    return acore_task_yield(t);
  }
  sc->wait = it ? W_PUT : W_GET;
  sc->q = acore_queue_ref(q);
  return acore_task_await_take(t, f);
}

static int sync_sem(script *sc, acore_task_t *t, uint8_t op) {
  acore_sem_t *s = S[op >> 3 & 1];
  acore_future_t *f;
  int rc;

  if (s == NULL)
    return acore_task_yield(t);
  rc = acore_sem_acquire(s, 1, &f);
  FZ_CHECK(rc == ACORE_OK || rc == ACORE_ECLOSED || rc == ACORE_EINVAL);
  if (rc != ACORE_OK)
    return acore_task_yield(t);
  sc->wait = W_SEM;
  sc->sem = acore_sem_ref(s);
  return acore_task_await_take(t, f);
}

static int sync_op(script *sc, acore_task_t *t, uint8_t op) {
  switch (op % 8) {
  case 0:
  case 1:
    return sync_lock(sc, t, op);
  case 2:
  case 3:
  case 4:
    return sync_cond(t, op);
  case 5:
    return sync_sem(sc, t, op);
  case 6:
    return sync_queue(sc, t, op);
  default:
    return acore_task_return_int(t, op);
  }
}

/* ---- plain scripts ---- */

static int plain_op(script *sc, acore_task_t *t, uint8_t op) {
  acore_future_t *f;

  switch (op % 8) {
  case 0:
  case 1:
    return await_slot(t, op >> 3);
  case 2: /* open a timeout scope, then yield */
    if (sc->scope == NULL)
      FZ_CHECK(acore_timeout_new(t, acore_loop_time(acore_task_loop(t)) +
                                        (op >> 3 & 7) * 0.01,
                                 &sc->scope) == ACORE_OK);
    return acore_task_yield(t);
  case 3:
    if (acore_sleep(acore_task_loop(t), (op >> 3) * 0.01, &f) == ACORE_OK)
      return acore_task_await_take(t, f);
    return acore_task_yield(t);
  case 4:
    return acore_task_fail_code(t, ACORE_EIO, "scripted failure");
  case 5:
    return acore_task_finish_cancelled(t);
  case 6:
    return acore_task_return_bytes(t, "xy", 2);
  default:
    return acore_task_return_int(t, op);
  }
}

int script_step(acore_task_t *t, void *ud) {
  script *sc = ud;
  uint8_t op = sc->pc < (int)sizeof(sc->prog) ? sc->prog[sc->pc] : 0xff;
  int status = acore_task_step_status(t);
  int fin;

  FZ_CHECK(atomic_load(&sc->tr->frees) == 0);
  FZ_CHECK(acore_loop_current_task(acore_task_loop(t)) == t);
  sc->pc++;
  fin = finish_wait(sc, t);
  if (fin == ACORE_ECANCELLED) /* as asyncio's acquire() raising */
    status = ACORE_ECANCELLED;
  if (status == ACORE_ECANCELLED || op & 0x40 || op % 8 >= 4)
    status = leave_scope(sc, status);
  if (status == ACORE_ETIMEDOUT) /* the scope's deadline passed */
    return acore_task_return_int(t, -1);
  if (status == ACORE_ECANCELLED) {
    if (op % 4 == 0) { /* absorb the cancellation and go on */
      acore_task_uncancel(t);
      return acore_task_yield(t);
    }
    return acore_task_finish_cancelled(t);
  }
  return sc->kind == SYNC ? sync_op(sc, t, op) : plain_op(sc, t, op);
}

/* ---- callbacks that call back into acore ---- */

/* What a scheduling call returns: refused once close has begun. */
static void expect_sched(int rc) {
  FZ_CHECK(rc == (closing || closed ? ACORE_ECLOSED : ACORE_OK));
}

static void act_close(void) {
  int running = acore_loop_is_running(L) == 1;
  int rc;

  if (!running)
    closing = 1;
  rc = acore_loop_close(L);
  FZ_CHECK(rc == (running ? ACORE_EBUSY : ACORE_OK));
  if (!running && rc == ACORE_OK)
    closed = 1; /* (also inside the close under way: it returned) */
}

static void act_spawn(unsigned seed, int keep) {
  script *sc = script_fixed((uint8_t)seed);
  acore_task_t *t;
  int rc;

  if (sc == NULL)
    return;
  rc = acore_task_spawn(L, script_step, sc, script_free, keep ? &t : NULL);
  expect_sched(rc);
  if (rc != ACORE_OK)
    FZ_CHECK(script_freed(sc));
  else if (keep)
    slot_put(seed, acore_task_future(t));
}

/* Every scheduling call at once (each refused while the loop closes). */
static void act_schedule_all(unsigned i) {
  acore_future_t *f = F[i % NF].f;
  track *t;

  if ((t = track_new()) != NULL)
    expect_sched(acore_loop_call_soon(L, on_call, t, track_free, NULL));
  if ((t = track_new()) != NULL)
    expect_sched(acore_loop_call_later(L, 0.01, on_call, t, track_free,
                                       NULL));
  act_spawn(i, 0);
  if (f != NULL && (t = track_new()) != NULL) {
    f = acore_future_ref(f);
    expect_sched(acore_future_add_done_callback(f, on_done, t, track_free));
    acore_future_unref(f);
  }
}

static void act_cancel_set(unsigned act, unsigned i) {
  acore_future_t *f = F[i % NF].f;
  int rc;

  if (f == NULL)
    return;
  f = acore_future_ref(f);
  if (act == 2) {
    rc = acore_future_cancel(f, i & 8 ? "from a callback" : NULL);
    FZ_CHECK(rc == 0 || rc == 1 || rc == ACORE_ECLOSED || rc == ACORE_ENOMEM);
  } else {
    rc = acore_future_set_int(f, i);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EINVALIDSTATE ||
             rc == ACORE_EINVAL || rc == ACORE_ECLOSED);
  }
  acore_future_unref(f);
}

/* The action of t's callback (f: its future, or NULL) or cleanup. */
static void act(const track *t, acore_future_t *f) {
  track *c;

  if (loop_gone)
    return;
  switch (t->act % 8) {
  case 1: /* keep the future (or, from a cleanup, release a slot) */
    if (f != NULL)
      slot_put(t->arg, acore_future_ref(f));
    else
      slot_drop(t->arg);
    break;
  case 2:
  case 3:
    act_cancel_set(t->act % 8, t->arg);
    break;
  case 4:
    if ((c = track_new()) != NULL)
      expect_sched(acore_loop_call_soon(L, on_call, c, track_free, NULL));
    break;
  case 5:
    act_spawn(t->arg, 1);
    break;
  case 6:
    act_close();
    break;
  case 7:
    act_schedule_all(t->arg);
    break;
  default:
    break;
  }
}

void on_done(acore_future_t *f, void *ud) {
  track_call(ud);
  FZ_CHECK(acore_future_is_done(f) == 1);
  act(ud, f);
}

void on_call(void *ud) {
  track_call(ud);
  act(ud, NULL);
}

/* A cleanup with an action: the action, then the count. */
void act_free(void *ud) {
  track *t = ud;

  FZ_CHECK(atomic_load(&t->frees) == 0);
  act(t, NULL);
  track_free(t);
}
