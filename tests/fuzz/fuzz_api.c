/* SPDX-License-Identifier: MIT */
/*
 * fuzz_api.c - a libFuzzer harness that reads its input as a sequence of API
 * operations over a small pool of handles (docs/internals/fuzzing.md).
 *
 * Each input gets one loop on the virtual clock and NF future slots; every
 * operation is one opcode byte and a few argument bytes (missing bytes read
 * as 0). The operations make futures, tasks, gathers/waits over subsets of
 * the slots, timeouts, shields, groups, semaphores, a lock, an event,
 * queues, executor jobs and scheduled calls; they set, cancel and release
 * them, run loop iterations, move the clock, close the loop at any point,
 * and misuse the API where it promises an error code (which is checked).
 *
 * Checked after every operation: each held future has a reference for each
 * slot holding it, a done future never changes state, and no callback ran
 * twice or after its ud_free. At the end (the loop closed and everything
 * released): every ud_free, value_free and item_free handed to acore ran
 * exactly once, and every allocation acore made was freed.
 *
 * The harness avoids patterns that reach bugs known and tracked elsewhere
 * (search for KNOWN): releasing a combinator with a timeout (wait /
 * wait_count / as_completed) before the loop is closed, and nesting
 * gathers deeper than FZ_MAX_DEPTH (cancellation time exponential in the
 * depth of gathers sharing children). Tasks await only futures made before
 * them, so no task (indirectly) awaits itself; no callback or cleanup calls
 * back into acore during close.
 */
#include "internal.h" /* struct acore_future: the reference check */

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NF 8        /* future slots */
#define NT 2048     /* tracked ud / value records per input */
#define NSCRIPT 256 /* task scripts per input */
#define FZ_MAX_DEPTH 6
#define FZ_MAX_OPS 400

