/* SPDX-License-Identifier: MIT */
/*
 * test_sync_stress_queue.c - randomized, seeded, reproducible stress tests
 * of the queue (acore_queue_t): a reference model checked after every
 * put/get/cancel/drop/shutdown (FIFO, LIFO, priority; bounded or not), and
 * getter tasks cancelled at random (with get_finish) - no item lost or
 * freed twice, nothing leaked. See sync_stress.h to reproduce a seed.
 */
#include "sync_stress.h"

/* ======================================================================== */
/* Queue against a model                                                     */
/* ======================================================================== */

static int item_frees;
static void item_free(void *p) {
  (void)p;
  item_frees++;
}

typedef struct qf {
  acore_future_t *f;
  int kind;   /* 'g' getter, 'p' putter */
  int item;   /* putter: its item; getter: the item expected once served */
  int st;     /* W_QUEUED, W_GRANTED, W_CANCELLED, W_CLOSED, W_DROPPED */
  int fin;    /* putter: acore_queue_put_finish done */
} qf;

typedef struct qmodel {
  int order;
  size_t maxsize;
  bool shut;
  int items[256];
  int nitems;
  qf f[MAXF];
  int nf;
  int getters[MAXF], ng;
  int putters[MAXF], np;
  int next_item;
  int accepted;   /* items the queue took ownership of */
  int taken_now;  /* items taken with get_nowait (freed by the test) */
} qmodel;

static void q_remove(int *list, int *n, int idx) {
  int i;

  for (i = 0; i < *n; i++)
    if (list[i] == idx) {
      memmove(list + i, list + i + 1, (size_t)(*n - i - 1) * sizeof(int));
      (*n)--;
      return;
    }
}

static bool qm_room(const qmodel *m) {
  return m->maxsize == 0 || (size_t)m->nitems < m->maxsize;
}

static void qm_deliver(qmodel *m, int item) {
  if (m->ng > 0) {
    qf *g = &m->f[m->getters[0]];
    g->item = item;
    g->st = W_GRANTED;
    q_remove(m->getters, &m->ng, m->getters[0]);
  } else {
    m->items[m->nitems++] = item;
  }
}

enum { QM_PRIO = 2 };

static int cmp_mod3(const void *a, const void *b, void *ud) {
  (void)ud;
  return (int)((intptr_t)a % 3) - (int)((intptr_t)b % 3);
}

static int qm_pop(qmodel *m) {
  int item, at = 0, i;

  if (m->order == ACORE_QUEUE_LIFO)
    return m->items[--m->nitems];
  if (m->order == QM_PRIO) /* the first (oldest) of the smallest key */
    for (i = 1; i < m->nitems; i++)
      if (m->items[i] % 3 < m->items[at] % 3)
        at = i;
  item = m->items[at];
  memmove(m->items + at, m->items + at + 1,
          (size_t)(--m->nitems - at) * sizeof(int));
  return item;
}

static void qm_admit(qmodel *m) {
  while (qm_room(m) && m->np > 0) {
    qf *p = &m->f[m->putters[0]];
    p->st = W_GRANTED;
    q_remove(m->putters, &m->np, m->putters[0]);
    qm_deliver(m, p->item);
  }
}

/* Admitted puts go in when finished (acore_queue_put_finish): finish
 * each at once, so the model puts admitted items in at admission. */
static void qm_finish_puts(qmodel *m, acore_queue_t *q) {
  int i;

  for (i = 0; i < m->nf; i++)
    if (m->f[i].kind == 'p' && m->f[i].st == W_GRANTED && !m->f[i].fin) {
      CHECK(acore_queue_put_finish(q, m->f[i].f) == ACORE_OK);
      m->f[i].fin = 1;
    }
}

static void qm_check(qmodel *m, acore_queue_t *q) {
  int i;
  void *item;

  qm_finish_puts(m, q);
  CHECK(acore_queue_item_count(q) == (size_t)m->nitems);
  CHECK(m->maxsize == 0 || (size_t)m->nitems <= m->maxsize || m->shut);
  for (i = 0; i < m->nf; i++) {
    qf *e = &m->f[i];
    switch (e->st) {
    case W_QUEUED:
      CHECK(acore_future_is_done(e->f) == 0);
      break;
    case W_GRANTED:
      CHECK(acore_future_result(e->f, &item) == ACORE_OK);
      if (e->kind == 'g')
        CHECK((int)(intptr_t)item == e->item);
      break;
    case W_CANCELLED:
      CHECK(acore_future_is_cancelled(e->f) == 1);
      break;
    case W_CLOSED:
      CHECK(acore_future_result(e->f, NULL) == ACORE_ECLOSED);
      break;
    default:
      break;
    }
  }
}

