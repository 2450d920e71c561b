/* SPDX-License-Identifier: MIT */
/*
 * fuzz_api.c - a libFuzzer harness that reads its input as a sequence of API
 * operations over a small pool of handles (docs/internals/fuzzing.md).
 *
 * Each input gets one loop on the virtual clock and NF future slots; every
 * operation is one opcode byte and a few argument bytes (missing bytes read
 * as 0). The operations make futures, tasks, gathers/waits over subsets of
 * the slots, timeouts, shields, groups, semaphores, a lock, an event, a
 * condition, queues, executor jobs and scheduled calls; they set, cancel
 * and release them, run loop iterations, move the clock, close the loop at
 * any point, and misuse the API where it promises an error code (which is
 * checked). Callbacks and cleanups may call back into acore, also while
 * the loop closes (fuzz_task.c).
 *
 * Checked after every operation: each held future has a reference for each
 * slot holding it, a done future never changes state, and no callback ran
 * twice or after its ud_free. At the end (the loop closed and everything
 * released): every ud_free, value_free and item_free handed to acore ran
 * exactly once, and every allocation acore made was freed.
 *
 * Nothing is avoided on purpose: combinators with a timeout are released
 * at any time, gathers nest without limit, tasks await any future (cycles
 * through other tasks and gathers included).
 */
#include "fuzz.h"

#include <math.h>
#include <string.h>

#define NT 2048 /* tracked ud / value records per input */
#define FZ_MAX_OPS 400

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
static track T[NT];
static int nt;

track *track_new(void) {
  track *t;

  if (nt == NT)
    return NULL;
  t = &T[nt++];
  t->used = 1;
  t->act = t->arg = 0;
  atomic_store(&t->calls, 0);
  atomic_store(&t->frees, 0);
  return t;
}

void track_free(void *ud) {
  track *t = ud;
  FZ_CHECK(atomic_fetch_add(&t->frees, 1) == 0);
}

void track_call(track *t) {
  FZ_CHECK(atomic_load(&t->frees) == 0);
  FZ_CHECK(atomic_fetch_add(&t->calls, 1) == 0);
}

/* ---- the pool ---- */
acore_loop_t *L;
acore_loop_t *L2;
int closing, closed, loop_gone;
slot F[NF];
acore_sem_t *S[2];
size_t S_cap[2];
acore_lock_t *LK;
acore_event_t *EV;
acore_cond_t *CV;
acore_queue_t *Q[2];
acore_group_t *G[2];
acore_executor_t *EX;
/* The host's uv loop every input's acore loop is built on (a fresh uv loop
 * per input costs more than most inputs); FUZZ_OWN_UV_LOOP=1 gives each
 * input a uv loop of its own instead. */
static uv_loop_t host_uv;
static int use_host_uv;

/* the input */
static const uint8_t *in;
static size_t in_len, in_pos;

unsigned next(void) { return in_pos < in_len ? in[in_pos++] : 0; }

/* ---- slots ---- */

/* Store f (a reference the slot takes) in slot i. The old future is
 * released last: its cleanups may call back into the harness and store
 * into this very slot. */
void slot_put(unsigned i, acore_future_t *f) {
  slot *s = &F[i % NF];
  acore_future_t *old = s->f;

  s->f = f;
  s->last_state = f != NULL ? acore_future_state(f) : 0;
  s->cb = NULL;
  acore_future_unref(old);
}

void slot_drop(unsigned i) { slot_put(i, NULL); }

/* The futures of the slots named by `mask`, in slot order. */
static size_t subset(unsigned mask, acore_future_t **out) {
  size_t n = 0;
  int i;

  for (i = 0; i < NF; i++)
    if ((mask >> i) & 1 && F[i].f != NULL)
      out[n++] = F[i].f;
  return n;
}

/* A new reference to slot i's future, or NULL: held across a call that
 * may run a cleanup which releases the slot. */