#define FZ_CHECK(c)                                                        \
  do {                                                                     \
    if (!(c)) {                                                            \
      fprintf(stderr, "fuzz_api: check failed at %s:%d: %s\n", __FILE__,   \
              __LINE__, #c);                                               \
      abort();                                                             \
    }                                                                      \
  } while (0)

/* ---- the counting allocator (executor threads allocate too) ---- */
static atomic_long fz_live;

static void *fz_malloc(size_t n) {
  void *p = malloc(n);
  if (p != NULL)
    atomic_fetch_add(&fz_live, 1);
  return p;
}
static void *fz_calloc(size_t c, size_t n) {
  void *p = calloc(c, n);
  if (p != NULL)
    atomic_fetch_add(&fz_live, 1);
  return p;
}
static void *fz_realloc(void *p, size_t n) {
  void *q = realloc(p, n);
  if (p == NULL && q != NULL)
    atomic_fetch_add(&fz_live, 1);
  return q;
}
static void fz_free(void *p) {
  if (p != NULL)
    atomic_fetch_sub(&fz_live, 1);
  free(p);
}

/* ---- tracked records: a ud, a value or an item handed to acore ---- */
typedef struct track {
  int used;
  atomic_int calls; /* fn calls (done callback, call, work function) */
  atomic_int frees; /* ud_free / value_free / item_free calls */
} track;

static track T[NT];
static int nt;

static track *track_new(void) {
  track *t;

  if (nt == NT)
    return NULL;
  t = &T[nt++];
  t->used = 1;
  atomic_store(&t->calls, 0);
  atomic_store(&t->frees, 0);
  return t;
}

static void track_free(void *ud) {
  track *t = ud;
  FZ_CHECK(atomic_fetch_add(&t->frees, 1) == 0);
}

static void track_call(track *t) {
  FZ_CHECK(atomic_load(&t->frees) == 0);
  FZ_CHECK(atomic_fetch_add(&t->calls, 1) == 0);
}

/* ---- the pool ---- */
typedef struct slot {
  acore_future_t *f;
  uint32_t seq;   /* creation order of the future (tasks await older ones) */
  int depth;      /* gather nesting */
  int last_state; /* the state seen after the previous operation */
  track *cb;      /* the last done callback added through this slot */
} slot;

static acore_loop_t *L;
static acore_loop_t *L2; /* another loop, for cross-loop misuse */
static int closed;
static slot F[NF];
static uint32_t seq;
static acore_sem_t *S[2];
static size_t S_cap[2]; /* a bounded semaphore's initial value, or SIZE_MAX */
static acore_lock_t *LK;
static acore_event_t *EV;
static acore_queue_t *Q[2];
static acore_group_t *G[2];
static acore_executor_t *EX;
/* The host's uv loop every input's acore loop is built on (a fresh uv loop
 * per input costs more than most inputs); FUZZ_OWN_UV_LOOP=1 gives each
 * input a uv loop of its own instead. */
static uv_loop_t host_uv;
static int use_host_uv;


/* the input */
static const uint8_t *in;
static size_t in_len, in_pos;

static unsigned next(void) { return in_pos < in_len ? in[in_pos++] : 0; }

/* KNOWN (section "wait / wait_count / as_completed with a timeout" of the
 * hardening list: releasing the combinator's future before its timeout
 * fires lets the timer's cleanup write into the freed waiter): every such
 * combinator gets one more reference, parked here until the loop is
 * closed. Remove the parking once that bug is fixed. */
#define NPARK 128
static acore_future_t *PARK[NPARK];
static int npark;

/* ---- slots ---- */
static void slot_put(unsigned i, acore_future_t *f, int depth) {
  slot *s = &F[i % NF];

  acore_future_unref(s->f);
  s->f = f;
  s->seq = ++seq;
  s->depth = depth;
  s->last_state = acore_future_state(f);
  s->cb = NULL;
}

static void slot_drop(unsigned i) {
  slot *s = &F[i % NF];

  acore_future_unref(s->f);
  memset(s, 0, sizeof(*s));
}

/* Up to n futures of the slots named by `mask`, in slot order. */
static size_t subset(unsigned mask, acore_future_t **out, int *depth) {
  size_t n = 0;
  int i;

  *depth = 0;
  for (i = 0; i < NF; i++)
    if ((mask >> i) & 1 && F[i].f != NULL) {
      out[n++] = F[i].f;
      if (F[i].depth > *depth)
        *depth = F[i].depth;
    }
  return n;
}

/* ---- the checks after every operation ---- */
static void check_step(void) {
  int i, j;

  for (i = 0; i < NF; i++) {
    acore_future_t *f = F[i].f;
    unsigned held = 0;
    int st;

    if (f == NULL)
      continue;
    for (j = 0; j < NF; j++)
      held += F[j].f == f;
    FZ_CHECK(atomic_load(&f->refs) >= held);
    st = acore_future_state(f);
    FZ_CHECK(st >= ACORE_FUTURE_PENDING && st <= ACORE_FUTURE_CANCELLED);
    if (F[i].last_state != ACORE_FUTURE_PENDING)
      FZ_CHECK(st == F[i].last_state);
    F[i].last_state = st;
    FZ_CHECK(acore_future_loop(f) == L);
  }
}

/* A constructor's result: ACORE_OK while the loop is open, ACORE_ECLOSED
 * once it is closed, or `also` (0: nothing else) when the call may refuse
 * for a documented reason of its own. */
#define expect_rc(rc, also) expect_rc_at(rc, also, __LINE__)
static void expect_rc_at(int rc, int also, int line) {
  if (rc == (closed ? ACORE_ECLOSED : ACORE_OK) || (also != 0 && rc == also))
    return;
  fprintf(stderr, "fuzz_api: line %d: unexpected %s (loop %s)\n", line,
          acore_err_name(rc), closed ? "closed" : "open");
  abort();
}

/* ---- task scripts ---- */
typedef struct script {
  track *tr;       /* its ud_free */
  uint32_t seq;    /* the task's own creation order */
  uint8_t prog[6]; /* what each step does */
  int pc;
  acore_timeout_t *scope; /* an open timeout scope, or NULL */
} script;

static script SC[NSCRIPT];
static int nsc;

static void script_free(void *ud) {
  script *sc = ud;

  acore_timeout_free(sc->scope); /* dropped without a last step */
  sc->scope = NULL;
  track_free(sc->tr);
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

/* An older future (made before the task), so awaits never form a cycle. */
static acore_future_t *older(const script *sc, unsigned i) {
  slot *s = &F[i % NF];

  if (s->f == NULL || s->seq >= sc->seq || s->depth > FZ_MAX_DEPTH)
    return NULL;
  return s->f;
}

static int script_step(acore_task_t *t, void *ud) {
  script *sc = ud;
  uint8_t op = sc->pc < (int)sizeof(sc->prog) ? sc->prog[sc->pc] : 0xff;
  acore_future_t *f;

  int status = acore_task_step_status(t);

  FZ_CHECK(atomic_load(&sc->tr->frees) == 0);
  sc->pc++;
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
  switch (op % 8) {
  case 0:
  case 1:
    f = older(sc, op >> 3);
    if (f != NULL)
      return acore_task_await_take(t, acore_future_ref(f));
    return acore_task_yield(t);
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

/* A new script (NULL when the pool is full); its ud_free is tracked. */
static script *script_new(void) {
  script *sc;
  track *tr;
  size_t i;

  if (nsc == NSCRIPT || (tr = track_new()) == NULL)
    return NULL;
  sc = &SC[nsc++];
  sc->tr = tr;
  sc->seq = ++seq;
  sc->pc = 0;
  sc->scope = NULL;
  for (i = 0; i < sizeof(sc->prog); i++)
    sc->prog[i] = (uint8_t)next();
  return sc;
}

/* ---- callbacks ---- */
static void on_done(acore_future_t *f, void *ud) {
  track_call(ud);
  FZ_CHECK(acore_future_is_done(f) == 1);
}

static void on_call(void *ud) { track_call(ud); }

/* Reports (unretrieved errors, tasks pending at close) are expected. */
static void on_report(acore_loop_t *loop, const acore_context_t *ctx,
                      void *ud) {
  (void)ud;
  FZ_CHECK(loop == L);
  FZ_CHECK(acore_context_kind(ctx) >= ACORE_REPORT_UNRETRIEVED &&
           acore_context_kind(ctx) <= ACORE_REPORT_CALLBACK_ERROR);
}

static void on_completed(acore_future_t *f, void *ud) {
  track *t = ud;
  FZ_CHECK(atomic_load(&t->frees) == 0); /* called once per child */
  FZ_CHECK(acore_future_is_done(f) == 1);
}

static int on_work(acore_work_t *w, void *ud) {
  track_call(ud);
  if (acore_work_is_cancelled(w))
    return ACORE_ECANCELLED;
  return acore_work_set_int(w, 7);
}

/* ---- operations ---- */
static void op_future_new(void) {
  unsigned i = next();
  acore_future_t *f;
  int rc = acore_future_new(L, &f);

  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, f, 0);
}

static void op_set(void) {
  slot *s = &F[next() % NF];
  unsigned how = next();
  int was_done, rc;
  track *t;

  if (s->f == NULL)
    return;
  was_done = acore_future_is_done(s->f);
  switch (how % 6) {
  case 0:
    rc = acore_future_set_int(s->f, how);
    break;
  case 1:
    rc = acore_future_set_double(s->f, how * 0.5);
    break;
  case 2:
    rc = acore_future_set_bytes(s->f, "abc", how % 4);
    break;
  case 3:
    rc = acore_future_set_error_code(s->f, ACORE_EIO, how & 8 ? "io" : NULL);
    break;
  case 4:
    if ((t = track_new()) == NULL)
      return;
    rc = acore_future_set_result(s->f, t, track_free);
    if (rc != ACORE_OK) /* the value stays the caller's on error */
      track_free(t);
    break;
  default:
    rc = acore_future_set_result(s->f, NULL, NULL);
    break;
  }
  if (closed) /* refused; which check comes first is not promised */
    FZ_CHECK(rc == ACORE_ECLOSED || rc == ACORE_EINVALIDSTATE ||
             rc == ACORE_EINVAL);
  else if (was_done)
    FZ_CHECK(rc == ACORE_EINVALIDSTATE || rc == ACORE_EINVAL);
  else if (rc != ACORE_OK) /* only its owner completes it */
    FZ_CHECK(rc == ACORE_EINVAL);
}

static void op_cancel(void) {
  slot *s = &F[next() % NF];
  unsigned how = next();
  int was_done, rc;

  if (s->f == NULL)
    return;
  was_done = acore_future_is_done(s->f);
  if (acore_future_is_task(s->f) && how & 1)
    rc = acore_task_cancel(acore_task_from_future(s->f),
                           how & 2 ? "stop" : NULL);
  else
    rc = acore_future_cancel(s->f, how & 2 ? "stop" : NULL);
  if (!closed && was_done)
    FZ_CHECK(rc == 0);
  else
    FZ_CHECK(rc == 0 || rc == 1 || rc == ACORE_ECLOSED || rc == ACORE_ENOMEM);
}

static void op_dup(void) {
  unsigned a = next(), b = next();

  if (F[a % NF].f == NULL || a % NF == b % NF)
    return;
  slot_put(b, acore_future_ref(F[a % NF].f), F[a % NF].depth);
}

static void op_add_cb(void) {
  slot *s = &F[next() % NF];
  track *t;
  int rc;

  if (s->f == NULL || (t = track_new()) == NULL)
    return;
  rc = acore_future_add_done_callback(s->f, on_done, t, track_free);
  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    s->cb = t;
}

static void op_remove_cb(void) {
  slot *s = &F[next() % NF];
  int was_done, rc;

  if (s->f == NULL || s->cb == NULL)
    return;
  was_done = acore_future_is_done(s->f);
  rc = acore_future_remove_done_callback(s->f, on_done, s->cb);
  FZ_CHECK(rc >= 0 || rc == ACORE_ECLOSED);
  if (was_done)
    FZ_CHECK(rc == 0 || rc == ACORE_ECLOSED);
  if (rc == 1)
    FZ_CHECK(atomic_load(&s->cb->frees) == 1);
  s->cb = NULL;
}

static void op_spawn(void) {
  unsigned i = next();
  script *sc = script_new();
  acore_task_t *t;
  int rc;

  if (sc == NULL)
    return;
  rc = acore_task_spawn(L, script_step, sc, script_free, &t);
  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, acore_task_future(t), 0);
  else
    FZ_CHECK(atomic_load(&sc->tr->frees) == 1);
}

static void op_gather(void) {
  unsigned mask = next(), flags = next(), i = next();
  acore_future_t *fs[NF], *g;
  int depth, rc;
  size_t n = subset(mask, fs, &depth);

  if (depth >= FZ_MAX_DEPTH)
    return; /* KNOWN: cancelling deep gathers sharing children */
  rc = acore_gather(L, fs, n, flags & 7, &g);
  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, g, depth + 1);
}

/* A timeout: none (infinite) or 0 .. 1.27 s. */
static double timeout_of(unsigned b) {
  return b & 0x80 ? INFINITY : (b & 0x7f) * 0.01;
}

static void op_wait(void) {
  unsigned mask = next(), how = next(), tb = next(), i = next();
  acore_future_t *fs[NF], *w;
  int depth, rc;
  size_t n = subset(mask, fs, &depth);
  double timeout = timeout_of(tb);

  if (isfinite(timeout) && npark == NPARK)
    return; /* KNOWN: see PARK */
  if (how & 4)
    rc = acore_wait_at_least(L, fs, n, how >> 3 & 7, timeout, &w);
  else
    rc = acore_wait(L, fs, n, how & 3, timeout, &w);
  if ((how & 4) ? (how >> 3 & 7) > n || ((how >> 3 & 7) == 0 && n > 0)
                : how % 4 == 3) /* count 0 or > n; unknown return_when */
    FZ_CHECK(rc == ACORE_EINVAL || (closed && rc == ACORE_ECLOSED));
  else
    expect_rc(rc, 0);
  if (rc != ACORE_OK)
    return;
  if (isfinite(timeout))
    PARK[npark++] = acore_future_ref(w);
  slot_put(i, w, depth + 1);
}

static void op_wait_for(void) {
  slot *s = &F[next() % NF];
  unsigned tb = next(), i = next();
  acore_future_t *w;
  int rc;

  if (s->f == NULL)
    return;
  rc = acore_wait_for(s->f, timeout_of(tb), &w);
  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, w, s->depth + 1);
}

