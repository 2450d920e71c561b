/* SPDX-License-Identifier: MIT */
/*
 * test_sync_stress.c - randomized, seeded, reproducible stress tests of the
 * synchronisation primitives against simple reference models, checked
 * after every step: permits never negative or above the bound, FIFO order
 * kept, no lost wake-up (whoever the model serves is served, nobody else),
 * nothing leaked; and the bounded map with random jobs, flags and cancels
 * (never more than k in flight, index order, outcomes in input order).
 * The queue's are in test_sync_stress_queue.c.
 *
 * A failure prints the seed and step. Reproduce one sequence with
 *   ACORE_STRESS_SEED=<seed> ./test_sync_stress
 * ACORE_STRESS_SEQS=<n> changes the number of sequences per test.
 */
#include "sync_stress.h"

/* ======================================================================== */
/* Semaphore against a model                                                 */
/* ======================================================================== */

typedef struct semmodel {
  size_t avail, bound;
  bool bounded, closed;
  mfut f[MAXF];
  int nf;
  int queue[MAXF]; /* indexes into f, FIFO */
  int nq;
} semmodel;

static void sm_serve(semmodel *m) {
  while (!m->closed && m->nq > 0 && m->f[m->queue[0]].n <= m->avail) {
    m->avail -= m->f[m->queue[0]].n;
    m->f[m->queue[0]].st = W_GRANTED;
    memmove(m->queue, m->queue + 1, (size_t)--m->nq * sizeof(int));
  }
}

static void sm_unqueue(semmodel *m, int idx) {
  int i;

  for (i = 0; i < m->nq; i++)
    if (m->queue[i] == idx) {
      memmove(m->queue + i, m->queue + i + 1,
              (size_t)(m->nq - i - 1) * sizeof(int));
      m->nq--;
      return;
    }
}

static void sm_check(semmodel *m, acore_sem_t *sem) {
  int i;
  int64_t v;

  CHECK(acore_sem_available_count(sem) == m->avail);
  CHECK(acore_sem_waiter_count(sem) == (size_t)m->nq);
  CHECK(!m->bounded || m->avail <= m->bound);
  for (i = 0; i < m->nf; i++) {
    acore_future_t *f = m->f[i].f;

    switch (m->f[i].st) {
    case W_QUEUED:
      CHECK(acore_future_is_done(f) == 0);
      break;
    case W_GRANTED:
      CHECK(acore_future_result_int(f, &v) == ACORE_OK && v == (int64_t)m->f[i].n);
      break;
    case W_CANCELLED:
      CHECK(acore_future_is_cancelled(f) == 1);
      break;
    case W_CLOSED:
      CHECK(acore_future_result(f, NULL) == ACORE_ECLOSED);
      break;
    default:
      break;
    }
  }
}

static void sm_op(semmodel *m, acore_sem_t *sem) {
  uint32_t op = rnd(100);
  size_t n;
  int rc, i;

  if (op < 35 && m->nf < MAXF) { /* acquire_many */
    mfut *mf = &m->f[m->nf];
    n = 1 + rnd(3);
    if (m->bounded && n > m->bound)
      n = m->bound ? m->bound : 1;
    rc = acore_sem_acquire(sem, n, &mf->f);
    if (m->closed || (m->bounded && n > m->bound)) {
      CHECK(rc == (m->closed && !(m->bounded && n > m->bound)
                       ? ACORE_ECLOSED : ACORE_EINVAL));
      return;
    }
    CHECK(rc == ACORE_OK);
    mf->n = n;
    if (m->nq == 0 && m->avail >= n) {
      m->avail -= n;
      mf->st = W_GRANTED;
    } else {
      mf->st = W_QUEUED;
      m->queue[m->nq++] = m->nf;
    }
    m->nf++;
  } else if (op < 45) { /* try_acquire */
    rc = acore_sem_try_acquire(sem, 1);
    if (m->closed)
      CHECK(rc == ACORE_ECLOSED);
    else if (m->nq == 0 && m->avail >= 1)
      CHECK(rc == ACORE_OK && m->avail-- > 0);
    else
      CHECK(rc == ACORE_EAGAIN);
  } else if (op < 75) { /* release_many */
    n = 1 + rnd(2);
    rc = acore_sem_release(sem, n);
    if (m->bounded && m->avail + n > m->bound) {
      CHECK(rc == ACORE_EOVERFLOW);
      return;
    }
    CHECK(rc == ACORE_OK);
    m->avail += n;
    sm_serve(m);
  } else if (op < 88 && m->nf > 0) { /* cancel any future */
    i = (int)rnd((uint32_t)m->nf);
    if (m->f[i].st == W_DROPPED)
      return;
    rc = acore_future_cancel(m->f[i].f, NULL);
    if (m->f[i].st == W_QUEUED) {
      CHECK(rc == 1);
      m->f[i].st = W_CANCELLED;
      sm_unqueue(m, i);
      sm_serve(m);
    } else {
      CHECK(rc == 0);
    }
  } else if (op < 98 && m->nq > 0) { /* drop a queued waiter */
    i = m->queue[rnd((uint32_t)m->nq)];
    acore_future_unref(m->f[i].f);
    m->f[i].st = W_DROPPED;
    sm_unqueue(m, i);
    sm_serve(m);
  } else if (op >= 98) { /* close */
    CHECK(acore_sem_close(sem) == ACORE_OK);
    for (i = 0; i < m->nq; i++)
      m->f[m->queue[i]].st = W_CLOSED;
    m->nq = 0;
    m->closed = true;
  }
}

