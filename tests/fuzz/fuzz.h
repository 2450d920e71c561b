/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the parts of the API-sequence harness share
 * (docs/internals/fuzzing.md): the pool of handles, the tracked records,
 * the input reader and the checks.
 *
 * fuzz_api.c   the pool, the checks, futures, combinators, the loop, the
 *              operation table and libFuzzer's entry points;
 * fuzz_task.c  task scripts and callbacks that call back into acore;
 * fuzz_sync.c  semaphores, the lock, the event, the condition, queues,
 *              groups and the executor.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include "internal.h" /* struct acore_future: the reference check */

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NF 8 /* future slots */

#define FZ_CHECK(c)                                                        \
  do {                                                                     \
    if (!(c)) {                                                            \
      fprintf(stderr, "fuzz_api: check failed at %s:%d: %s\n", __FILE__,   \
              __LINE__, #c);                                               \
      abort();                                                             \
    }                                                                      \
  } while (0)

/* A ud, a value or an item handed to acore. `act` and `arg` say what its
 * callback and its ud_free do besides counting (fz_act). */
typedef struct track {
  int used;
  uint8_t act, arg;
  atomic_int calls; /* fn calls (done callback, call, work function) */
  atomic_int frees; /* ud_free / value_free / item_free calls */
} track;

typedef struct slot {
  acore_future_t *f;
  int last_state; /* the state seen after the previous operation */
  track *cb;      /* the last done callback added through this slot */
} slot;

/* The pool, reset for each input. */
extern acore_loop_t *L;
extern acore_loop_t *L2; /* another loop, for cross-loop misuse */
extern int closing;      /* acore_loop_close called (maybe not returned) */
extern int closed;       /* acore_loop_close returned */
extern int loop_gone;    /* the harness dropped its loop reference */
extern slot F[NF];
extern acore_sem_t *S[2];
extern size_t S_cap[2]; /* a bounded semaphore's initial value, or SIZE_MAX */
extern acore_lock_t *LK;
extern acore_event_t *EV;
extern acore_cond_t *CV;
extern acore_queue_t *Q[2];
extern acore_group_t *G[2];
extern acore_executor_t *EX;

unsigned next(void);
track *track_new(void);
void track_free(void *ud);
void track_call(track *t);
void slot_put(unsigned i, acore_future_t *f);
void slot_drop(unsigned i);

/* A constructor's result: ACORE_OK while the loop is open, ACORE_ECLOSED
 * once it is closing or closed, or `also` (0: nothing else) when the call
 * may refuse for a documented reason of its own. */
#define expect_rc(rc, also) expect_rc_at(rc, also, __LINE__)
void expect_rc_at(int rc, int also, int line);

/* fuzz_task.c */
typedef struct script script;
script *script_new(uint8_t kind);
script *script_fixed(uint8_t seed);
int script_step(acore_task_t *t, void *ud);
void script_free(void *ud);
int script_freed(const script *sc);
void script_set_act(script *sc, uint8_t act, uint8_t arg);
void scripts_reset(void);
void on_done(acore_future_t *f, void *ud);
void on_call(void *ud);
void act_free(void *ud);

/* fuzz_sync.c */
void op_sem(void);
void op_lock_event(void);
void op_cond(void);
void op_queue(void);
void op_group(void);
void op_executor(void);
int pred_true(void *ud);

#endif