static void op_sleep(void) {
  unsigned d = next(), i = next();
  acore_future_t *f;
  int rc = acore_sleep(L, (d & 0x7f) * 0.01, &f);

  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, f, 0);
}

static void op_shield(void) {
  slot *s = &F[next() % NF];
  unsigned i = next();
  acore_future_t *f;
  int rc;

  if (s->f == NULL)
    return;
  rc = acore_shield(s->f, &f);
  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, f, s->depth + 1);
}

static void op_as_completed(void) {
  unsigned mask = next(), tb = next(), i = next(), nx = next();
  acore_future_t *fs[NF], *ac, *nf;
  int depth, rc;
  size_t n = subset(mask, fs, &depth);
  double timeout = timeout_of(tb);
  track *t = track_new();

  if (t == NULL || (isfinite(timeout) && npark == NPARK))
    return; /* KNOWN: see PARK */
  rc = acore_as_completed(L, fs, n, timeout, nx & 1 ? on_completed : NULL,
                          t, track_free, &ac);
  expect_rc(rc, 0);
  if (rc != ACORE_OK) {
    FZ_CHECK(atomic_load(&t->frees) == 1);
    return;
  }
  if (isfinite(timeout))
    PARK[npark++] = acore_future_ref(ac);
  if (nx & 2 && acore_as_completed_next(ac, &nf) == ACORE_OK)
    slot_put(nx >> 2, nf, depth + 1);
  slot_put(i, ac, depth + 1);
}