static void sem_sequence(acore_loop_t *loop) {
  semmodel m;
  acore_sem_t *sem;
  long live = tu_alloc_live();
  int steps = 20 + (int)rnd(80), i;

  memset(&m, 0, sizeof(m));
  m.bounded = rnd(2);
  m.avail = m.bound = rnd(5);
  CHECK(acore_sem_new(loop, m.avail, m.bounded ? ACORE_SEM_BOUNDED : 0,
                      &sem) == ACORE_OK);
  for (step_now = 1; step_now <= steps; step_now++) {
    sm_op(&m, sem);
    sm_check(&m, sem);
  }
  for (i = 0; i < m.nf; i++)
    if (m.f[i].st != W_DROPPED)
      acore_future_unref(m.f[i].f);
  acore_sem_unref(sem);
  drain(loop);
  CHECK(tu_alloc_live() == live); /* nothing leaked by this sequence */
}

static void test_sync_stress_sem_model(void **state) {
  for_seeds(TU_LOOP(state), 1000, sem_sequence);
}

/* ======================================================================== */
/* Semaphore with tasks: random cancels, no lost permit, no hang             */
/* ======================================================================== */

typedef struct holder {
  acore_sem_t *sem;
  int at, hold; /* steps to hold the permits */
  size_t n;
  int *in_use, *peak;
  bool got;
} holder;

static int holder_step(acore_task_t *t, void *ud) {
  holder *h = ud;
  acore_future_t *f;

  if (h->at == 0) {
    h->at = 1;
    CHECK(acore_sem_acquire(h->sem, h->n, &f) == ACORE_OK);
    return acore_task_await_take(t, f);
  }
  if (h->at == 1) {
    h->at = 2;
    if (acore_sem_acquire_finish(h->sem, acore_task_awaited(t)) != ACORE_OK)
      return acore_task_finish_cancelled(t);
    h->got = true;
    *h->in_use += (int)h->n;
    if (*h->in_use > *h->peak)
      *h->peak = *h->in_use;
  }
  if (h->hold-- > 0 && acore_task_step_status(t) == ACORE_OK)
    return acore_task_yield(t);
  *h->in_use -= (int)h->n;
  CHECK(acore_sem_release(h->sem, h->n) == ACORE_OK);
  return acore_task_step_status(t) == ACORE_OK ? ACORE_TASK_DONE
                                               : acore_task_finish_cancelled(t);
}

static void sem_tasks_sequence(acore_loop_t *loop) {
  enum { NT = 24 };
  acore_sem_t *sem;
  acore_task_t *t[NT];
  holder h[NT];
  size_t value = 1 + rnd(4);
  int in_use = 0, peak = 0, i, iter;
  long live = tu_alloc_live();

  CHECK(acore_sem_new(loop, value, ACORE_SEM_BOUNDED, &sem) == ACORE_OK);
  memset(h, 0, sizeof(h));
  for (i = 0; i < NT; i++) {
    h[i] = (holder){ .sem = sem, .hold = (int)rnd(4), .n = 1 + rnd((uint32_t)value),
                     .in_use = &in_use, .peak = &peak };
    CHECK(acore_task_spawn(loop, holder_step, &h[i], NULL, &t[i]) == ACORE_OK);
  }
  for (iter = 0; iter < 400; iter++) {
    step_now = iter;
    /* cancel a random task at a random moment, also right after a grant */
    if (rnd(3) == 0)
      acore_task_cancel(t[rnd(NT)], NULL);
    if (acore_loop_run_once(loop, ACORE_RUN_NOWAIT) == 0)
      break;
    CHECK(in_use >= 0 && (size_t)in_use <= value);
    CHECK(acore_sem_available_count(sem) + (size_t)in_use <= value);
  }
  drain(loop);
  CHECK(acore_loop_task_count(loop) == 0);        /* no hang */
  CHECK(acore_sem_available_count(sem) == value);        /* no lost permit */
  CHECK(acore_sem_waiter_count(sem) == 0);
  CHECK((size_t)peak <= value);
  for (i = 0; i < NT; i++)
    acore_task_unref(t[i]);
  acore_sem_unref(sem);
  drain(loop);
  CHECK(tu_alloc_live() == live);
}

