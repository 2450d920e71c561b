/* SPDX-License-Identifier: MIT */
/*
 * map.c - the bounded map: run n jobs with at most k in flight, results in
 * input order, with gather's flags.
 *
 * Design notes
 * - The map is a composite future (acore__xfuture). Jobs start in index
 *   order, the first batch from a call_soon callback (never inside
 *   acore_map), the rest from the done callback of a finishing job, so at
 *   most k are ever in flight.
 * - Whatever can call back into the map holds a reference to it: the
 *   start call and each in-flight job's internal done callback (released
 *   by the record's ud_free, which also runs when the loop closes).
 * - `fn` is never called once `stopped` (cancelled, cancel-on-error) or
 *   all jobs started; its ud_free runs at that moment (or at destroy).
 * - A pending job holds the map (its done callback's reference) and the map
 *   holds the job: at loop close the closer drops those callbacks, which
 *   nothing else would (internal callbacks on pending futures stay).
 * - The map completes once: fail-first on the first job error (or
 *   cancellation), else when all jobs are done. Job errors are marked
 *   retrieved: the map has looked at them, as gather does.
 */
#include "alloc.h"
#include "future.h"
#include "loop.h"
#include "queue.h"
#include "value.h"

#include <string.h>

typedef struct map {
  acore__xfuture x; /* first */
  size_t n, k;
  size_t next;      /* next job to start */
  size_t in_flight, peak;
  unsigned flags;
  bool stopped;
  acore_map_fn fn;
  void *ud;
  acore_free_fn ud_free;
  acore_future_t **jobs; /* n, NULL until started */
  acore_error_t *err;    /* DRAIN: the error to complete with */
  acore__closer closer;  /* breaks map <-> pending job cycles at close */
} map;

static int map_cancel(acore_future_t *f, const char *message);
static void map_destroy(acore_future_t *f);
static size_t map_children(const acore_future_t *f, acore_future_t **out,
                           size_t cap);
static const acore__future_ops map_ops = {
    .cancel = map_cancel, .destroy = map_destroy, .name = "map",
    .children = map_children};

/* The jobs started and not yet done. */
static size_t map_children(const acore_future_t *f, acore_future_t **out,
                           size_t cap) {
  const map *m = (const map *)f;
  size_t i, k = 0;

  for (i = 0; m->jobs != NULL && i < m->next; i++)
    if (m->jobs[i] != NULL && m->jobs[i]->state == ACORE_FUTURE_PENDING &&
        k++ < cap)
      out[k - 1] = m->jobs[i];
  return k;
}

static map *map_of(acore_future_t *f) {
  if (f == NULL || !(f->flags & ACORE__F_CUSTOM) ||
      ((acore__xfuture *)f)->ops != &map_ops)
    return NULL;
  return (map *)f;
}

static void map_unref(void *ud) { acore_future_unref(ud); }

static void drop_fn(map *m) {
  acore_free_fn ud_free = m->ud_free;

  m->fn = NULL;
  m->ud_free = NULL;
  if (ud_free != NULL)
    ud_free(m->ud);
}

static void complete_error(map *m, acore_error_t *err) {
  acore__value v;

  memset(&v, 0, sizeof(v));
  v.err = err; /* consumed */
  acore__future_complete(&m->x.fut, ACORE_FUTURE_ERROR, ACORE_VALUE_NONE, v);
}

static void complete_ok(map *m) {
  acore__value v;

  memset(&v, 0, sizeof(v));
  acore__future_complete(&m->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_NONE, v);
}

static void cancel_in_flight(map *m) {
  size_t i;

  for (i = 0; i < m->next; i++)
    if (m->jobs[i] != NULL && m->jobs[i]->state == ACORE_FUTURE_PENDING)
      acore_future_cancel(m->jobs[i], NULL);
}

/* No more starts. */
static void stop(map *m) {
  if (!m->stopped) {
    m->stopped = true;
    drop_fn(m);
  }
}

static void start_jobs(map *m);