static void op_sem(void) {
  unsigned which = next() & 1, how = next(), i = next();
  acore_sem_t **sp = &S[which];
  acore_future_t *f;
  int rc;

  if (*sp == NULL || how % 8 == 0) {
    acore_sem_unref(*sp);
    *sp = NULL;
    S_cap[which] = how & 0x80 ? how >> 3 & 3 : SIZE_MAX;
    rc = acore_sem_new(L, how >> 3 & 3, how & 0x80 ? ACORE_SEM_BOUNDED : 0, sp);
    expect_rc(rc, 0);
    return;
  }
  switch (how % 8) {
  case 1:
  case 2:
    rc = acore_sem_acquire(*sp, 1 + (how >> 3 & 1), &f);
    if (1 + (how >> 3 & 1) > S_cap[which]) /* above a bounded one's value */
      FZ_CHECK(rc == ACORE_EINVAL || (closed && rc == ACORE_ECLOSED));
    else
      expect_rc(rc, ACORE_ECLOSED); /* the semaphore is closed */
    if (rc == ACORE_OK)
      slot_put(i, f, 0);
    break;
  case 3:
    rc = acore_sem_release(*sp, 1);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EOVERFLOW || rc == ACORE_ECLOSED);
    break;
  case 4:
    rc = acore_sem_try_acquire(*sp, 1);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EAGAIN || rc == ACORE_ECLOSED);
    break;
  case 5:
    rc = acore_sem_close(*sp);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_ECLOSED);
    break;
  case 6:
    rc = acore_sem_release(*sp, 0);
    FZ_CHECK(rc == ACORE_EINVAL || rc == ACORE_ECLOSED);
    break;
  default:
    acore_sem_unref(*sp);
    *sp = NULL;
    break;
  }
}