static void test_sync_stress_sem_tasks_cancel(void **state) {
  for_seeds(TU_LOOP(state), 50000, sem_tasks_sequence);
}

/* ======================================================================== */
/* Lock with tasks: mutual exclusion, FIFO, random cancels                   */
/* ======================================================================== */

typedef struct lholder {
  acore_lock_t *lock;
  int at, hold, id;
  int *in_use, *last_id;
} lholder;

static int lholder_step(acore_task_t *t, void *ud) {
  lholder *h = ud;
  acore_future_t *f;

  if (h->at == 0) {
    h->at = 1;
    CHECK(acore_lock_acquire(h->lock, &f) == ACORE_OK);
    return acore_task_await_take(t, f);
  }
  if (h->at == 1) {
    h->at = 2;
    if (acore_lock_acquire_finish(h->lock, acore_task_awaited(t)) != ACORE_OK)
      return acore_task_finish_cancelled(t);
    CHECK(acore_lock_owner(h->lock) == t);
    CHECK(++*h->in_use == 1);          /* mutual exclusion */
    CHECK(h->id > *h->last_id);        /* FIFO among those served */
    *h->last_id = h->id;
  }
  if (h->hold-- > 0 && acore_task_step_status(t) == ACORE_OK)
    return acore_task_yield(t);
  --*h->in_use;
  CHECK(acore_lock_release(h->lock) == ACORE_OK);
  return acore_task_step_status(t) == ACORE_OK ? ACORE_TASK_DONE
                                               : acore_task_finish_cancelled(t);
}

static void lock_tasks_sequence(acore_loop_t *loop) {
  enum { NT = 16 };
  acore_lock_t *lock;
  acore_task_t *t[NT];
  lholder h[NT];
  int in_use = 0, last_id = -1, i, iter;
  long live = tu_alloc_live();
  tu_reports r;

  tu_capture_reports(loop, &r);
  CHECK(acore_lock_new(loop, &lock) == ACORE_OK);
  for (i = 0; i < NT; i++) {
    h[i] = (lholder){ .lock = lock, .hold = (int)rnd(3), .id = i,
                      .in_use = &in_use, .last_id = &last_id };
    CHECK(acore_task_spawn(loop, lholder_step, &h[i], NULL, &t[i]) ==
          ACORE_OK);
  }
  for (iter = 0; iter < 300; iter++) {
    step_now = iter;
    if (rnd(3) == 0)
      acore_task_cancel(t[rnd(NT)], NULL);
    if (acore_loop_run_once(loop, ACORE_RUN_NOWAIT) == 0)
      break;
  }
  drain(loop);
  CHECK(acore_loop_task_count(loop) == 0);
  CHECK(acore_lock_is_locked(lock) == 0 && acore_lock_waiter_count(lock) == 0);
  CHECK(r.count == 0);
  for (i = 0; i < NT; i++)
    acore_task_unref(t[i]);
  acore_lock_unref(lock);
  drain(loop);
  acore_loop_set_error_handler(loop, NULL, NULL, NULL);
  CHECK(tu_alloc_live() == live);
}

static void test_sync_stress_lock_tasks_cancel(void **state) {
  for_seeds(TU_LOOP(state), 90000, lock_tasks_sequence);
}

/* ======================================================================== */
/* Event against a model                                                     */
/* ======================================================================== */

