/* SPDX-License-Identifier: MIT */
/* test_graph.c - the await graph: task states, times and creation sites
 * (set, or named by the loop's where callback), future kinds, details,
 * children and awaiters, and the loop's dump (a known graph - two tasks
 * deadlocked over two locks under a gather - against its expected tree
 * and JSON). */
#include "deadlock_util.h"
#include "testutil.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fixture with task times on a virtual clock. */
static int setup_times(void **state) {
  tu_fixture *fx = calloc(1, sizeof(*fx));

  tu_alloc_install();
  tu_alloc_fail_at(0);
  fx->live_before = tu_alloc_live();
  fx->cache_before = -1;
  fx->loop = tu_loop_new(ACORE_LOOP_VIRTUAL_CLOCK | ACORE_LOOP_TASK_TIMES);
  *state = fx;
  return 0;
}

typedef struct deadlock {
  acore_lock_t *l1, *l2;
  locker a, b;
  mainj m;
  acore_task_t *main;
  tu_reports reports;
} deadlock;

static void deadlock_make(acore_loop_t *loop, deadlock *d) {
  int i;

  memset(d, 0, sizeof(*d));
  tu_capture_reports(loop, &d->reports);
  assert_int_equal(acore_lock_new(loop, &d->l1), ACORE_OK);
  assert_int_equal(acore_lock_new(loop, &d->l2), ACORE_OK);
  d->a.first = d->b.second = d->l1;
  d->a.second = d->b.first = d->l2;
  assert_int_equal(acore_task_spawn_at(loop, main_step, &d->m, NULL, "main.c:7",
                                       &d->main), ACORE_OK);
  assert_int_equal(acore_task_spawn(loop, locker_step, &d->a, NULL,
                                    &d->m.kids[0]), ACORE_OK);
  assert_int_equal(acore_task_spawn_at(loop, locker_step, &d->b, NULL,
                                       ACORE_WHERE(), &d->m.kids[1]),
                   ACORE_OK);
  assert_int_equal(acore_task_set_name(d->main, "main"), ACORE_OK);
  assert_int_equal(acore_task_set_name(d->m.kids[0], "a"), ACORE_OK);
  assert_int_equal(acore_task_set_name(d->m.kids[1], "b"), ACORE_OK);
  for (i = 0; i < 4; i++)
    assert_true(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0);
}

static void deadlock_end(acore_loop_t *loop, deadlock *d) {
  acore_task_cancel(d->main, "test over");
  while (acore_loop_task_count(loop) > 0)
    assert_true(acore_loop_run_once(loop, ACORE_RUN_NOWAIT) >= 0);
  acore_task_unref(d->main);
  acore_task_unref(d->m.kids[0]);
  acore_task_unref(d->m.kids[1]);
  acore_lock_unref(d->l1);
  acore_lock_unref(d->l2);
}

/* `s` with every 0x<hex> replaced by 0xADDR (in place). */
static char *mask_addresses(char *s) {
  regex_t re;
  regmatch_t m;
  char *at = s;

  assert_int_equal(regcomp(&re, "0x[0-9a-f]+", REG_EXTENDED), 0);
  while (regexec(&re, at, 1, &m, 0) == 0) {
    memmove(at + m.rm_so + 6, at + m.rm_eo, strlen(at + m.rm_eo) + 1);
    memcpy(at + m.rm_so, "0xADDR", 6);
    at += m.rm_so + 6;
  }
  regfree(&re);
  return s;
}

/* ---- states, times, sites ---------------------------------------------------------- */

static int state_step(acore_task_t *t, void *ud) {
  int *seen = ud;

  *seen = acore_task_state(t);
  return acore_task_return_int(t, 0);
}

static void test_graph_task_state(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t;
  int seen = 0;

  assert_int_equal(acore_task_spawn(loop, state_step, &seen, NULL, &t),
                   ACORE_OK);
  assert_int_equal(acore_task_state(t), ACORE_TASK_STATE_READY);
  assert_string_equal(acore_future_kind(acore_task_future(t)), "task");
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(seen, ACORE_TASK_STATE_RUNNING);
  assert_int_equal(acore_task_state(t), ACORE_TASK_STATE_DONE);
  acore_task_unref(t);
}