static void op_lock_event(void) {
  unsigned how = next(), i = next();
  acore_future_t *f;
  int rc, was_locked;

  if (LK == NULL && (rc = acore_lock_new(L, &LK)) != ACORE_OK) {
    expect_rc(rc, 0);
    return;
  }
  if (EV == NULL && (rc = acore_event_new(L, &EV)) != ACORE_OK) {
    expect_rc(rc, 0);
    return;
  }
  switch (how % 8) {
  case 0:
    rc = acore_lock_acquire(LK, &f);
    expect_rc(rc, 0);
    if (rc == ACORE_OK)
      slot_put(i, f, 0);
    break;
  case 1:
    rc = acore_lock_try_acquire(LK);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EAGAIN || rc == ACORE_ECLOSED ||
             rc == ACORE_ENOMEM);
    break;
  case 2:
    was_locked = acore_lock_is_locked(LK);
    rc = acore_lock_release(LK);
    if (!closed && !was_locked)
      FZ_CHECK(rc == ACORE_EINVALIDSTATE);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EINVALIDSTATE ||
             rc == ACORE_ENOTOWNER || rc == ACORE_ECLOSED);
    break;
  case 3:
    expect_rc(acore_event_set(EV), 0);
    break;
  case 4:
    FZ_CHECK(acore_event_clear(EV) == ACORE_OK); /* also once closed */
    break;
  case 5:
    rc = acore_event_wait(EV, &f);
    expect_rc(rc, 0);
    if (rc == ACORE_OK)
      slot_put(i, f, 0);
    break;
  case 6:
    acore_lock_unref(LK);
    LK = NULL;
    break;
  default:
    acore_event_unref(EV);
    EV = NULL;
    break;
  }
}