static void qm_put(qmodel *m, acore_queue_t *q, bool nowait) {
  int item = ++m->next_item, rc;
  qf *e = &m->f[m->nf];

  if (nowait) {
    rc = acore_queue_put_nowait(q, (void *)(intptr_t)item, item_free);
    if (m->shut)
      CHECK(rc == ACORE_ECLOSED);
    else if (!qm_room(m) || m->np > 0)
      CHECK(rc == ACORE_EFULL);
    else {
      CHECK(rc == ACORE_OK);
      m->accepted++;
      qm_deliver(m, item);
    }
    return;
  }
  rc = acore_queue_put(q, (void *)(intptr_t)item, item_free, &e->f);
  if (m->shut) {
    CHECK(rc == ACORE_ECLOSED);
    return;
  }
  CHECK(rc == ACORE_OK);
  m->accepted++;
  e->kind = 'p';
  e->item = item;
  if (qm_room(m) && m->np == 0) {
    e->st = W_GRANTED;
    qm_deliver(m, item);
  } else {
    e->st = W_QUEUED;
    m->putters[m->np++] = m->nf;
  }
  m->nf++;
}

static void qm_get(qmodel *m, acore_queue_t *q, bool nowait) {
  qf *e = &m->f[m->nf];
  acore_free_fn fr = NULL;
  void *item = NULL;
  int rc;

  if (nowait) {
    rc = acore_queue_get_nowait(q, &item, &fr);
    if (m->nitems == 0) {
      CHECK(rc == (m->shut ? ACORE_ECLOSED : ACORE_EEMPTY));
      return;
    }
    CHECK(rc == ACORE_OK && (int)(intptr_t)item == qm_pop(m));
    fr(item);
    qm_admit(m);
    return;
  }
  rc = acore_queue_get(q, &e->f);
  if (m->nitems == 0 && m->shut) {
    CHECK(rc == ACORE_ECLOSED);
    return;
  }
  CHECK(rc == ACORE_OK);
  e->kind = 'g';
  if (m->nitems > 0) {
    e->item = qm_pop(m);
    e->st = W_GRANTED;
    qm_admit(m);
  } else {
    e->st = W_QUEUED;
    m->getters[m->ng++] = m->nf;
  }
  m->nf++;
}

static void qm_cancel_or_drop(qmodel *m, bool drop) {
  int i = (int)rnd((uint32_t)m->nf), rc;
  qf *e = &m->f[i];

  if (e->st == W_DROPPED || (drop && e->st != W_QUEUED))
    return;
  if (drop) {
    acore_future_unref(e->f);
    e->st = W_DROPPED;
  } else {
    rc = acore_future_cancel(e->f, NULL);
    CHECK(rc == (e->st == W_QUEUED ? 1 : 0));
    if (e->st != W_QUEUED)
      return;
    e->st = W_CANCELLED;
  }
  q_remove(e->kind == 'g' ? m->getters : m->putters,
           e->kind == 'g' ? &m->ng : &m->np, i);
}

static void qm_shutdown(qmodel *m, acore_queue_t *q) {
  bool now = rnd(2);
  int i;

  CHECK(acore_queue_shutdown(q, now ? ACORE_QUEUE_IMMEDIATE : 0) == ACORE_OK);
  m->shut = true;
  for (i = 0; i < m->np; i++)
    m->f[m->putters[i]].st = W_CLOSED;
  m->np = 0;
  if (now)
    m->nitems = 0;
  if (m->nitems == 0) {
    for (i = 0; i < m->ng; i++)
      m->f[m->getters[i]].st = W_CLOSED;
    m->ng = 0;
  }
}

