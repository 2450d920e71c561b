/* SPDX-License-Identifier: MIT */
/*
 * dump.c - acore_loop_dump(): the live await graph as a tree or as JSON,
 * through a writer callback, to a file descriptor or into a string.
 *
 * Design notes
 * - Output goes through a 512-byte buffer flushed to the writer; nothing
 *   is written before the scratch sets the dump needs were made, so a dump
 *   that fails with ACORE_ENOMEM wrote nothing... except a set that grows
 *   while printing: then the dump ends early and ACORE_ENOMEM is returned.
 * - The tree puts first the tasks that no other task waits for, each
 *   followed (indented) by what it awaits down to the tasks it waits for,
 *   which are printed there once; a task met again shows as "(shown
 *   above)", one met on its own path as "(await cycle)". Tasks left over
 *   (every one waited for by another, in a cycle) are printed after.
 * - The JSON names every task once, with its awaited future as a nested
 *   object whose task children are references by id ({"task": id}).
 */
#include "alloc.h"
#include "graph.h"
#include "loop.h"
#include "where.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_DEPTH = 64 };

typedef struct edge {
  acore_task_t *waited, *by;
} edge;

typedef struct dumper {
  acore_write_fn fn;
  void *ud;
  acore_loop_t *loop;
  int rc;               /* first failure, ACORE_OK */
  size_t len;
  char buf[512];
  acore__pset printed;  /* tree: tasks printed */
  acore__pset scratch;  /* graph walks */
  edge *edges;          /* task-to-task waits, sorted by waited */
  size_t nedges, cap;
  const acore_task_t *path[MAX_DEPTH];
  size_t npath;
  char site[512];       /* a site the loop's where callback wrote */
} dumper;

/* ---- output ------------------------------------------------------------------- */

static void flush(dumper *d) {
  if (d->len > 0)
    d->fn(d->buf, d->len, d->ud);
  d->len = 0;
}

static void put(dumper *d, const char *s, size_t n) {
  while (n > 0) {
    size_t room = sizeof(d->buf) - d->len, k = n < room ? n : room;
    memcpy(d->buf + d->len, s, k);
    d->len += k;
    s += k;
    n -= k;
    if (d->len == sizeof(d->buf))
      flush(d);
  }
}

__attribute__((format(printf, 2, 3)))
static void say(dumper *d, const char *fmt, ...) {
  char line[512];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (n > 0)
    put(d, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void indent(dumper *d, unsigned depth) {
  unsigned i;
  for (i = 0; i < depth; i++)
    put(d, "  ", 2);
}

/* A JSON string (quoted, escaped), or null for NULL. */
static void jstr(dumper *d, const char *s) {
  if (s == NULL) {
    put(d, "null", 4);
    return;
  }
  put(d, "\"", 1);
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      put(d, "\\", 1);
      put(d, s, 1);
    } else if (c < 0x20) {
      say(d, "\\u%04x", c);
    } else {
      put(d, s, 1);
    }
  }
  put(d, "\"", 1);
}

static void jtime(dumper *d, double t) {
  if (t < 0)
    put(d, "null", 4);
  else
    say(d, "%.6f", t);
}

/* ---- who waits for whom ---------------------------------------------------------- */

static void add_edge(acore_task_t *by, acore_task_t *waited, void *ud) {
  dumper *d = ud;
  edge *e;

  if (d->rc != ACORE_OK)
    return;
  if (d->nedges == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 16;
    if ((e = acore__realloc(d->edges, cap * sizeof(*e))) == NULL) {
      d->rc = ACORE_ENOMEM;
      return;
    }
    d->edges = e;
    d->cap = cap;
  }
  d->edges[d->nedges].waited = waited;
  d->edges[d->nedges++].by = by;
}

static int edge_cmp(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const edge *)a)->waited;
  uintptr_t y = (uintptr_t)((const edge *)b)->waited;

  return x < y ? -1 : x > y;
}