static void op_queue(void) {
  unsigned which = next() & 1, how = next(), i = next();
  acore_queue_t **qp = &Q[which];
  acore_future_t *f;
  acore_free_fn item_free;
  void *item;
  track *t;
  int rc;

  if (*qp == NULL || how % 10 == 0) {
    acore_queue_unref(*qp);
    *qp = NULL;
    rc = acore_queue_new(L, how >> 4 & 3, how >> 6 & 1, qp);
    expect_rc(rc, 0);
    return;
  }
  switch (how % 10) {
  case 1:
  case 2:
    if ((t = track_new()) == NULL)
      return;
    if (how & 0x10) {
      rc = acore_queue_put_nowait(*qp, t, track_free);
      FZ_CHECK(rc == ACORE_OK || rc == ACORE_EFULL || rc == ACORE_ECLOSED);
      if (rc != ACORE_OK) /* the item stays the caller's on error */
        track_free(t);
      return;
    }
    rc = acore_queue_put(*qp, t, track_free, &f);
    expect_rc(rc, ACORE_ECLOSED); /* shut down */
    if (rc == ACORE_OK)
      slot_put(i, f, 0);
    else
      track_free(t);
    break;
  case 3:
  case 4:
    rc = acore_queue_get(*qp, &f);
    expect_rc(rc, ACORE_ECLOSED); /* shut down and empty */
    if (rc == ACORE_OK)
      slot_put(i, f, 0);
    break;
  case 5:
    rc = acore_queue_get_nowait(*qp, &item, &item_free);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EEMPTY || rc == ACORE_ECLOSED);
    if (rc == ACORE_OK && item_free != NULL)
      item_free(item);
    break;
  case 6:
    rc = acore_queue_task_done(*qp);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EINVALIDSTATE ||
             rc == ACORE_ECLOSED);
    break;
  case 7:
    rc = acore_queue_join(*qp, &f);
    expect_rc(rc, 0);
    if (rc == ACORE_OK)
      slot_put(i, f, 0);
    break;
  case 8:
    rc = acore_queue_shutdown(*qp, how >> 4 & 1);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_ECLOSED);
    break;
  default:
    acore_queue_unref(*qp);
    *qp = NULL;
    break;
  }
}

static void op_group(void) {
  unsigned which = next() & 1, how = next(), i = next();
  acore_group_t **gp = &G[which];
  acore_task_t *t;
  script *sc;
  int rc;

  if (*gp == NULL || how % 6 == 0) {
    acore_group_unref(*gp);
    *gp = NULL;
    rc = acore_group_new(L, gp);
    expect_rc(rc, 0);
    return;
  }
  switch (how % 6) {
  case 1:
  case 2:
    if ((sc = script_new()) == NULL)
      return;
    rc = acore_group_spawn(*gp, script_step, sc, script_free,
                           how & 8 ? &t : NULL);
    FZ_CHECK(rc == ACORE_OK || rc == ACORE_EINVALIDSTATE ||
             rc == ACORE_ECLOSED || rc == ACORE_ENOMEM);
    if (rc != ACORE_OK)
      FZ_CHECK(atomic_load(&sc->tr->frees) == 1);
    else if (how & 8)
      slot_put(i, acore_task_future(t), 0);
    break;
  case 3:
    FZ_CHECK(acore_group_seal(*gp) == ACORE_OK || closed);
    break;
  case 4:
    slot_put(i, acore_future_ref(acore_group_future(*gp)), 0);
    break;
  default:
    acore_group_unref(*gp);
    *gp = NULL;
    break;
  }
}

static void op_executor(void) {
  unsigned i = next();
  acore_executor_options_t *o;
  acore_future_t *f;
  track *t;
  int rc;

  if (EX == NULL) {
    if (acore_executor_options_new(&o) != ACORE_OK)
      return;
    acore_executor_options_set_max_workers(o, 1);
    rc = acore_executor_new(o, &EX);
    acore_executor_options_free(o);
    if (rc != ACORE_OK)
      return;
  }
  if ((t = track_new()) == NULL)
    return;
  rc = acore_run_in_executor(L, EX, on_work, t, track_free, &f);
  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, f, 0);
}

