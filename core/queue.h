/* SPDX-License-Identifier: MIT */
/*
 * queue.h - an intrusive circular doubly linked list.
 *
 * Nodes live inside the objects that are queued, so queueing never
 * allocates. A removed node is re-initialised to point at itself, so
 * "is it queued?" is acore__queue_linked(node).
 */
#ifndef ACORE_QUEUE_H
#define ACORE_QUEUE_H

#include <stddef.h>

typedef struct acore__queue {
  struct acore__queue *next;
  struct acore__queue *prev;
} acore__queue;

#define acore__queue_data(node, type, field) \
  ((type *)((char *)(node) - offsetof(type, field)))

static inline void acore__queue_init(acore__queue *q) {
  q->next = q;
  q->prev = q;
}

static inline int acore__queue_empty(const acore__queue *q) {
  return q->next == q;
}

static inline int acore__queue_linked(const acore__queue *n) {
  return n->next != n;
}

static inline acore__queue *acore__queue_head(const acore__queue *q) {
  return q->next;
}

static inline void acore__queue_insert_tail(acore__queue *q, acore__queue *n) {
  n->next = q;
  n->prev = q->prev;
  n->prev->next = n;
  q->prev = n;
}

static inline void acore__queue_remove(acore__queue *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->next = n;
  n->prev = n;
}

/* Move every node of `from` to the empty list `to`; `from` ends empty. */
static inline void acore__queue_move(acore__queue *from, acore__queue *to) {
  if (acore__queue_empty(from)) {
    acore__queue_init(to);
    return;
  }
  to->next = from->next;
  to->prev = from->prev;
  to->next->prev = to;
  to->prev->next = to;
  acore__queue_init(from);
}

#endif /* ACORE_QUEUE_H */