static void event_sequence(acore_loop_t *loop) {
  acore_event_t *ev;
  mfut f[MAXF];
  bool set = false;
  int nf = 0, nq = 0, i, steps = 20 + (int)rnd(60);
  long live = tu_alloc_live();
  uint32_t op;

  CHECK(acore_event_new(loop, &ev) == ACORE_OK);
  for (step_now = 1; step_now <= steps; step_now++) {
    op = rnd(100);
    if (op < 40 && nf < MAXF) {
      CHECK(acore_event_wait(ev, &f[nf].f) == ACORE_OK);
      f[nf].st = set ? W_GRANTED : W_QUEUED;
      nq += !set;
      nf++;
    } else if (op < 55) {
      CHECK(acore_event_set(ev) == ACORE_OK);
      set = true;
      for (i = 0; i < nf; i++)
        if (f[i].st == W_QUEUED)
          f[i].st = W_GRANTED;
      nq = 0;
    } else if (op < 70) {
      CHECK(acore_event_clear(ev) == ACORE_OK);
      set = false;
    } else if (nf > 0) {
      i = (int)rnd((uint32_t)nf);
      if (f[i].st == W_QUEUED && op < 85) {
        CHECK(acore_future_cancel(f[i].f, NULL) == 1);
        f[i].st = W_CANCELLED;
        nq--;
      } else if (f[i].st == W_QUEUED) {
        acore_future_unref(f[i].f);
        f[i].st = W_DROPPED;
        nq--;
      }
    }
    CHECK(acore_event_is_set(ev) == set);
    CHECK(acore_event_waiter_count(ev) == (size_t)nq);
    for (i = 0; i < nf; i++)
      if (f[i].st != W_DROPPED)
        CHECK(acore_future_state(f[i].f) ==
              (f[i].st == W_QUEUED    ? ACORE_FUTURE_PENDING
               : f[i].st == W_GRANTED ? ACORE_FUTURE_RESULT
                                      : ACORE_FUTURE_CANCELLED));
  }
  for (i = 0; i < nf; i++)
    if (f[i].st != W_DROPPED)
      acore_future_unref(f[i].f);
  acore_event_unref(ev);
  drain(loop);
  CHECK(tu_alloc_live() == live);
}

static void test_sync_stress_event_model(void **state) {
  for_seeds(TU_LOOP(state), 3000, event_sequence);
}

/* ======================================================================== */
/* Condition with tasks: a wait always resumes owning the lock               */
/* ======================================================================== */

typedef struct cstate {
  acore_cond_t *cond;
  int tokens, produced, consumed;
} cstate;

typedef struct consumer {
  cstate *cs;
  int at;
} consumer;

static int has_token(void *ud) { return ((cstate *)ud)->tokens > 0; }

static int consumer_step(acore_task_t *t, void *ud) {
  consumer *c = ud;
  acore_lock_t *lock = acore_cond_lock(c->cs->cond);
  acore_future_t *f;

  switch (c->at++) {
  case 0:
    CHECK(acore_lock_acquire(lock, &f) == ACORE_OK);
    return acore_task_await_take(t, f);
  case 1:
    if (acore_lock_acquire_finish(lock, acore_task_awaited(t)) != ACORE_OK)
      return acore_task_finish_cancelled(t);
    CHECK(acore_lock_owner(lock) == t);
    CHECK(acore_cond_wait_for(c->cs->cond, has_token, c->cs, NULL, &f) ==
          ACORE_OK);
    return acore_task_await_take(t, f);
  default:
    CHECK(acore_lock_owner(lock) == t); /* also when cancelled */
    if (acore_future_is_cancelled(acore_task_awaited(t))) {
      CHECK(acore_lock_release(lock) == ACORE_OK);
      return acore_task_finish_cancelled(t);
    }
    CHECK(c->cs->tokens > 0);
    c->cs->tokens--;
    c->cs->consumed++;
    CHECK(acore_lock_release(lock) == ACORE_OK);
    return ACORE_TASK_DONE;
  }
}

/* Outside any task: produce tokens and notify, if the lock is free. */
static void produce(cstate *cs, int n, bool all) {
  acore_lock_t *lock = acore_cond_lock(cs->cond);

  if (acore_lock_try_acquire(lock) != ACORE_OK)
    return;
  cs->tokens += n;
  cs->produced += n;
  if (all)
    CHECK(acore_cond_notify_all(cs->cond) >= 0);
  else
    CHECK(acore_cond_notify(cs->cond, (size_t)n) >= 0);
  CHECK(acore_lock_release(lock) == ACORE_OK);
}