static void op_run(void) {
  unsigned n = next() % 4 + 1, adv = next();
  int rc;

  if (adv & 0x80) {
    rc = acore_loop_advance(L, (adv & 0x7f) * 0.005);
    FZ_CHECK(rc == ACORE_OK || (closed && rc == ACORE_ECLOSED));
  }
  while (n-- > 0) {
    rc = acore_loop_run_once(L, ACORE_RUN_NOWAIT);
    FZ_CHECK(rc >= 0 || (closed && rc == ACORE_ECLOSED));
  }
}

static void op_call(void) {
  unsigned how = next();
  acore_handle_t *h = NULL;
  track *t = track_new();
  int rc;

  if (t == NULL)
    return;
  if (how & 1)
    rc = acore_loop_call_later(L, (how >> 2 & 15) * 0.01, on_call, t,
                               track_free, &h);
  else
    rc = acore_loop_call_soon(L, on_call, t, track_free, &h);
  expect_rc(rc, 0);
  if (rc != ACORE_OK) {
    FZ_CHECK(atomic_load(&t->frees) == 1);
    return;
  }
  if (how & 2)
    FZ_CHECK(acore_handle_cancel(h) >= 0 || closed);
  acore_handle_unref(h);
}

static void op_close(void) {
  FZ_CHECK(acore_loop_close(L) == ACORE_OK);
  closed = 1;
}

/* Misuse the API promises to detect, with its documented code. */
static void op_misuse(void) {
  unsigned how = next();
  slot *s = &F[next() % NF];
  acore_future_t *f, *fs[2];
  int64_t v;
  int rc;

  switch (how % 6) {
  case 0: /* a future of another loop in a gather */
    if (s->f == NULL)
      return;
    if (L2 == NULL && acore_loop_new(NULL, &L2) != ACORE_OK)
      return;
    if (acore_future_new(L2, &fs[1]) != ACORE_OK)
      return;
    fs[0] = s->f;
    rc = acore_gather(L, fs, 2, 0, &f);
    FZ_CHECK(rc == ACORE_EINVAL || (closed && rc == ACORE_ECLOSED));
    acore_future_unref(fs[1]);
    break;
  case 1: /* await outside a step */
    if (s->f == NULL || !acore_future_is_task(s->f))
      return;
    FZ_CHECK(acore_task_await_take(acore_task_from_future(s->f),
                              acore_future_ref(s->f)) == ACORE_EINVAL);
    break;
  case 2: /* read a pending future's value */
    if (s->f == NULL || acore_future_is_done(s->f))
      return;
    FZ_CHECK(acore_future_result_int(s->f, &v) == ACORE_EINVALIDSTATE);
    break;
  case 3: /* read a value of another type */
    if (s->f == NULL || acore_future_state(s->f) != ACORE_FUTURE_RESULT ||
        acore_future_result_kind(s->f) == ACORE_VALUE_INT)
      return;
    FZ_CHECK(acore_future_result_int(s->f, &v) == ACORE_ETYPE);
    break;
  case 4: /* negative delays */
    FZ_CHECK(acore_sleep(L, -1.0, &f) == ACORE_EINVAL);
    if (s->f != NULL)
      FZ_CHECK(acore_wait_for(s->f, -1.0, &f) == ACORE_EINVAL);
    break;
  default: /* NULL arguments */
    FZ_CHECK(acore_future_new(NULL, &f) == ACORE_EINVAL);
    FZ_CHECK(acore_gather(L, NULL, 1, 0, &f) == ACORE_EINVAL);
    FZ_CHECK(acore_future_add_done_callback(NULL, on_done, NULL, NULL) ==
             ACORE_EINVAL);
    break;
  }
}