static void test_graph_task_times(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  deadlock d;
  double created, since;

  acore_loop_advance(loop, 2.0);
  deadlock_make(loop, &d);
  assert_int_equal(acore_task_state(d.m.kids[0]), ACORE_TASK_STATE_WAITING);
  assert_int_equal(acore_task_times(d.main, &created, &since), ACORE_OK);
  assert_true(created == 2.0 && since == 2.0);
  acore_loop_advance(loop, 1.5);
  assert_int_equal(acore_task_times(d.main, NULL, &since), ACORE_OK);
  assert_true(since == 2.0); /* still waiting since then */
  deadlock_end(loop, &d);
}

static void test_graph_task_times_off(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t;
  double created = 0, since = 0;
  int seen;

  assert_int_equal(acore_task_spawn(loop, state_step, &seen, NULL, &t),
                   ACORE_OK);
  assert_int_equal(acore_task_times(t, &created, &since), ACORE_OK);
  assert_true(created == -1.0 && since == -1.0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  acore_task_unref(t);
}

static void test_graph_task_where(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t, *u;
  int seen;

  assert_int_equal(acore_task_spawn_at(loop, state_step, &seen, NULL,
                                       "x.py:3", &t), ACORE_OK);
  assert_string_equal(acore_task_where(t), "x.py:3");
  assert_int_equal(acore_task_set_name(t, "named"), ACORE_OK);
  assert_string_equal(acore_task_where(t), "x.py:3"); /* kept */
  assert_int_equal(acore_task_set_where(t, "y.lua:9"), ACORE_OK);
  assert_string_equal(acore_task_where(t), "y.lua:9");
  assert_int_equal(acore_task_set_where(t, NULL), ACORE_OK);
  assert_null(acore_task_where(t));
  assert_int_equal(acore_task_spawn_at(loop, state_step, &seen, NULL,
                                       ACORE_WHERE(), &u), ACORE_OK);
  assert_non_null(strstr(acore_task_where(u), "test_graph.c:"));
  assert_int_equal(acore_task_spawn(loop, state_step, &seen, NULL, NULL),
                   ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(acore_task_set_name(t, NULL), ACORE_OK);
  assert_string_equal(acore_task_where(u), acore_task_where(u));
  acore_task_unref(t);
  acore_task_unref(u);
}

/* ---- kinds, details, children, awaiters --------------------------------------------- */

static void test_graph_future_kind(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *g, *s, *w, *kids[2];
  acore_sem_t *sem;
  char buf[128];
  size_t n;

  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_sleep(loop, 5.0, &s), ACORE_OK);
  kids[0] = f;
  kids[1] = s;
  assert_int_equal(acore_gather(loop, kids, 2, 0, &g), ACORE_OK);
  assert_string_equal(acore_future_kind(f), "future");
  assert_string_equal(acore_future_kind(s), "sleep");
  assert_string_equal(acore_future_kind(g), "gather");
  assert_int_equal(acore_future_describe(g, buf, sizeof(buf)), 11);
  assert_string_equal(buf, "0 of 2 done");
  assert_int_equal(acore_future_describe(g, NULL, 0), 11);
  assert_int_equal(acore_future_describe(f, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "");
  assert_int_equal(acore_future_children(g, kids, 2, &n), ACORE_OK);
  assert_int_equal(n, 2);
  assert_ptr_equal(kids[0], f);
  assert_ptr_equal(kids[1], s);
  acore_future_unref(kids[0]);
  acore_future_unref(kids[1]);
  assert_int_equal(acore_future_children(f, NULL, 0, &n), ACORE_OK);
  assert_int_equal(n, 0);

  assert_int_equal(acore_sem_new(loop, 0, 0, &sem), ACORE_OK);
  assert_int_equal(acore_sem_acquire(sem, 1, &w), ACORE_OK);
  assert_string_equal(acore_future_kind(w), "waiter");
  acore_future_describe(w, buf, sizeof(buf));
  assert_non_null(strstr(buf, "semaphore 0x"));
  assert_non_null(strstr(buf, ", 1 of 1 waiting"));
  acore_future_cancel(w, NULL);
  acore_future_unref(w);
  acore_sem_unref(sem);
  acore_future_cancel(g, NULL);
  acore_future_unref(g);
  acore_future_unref(s);
  acore_future_unref(f);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
}

static void test_graph_awaiters(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *out[4], *gather;
  deadlock d;
  size_t n;

  deadlock_make(loop, &d);
  gather = acore_task_awaited(d.main);
  assert_int_equal(acore_future_awaiters(gather, out, 4, &n), ACORE_OK);
  assert_int_equal(n, 1);
  assert_ptr_equal(out[0], acore_task_future(d.main));
  acore_future_unref(out[0]);
  assert_int_equal(acore_future_awaiters(acore_task_future(d.m.kids[1]), out,
                                         4, &n), ACORE_OK);
  assert_int_equal(n, 1);
  assert_ptr_equal(out[0], gather);
  acore_future_unref(out[0]);
  assert_int_equal(acore_future_awaiters(acore_task_future(d.main), NULL, 0,
                                         &n), ACORE_OK);
  assert_int_equal(n, 0);
  deadlock_end(loop, &d);
}

/* ---- the dump ------------------------------------------------------------------------ */

static const char expected_tree[] =
    "acore loop: 3 tasks, loop time 0.000 s\n"
    "main (#1) waiting since 0.000 s (0.000 s ago) at main.c:7\n"
    "  awaits gather: 0 of 2 done\n"
    "    a (#2) waiting since 0.000 s (0.000 s ago)\n"
    "      awaits waiter: lock 0xADDR, 1 of 1 waiting; held by b (#3)\n"
    "    b (#3) waiting since 0.000 s (0.000 s ago) at test_graph.c:LINE\n"
    "      awaits waiter: lock 0xADDR, 1 of 1 waiting; held by a (#2)\n";

/* The test's own file and line in the `where` of task b, as
 * test_graph.c:LINE. */
static char *mask_line(char *s) {
  char *p = strstr(s, "test_graph.c:"), *e, *q;

  if (p != NULL) {
    for (q = p; q > s && q[-1] != ' ' && q[-1] != '"'; q--)
      ; /* the file's folder, which depends on the build */
    memmove(q, p, strlen(p) + 1);
    p = q + strlen("test_graph.c:");
    e = p + strspn(p, "0123456789");
    memmove(p + 4, e, strlen(e) + 1);
    memcpy(p, "LINE", 4);
  }
  return s;
}

static void test_graph_dump_tree(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  deadlock d;
  char *s;

  deadlock_make(loop, &d);
  assert_int_equal(acore_loop_dump_string(loop, ACORE_DUMP_TREE, &s),
                   ACORE_OK);
  assert_string_equal(mask_line(mask_addresses(s)), expected_tree);
  acore_free(s);
  deadlock_end(loop, &d);
}

static const char expected_json[] =
    "{\"time\": 0.000000, \"tasks\": [\n"
    "  {\"id\": 1, \"name\": \"main\", \"state\": \"waiting\", \"where\": "
    "\"main.c:7\", \"created\": 0.000000, \"since\": 0.000000, \"awaits\": "
    "{\"kind\": \"gather\", \"detail\": \"0 of 2 done\", \"children\": "
    "[{\"task\": 2}, {\"task\": 3}]}, \"awaited_by\": []},\n"
    "  {\"id\": 2, \"name\": \"a\", \"state\": \"waiting\", \"where\": null, "
    "\"created\": 0.000000, \"since\": 0.000000, \"awaits\": {\"kind\": "
    "\"waiter\", \"detail\": \"lock 0xADDR, 1 of 1 waiting; held by b (#3)\", "
    "\"children\": []}, \"awaited_by\": [1]},\n"
    "  {\"id\": 3, \"name\": \"b\", \"state\": \"waiting\", \"where\": "
    "\"test_graph.c:LINE\", \"created\": 0.000000, \"since\": 0.000000, "
    "\"awaits\": {\"kind\": \"waiter\", \"detail\": \"lock 0xADDR, 1 of 1 "
    "waiting; held by a (#2)\", \"children\": []}, \"awaited_by\": [1]}\n"
    "]}\n";

static void test_graph_dump_json(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  deadlock d;
  char *s;

  deadlock_make(loop, &d);
  assert_int_equal(acore_loop_dump_string(loop, ACORE_DUMP_JSON, &s),
                   ACORE_OK);
  assert_string_equal(mask_line(mask_addresses(s)), expected_json);
  acore_free(s);
  deadlock_end(loop, &d);
}

typedef struct sink {
  char text[4096];
  size_t len;
  int calls;
} sink;

static void sink_write(const char *data, size_t len, void *ud) {
  sink *k = ud;

  assert_true(k->len + len < sizeof(k->text));
  memcpy(k->text + k->len, data, len);
  k->len += len;
  k->calls++;
}

static void test_graph_dump_writer(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  sink k = {{0}, 0, 0};
  char *s, buf[4096];
  int fds[2];
  ssize_t n;

  assert_int_equal(acore_loop_dump(loop, 0, sink_write, &k, tu_count_free),
                   ACORE_OK);
  assert_int_equal(tu_frees, 1);
  assert_string_equal(k.text, "acore loop: 0 tasks, loop time 0.000 s\n");
  assert_int_equal(acore_loop_dump_string(loop, ACORE_DUMP_JSON, &s),
                   ACORE_OK);
  assert_string_equal(s, "{\"time\": 0.000000, \"tasks\": [\n]}\n");
  acore_free(s);
  assert_int_equal(pipe(fds), 0);
  assert_int_equal(acore_loop_dump_fd(loop, 0, fds[1]), ACORE_OK);
  close(fds[1]);
  n = read(fds[0], buf, sizeof(buf) - 1);
  assert_true(n > 0);
  buf[n] = '\0';
  assert_string_equal(buf, k.text);
  close(fds[0]);
}

/* Names with quotes and control characters are escaped in JSON. */
static void test_graph_dump_json_escapes(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_task_t *t;
  char *s;
  int seen;

  assert_int_equal(acore_task_spawn(loop, state_step, &seen, NULL, &t),
                   ACORE_OK);
  assert_int_equal(acore_task_set_name(t, "a\"b\\c\n"), ACORE_OK);
  assert_int_equal(acore_loop_dump_string(loop, ACORE_DUMP_JSON, &s),
                   ACORE_OK);
  assert_non_null(strstr(s, "\"name\": \"a\\\"b\\\\c\\u000a\""));
  acore_free(s);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  acore_task_unref(t);
}

/* ---- the loop's where callback ------------------------------------------------------ */

typedef struct lazy {
  deadlock *d;
  acore_loop_t *loop;
  int calls;
  int nested_rc;   /* acore_loop_set_where_fn from inside */
  int long_site;   /* answer with a site longer than the buffer */
} lazy;

/* Names the lockers' sites from their step data, as a binding would from
 * its task object; 0 (none) for other tasks. */
static int lazy_where(acore_task_t *task, acore_step_fn step, void *step_ud,
                      char *buf, size_t cap, void *ud) {
  lazy *z = ud;
  char big[1200];

  z->calls++;
  assert_null(acore_task_where(task)); /* asked only for tasks without */
  z->nested_rc = acore_loop_set_where_fn(z->loop, NULL, NULL, tu_count_free);
  if (step != locker_step)
    return 0;
  if (z->long_site) {
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    return snprintf(buf, cap, "%s", big);
  }
  return snprintf(buf, cap, "lazy.py:%d in %s()",
                  step_ud == &z->d->a ? 1 : 2,
                  step_ud == &z->d->a ? "a" : "b");
}

static const char expected_lazy_tree[] =
    "acore loop: 3 tasks, loop time 0.000 s\n"
    "main (#1) waiting at main.c:7\n"
    "  awaits gather: 0 of 2 done\n"
    "    a (#2) waiting at lazy.py:1 in a()\n"
    "      awaits waiter: lock 0xADDR, 1 of 1 waiting; held by b (#3)\n"
    "    b (#3) waiting at test_graph.c:LINE\n"
    "      awaits waiter: lock 0xADDR, 1 of 1 waiting; held by a (#2)\n";

static void test_graph_where_fn(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  deadlock d;
  lazy z = {&d, loop, 0, 0, 0};
  char *s;

  deadlock_make(loop, &d);
  assert_int_equal(acore_loop_set_where_fn(loop, lazy_where, &z,
                                           tu_count_free), ACORE_OK);
  assert_int_equal(acore_loop_dump_string(loop, ACORE_DUMP_TREE, &s),
                   ACORE_OK);
  assert_string_equal(mask_line(mask_addresses(s)), expected_lazy_tree);
  acore_free(s);
  assert_int_equal(z.calls, 1); /* a alone has no site of its own */
  assert_int_equal(z.nested_rc, ACORE_EBUSY);
  assert_int_equal(tu_frees, 1); /* the refused call's ud_free */
  assert_null(acore_task_where(d.m.kids[0])); /* nothing stored */
  assert_int_equal(acore_loop_dump_string(loop, ACORE_DUMP_JSON, &s),
                   ACORE_OK);
  assert_non_null(strstr(s, "\"name\": \"a\", \"state\": \"waiting\", "
                            "\"where\": \"lazy.py:1 in a()\""));
  acore_free(s);
  z.long_site = 1; /* cut to the dump's buffer */
  assert_int_equal(acore_loop_dump_string(loop, ACORE_DUMP_JSON, &s),
                   ACORE_OK);
  assert_non_null(strstr(s, "\"where\": \"xxxxxxxx"));
  assert_null(strstr(s, "\"where\": \"" /* a whole 1199-byte site */
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
  acore_free(s);
  /* Removed: its ud_free runs, the dump names no lazy site any more. */
  assert_int_equal(acore_loop_set_where_fn(loop, NULL, NULL, NULL), ACORE_OK);
  assert_int_equal(z.calls, 3);
  assert_int_equal(tu_frees, 3 + 1); /* each refused nested call's, ours */
  assert_int_equal(acore_loop_dump_string(loop, ACORE_DUMP_TREE, &s),
                   ACORE_OK);
  assert_non_null(strstr(s, "    a (#2) waiting\n"));
  acore_free(s);
  deadlock_end(loop, &d);
}

/* Replacing the callback frees the old one's data; closing the loop frees
 * the last one's. */
static void test_graph_where_fn_lifetime(void **state) {
  acore_loop_t *loop = tu_loop_new(0);
  lazy z = {NULL, loop, 0, 0, 0};

  (void)state;
  assert_int_equal(acore_loop_set_where_fn(loop, lazy_where, &z,
                                           tu_count_free), ACORE_OK);
  assert_int_equal(acore_loop_set_where_fn(loop, lazy_where, &z,
                                           tu_count_free), ACORE_OK);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(tu_frees, 2);
  assert_int_equal(acore_loop_set_where_fn(loop, lazy_where, &z,
                                           tu_count_free), ACORE_ECLOSED);
  assert_int_equal(tu_frees, 3);
  acore_loop_unref(loop);
  assert_int_equal(z.calls, 0);
}

/* ---- EINVAL ------------------------------------------------------------------------------ */

static void test_graph_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_future_t *f, *out[1];
  char *s = (char *)1;
  size_t n;

  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_task_state(NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_times(NULL, NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_task_spawn_at(NULL, state_step, NULL, tu_count_free,
                                       "w", NULL), ACORE_EINVAL);
  assert_int_equal(tu_frees, 1);
  assert_int_equal(acore_task_spawn_at(loop, NULL, NULL, NULL, "w", NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_task_set_where(NULL, "w"), ACORE_EINVAL);
  assert_null(acore_task_where(NULL));
  assert_string_equal(acore_future_kind(NULL), "");
  assert_int_equal(acore_future_describe(NULL, NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_future_describe(f, NULL, 4), ACORE_EINVAL);
  assert_int_equal(acore_future_children(NULL, out, 1, &n), ACORE_EINVAL);
  assert_int_equal(acore_future_children(f, out, 1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_children(f, NULL, 1, &n), ACORE_EINVAL);
  assert_int_equal(acore_future_awaiters(NULL, out, 1, &n), ACORE_EINVAL);
  assert_int_equal(acore_future_awaiters(f, out, 1, NULL), ACORE_EINVAL);
  assert_int_equal(acore_future_awaiters(f, NULL, 1, &n), ACORE_EINVAL);
  assert_int_equal(acore_loop_dump(NULL, 0, sink_write, NULL, tu_count_free),
                   ACORE_EINVAL);
  assert_int_equal(tu_frees, 2);
  assert_int_equal(acore_loop_dump(loop, 0, NULL, NULL, tu_count_free),
                   ACORE_EINVAL);
  assert_int_equal(acore_loop_dump(loop, 8, sink_write, NULL, tu_count_free),
                   ACORE_EINVAL);
  assert_int_equal(tu_frees, 4);
  assert_int_equal(acore_loop_dump_fd(NULL, 0, 1), ACORE_EINVAL);
  assert_int_equal(acore_loop_dump_fd(loop, 0, -1), ACORE_EINVAL);
  assert_int_equal(acore_loop_dump_fd(loop, 2, 1), ACORE_EINVAL);
  assert_int_equal(acore_loop_dump_string(NULL, 0, &s), ACORE_EINVAL);
  assert_null(s);
  assert_int_equal(acore_loop_dump_string(loop, 0, NULL), ACORE_EINVAL);
  assert_int_equal(acore_loop_set_where_fn(NULL, NULL, NULL, tu_count_free),
                   ACORE_EINVAL);
  assert_int_equal(tu_frees, 5);
  acore_future_unref(f);
}

/* The replaced where callback's ud_free sets one again (host code may):
 * the one it sets stays, and every ud is freed once. */
typedef struct where_resetter {
  acore_loop_t *loop;
  int frees;
} where_resetter;

static int where_b(acore_task_t *t, acore_step_fn step, void *step_ud,
                   char *buf, size_t cap, void *ud) {
  (void)t;
  (void)step;
  (void)step_ud;
  (void)ud;
  return snprintf(buf, cap, "b.c:2");
}

static int where_c(acore_task_t *t, acore_step_fn step, void *step_ud,
                   char *buf, size_t cap, void *ud) {
  (void)t;
  (void)step;
  (void)step_ud;
  (void)ud;
  return snprintf(buf, cap, "c.c:3");
}

static void where_reset_on_free(void *ud) {
  where_resetter *r = ud;

  r->frees++;
  assert_int_equal(acore_loop_set_where_fn(r->loop, where_b, NULL,
                                           tu_count_free), ACORE_OK);
}

static int idle_step(acore_task_t *t, void *ud) {
  (void)t;
  (void)ud;
  return ACORE_TASK_DONE;
}

static void test_graph_where_fn_replaced_from_its_cleanup(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  where_resetter r = {loop, 0};
  acore_task_t *t;
  char *text = NULL;

  assert_int_equal(acore_loop_set_where_fn(loop, where_c, &r,
                                           where_reset_on_free), ACORE_OK);
  assert_int_equal(acore_loop_set_where_fn(loop, where_c, NULL,
                                           tu_count_free), ACORE_OK);
  assert_int_equal(r.frees, 1);
  assert_int_equal(tu_frees, 1); /* the second's: replaced by where_b */
  assert_int_equal(acore_task_spawn(loop, idle_step, NULL, NULL, &t),
                   ACORE_OK);
  assert_int_equal(acore_loop_dump_string(loop, 0, &text), ACORE_OK);
  assert_non_null(strstr(text, "b.c:2"));
  assert_null(strstr(text, "c.c:3"));
  acore_free(text);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  acore_task_unref(t);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(tu_frees, 2); /* where_b's, by close */
}

/* ---- allocation failures ----------------------------------------------------------------- */

/* Fail each allocation of `what` in turn: ENOMEM and nothing leaked, then
 * it succeeds. */
static void test_graph_enomem(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  deadlock d;
  long nth;
  char *s = NULL;
  int rc;

  deadlock_make(loop, &d);
  for (nth = 1;; nth++) {
    long live = tu_alloc_live();
    tu_alloc_fail_at(nth);
    rc = acore_loop_dump_string(loop, nth & 1 ? ACORE_DUMP_JSON : 0, &s);
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK)
      break;
    assert_int_equal(rc, ACORE_ENOMEM);
    assert_null(s);
    assert_int_equal(tu_alloc_live(), live);
  }
  assert_true(nth > 2);
  acore_free(s);
  for (nth = 1;; nth++) {
    acore_task_t *t = NULL;
    long live = tu_alloc_live();
    int frees = tu_frees;
    tu_alloc_fail_at(nth);
    rc = acore_task_spawn_at(loop, locker_step, NULL, tu_count_free, "w:1",
                             &t);
    tu_alloc_fail_at(0);
    if (rc == ACORE_OK) {
      acore_task_cancel(t, NULL);
      acore_task_unref(t);
      break;
    }
    assert_int_equal(rc, ACORE_ENOMEM);
    assert_int_equal(tu_frees, frees + 1);
    assert_int_equal(tu_alloc_live(), live);
  }
  tu_alloc_fail_at(1);
  assert_int_equal(acore_task_set_where(d.main, "elsewhere"), ACORE_ENOMEM);
  tu_alloc_fail_at(0);
  assert_string_equal(acore_task_where(d.main), "main.c:7");
  deadlock_end(loop, &d);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup_virtual, \
                                                tu_teardown)
#define TT(name) cmocka_unit_test_setup_teardown(name, setup_times, \
                                                 tu_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_graph_task_state),
      TT(test_graph_task_times),
      T(test_graph_task_times_off),
      T(test_graph_task_where),
      T(test_graph_future_kind),
      T(test_graph_awaiters),
      TT(test_graph_dump_tree),
      TT(test_graph_dump_json),
      T(test_graph_dump_writer),
      T(test_graph_dump_json_escapes),
      T(test_graph_where_fn),
      T(test_graph_where_fn_lifetime),
      T(test_graph_where_fn_replaced_from_its_cleanup),
      T(test_graph_einval),
      cmocka_unit_test_setup_teardown(test_graph_enomem, tu_setup_walk,
                                      tu_teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