static acore_future_t *slot_ref(unsigned i) {
  return acore_future_ref(F[i % NF].f);
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

void expect_rc_at(int rc, int also, int line) {
  int shut = closing || closed;

  if (rc == (shut ? ACORE_ECLOSED : ACORE_OK) || (also != 0 && rc == also))
    return;
  fprintf(stderr, "fuzz_api: line %d: unexpected %s (loop %s)\n", line,
          acore_err_name(rc), shut ? "closed" : "open");
  abort();
}

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

/* ---- operations: futures ---- */
static void op_future_new(void) {
  unsigned i = next();
  acore_future_t *f;
  int rc = acore_future_new(L, &f);

  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, f);
}

static void op_set(void) {
  acore_future_t *f = slot_ref(next());
  unsigned how = next();
  int was_done, rc;
  track *t;

  if (f == NULL)
    return;
  was_done = acore_future_is_done(f);
  switch (how % 6) {
  case 0:
    rc = acore_future_set_int(f, how);
    break;
  case 1:
    rc = acore_future_set_double(f, how * 0.5);
    break;
  case 2:
    rc = acore_future_set_bytes(f, "abc", how % 4);
    break;
  case 3:
    rc = acore_future_set_error_code(f, ACORE_EIO, how & 8 ? "io" : NULL);
    break;
  case 4:
    if ((t = track_new()) == NULL) {
      acore_future_unref(f);
      return;
    }
    rc = acore_future_set_result(f, t, track_free);
    if (rc != ACORE_OK) /* the value stays the caller's on error */
      track_free(t);
    break;
  default:
    rc = acore_future_set_result(f, NULL, NULL);
    break;
  }
  acore_future_unref(f);
  if (closed) /* refused; which check comes first is not promised */
    FZ_CHECK(rc == ACORE_ECLOSED || rc == ACORE_EINVALIDSTATE ||
             rc == ACORE_EINVAL);
  else if (was_done)
    FZ_CHECK(rc == ACORE_EINVALIDSTATE || rc == ACORE_EINVAL);
  else if (rc != ACORE_OK) /* only its owner completes it */
    FZ_CHECK(rc == ACORE_EINVAL);
}

static void op_cancel(void) {
  acore_future_t *f = slot_ref(next());
  unsigned how = next();
  int was_done, rc;

  if (f == NULL)
    return;
  was_done = acore_future_is_done(f);
  if (acore_future_is_task(f) && how & 1)
    rc = acore_task_cancel(acore_task_from_future(f), how & 2 ? "stop" : NULL);
  else
    rc = acore_future_cancel(f, how & 2 ? "stop" : NULL);
  acore_future_unref(f);
  if (!closed && was_done)
    FZ_CHECK(rc == 0);
  else
    FZ_CHECK(rc == 0 || rc == 1 || rc == ACORE_ECLOSED || rc == ACORE_ENOMEM);
}

static void op_dup(void) {
  unsigned a = next(), b = next();

  if (F[a % NF].f == NULL || a % NF == b % NF)
    return;
  slot_put(b, acore_future_ref(F[a % NF].f));
}

/* A done callback; with_act: its callback and cleanup call back into
 * acore (fuzz_task.c). */
static void add_cb(int with_act) {
  unsigned i = next();
  uint8_t act = with_act ? (uint8_t)next() : 0;
  uint8_t arg = with_act ? (uint8_t)next() : 0;
  acore_future_t *f = slot_ref(i);
  track *t;
  int rc;

  if (f == NULL || (t = track_new()) == NULL) {
    acore_future_unref(f);
    return;
  }
  t->act = act;
  t->arg = arg;
  rc = acore_future_add_done_callback(f, on_done, t, act_free);
  expect_rc(rc, 0);
  if (rc == ACORE_OK && F[i % NF].f == f)
    F[i % NF].cb = t;
  acore_future_unref(f);
}

static void op_add_cb(void) { add_cb(0); }
static void op_add_cb_act(void) { add_cb(1); }