static void op_read(void) {
  slot *s = &F[next() % NF];
  acore_error_t *e;
  const void *data;
  size_t len;
  void *p;

  if (s->f == NULL || !acore_future_is_done(s->f))
    return;
  switch (acore_future_state(s->f)) {
  case ACORE_FUTURE_ERROR:
    e = acore_future_error(s->f);
    FZ_CHECK(e != NULL && acore_error_code(e) < 0);
    break;
  case ACORE_FUTURE_RESULT:
    if (acore_future_result_kind(s->f) == ACORE_VALUE_BYTES)
      FZ_CHECK(acore_future_result_bytes(s->f, &data, &len) == ACORE_OK);
    else
      FZ_CHECK(acore_future_result(s->f, &p) == ACORE_OK ||
               acore_future_result_kind(s->f) != ACORE_VALUE_PTR);
    break;
  default:
    FZ_CHECK(acore_future_is_cancelled(s->f) == 1);
    break;
  }
}

static void (*const OPS[])(void) = {
    op_future_new, op_set,    op_cancel,       op_dup,      op_add_cb,
    op_remove_cb,  op_spawn,  op_gather,       op_wait,     op_wait_for,
    op_sleep,      op_shield, op_as_completed, op_sem,      op_lock_event,
    op_queue,      op_group,  op_executor,     op_run,      op_call,
    op_misuse,     op_read,   op_run,          op_future_new, op_set,
    op_spawn,      op_run,    op_close};
#define NOPS (sizeof(OPS) / sizeof(OPS[0]))

/* ---- one input ---- */
static void reset(void) {
  memset(F, 0, sizeof(F));
  memset(S, 0, sizeof(S));
  memset(Q, 0, sizeof(Q));
  memset(G, 0, sizeof(G));
  LK = NULL;
  EV = NULL;
  EX = NULL;
  L2 = NULL;
  nt = nsc = npark = 0;
  seq = 0;
  closed = 0;
}

static void finish(void) {
  int i;

  if (!closed) { /* let what can finish, finish */
    for (i = 0; i < 8; i++)
      acore_loop_run_once(L, ACORE_RUN_NOWAIT);
    FZ_CHECK(acore_loop_close(L) == ACORE_OK);
    closed = 1;
  }
  FZ_CHECK(acore_loop_close(L) == ACORE_OK); /* twice is harmless */
  for (i = 0; i < NF; i++)
    slot_drop(i);
  for (i = 0; i < npark; i++)
    acore_future_unref(PARK[i]);
  for (i = 0; i < 2; i++) {
    acore_sem_unref(S[i]);
    acore_queue_unref(Q[i]);
    acore_group_unref(G[i]);
  }
  acore_lock_unref(LK);
  acore_event_unref(EV);
  if (EX != NULL) {
    FZ_CHECK(acore_executor_shutdown(EX, ACORE_EXECUTOR_WAIT) == ACORE_OK);
    acore_executor_unref(EX);
  }
  acore_loop_unref(L);
  if (L2 != NULL) {
    acore_loop_close(L2);
    acore_loop_unref(L2);
  }
  if (use_host_uv) /* the close callbacks of acore's handles */
    FZ_CHECK(uv_run(&host_uv, UV_RUN_NOWAIT) == 0);
  for (i = 0; i < nt; i++) {
    FZ_CHECK(atomic_load(&T[i].frees) == 1);
    FZ_CHECK(atomic_load(&T[i].calls) <= 1);
  }
  FZ_CHECK(atomic_load(&fz_live) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *own = getenv("FUZZ_OWN_UV_LOOP");

  (void)argc;
  (void)argv;
  acore_set_allocator(fz_malloc, fz_realloc, fz_calloc, fz_free);
  use_host_uv = own == NULL || strcmp(own, "1") != 0;
  if (use_host_uv && uv_loop_init(&host_uv) != 0)
    abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  acore_loop_options_t *o;
  int ops = 0;

  reset();
  in = data;
  in_len = size;
  in_pos = 0;
  if (acore_loop_options_new(&o) != ACORE_OK)
    abort();
  acore_loop_options_set_flags(o, ACORE_LOOP_VIRTUAL_CLOCK);
  if (use_host_uv)
    acore_loop_options_set_uv_loop(o, &host_uv);
  FZ_CHECK(acore_loop_new(o, &L) == ACORE_OK);
  acore_loop_options_free(o);
  FZ_CHECK(acore_loop_set_error_handler(L, on_report, NULL, NULL) == ACORE_OK);
  while (in_pos < in_len && ops++ < FZ_MAX_OPS) {
    OPS[next() % NOPS]();
    check_step();
  }
  finish();
  return 0;
}
