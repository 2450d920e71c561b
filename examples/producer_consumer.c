/* SPDX-License-Identifier: MIT */
/*
 * producer_consumer.c - producers and consumers joined by a bounded queue:
 * producers wait when it is full, consumers when it is empty; join() tells
 * when every item was processed, then shutdown() stops the consumers.
 */
#include <acore.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

enum { PRODUCERS = 3, CONSUMERS = 2, ITEMS = 10, QUEUE_SIZE = 4 };

static acore_queue_t *queue;
static int max_size, consumed[CONSUMERS], total;

/* ---- producer: put ITEMS numbers, waiting while the queue is full ---- */

typedef struct producer {
  int id, next;
} producer_t;

static int producer_step(acore_task_t *t, void *ud) {
  producer_t *p = ud;
  acore_future_t *f;
  int *item;

  if (p->next == ITEMS)
    return ACORE_TASK_DONE;
  if ((item = malloc(sizeof(*item))) == NULL)
    return ACORE_ENOMEM;
  *item = p->id * 100 + p->next++;
  if (acore_queue_put(queue, item, free, &f) != ACORE_OK) {
    free(item);
    return ACORE_ECLOSED;
  }
  if (acore_queue_item_count(queue) > (size_t)max_size)
    max_size = (int)acore_queue_item_count(queue);
  return acore_task_await_take(t, f); /* resumed once the item is queued */
}

/* ---- consumer: get items until the queue is shut down ---- */

typedef struct consumer {
  int id;
  bool waiting;
} consumer_t;

static int consumer_step(acore_task_t *t, void *ud) {
  consumer_t *c = ud;
  acore_future_t *f;
  void *item;

  if (c->waiting) {
    f = acore_task_awaited(t);
    if (acore_queue_get_finish(queue, f) != ACORE_OK)
      return ACORE_TASK_DONE; /* shut down (or cancelled): stop */
    acore_future_result(f, &item);
    total += *(int *)item;
    consumed[c->id]++;
    acore_queue_task_done(queue);
  }
  c->waiting = true;
  if (acore_queue_get(queue, &f) != ACORE_OK)
    return ACORE_TASK_DONE;
  return acore_task_await_take(t, f);
}

int main(void) {
  producer_t producers[PRODUCERS];
  consumer_t consumers[CONSUMERS];
  acore_loop_t *loop;
  acore_future_t *joined;
  int i, expected = 0;

  if (acore_loop_new(NULL, &loop) != ACORE_OK ||
      acore_queue_new(loop, QUEUE_SIZE, ACORE_QUEUE_FIFO, &queue) != ACORE_OK)
    return 1;
  for (i = 0; i < CONSUMERS; i++) {
    consumers[i] = (consumer_t){ .id = i };
    acore_task_spawn(loop, consumer_step, &consumers[i], NULL, NULL);
  }
  for (i = 0; i < PRODUCERS; i++) {
    producers[i] = (producer_t){ .id = i };
    acore_task_spawn(loop, producer_step, &producers[i], NULL, NULL);
  }
  /* run until only the consumers' waits are left (producers done) */
  acore_loop_run(loop);
  /* join: every item put has been marked done with task_done() */
  acore_queue_join(queue, &joined);
  acore_loop_run_until_complete(loop, joined);
  acore_future_unref(joined);
  /* stop the consumers: their waiting gets fail with ACORE_ECLOSED */
  acore_queue_shutdown(queue, 0);
  acore_loop_run(loop);

  for (i = 0; i < PRODUCERS; i++)
    for (int k = 0; k < ITEMS; k++)
      expected += i * 100 + k;
  printf("%d items through a queue of %d (largest size seen %d); "
         "consumer 0 took %d, consumer 1 took %d; sum %d (expected %d)\n",
         PRODUCERS * ITEMS, QUEUE_SIZE, max_size, consumed[0], consumed[1],
         total, expected);
  acore_queue_unref(queue);
  acore_loop_close(loop);
  acore_loop_unref(loop);
  return total == expected && max_size <= QUEUE_SIZE &&
                 consumed[0] + consumed[1] == PRODUCERS * ITEMS
             ? 0 : 1;
}