static void op_remove_cb(void) {
  slot *s = &F[next() % NF];
  acore_future_t *f = acore_future_ref(s->f);
  track *cb = s->cb;
  int was_done, rc;

  if (f == NULL || cb == NULL) {
    acore_future_unref(f);
    return;
  }
  s->cb = NULL;
  was_done = acore_future_is_done(f);
  rc = acore_future_remove_done_callback(f, on_done, cb);
  FZ_CHECK(rc >= 0 || rc == ACORE_ECLOSED);
  if (was_done)
    FZ_CHECK(rc == 0 || rc == ACORE_ECLOSED);
  if (rc == 1)
    FZ_CHECK(atomic_load(&cb->frees) == 1);
  acore_future_unref(f);
}

/* Release a slot (the last reference, maybe). */
static void op_drop(void) { slot_drop(next()); }

/* ---- operations: tasks ---- */
static void spawn(script *sc, unsigned i) {
  acore_task_t *t;
  int rc;

  if (sc == NULL)
    return;
  rc = acore_task_spawn(L, script_step, sc, script_free, &t);
  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, acore_task_future(t));
  else
    FZ_CHECK(script_freed(sc));
}

static void op_spawn(void) {
  unsigned i = next();

  spawn(script_new(0), i);
}

/* A sync script: locks, the condition, semaphores, queues in a task. */
static void op_spawn_sync(void) {
  unsigned i = next();

  spawn(script_new(1), i);
}

/* A plain script whose cleanup calls back into acore. */
static void op_spawn_act(void) {
  unsigned i = next(), act = next(), arg = next();
  script *sc = script_new(0);

  if (sc != NULL)
    script_set_act(sc, (uint8_t)act, (uint8_t)arg);
  spawn(sc, i);
}

/* ---- operations: combinators ---- */
static void op_gather(void) {
  unsigned mask = next(), flags = next(), i = next();
  acore_future_t *fs[NF], *g;
  size_t n = subset(mask, fs);
  int rc = acore_gather(L, fs, n, flags & 7, &g);

  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, g);
}

/* A timeout: none (infinite) or 0 .. 1.27 s. */
static double timeout_of(unsigned b) {
  return b & 0x80 ? INFINITY : (b & 0x7f) * 0.01;
}

static void op_wait(void) {
  unsigned mask = next(), how = next(), tb = next(), i = next();
  acore_future_t *fs[NF], *w;
  size_t n = subset(mask, fs);
  double timeout = timeout_of(tb);
  int rc;

  if (how & 4)
    rc = acore_wait_at_least(L, fs, n, how >> 3 & 7, timeout, &w);
  else
    rc = acore_wait(L, fs, n, how & 3, timeout, &w);
  if ((how & 4) ? (how >> 3 & 7) > n || ((how >> 3 & 7) == 0 && n > 0)
                : how % 4 == 3) /* count 0 or > n; unknown return_when */
    FZ_CHECK(rc == ACORE_EINVAL || (closed && rc == ACORE_ECLOSED));
  else
    expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, w);
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
    slot_put(i, w);
}

static void op_sleep(void) {
  unsigned d = next(), i = next();
  acore_future_t *f;
  int rc = acore_sleep(L, (d & 0x7f) * 0.01, &f);

  expect_rc(rc, 0);
  if (rc == ACORE_OK)
    slot_put(i, f);
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
    slot_put(i, f);
}

