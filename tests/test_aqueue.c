/* SPDX-License-Identifier: MIT */
/* test_aqueue.c - the async queue (acore_queue_t): orders, bounds,
 * nowait errors, task_done/join, shutdown, cancel safety. */
#include "testutil.h"
#include "acore/sync.h"

#include <stdbool.h>
#include <string.h>

#define P(i) ((void *)(intptr_t)(i))
#define I(p) ((int)(intptr_t)(p))

static int get_now(acore_queue_t *q) {
  void *item = NULL;

  assert_int_equal(acore_queue_get_nowait(q, &item, NULL), ACORE_OK);
  return I(item);
}

static int fut_item(acore_future_t *f) {
  void *item = NULL;

  assert_int_equal(acore_future_result(f, &item), ACORE_OK);
  return I(item);
}

static int cmp_tens(const void *a, const void *b, void *ud);

static void test_aqueue_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_future_t *f;
  void *item;

  assert_int_equal(acore_queue_new(NULL, 0, ACORE_QUEUE_FIFO, &q),
                   ACORE_EINVAL);
  assert_int_equal(acore_queue_new(loop, 0, 7, &q), ACORE_EINVAL);
  assert_int_equal(acore_queue_new(loop, 0, ACORE_QUEUE_FIFO, NULL),
                   ACORE_EINVAL);
  tu_frees = 0;
  assert_int_equal(acore_queue_new_priority(loop, 0, NULL, NULL,
                                            tu_count_free, &q), ACORE_EINVAL);
  assert_int_equal(acore_queue_new_priority(NULL, 0, cmp_tens, NULL,
                                            tu_count_free, &q), ACORE_EINVAL);
  assert_int_equal(acore_queue_new_priority(loop, 0, cmp_tens, NULL,
                                            tu_count_free, NULL), ACORE_EINVAL);
  assert_int_equal(tu_frees, 3); /* ud freed on every failure */
  assert_int_equal(acore_queue_new(loop, 1, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_put(NULL, NULL, NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_queue_put(q, NULL, NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_queue_put_nowait(NULL, NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_queue_get(NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_queue_get(q, NULL), ACORE_EINVAL);
  assert_int_equal(acore_queue_get_nowait(NULL, &item, NULL), ACORE_EINVAL);
  assert_int_equal(acore_queue_get_nowait(q, NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_queue_get_finish(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_queue_get_finish(q, NULL), ACORE_EINVAL);
  assert_int_equal(acore_queue_task_done(NULL), ACORE_EINVAL);
  assert_int_equal(acore_queue_join(NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_queue_join(q, NULL), ACORE_EINVAL);
  assert_int_equal(acore_queue_shutdown(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_queue_shutdown(q, 0x40), ACORE_EINVAL);
  assert_int_equal(acore_queue_item_count(NULL), 0);
  assert_int_equal(acore_queue_capacity(NULL), 0);
  assert_int_equal(acore_queue_unfinished_count(NULL), 0);
  assert_null(acore_queue_ref(NULL));
  acore_queue_unref(NULL);
  assert_int_equal(acore_queue_capacity(q), 1);
  acore_queue_unref(q);
}

static void test_aqueue_fifo_lifo_orders(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  int i;

  assert_int_equal(acore_queue_new(loop, 0, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  for (i = 1; i <= 20; i++)
    assert_int_equal(acore_queue_put_nowait(q, P(i), NULL), ACORE_OK);
  for (i = 1; i <= 20; i++)
    assert_int_equal(get_now(q), i);
  acore_queue_unref(q);
  assert_int_equal(acore_queue_new(loop, 0, ACORE_QUEUE_LIFO, &q), ACORE_OK);
  for (i = 1; i <= 20; i++)
    assert_int_equal(acore_queue_put_nowait(q, P(i), NULL), ACORE_OK);
  for (i = 20; i >= 1; i--)
    assert_int_equal(get_now(q), i);
  acore_queue_unref(q);
}

static int cmp_tens(const void *a, const void *b, void *ud) {
  (void)ud;
  return I(a) / 10 - I(b) / 10; /* equal within a ten */
}

static void test_aqueue_priority_stable(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  static const int in[] = { 31, 12, 35, 11, 20, 13, 32 };
  static const int out[] = { 12, 11, 13, 20, 31, 35, 32 };
  size_t i;

  tu_frees = 0;
  assert_int_equal(acore_queue_new_priority(loop, 0, cmp_tens, NULL,
                                            tu_count_free, &q), ACORE_OK);
  for (i = 0; i < 7; i++)
    assert_int_equal(acore_queue_put_nowait(q, P(in[i]), NULL), ACORE_OK);
  for (i = 0; i < 7; i++)
    assert_int_equal(get_now(q), out[i]);
  acore_queue_unref(q);
  assert_int_equal(tu_frees, 1);
}

static void test_aqueue_nowait_full_empty(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  void *item;

  assert_int_equal(acore_queue_new(loop, 2, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_get_nowait(q, &item, NULL), ACORE_EEMPTY);
  assert_int_equal(acore_queue_put_nowait(q, P(1), NULL), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(2), NULL), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(3), NULL), ACORE_EFULL);
  assert_int_equal(acore_queue_item_count(q), 2);
  acore_queue_unref(q);
}

static void test_aqueue_put_waits_when_full(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_future_t *p1, *p2, *p3;

  assert_int_equal(acore_queue_new(loop, 1, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_put(q, P(1), NULL, &p1), ACORE_OK);
  assert_int_equal(acore_future_is_done(p1), 1);
  assert_int_equal(acore_queue_put(q, P(2), NULL, &p2), ACORE_OK);
  assert_int_equal(acore_queue_put(q, P(3), NULL, &p3), ACORE_OK);
  assert_int_equal(acore_future_is_done(p2), 0);
  assert_int_equal(get_now(q), 1);
  assert_int_equal(acore_future_is_done(p2), 1); /* admitted in order */
  assert_int_equal(acore_future_is_done(p3), 0);
  assert_int_equal(acore_queue_item_count(q), 0); /* in once the put finishes */
  assert_int_equal(acore_queue_put_finish(q, p2), ACORE_OK);
  assert_int_equal(get_now(q), 2);
  assert_int_equal(acore_future_is_done(p3), 1);
  assert_int_equal(acore_queue_put_finish(q, p3), ACORE_OK);
  assert_int_equal(acore_queue_put_finish(q, p3), ACORE_OK); /* once */
  assert_int_equal(get_now(q), 3);
  assert_int_equal(acore_queue_item_count(q), 0);
  acore_future_unref(p1);
  acore_future_unref(p2);
  acore_future_unref(p3);
  acore_queue_unref(q);
}

static void test_aqueue_get_waits_fifo(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_future_t *g1, *g2;

  assert_int_equal(acore_queue_new(loop, 0, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_get(q, &g1), ACORE_OK);
  assert_int_equal(acore_queue_get(q, &g2), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(7), NULL), ACORE_OK);
  assert_int_equal(fut_item(g1), 7);
  assert_int_equal(acore_future_is_done(g2), 0);
  assert_int_equal(acore_queue_put_nowait(q, P(8), NULL), ACORE_OK);
  assert_int_equal(fut_item(g2), 8);
  assert_int_equal(acore_queue_item_count(q), 0);
  acore_future_unref(g1);
  acore_future_unref(g2);
  acore_queue_unref(q);
}

static void test_aqueue_cancelled_getter_and_putter(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_future_t *g1, *g2, *p;

  tu_frees = 0;
  assert_int_equal(acore_queue_new(loop, 1, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_get(q, &g1), ACORE_OK);
  assert_int_equal(acore_queue_get(q, &g2), ACORE_OK);
  assert_int_equal(acore_future_cancel(g1, NULL), 1);
  assert_int_equal(acore_queue_put_nowait(q, P(5), NULL), ACORE_OK);
  assert_int_equal(fut_item(g2), 5); /* the cancelled getter took nothing */
  assert_int_equal(acore_queue_put_nowait(q, P(6), NULL), ACORE_OK);
  assert_int_equal(acore_queue_put(q, P(9), tu_count_free, &p), ACORE_OK);
  assert_int_equal(acore_future_cancel(p, NULL), 1);
  assert_int_equal(get_now(q), 6);
  assert_int_equal(acore_queue_item_count(q), 0); /* 9 was never inserted */
  acore_future_unref(p);
  assert_int_equal(tu_frees, 1); /* its item freed */
  acore_future_unref(g1);
  acore_future_unref(g2);
  acore_queue_unref(q);
}

static void test_aqueue_task_done_and_join(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_future_t *j, *j0;

  assert_int_equal(acore_queue_new(loop, 0, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_join(q, &j0), ACORE_OK);
  assert_int_equal(acore_future_is_done(j0), 1);
  assert_int_equal(acore_queue_task_done(q), ACORE_EINVALIDSTATE);
  assert_int_equal(acore_queue_put_nowait(q, P(1), NULL), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(2), NULL), ACORE_OK);
  assert_int_equal(acore_queue_join(q, &j), ACORE_OK);
  assert_int_equal(get_now(q), 1);
  assert_int_equal(acore_queue_task_done(q), ACORE_OK);
  assert_int_equal(acore_future_is_done(j), 0);
  assert_int_equal(get_now(q), 2);
  assert_int_equal(acore_queue_unfinished_count(q), 1);
  assert_int_equal(acore_queue_task_done(q), ACORE_OK);
  assert_int_equal(acore_future_is_done(j), 1);
  assert_int_equal(acore_queue_task_done(q), ACORE_EINVALIDSTATE);
  acore_future_unref(j);
  acore_future_unref(j0);
  acore_queue_unref(q);
}

/* A putter that waited for room counts as unfinished once admitted: join
 * waits for its task_done too. */
static void test_aqueue_join_counts_waiting_putter(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_future_t *p, *j;

  assert_int_equal(acore_queue_new(loop, 1, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(1), NULL), ACORE_OK);
  assert_int_equal(acore_queue_put(q, P(2), NULL, &p), ACORE_OK);
  assert_int_equal(acore_future_is_done(p), 0);         /* waits for room */
  assert_int_equal(acore_queue_unfinished_count(q), 1);
  assert_int_equal(acore_queue_join(q, &j), ACORE_OK);
  assert_int_equal(get_now(q), 1);                    /* admits the putter */
  assert_int_equal(acore_future_is_done(p), 1);
  assert_int_equal(acore_queue_unfinished_count(q), 2);
  assert_int_equal(acore_queue_task_done(q), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_future_is_done(j), 0);          /* item 2 is not done */
  assert_int_equal(get_now(q), 2);
  assert_int_equal(acore_queue_task_done(q), ACORE_OK);
  assert_int_equal(acore_future_is_done(j), 1);
  assert_int_equal(acore_queue_task_done(q), ACORE_EINVALIDSTATE);
  acore_future_unref(p);
  acore_future_unref(j);
  acore_queue_unref(q);
}

static void test_aqueue_shutdown_drains(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_future_t *p, *g;
  void *item;

  assert_int_equal(acore_queue_new(loop, 1, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(1), NULL), ACORE_OK);
  assert_int_equal(acore_queue_put(q, P(2), NULL, &p), ACORE_OK);
  assert_int_equal(acore_queue_shutdown(q, 0), ACORE_OK);
  assert_int_equal(acore_future_result(p, NULL), ACORE_ECLOSED);
  assert_int_equal(acore_queue_put_nowait(q, P(3), NULL), ACORE_ECLOSED);
  assert_int_equal(get_now(q), 1); /* drains */
  assert_int_equal(acore_queue_get_nowait(q, &item, NULL), ACORE_ECLOSED);
  assert_int_equal(acore_queue_get(q, &g), ACORE_ECLOSED);
  acore_future_unref(p);
  acore_queue_unref(q);
}

static void test_aqueue_shutdown_immediate(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q, *q2;
  acore_future_t *j, *g;

  tu_frees = 0;
  assert_int_equal(acore_queue_new(loop, 0, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(1), tu_count_free), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(2), tu_count_free), ACORE_OK);
  assert_int_equal(acore_queue_join(q, &j), ACORE_OK);
  assert_int_equal(acore_queue_shutdown(q, ACORE_QUEUE_IMMEDIATE), ACORE_OK);
  assert_int_equal(tu_frees, 2);
  assert_int_equal(acore_queue_item_count(q), 0);
  assert_int_equal(acore_future_is_done(j), 1); /* dropped items count done */
  acore_future_unref(j);
  acore_queue_unref(q);
  /* a waiting getter fails */
  assert_int_equal(acore_queue_new(loop, 0, ACORE_QUEUE_FIFO, &q2), ACORE_OK);
  assert_int_equal(acore_queue_get(q2, &g), ACORE_OK);
  assert_int_equal(acore_queue_shutdown(q2, 0), ACORE_OK);
  assert_int_equal(acore_future_result(g, NULL), ACORE_ECLOSED);
  acore_future_unref(g);
  acore_queue_unref(q2);
}

/* A getter served, then its task cancelled before it ran: with
 * get_finish the item goes back to the front; nothing is lost. */
typedef struct getter {
  acore_queue_t *q;
  int at, rc, got;
} getter;

static int getter_step(acore_task_t *t, void *ud) {
  getter *g = ud;
  acore_future_t *f;

  if (g->at++ == 0) {
    assert_int_equal(acore_queue_get(g->q, &f), ACORE_OK);
    return acore_task_await_take(t, f);
  }
  g->rc = acore_queue_get_finish(g->q, acore_task_awaited(t));
  if (g->rc != ACORE_OK)
    return acore_task_finish_cancelled(t);
  g->got = fut_item(acore_task_awaited(t));
  return ACORE_TASK_DONE;
}

static void test_aqueue_served_then_cancelled_gives_item_back(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_task_t *ta, *tb;
  getter a = { 0 }, b = { 0 };

  assert_int_equal(acore_queue_new(loop, 0, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  a.q = b.q = q;
  assert_int_equal(acore_task_spawn(loop, getter_step, &a, NULL, &ta),
                   ACORE_OK);
  assert_int_equal(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0, 1);
  assert_int_equal(acore_queue_put_nowait(q, P(1), NULL), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(2), NULL), ACORE_OK);
  assert_int_equal(acore_task_cancel(ta, NULL), 1); /* 1 is in its future */
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(a.rc, ACORE_ECANCELLED);
  assert_int_equal(acore_queue_item_count(q), 2);
  assert_int_equal(acore_task_spawn(loop, getter_step, &b, NULL, &tb),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(b.got, 1); /* back at the front */
  assert_int_equal(get_now(q), 2);
  acore_task_unref(ta);
  acore_task_unref(tb);
  acore_queue_unref(q);
}

/* A putter admitted (room freed), then its task cancelled before it ran:
 * with put_finish its item stays out - with the put's future, freed with
 * it - and the room goes to the next putter (asyncio's put()). */
typedef struct putter {
  acore_queue_t *q;
  int at, rc, item;
} putter;

static int putter_step(acore_task_t *t, void *ud) {
  putter *p = ud;
  acore_future_t *f;

  if (p->at++ == 0) {
    assert_int_equal(acore_queue_put(p->q, P(p->item), tu_count_free, &f),
                     ACORE_OK);
    return acore_task_await_take(t, f);
  }
  p->rc = acore_queue_put_finish(p->q, acore_task_awaited(t));
  return p->rc == ACORE_ECANCELLED ? acore_task_finish_cancelled(t)
                                   : ACORE_TASK_DONE;
}

static void test_aqueue_admitted_then_cancelled_put_stays_out(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_task_t *ta, *tb;
  putter a = { 0 }, b = { 0 };

  tu_frees = 0;
  assert_int_equal(acore_queue_new(loop, 1, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(1), NULL), ACORE_OK);
  a.q = b.q = q;
  a.item = 2;
  b.item = 3;
  assert_int_equal(acore_task_spawn(loop, putter_step, &a, NULL, &ta),
                   ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, putter_step, &b, NULL, &tb),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK); /* both wait */
  assert_int_equal(get_now(q), 1);                  /* a is admitted */
  assert_int_equal(acore_queue_item_count(q), 0);         /* ... not in yet */
  assert_int_equal(acore_task_cancel(ta, NULL), 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(a.rc, ACORE_ECANCELLED);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(ta)), 1);
  assert_int_equal(b.rc, ACORE_OK); /* the room went to b */
  assert_int_equal(acore_queue_item_count(q), 1);
  assert_int_equal(get_now(q), 3);
  assert_int_equal(acore_queue_item_count(q), 0);
  assert_int_equal(acore_queue_unfinished_count(q), 2); /* 1 and 3, not 2 */
  acore_task_unref(ta);
  acore_task_unref(tb);
  assert_int_equal(tu_frees, 1); /* 2, freed with a's put future */
  acore_queue_unref(q);
}

/* A putter admitted whose step does not call put_finish: the item goes in
 * right after that step. */
static int lazy_putter_step(acore_task_t *t, void *ud) {
  putter *p = ud;
  acore_future_t *f;

  if (p->at++ == 0) {
    assert_int_equal(acore_queue_put(p->q, P(p->item), NULL, &f), ACORE_OK);
    return acore_task_await_take(t, f);
  }
  p->rc = (int)acore_queue_item_count(p->q); /* not in yet */
  return ACORE_TASK_DONE;
}

static void test_aqueue_admitted_put_goes_in_without_finish(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_task_t *t;
  putter p = { 0 };

  assert_int_equal(acore_queue_new(loop, 1, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(1), NULL), ACORE_OK);
  p.q = q;
  p.item = 2;
  p.rc = -1;
  assert_int_equal(acore_task_spawn(loop, lazy_putter_step, &p, NULL, &t),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(get_now(q), 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(p.rc, 0);
  assert_int_equal(get_now(q), 2);
  assert_int_equal(acore_queue_put_finish(q, acore_task_awaited(t)),
                   ACORE_EINVAL); /* the task is done: no awaited future */
  acore_task_unref(t);
  acore_queue_unref(q);
}

static void test_aqueue_put_finish_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_future_t *g, *p, *f;

  assert_int_equal(acore_queue_new(loop, 1, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_put(q, P(1), NULL, &f), ACORE_OK);
  assert_int_equal(acore_queue_put_finish(NULL, f), ACORE_EINVAL);
  assert_int_equal(acore_queue_put_finish(q, NULL), ACORE_EINVAL);
  assert_int_equal(acore_queue_put_finish(q, f), ACORE_OK); /* put at once */
  assert_int_equal(acore_queue_put(q, P(2), NULL, &p), ACORE_OK);
  assert_int_equal(acore_queue_put_finish(q, p), ACORE_EINVALIDSTATE);
  assert_int_equal(get_now(q), 1);
  assert_int_equal(acore_queue_get(q, &g), ACORE_OK); /* waits: 2 not in */
  assert_int_equal(acore_future_is_done(g), 0);
  assert_int_equal(acore_future_cancel(g, NULL), 1);
  assert_int_equal(acore_queue_put_finish(q, g), ACORE_ECANCELLED);
  acore_future_unref(g);
  assert_int_equal(acore_queue_get(q, &g), ACORE_OK); /* waits */
  assert_int_equal(acore_queue_put_finish(q, p), ACORE_OK); /* 2 to g */
  assert_int_equal(acore_queue_put_finish(q, g), ACORE_EINVAL); /* a get's */
  assert_int_equal(fut_item(g), 2);
  acore_future_unref(g);
  acore_future_unref(f);
  acore_future_unref(p);
  acore_queue_unref(q);
}

/* put_finish accepts only a put's own future: not another primitive's
 * waiter, even one granted with a count that reads like a put's stage. */
static void test_aqueue_put_finish_refuses_other_waiters(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_sem_t *sem;
  acore_future_t *a;

  assert_int_equal(acore_queue_new(loop, 1, ACORE_QUEUE_FIFO, &q), ACORE_OK);
  assert_int_equal(acore_sem_new(loop, 0, 0, &sem), ACORE_OK);
  assert_int_equal(acore_sem_acquire(sem, 3, &a), ACORE_OK); /* waits */
  assert_int_equal(acore_sem_release(sem, 3), ACORE_OK);
  assert_int_equal(acore_future_is_done(a), 1);
  assert_int_equal(acore_queue_put_finish(q, a), ACORE_EINVAL);
  assert_int_equal(acore_queue_item_count(q), 0);
  acore_future_unref(a);
  acore_sem_unref(sem);
  acore_queue_unref(q);
}

static void test_aqueue_unref_frees_items(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_future_t *p;

  tu_frees = 0;
  assert_int_equal(acore_queue_new(loop, 1, ACORE_QUEUE_LIFO, &q), ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, P(1), tu_count_free), ACORE_OK);
  assert_int_equal(acore_queue_put(q, P(2), tu_count_free, &p), ACORE_OK);
  acore_queue_unref(q);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_future_result(p, NULL), ACORE_ECLOSED);
  acore_future_unref(p);
  assert_int_equal(tu_frees, 2);
}

static void test_aqueue_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_future_t *g = NULL, *p = NULL;
  long nth;
  int rc, i;

  for (nth = 1; nth < 60; nth++) {
    tu_alloc_fail_at(nth);
    tu_frees = 0;
    g = p = NULL;
    rc = acore_queue_new(loop, 9, ACORE_QUEUE_FIFO, &q);
    if (rc != ACORE_OK)
      goto next;
    if ((rc = acore_queue_get(q, &g)) != ACORE_OK)
      goto out;
    for (i = 0; i < 10 && rc == ACORE_OK; i++)
      rc = acore_queue_put_nowait(q, P(i), tu_count_free);
    if (rc == ACORE_OK)
      rc = acore_queue_put(q, P(10), tu_count_free, &p);
    if (rc != ACORE_OK)
      assert_int_equal(tu_frees, 0); /* caller keeps it */
  out:
    acore_future_unref(g);
    acore_future_unref(p);
    acore_queue_unref(q);
  next:
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK)
      break;
    assert_int_equal(rc, ACORE_ENOMEM);
  }
  assert_true(nth > 3 && nth < 60);
}

/* A priority queue and a join: each allocation fails in turn. */
static void test_aqueue_priority_join_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_queue_t *q;
  acore_future_t *j;
  long nth;
  int rc;

  for (nth = 1; nth < 60; nth++) {
    tu_alloc_fail_at(nth);
    tu_frees = 0;
    j = NULL;
    rc = acore_queue_new_priority(loop, 0, cmp_tens, NULL, tu_count_free, &q);
    if (rc != ACORE_OK) {
      assert_int_equal(tu_frees, 1); /* ud freed on failure too */
    } else {
      if ((rc = acore_queue_put_nowait(q, P(1), NULL)) == ACORE_OK &&
          (rc = acore_queue_join(q, &j)) == ACORE_OK)
        assert_int_equal(acore_future_is_done(j), 0);
      acore_future_unref(j);
      acore_queue_unref(q);
    }
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK)
      break;
    assert_int_equal(rc, ACORE_ENOMEM);
  }
  assert_true(nth > 2 && nth < 60);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, tu_setup, tu_teardown)
    T(test_aqueue_einval),
    T(test_aqueue_fifo_lifo_orders),
    T(test_aqueue_priority_stable),
    T(test_aqueue_nowait_full_empty),
    T(test_aqueue_put_waits_when_full),
    T(test_aqueue_get_waits_fifo),
    T(test_aqueue_cancelled_getter_and_putter),
    T(test_aqueue_task_done_and_join),
    T(test_aqueue_join_counts_waiting_putter),
    T(test_aqueue_shutdown_drains),
    T(test_aqueue_shutdown_immediate),
    T(test_aqueue_served_then_cancelled_gives_item_back),
    T(test_aqueue_admitted_then_cancelled_put_stays_out),
    T(test_aqueue_admitted_put_goes_in_without_finish),
    T(test_aqueue_put_finish_einval),
    T(test_aqueue_put_finish_refuses_other_waiters),
    T(test_aqueue_unref_frees_items),
    T(test_aqueue_alloc_failure_walk),
    T(test_aqueue_priority_join_alloc_failure_walk),
#undef T
  };
  tu_cache_off(1); /* allocation walks see every object */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