static void cond_tasks_sequence(acore_loop_t *loop) {
  enum { NT = 12 };
  acore_task_t *t[NT];
  consumer c[NT];
  cstate cs = { 0 };
  int i, iter;
  long live = tu_alloc_live();
  tu_reports r;

  tu_capture_reports(loop, &r);
  CHECK(acore_cond_new(loop, NULL, &cs.cond) == ACORE_OK);
  for (i = 0; i < NT; i++) {
    c[i] = (consumer){ .cs = &cs };
    CHECK(acore_task_spawn(loop, consumer_step, &c[i], NULL, &t[i]) ==
          ACORE_OK);
  }
  for (iter = 0; iter < 200; iter++) {
    step_now = iter;
    if (rnd(4) == 0)
      acore_task_cancel(t[rnd(NT)], NULL);
    if (rnd(3) == 0)
      produce(&cs, (int)rnd(3), rnd(4) == 0);
    acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  }
  for (i = 0; i < 20 && acore_loop_task_count(loop) > 0; i++) {
    drain(loop);
    produce(&cs, NT, true); /* enough for everyone left */
    drain(loop);
  }
  step_now = -1;
  CHECK(acore_loop_task_count(loop) == 0); /* no lost wake-up, no hang */
  CHECK(cs.produced == cs.consumed + cs.tokens);
  CHECK(acore_lock_is_locked(acore_cond_lock(cs.cond)) == 0);
  CHECK(acore_cond_waiter_count(cs.cond) == 0);
  CHECK(r.count == 0);
  for (i = 0; i < NT; i++)
    acore_task_unref(t[i]);
  acore_cond_unref(cs.cond);
  drain(loop);
  acore_loop_set_error_handler(loop, NULL, NULL, NULL);
  CHECK(tu_alloc_live() == live);
}

static void test_sync_stress_cond_tasks_cancel(void **state) {
  for_seeds(TU_LOOP(state), 120000, cond_tasks_sequence);
}

/* ======================================================================== */
/* Bounded map: random jobs, flags and cancels                               */
/* ======================================================================== */

enum { J_OK, J_FAIL, J_NOSTART };
enum { MAXJ = 40 };

typedef struct mjob {
  int plan, hops;       /* outcome, call_soon hops before it completes */
  int started, done;
  acore_future_t *f;    /* borrowed while in flight */
} mjob;

typedef struct mrun {
  mjob j[MAXJ];
  size_t n, k;
  int in_flight, peak, next_expected;
  int first_fail_done;  /* jobs started when the first failure completed */
} mrun;

typedef struct hop { mrun *r; size_t i; } hop;

static void hop_cb(void *ud) {
  hop *h = ud;
  mjob *j = &h->r->j[h->i];

  if (acore_future_is_done(j->f) == 1) { /* cancelled meanwhile */
    free(h);
    return;
  }
  if (j->hops-- > 0) {
    CHECK(acore_loop_call_soon(acore_future_loop(j->f), hop_cb, h, NULL,
                               NULL) == ACORE_OK);
    return;
  }
  if (j->plan == J_FAIL)
    CHECK(acore_future_set_error_code(j->f, ACORE_EIO, NULL) == ACORE_OK);
  else
    CHECK(acore_future_set_int(j->f, (int64_t)h->i * 2) == ACORE_OK);
  free(h);
}

static void mjob_end(acore_future_t *f, void *ud) {
  mrun *r = ud;
  size_t i;

  for (i = 0; i < r->n; i++)
    if (r->j[i].f == f && !r->j[i].done) {
      r->j[i].done = 1;
      r->in_flight--;
      if (acore_future_state(f) != ACORE_FUTURE_RESULT &&
          r->first_fail_done < 0) {
        int c = 0;
        size_t x;
        for (x = 0; x < r->n; x++)
          c += r->j[x].started;
        r->first_fail_done = c;
      }
    }
}

static int mjob_fn(acore_loop_t *loop, size_t i, void *ud,
                   acore_future_t **out) {
  mrun *r = ud;
  mjob *j = &r->j[i];
  hop *h;

  CHECK((int)i == r->next_expected++); /* index order */
  if (j->plan == J_NOSTART)
    return ACORE_EBUSY;
  CHECK(acore_future_new(loop, &j->f) == ACORE_OK);
  j->started = 1;
  if (++r->in_flight > r->peak)
    r->peak = r->in_flight;
  CHECK((size_t)r->in_flight <= r->k);
  CHECK(acore_future_add_done_callback(j->f, mjob_end, r, NULL) == ACORE_OK);
  h = malloc(sizeof(*h));
  h->r = r;
  h->i = i;
  CHECK(acore_loop_call_soon(loop, hop_cb, h, NULL, NULL) == ACORE_OK);
  *out = acore_future_ref(j->f);
  return ACORE_OK;
}