static void queue_sequence(acore_loop_t *loop) {
  qmodel m;
  acore_queue_t *q;
  long live = tu_alloc_live();
  int steps = 20 + (int)rnd(80), i;
  uint32_t op;

  memset(&m, 0, sizeof(m));
  item_frees = 0;
  m.order = (int)rnd(3); /* FIFO, LIFO, priority */
  m.maxsize = rnd(4);
  if (m.order == QM_PRIO)
    CHECK(acore_queue_new_priority(loop, m.maxsize, cmp_mod3, NULL, NULL,
                                   &q) == ACORE_OK);
  else
    CHECK(acore_queue_new(loop, m.maxsize, m.order, &q) == ACORE_OK);
  for (step_now = 1; step_now <= steps && m.nf < MAXF - 1; step_now++) {
    op = rnd(100);
    if (op < 25)
      qm_put(&m, q, false);
    else if (op < 40)
      qm_put(&m, q, true);
    else if (op < 65)
      qm_get(&m, q, false);
    else if (op < 78)
      qm_get(&m, q, true);
    else if (op < 90 && m.nf > 0)
      qm_cancel_or_drop(&m, false);
    else if (op < 98 && m.nf > 0)
      qm_cancel_or_drop(&m, true);
    else if (op >= 98)
      qm_shutdown(&m, q);
    qm_check(&m, q);
  }
  for (i = 0; i < m.nf; i++)
    if (m.f[i].st != W_DROPPED)
      acore_future_unref(m.f[i].f);
  acore_queue_unref(q);
  drain(loop);
  CHECK(item_frees == m.accepted); /* every item freed exactly once */
  CHECK(tu_alloc_live() == live);
}

static void test_sync_stress_queue_model(void **state) {
  for_seeds(TU_LOOP(state), 7000, queue_sequence);
}

/* ======================================================================== */
/* Queue with tasks: getters cancelled at random never lose an item          */
/* ======================================================================== */

typedef struct qgetter {
  acore_queue_t *q;
  int at;
  int *got;
} qgetter;

static int qgetter_step(acore_task_t *t, void *ud) {
  qgetter *g = ud;
  acore_future_t *f;

  if (g->at++ > 0) {
    f = acore_task_awaited(t);
    if (acore_queue_get_finish(g->q, f) != ACORE_OK)
      return acore_task_finish_cancelled(t); /* nothing taken */
    (*g->got)++;
    CHECK(acore_queue_task_done(g->q) == ACORE_OK);
    if (acore_task_step_status(t) != ACORE_OK)
      return acore_task_finish_cancelled(t);
  }
  CHECK(acore_queue_get(g->q, &f) == ACORE_OK);
  return acore_task_await_take(t, f);
}

static void queue_tasks_sequence(acore_loop_t *loop) {
  enum { NT = 10 };
  acore_queue_t *q;
  acore_task_t *t[NT];
  qgetter g[NT];
  int got = 0, put = 0, i, iter;
  long live = tu_alloc_live();
  void *item;

  item_frees = 0;
  CHECK(acore_queue_new(loop, 0, rnd(2) ? ACORE_QUEUE_LIFO : ACORE_QUEUE_FIFO,
                        &q) == ACORE_OK);
  for (i = 0; i < NT; i++) {
    g[i] = (qgetter){ .q = q, .got = &got };
    CHECK(acore_task_spawn(loop, qgetter_step, &g[i], NULL, &t[i]) ==
          ACORE_OK);
  }
  for (iter = 0; iter < 200; iter++) {
    step_now = iter;
    if (rnd(3) == 0)
      acore_task_cancel(t[rnd(NT)], NULL);
    for (i = (int)rnd(3); i > 0; i--, put++)
      CHECK(acore_queue_put_nowait(q, (void *)(intptr_t)put, item_free) ==
            ACORE_OK);
    acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
    CHECK(got + (int)acore_queue_item_count(q) <= put);
  }
  for (i = 0; i < NT; i++)
    acore_task_cancel(t[i], NULL);
  drain(loop);
  step_now = -1;
  CHECK(acore_loop_task_count(loop) == 0);
  /* every item: taken by a getter that kept it, or still queued */
  CHECK(got + (int)acore_queue_item_count(q) == put);
  CHECK(acore_queue_unfinished_count(q) == acore_queue_item_count(q));
  while (acore_queue_get_nowait(q, &item, NULL) == ACORE_OK)
    item_free(item);
  for (i = 0; i < NT; i++)
    acore_task_unref(t[i]);
  acore_queue_unref(q);
  drain(loop);
  CHECK(item_frees == put); /* each item freed exactly once */
  CHECK(tu_alloc_live() == live);
}

static void test_sync_stress_queue_tasks_cancel(void **state) {
  for_seeds(TU_LOOP(state), 150000, queue_tasks_sequence);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_setup, tu_teardown)
    T(test_sync_stress_queue_model),
    T(test_sync_stress_queue_tasks_cancel),
#undef T
  };
  tu_cache_off(1); /* allocation walks see every object */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