static void op_as_completed(void) {
  unsigned mask = next(), tb = next(), i = next(), nx = next();
  acore_future_t *fs[NF], *ac, *nf;
  size_t n = subset(mask, fs);
  double timeout = timeout_of(tb);
  track *t = track_new();
  int rc;

  if (t == NULL)
    return;
  rc = acore_as_completed(L, fs, n, timeout, nx & 1 ? on_completed : NULL,
                          t, track_free, &ac);
  expect_rc(rc, 0);
  if (rc != ACORE_OK) {
    FZ_CHECK(atomic_load(&t->frees) == 1);
    return;
  }
  if (nx & 2 && acore_as_completed_next(ac, &nf) == ACORE_OK)
    slot_put(nx >> 2, nf);
  slot_put(i, ac);
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

/* A scheduled call; with_act: its callback and cleanup call back into
 * acore (fuzz_task.c). */
static void call(int with_act) {
  unsigned how = next();
  uint8_t act = with_act ? (uint8_t)next() : 0;
  uint8_t arg = with_act ? (uint8_t)next() : 0;
  acore_handle_t *h = NULL;
  track *t = track_new();
  int rc;

  if (t == NULL)
    return;
  t->act = act;
  t->arg = arg;
  if (how & 1)
    rc = acore_loop_call_later(L, (how >> 2 & 15) * 0.01, on_call, t,
                               act_free, &h);
  else
    rc = acore_loop_call_soon(L, on_call, t, act_free, &h);
  expect_rc(rc, 0);
  if (rc != ACORE_OK) {
    FZ_CHECK(atomic_load(&t->frees) == 1);
    return;
  }
  if (how & 2)
    FZ_CHECK(acore_handle_cancel(h) >= 0 || closed);
  acore_handle_unref(h);
}

static void op_call(void) { call(0); }
static void op_call_act(void) { call(1); }

static void op_close(void) {
  closing = 1;
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

/* The operation table. Append new operations at the end: the corpus's
 * meaning depends on the numbering (docs/internals/fuzzing.md). */
static void (*const OPS[])(void) = {
    op_future_new, op_set,    op_cancel,       op_dup,      op_add_cb,
    op_remove_cb,  op_spawn,  op_gather,       op_wait,     op_wait_for,
    op_sleep,      op_shield, op_as_completed, op_sem,      op_lock_event,
    op_queue,      op_group,  op_executor,     op_run,      op_call,
    op_misuse,     op_read,   op_run,          op_future_new, op_set,
    op_spawn,      op_run,    op_close,        op_drop,     op_add_cb_act,
    op_call_act,   op_spawn_act, op_spawn_sync, op_cond};
#define NOPS (sizeof(OPS) / sizeof(OPS[0]))

/* ---- one input ---- */
static void reset(void) {
  memset(F, 0, sizeof(F));
  memset(S, 0, sizeof(S));
  memset(Q, 0, sizeof(Q));
  memset(G, 0, sizeof(G));
  LK = NULL;
  EV = NULL;
  CV = NULL;
  EX = NULL;
  L2 = NULL;
  nt = 0;
  scripts_reset();
  closing = closed = loop_gone = 0;
}

/* Release every slot; cleanups may refill one (with refused calls only,
 * once the loop is closed), so until all stay empty. */
static void drop_slots(void) {
  int i, any;

  do {
    any = 0;
    for (i = 0; i < NF; i++)
      if (F[i].f != NULL) {
        slot_drop(i);
        any = 1;
      }
  } while (any);
}

static void release_all(void) {
  int i;

  drop_slots();
  for (i = 0; i < 2; i++) {
    acore_sem_unref(S[i]);
    acore_queue_unref(Q[i]);
    acore_group_unref(G[i]);
  }
  acore_cond_unref(CV);
  acore_lock_unref(LK);
  acore_event_unref(EV);
  if (EX != NULL) {
    FZ_CHECK(acore_executor_shutdown(EX, ACORE_EXECUTOR_WAIT) == ACORE_OK);
    acore_executor_unref(EX);
  }
  drop_slots();
}

static void finish(void) {
  int i;

  if (!closed) { /* let what can finish, finish */
    for (i = 0; i < 8; i++)
      acore_loop_run_once(L, ACORE_RUN_NOWAIT);
    closing = 1;
    FZ_CHECK(acore_loop_close(L) == ACORE_OK);
    closed = 1;
  }
  FZ_CHECK(acore_loop_close(L) == ACORE_OK); /* twice is harmless */
  release_all();
  loop_gone = 1;
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