/* Job i ended with `err` (a new reference; ECANCELLED for a cancelled job). */
static void job_failed(map *m, acore_error_t *err) {
  if (m->x.fut.state != ACORE_FUTURE_PENDING || m->err != NULL ||
      (m->flags & ACORE_MAP_SETTLE_ALL)) {
    acore_error_unref(err);
    return;
  }
  if (!(m->flags & ACORE_MAP_CANCEL_ON_ERROR)) {
    complete_error(m, err);
    return;
  }
  stop(m);
  cancel_in_flight(m);
  if (m->flags & ACORE_MAP_DRAIN)
    m->err = err;
  else
    complete_error(m, err);
}

/* Complete when nothing is in flight and nothing more will start. */
static void maybe_finish(map *m) {
  acore_error_t *err = m->err;

  if (m->in_flight > 0 || (!m->stopped && m->next < m->n))
    return;
  stop(m);
  m->err = NULL;
  if (m->x.fut.state != ACORE_FUTURE_PENDING)
    acore_error_unref(err);
  else if (err != NULL)
    complete_error(m, err);
  else
    complete_ok(m);
}

/* The outcome of a finished job. */
static void job_outcome(map *m, acore_future_t *f) {
  acore_error_t *err;

  if (f->state == ACORE_FUTURE_RESULT)
    return;
  if (f->state == ACORE_FUTURE_ERROR)
    err = acore_error_ref(acore_future_error(f)); /* marks it retrieved */
  else
    err = acore__error_make(ACORE_ECANCELLED, "a job was cancelled");
  job_failed(m, err);
}

static void job_done(acore_future_t *f, void *ud) {
  map *m = ud;

  m->in_flight--;
  if (acore__loop_closed(m->x.fut.loop))
    return;
  job_outcome(m, f);
  start_jobs(m);
  maybe_finish(m);
}

/* Watch job f (a new reference); 0, or ACORE_ENOMEM (f then cancelled). */
static int watch_job(map *m, acore_future_t *f) {
  acore__cbrec *r;

  if (acore__future_add_internal(f, job_done, m, &r) != ACORE_OK) {
    acore_future_cancel(f, NULL);
    return ACORE_ENOMEM;
  }
  r->ud_free = map_unref; /* the record's reference to the map */
  acore_future_ref(&m->x.fut);
  if (++m->in_flight > m->peak)
    m->peak = m->in_flight;
  return ACORE_OK;
}

/* A job whose fn failed: it reads as a future failed with `code`. When
 * even that future cannot be made (ENOMEM) the job reads as never started;
 * under ACORE_MAP_SETTLE_ALL, where job errors do not complete the map,
 * the map then ends with the error itself, so the failure is not lost. */
static void job_not_started(map *m, size_t i, int code) {
  acore_error_t *err = acore__error_make(code, "the job could not start");
  acore_future_t *f;

  if (acore_future_new(m->x.fut.loop, &f) == ACORE_OK) {
    acore_future_set_error_code(f, code, "the job could not start");
    acore_future_error(f); /* retrieved: the map reports it */
    m->jobs[i] = f;
  } else if ((m->flags & ACORE_MAP_SETTLE_ALL) && m->err == NULL &&
             m->x.fut.state == ACORE_FUTURE_PENDING) {
    m->err = err; /* maybe_finish completes the map with it */
    return;
  }
  job_failed(m, err);
}

static void start_job(map *m) {
  size_t i = m->next++;
  acore_loop_t *loop = m->x.fut.loop;
  acore_future_t *f = NULL;
  int rc = m->fn(loop, i, m->ud, &f);

  if (rc == ACORE_OK && (f == NULL || f->loop != loop)) {
    acore_future_unref(f);
    rc = ACORE_EINVAL;
  } else if (rc > 0) {
    rc = ACORE_EINVAL;
  }
  if (rc != ACORE_OK) {
    job_not_started(m, i, rc);
    return;
  }
  if (watch_job(m, f) != ACORE_OK) {
    /* Not watched (ENOMEM; watch_job cancelled it): the job reads as one
     * that could not start, failed with ACORE_ENOMEM - also under
     * ACORE_MAP_SETTLE_ALL, where the map's own error is dropped. */
    acore_future_unref(f);
    job_not_started(m, i, ACORE_ENOMEM);
    return;
  }
  m->jobs[i] = f;
}