/* The first edge whose waited is `t`, or nedges. */
static size_t first_edge(const dumper *d, const acore_task_t *t) {
  size_t lo = 0, hi = d->nedges;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if ((uintptr_t)d->edges[mid].waited < (uintptr_t)t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static bool is_waited(const dumper *d, const acore_task_t *t) {
  size_t i = first_edge(d, t);
  return i < d->nedges && d->edges[i].waited == t;
}

static int collect_edges(dumper *d) {
  int rc = acore__graph_task_edges(d->loop, &d->scratch, add_edge, d);

  if (rc == ACORE_OK)
    rc = d->rc;
  if (rc == ACORE_OK && d->nedges > 1)
    qsort(d->edges, d->nedges, sizeof(*d->edges), edge_cmp);
  return rc;
}

/* ---- the tree ------------------------------------------------------------------ */

static void tree_task(dumper *d, acore_task_t *t, unsigned depth);

/* "kind: detail" of a future that is not a task. */
static void future_label(dumper *d, const acore_future_t *f) {
  char detail[384];

  acore_future_describe(f, detail, sizeof(detail));
  say(d, "%s%s%s", acore_future_kind(f), detail[0] ? ": " : "", detail);
}

static void tree_future(dumper *d, acore_future_t *f, unsigned depth,
                        bool first) {
  acore_future_t *small[ACORE__KIDS_SMALL], **list;
  acore_task_t *t = acore_task_from_future(f);
  size_t n, i;

  if (t != NULL && !first) {
    tree_task(d, t, depth);
    return;
  }
  indent(d, depth);
  put(d, first ? "awaits " : "", first ? 7 : 0);
  if (t != NULL) {
    tree_task(d, t, 0); /* awaits a task: on the same line */
    return;
  }
  future_label(d, f);
  put(d, "\n", 1);
  if (depth >= MAX_DEPTH || (n = acore__kids(f, small, &list)) == SIZE_MAX) {
    d->rc = depth >= MAX_DEPTH ? d->rc : ACORE_ENOMEM;
    return;
  }
  for (i = 0; i < n; i++)
    tree_future(d, list[i], depth + 1, false);
  acore__kids_free(small, list);
}

static bool on_path(const dumper *d, const acore_task_t *t) {
  size_t i;
  for (i = 0; i < d->npath; i++)
    if (d->path[i] == t)
      return true;
  return false;
}

static void task_line(dumper *d, acore_task_t *t) {
  char name[ACORE__TASK_NAME_BUF];
  int state = acore_task_state(t);
  double now = acore_loop_time(d->loop), created, since;
  const char *site;

  acore_task_times(t, &created, &since);
  say(d, "%s (#%llu) %s", acore__task_name(t, name),
      (unsigned long long)acore_task_id(t), acore__task_state_name(state));
  if (since >= 0)
    say(d, " since %.3f s (%.3f s ago)", since, now - since);
  if ((site = acore__task_site(t, d->site, sizeof(d->site))) != NULL)
    say(d, " at %s", site);
}

static void tree_task(dumper *d, acore_task_t *t, unsigned depth) {
  char name[ACORE__TASK_NAME_BUF];
  int rc;

  indent(d, depth);
  if (on_path(d, t) || acore__pset_has(&d->printed, t)) {
    say(d, "%s (#%llu) %s\n", acore__task_name(t, name),
        (unsigned long long)acore_task_id(t),
        on_path(d, t) ? "(await cycle)" : "(shown above)");
    return;
  }
  if ((rc = acore__pset_add(&d->printed, t)) < 0)
    d->rc = rc;
  task_line(d, t);
  put(d, "\n", 1);
  if (acore_task_state(t) != ACORE_TASK_STATE_WAITING ||
      d->npath >= MAX_DEPTH)
    return;
  d->path[d->npath++] = t;
  tree_future(d, t->awaited, depth + 1, true);
  d->npath--;
}

static void tree(dumper *d) {
  acore_task_t *t = NULL;

  say(d, "acore loop: %zu tasks, loop time %.3f s\n",
      acore_loop_task_count(d->loop), acore_loop_time(d->loop));
  while ((t = acore__task_next(d->loop, t)) != NULL)
    if (!is_waited(d, t))
      tree_task(d, t, 0);
  while ((t = acore__task_next(d->loop, t)) != NULL)
    if (!acore__pset_has(&d->printed, t))
      tree_task(d, t, 0); /* every one waited for: cycles */
}

/* ---- JSON ------------------------------------------------------------------------ */

static void json_future(dumper *d, acore_future_t *f, unsigned depth) {
  acore_future_t *small[ACORE__KIDS_SMALL], **list;
  acore_task_t *t = acore_task_from_future(f);
  char detail[384];
  size_t n, i;

  if (t != NULL) {
    say(d, "{\"task\": %llu}", (unsigned long long)acore_task_id(t));
    return;
  }
  acore_future_describe(f, detail, sizeof(detail));
  put(d, "{\"kind\": ", 9);
  jstr(d, acore_future_kind(f));
  put(d, ", \"detail\": ", 12);
  jstr(d, detail);
  put(d, ", \"children\": [", 15);
  if (depth < MAX_DEPTH && (n = acore__kids(f, small, &list)) != SIZE_MAX) {
    for (i = 0; i < n; i++) {
      put(d, i ? ", " : "", i ? 2 : 0);
      json_future(d, list[i], depth + 1);
    }
    acore__kids_free(small, list);
  } else if (depth < MAX_DEPTH) {
    d->rc = ACORE_ENOMEM;
  }
  put(d, "]}", 2);
}

static void json_task(dumper *d, acore_task_t *t) {
  char name[ACORE__TASK_NAME_BUF];
  double created, since;
  size_t i;

  acore_task_times(t, &created, &since);
  say(d, "{\"id\": %llu, \"name\": ", (unsigned long long)acore_task_id(t));
  jstr(d, acore__task_name(t, name));
  say(d, ", \"state\": \"%s\", \"where\": ",
      acore__task_state_name(acore_task_state(t)));
  jstr(d, acore__task_site(t, d->site, sizeof(d->site)));
  put(d, ", \"created\": ", 13);
  jtime(d, created);
  put(d, ", \"since\": ", 11);
  jtime(d, since);
  put(d, ", \"awaits\": ", 12);
  if (acore_task_state(t) == ACORE_TASK_STATE_WAITING)
    json_future(d, t->awaited, 0);
  else
    put(d, "null", 4);
  put(d, ", \"awaited_by\": [", 17);
  for (i = first_edge(d, t); i < d->nedges && d->edges[i].waited == t; i++)
    say(d, "%s%llu", i > first_edge(d, t) ? ", " : "",
        (unsigned long long)acore_task_id(d->edges[i].by));
  put(d, "]}", 2);
}

static void json(dumper *d) {
  acore_task_t *t = NULL;
  bool first = true;

  say(d, "{\"time\": %.6f, \"tasks\": [", acore_loop_time(d->loop));
  while ((t = acore__task_next(d->loop, t)) != NULL) {
    put(d, first ? "\n  " : ",\n  ", first ? 3 : 4);
    first = false;
    json_task(d, t);
  }
  put(d, "\n]}\n", 4);
}

/* ---- entry points ----------------------------------------------------------------- */

static int dump(acore_loop_t *loop, unsigned flags, acore_write_fn fn,
                void *ud) {
  dumper *d = acore__calloc(1, sizeof(*d));
  int rc;

  if (d == NULL)
    return ACORE_ENOMEM;
  d->fn = fn;
  d->ud = ud;
  d->loop = loop;
  acore__pset_init(&d->printed);
  acore__pset_init(&d->scratch);
  if ((rc = collect_edges(d)) == ACORE_OK) {
    if (flags & ACORE_DUMP_JSON)
      json(d);
    else
      tree(d);
    flush(d);
    rc = d->rc;
  }
  acore__pset_free(&d->printed);
  acore__pset_free(&d->scratch);
  acore__free(d->edges);
  acore__free(d);
  return rc;
}

static int check(acore_loop_t *loop, unsigned flags) {
  if (loop == NULL || (flags & ~(unsigned)ACORE_DUMP_JSON))
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(loop))
    return ACORE_EWRONGTHREAD;
  return ACORE_OK;
}

int acore_loop_dump(acore_loop_t *loop, unsigned flags, acore_write_fn fn,
                    void *ud, acore_free_fn ud_free) {
  int rc = fn == NULL ? ACORE_EINVAL : check(loop, flags);

  if (rc == ACORE_OK)
    rc = dump(loop, flags, fn, ud);
  if (ud_free != NULL)
    ud_free(ud);
  return rc;
}

/* ---- to a descriptor, into a string ------------------------------------------------- */

typedef struct fdw {
  int fd;
  int rc;
} fdw;

static void fd_write(const char *data, size_t len, void *ud) {
  fdw *w = ud;
  ssize_t n;

  while (len > 0 && w->rc == ACORE_OK) {
    n = write(w->fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      w->rc = ACORE_EIO;
      return;
    }
    data += n;
    len -= (size_t)n;
  }
}

int acore_loop_dump_fd(acore_loop_t *loop, unsigned flags, int fd) {
  fdw w = {fd, ACORE_OK};
  int rc = fd < 0 ? ACORE_EINVAL : check(loop, flags);

  if (rc == ACORE_OK)
    rc = dump(loop, flags, fd_write, &w);
  return rc == ACORE_OK ? w.rc : rc;
}

typedef struct strw {
  char *s;
  size_t len, cap;
  int rc;
} strw;

static void str_write(const char *data, size_t len, void *ud) {
  strw *w = ud;
  char *s;

  if (w->rc != ACORE_OK)
    return;
  if (w->len + len + 1 > w->cap) {
    size_t cap = (w->len + len + 1) * 2;
    if ((s = acore__realloc(w->s, cap)) == NULL) {
      w->rc = ACORE_ENOMEM;
      return;
    }
    w->s = s;
    w->cap = cap;
  }
  memcpy(w->s + w->len, data, len);
  w->len += len;
  w->s[w->len] = '\0';
}

int acore_loop_dump_string(acore_loop_t *loop, unsigned flags, char **out) {
  strw w = {NULL, 0, 0, ACORE_OK};
  int rc = out == NULL ? ACORE_EINVAL : check(loop, flags);

  if (out != NULL)
    *out = NULL;
  if (rc == ACORE_OK && (rc = dump(loop, flags, str_write, &w)) == ACORE_OK)
    rc = w.rc;
  if (rc == ACORE_OK && w.s == NULL && (w.s = acore__strdup("")) == NULL)
    rc = ACORE_ENOMEM;
  if (rc != ACORE_OK) {
    acore__free(w.s);
    return rc;
  }
  *out = w.s;
  return ACORE_OK;
}
