/* SPDX-License-Identifier: MIT */
/* queue.c - FIFO, LIFO and priority queues; the bounded map. */
#include "ob.h"

#include <acore/combinators.h>
#include <acore/sync.h>

#include <string.h>

/* Items are ob_ids characters; get_nowait appends them to the log. */
static void drain(acore_queue_t *q) {
  void *item = NULL;
  acore_free_fn item_free = NULL;

  while (acore_queue_get_nowait(q, &item, &item_free) == ACORE_OK) {
    ob_log_add(*(const char *)item);
    CHECK(item_free == ob_count_free);
    item_free(item);
    acore_queue_task_done(q);
  }
}

static void order(acore_loop_t *loop, int kind, const char *want) {
  acore_queue_t *q = NULL;
  int i;

  ob_log_reset();
  CHECK(acore_queue_new(loop, 0, kind, &q) == ACORE_OK);
  for (i = 1; i <= 4; i++)
    CHECK(acore_queue_put_nowait(q, OB_ID(i), ob_count_free) == ACORE_OK);
  CHECK(acore_queue_item_count(q) == 4 && acore_queue_capacity(q) == 0);
  drain(q);
  CHECK(strcmp(ob_log, want) == 0);
  acore_queue_unref(q);
}

static int by_char_desc(const void *a, const void *b, void *ud) {
  (void)ud;
  return *(const char *)b - *(const char *)a;
}

static void priority(acore_loop_t *loop) {
  acore_queue_t *q = NULL;

  ob_log_reset();
  ob_freed = 0;
  CHECK(acore_queue_new_priority(loop, 0, NULL, NULL, NULL, &q) == ACORE_EINVAL);
  CHECK(acore_queue_new_priority(loop, 0, by_char_desc, OB_ID(0), ob_count_free, &q) ==
        ACORE_OK);
  acore_queue_put_nowait(q, OB_ID(2), ob_count_free);
  acore_queue_put_nowait(q, OB_ID(9), ob_count_free);
  acore_queue_put_nowait(q, OB_ID(5), ob_count_free);
  drain(q);
  CHECK(strcmp(ob_log, "952") == 0);
  acore_queue_unref(q);
  CHECK(ob_freed == 4); /* three items and the comparator's ud */
}

static void waiting(acore_loop_t *loop) {
  acore_queue_t *q = NULL;
  acore_future_t *g = NULL, *p1 = NULL, *p2 = NULL, *j = NULL, *late = NULL;
  void *item = NULL;
  acore_free_fn item_free = NULL;

  CHECK(acore_queue_new(loop, 1, 5, &q) == ACORE_EINVAL);
  CHECK(acore_queue_new(loop, 1, ACORE_QUEUE_FIFO, &q) == ACORE_OK);
  CHECK(acore_queue_ref(q) == q);
  acore_queue_unref(q);
  CHECK(acore_queue_get(q, &g) == ACORE_OK && acore_future_is_done(g) == 0);
  CHECK(acore_queue_put(q, OB_ID(1), NULL, &p1) == ACORE_OK);
  CHECK(acore_queue_put(q, OB_ID(2), NULL, &p2) == ACORE_OK);
  CHECK(acore_queue_put_nowait(q, OB_ID(3), NULL) == ACORE_EFULL);
  acore_loop_run(loop);
  CHECK(acore_future_is_done(g) == 1 && acore_queue_get_finish(q, g) == ACORE_OK);
  CHECK(acore_future_result(g, &item) == ACORE_OK && item == OB_ID(1));
  CHECK(acore_future_is_done(p2) == 1 && acore_queue_item_count(q) == 1);
  CHECK(acore_queue_put_finish(NULL, p2) == ACORE_EINVAL);
  CHECK(acore_queue_put_finish(q, p2) == ACORE_OK); /* already in */
  CHECK(acore_queue_item_count(q) == 1);
  CHECK(acore_queue_unfinished_count(q) == 2);
  CHECK(acore_queue_join(q, &j) == ACORE_OK && acore_future_is_done(j) == 0);
  CHECK(acore_queue_task_done(q) == ACORE_OK);
  CHECK(acore_queue_get_nowait(q, &item, &item_free) == ACORE_OK && item == OB_ID(2));
  CHECK(acore_queue_get_nowait(q, &item, &item_free) == ACORE_EEMPTY);
  CHECK(acore_queue_task_done(q) == ACORE_OK);
  CHECK(acore_queue_task_done(q) == ACORE_EINVALIDSTATE);
  acore_loop_run(loop);
  CHECK(acore_future_is_done(j) == 1);
  CHECK(acore_queue_shutdown(q, ACORE_QUEUE_IMMEDIATE) == ACORE_OK);
  CHECK(acore_queue_put_nowait(q, OB_ID(4), NULL) == ACORE_ECLOSED);
  CHECK(acore_queue_get(q, &late) == ACORE_ECLOSED);
  acore_future_unref(g);
  acore_future_unref(p1);
  acore_future_unref(p2);
  acore_future_unref(j);
  acore_queue_unref(q);
}

/* The bounded map: job i sleeps (3 - i % 3) virtual seconds, returns i. */
static int job(acore_loop_t *loop, size_t i, void *ud, acore_future_t **out) {
  (void)ud;
  ob_log_add((char)('0' + (int)i));
  if (i == 4)
    return acore_future_new(loop, out) == ACORE_OK
               ? acore_future_set_int(*out, 4) : ACORE_ENOMEM;
  return acore_sleep(loop, (double)(3 - i % 3), out);
}

static void mapping(acore_loop_t *loop) {
  acore_future_t *m = NULL;
  size_t i;

  ob_log_reset();
  ob_freed = 0;
  CHECK(acore_map(loop, 5, 0, job, NULL, NULL, 0, &m) == ACORE_EINVAL);
  CHECK(acore_map(loop, 5, 2, job, OB_ID(0), ob_count_free, 0, &m) == ACORE_OK);
  CHECK(ob_log[0] == '\0' && acore_map_job(m, 0) == NULL); /* nothing inside the call */
  for (i = 0; i < 8 && !acore_future_is_done(m); i++) {
    acore_loop_run(loop);
    CHECK(acore_map_in_flight_count(m) <= 2);
    acore_loop_advance(loop, 1.0);
  }
  CHECK(acore_loop_run_until_complete(loop, m) == ACORE_OK);
  CHECK(strcmp(ob_log, "01234") == 0); /* started in index order */
  CHECK(acore_map_peak_count(m) == 2 && acore_map_in_flight_count(m) == 0);
  CHECK(acore_future_state(m) == ACORE_FUTURE_RESULT);
  CHECK(ob_int(acore_map_job(m, 4)) == 4 && acore_map_job(m, 5) == NULL);
  CHECK(acore_future_is_done(acore_map_job(m, 0)) == 1);
  CHECK(ob_freed == 1);
  acore_future_unref(m);
}

void ob_queue(void) {
  acore_loop_t *loop = ob_vloop();

  order(loop, ACORE_QUEUE_FIFO, "1234");
  order(loop, ACORE_QUEUE_LIFO, "4321");
  priority(loop);
  waiting(loop);
  mapping(loop);
  ob_vloop_done(loop);
}