static void start_jobs(map *m) {
  while (!m->stopped && m->next < m->n && m->in_flight < m->k)
    start_job(m);
}

static void start_cb(void *ud) {
  map *m = ud;

  start_jobs(m);
  maybe_finish(m);
}

static int map_cancel(acore_future_t *f, const char *message) {
  map *m = (map *)f;
  int rc = acore__future_cancel(f, message);

  if (rc == 1) {
    stop(m);
    cancel_in_flight(m);
    acore_error_unref(m->err);
    m->err = NULL;
  }
  return rc;
}

/* Loop close: drop the done callbacks still waiting on pending jobs. */
static void map_on_close(acore__closer *c, acore_loop_t *loop) {
  map *m = (map *)((char *)c - offsetof(map, closer));
  acore__queue *q, *next;
  size_t i;

  acore_future_ref(&m->x.fut);
  for (i = 0; i < m->next; i++) {
    acore_future_t *f = m->jobs[i];

    if (f == NULL || f->state != ACORE_FUTURE_PENDING)
      continue;
    for (q = f->cbs.next; q != &f->cbs; q = next) {
      acore__cbrec *r = (acore__cbrec *)acore__queue_data(q, acore__item, node);

      next = q->next;
      if (r->item.kind == ACORE__ITEM_INTERNAL && r->fn == job_done &&
          r->ud == m)
        acore__cbrec_drop(loop, r); /* its ud_free drops a map reference */
    }
  }
  acore_future_unref(&m->x.fut);
}

static void map_destroy(acore_future_t *f) {
  map *m = (map *)f;
  size_t i;

  acore__loop_remove_closer(&m->closer);
  for (i = 0; i < m->n; i++)
    acore_future_unref(m->jobs[i]);
  acore__free(m->jobs);
  drop_fn(m);
  acore_error_unref(m->err);
}

int acore_map(acore_loop_t *loop, size_t n, size_t k, acore_map_fn fn,
              void *ud, acore_free_fn ud_free, unsigned flags,
              acore_future_t **out) {
  const unsigned known = ACORE_MAP_SETTLE_ALL | ACORE_MAP_CANCEL_ON_ERROR |
                         ACORE_MAP_DRAIN;
  map *m = NULL;
  int rc;

  if (fn == NULL || out == NULL || k == 0 || (flags & ~known) ||
      n > SIZE_MAX / sizeof(acore_future_t *))
    rc = ACORE_EINVAL;
  else
    rc = acore__loop_check(loop);
  if (rc == ACORE_OK && (m = (map *)acore__xfuture_new(
                             loop, sizeof(*m), &map_ops, ACORE__F_NOSET)) == NULL)
    rc = ACORE_ENOMEM;
  if (rc != ACORE_OK) {
    if (ud_free != NULL)
      ud_free(ud);
    return rc;
  }
  acore__queue_init(&m->closer.node);
  m->n = n;
  m->k = k;
  m->flags = flags;
  m->fn = fn;
  m->ud = ud;
  m->ud_free = ud_free;
  m->jobs = acore__calloc(n > 0 ? n : 1, sizeof(*m->jobs));
  rc = m->jobs ? acore_loop_call_soon(loop, start_cb,
                                      acore_future_ref(&m->x.fut), map_unref,
                                      NULL)
               : ACORE_ENOMEM;
  if (rc != ACORE_OK) {
    if (m->jobs == NULL)
      m->n = 0;
    acore_future_unref(&m->x.fut); /* runs ud_free */
    return rc;
  }
  m->closer.fn = map_on_close;
  acore__loop_add_closer(loop, &m->closer);
  *out = &m->x.fut;
  return ACORE_OK;
}

acore_future_t *acore_map_job(acore_future_t *fut, size_t i) {
  map *m = map_of(fut);

  return m != NULL && i < m->n ? m->jobs[i] : NULL;
}

size_t acore_map_in_flight_count(acore_future_t *fut) {
  map *m = map_of(fut);

  return m ? m->in_flight : 0;
}

size_t acore_map_peak_count(acore_future_t *fut) {
  map *m = map_of(fut);

  return m ? m->peak : 0;
}