static void map_sequence(acore_loop_t *loop) {
  static const unsigned flag_sets[] = {
    0, ACORE_MAP_SETTLE_ALL, ACORE_MAP_CANCEL_ON_ERROR,
    ACORE_MAP_CANCEL_ON_ERROR | ACORE_MAP_DRAIN };
  mrun r;
  unsigned flags = flag_sets[rnd(4)];
  acore_future_t *m;
  bool cancel = rnd(4) == 0, any_fail = false;
  int cancel_at = (int)rnd(6), iter, rc;
  size_t i;
  int64_t v;
  long live = tu_alloc_live();

  memset(&r, 0, sizeof(r));
  r.n = rnd(MAXJ);
  r.k = 1 + rnd(5);
  r.first_fail_done = -1;
  for (i = 0; i < r.n; i++) {
    uint32_t o = rnd(20);
    r.j[i].plan = o == 0 ? J_NOSTART : o < 3 ? J_FAIL : J_OK;
    r.j[i].hops = (int)rnd(4);
    any_fail |= r.j[i].plan != J_OK;
  }
  CHECK(acore_map(loop, r.n, r.k, mjob_fn, &r, NULL, flags, &m) == ACORE_OK);
  for (iter = 0; acore_future_is_done(m) == 0; iter++) {
    step_now = iter;
    if (cancel && iter == cancel_at)
      CHECK(acore_future_cancel(m, NULL) == 1);
    CHECK(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0);
    CHECK(iter < 10000);
  }
  step_now = -1;
  if ((flags & ACORE_MAP_DRAIN) || (flags & ACORE_MAP_SETTLE_ALL))
    CHECK(acore_map_in_flight_count(m) == 0 || acore_future_is_cancelled(m));
  drain(loop);
  CHECK((size_t)r.peak <= r.k && acore_map_peak_count(m) <= r.k);
  rc = acore_future_result(m, NULL);
  if (acore_future_is_cancelled(m)) {
    CHECK(cancel);
  } else if (flags & ACORE_MAP_SETTLE_ALL) {
    CHECK(rc == ACORE_OK && (size_t)r.next_expected == r.n);
  } else if (!any_fail) {
    CHECK(rc == ACORE_OK);
  } else {
    CHECK(rc == ACORE_EIO || rc == ACORE_EBUSY || rc == ACORE_ECANCELLED ||
          rc == ACORE_OK);
    if (rc == ACORE_OK) /* no failure happened: none was started */
      for (i = 0; i < r.n; i++)
        CHECK(acore_map_job(m, i) == NULL || r.j[i].plan == J_OK);
  }
  if (flags == 0 && !cancel)
    CHECK((size_t)r.next_expected == r.n); /* the rest still started */
  if ((flags & ACORE_MAP_CANCEL_ON_ERROR) && r.first_fail_done >= 0 &&
      !cancel) {
    int started = 0;
    for (i = 0; i < r.n; i++)
      started += r.j[i].started;
    CHECK(started == r.first_fail_done); /* none started after */
  }
  for (i = 0; i < r.n; i++) { /* outcomes in input order */
    acore_future_t *f = acore_map_job(m, i);
    if (f == NULL || acore_future_is_cancelled(f))
      continue;
    if (r.j[i].plan == J_OK)
      CHECK(acore_future_result_int(f, &v) == ACORE_OK && v == (int64_t)i * 2);
    else
      CHECK(acore_future_result(f, NULL) ==
            (r.j[i].plan == J_FAIL ? ACORE_EIO : ACORE_EBUSY));
  }
  for (i = 0; i < r.n; i++)
    acore_future_unref(r.j[i].f);
  acore_future_unref(m);
  drain(loop);
  CHECK(tu_alloc_live() == live);
}

static void test_sync_stress_map_random(void **state) {
  for_seeds(TU_LOOP(state), 200000, map_sequence);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_setup, tu_teardown)
    T(test_sync_stress_sem_model),
    T(test_sync_stress_sem_tasks_cancel),
    T(test_sync_stress_lock_tasks_cancel),
    T(test_sync_stress_event_model),
    T(test_sync_stress_cond_tasks_cancel),
    T(test_sync_stress_map_random),
#undef T
  };
  tu_cache_off(1); /* allocation walks see every object */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
