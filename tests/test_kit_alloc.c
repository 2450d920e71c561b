/* SPDX-License-Identifier: MIT */
/* test_kit_alloc.c - every function of the binding kit (bindings/kit/)
 * walked through allocation failures: the 1st, 2nd, ... allocation of the
 * call fails in turn (acore's and the kit's own blocks: this test builds
 * the kit with ACORE_KIT_HOOKED_ALLOC); each failure returns ACORE_ENOMEM,
 * releases the host object the call took exactly once, hands out nothing,
 * leaks nothing, and the loop goes on. The readers and the new-reference
 * accessors allocate nothing (checked at the end). */
#include "testutil.h"

#include "acore/combinators.h"
#include "acore/executor.h"
#include "acore/sync.h"
#include "kit.h"

#include <stdio.h>
#include <string.h>

/* A fake host object (as in test_kit.c): counts calls and releases. */
typedef struct fake {
  acore_kit_obj base;
  int calls;
  int released;
  int answer; /* what a call returns: 0 nothing, 1 true, 2 a future */
} fake;

static acore_loop_t *the_loop; /* of the running walk step */

static int host_call(acore_kit_obj *o, const acore_kit_arg *args, int nargs,
                     acore_kit_arg *ret) {
  fake *f = (fake *)o;

  (void)args, (void)nargs;
  f->calls++;
  ret->kind = ACORE_KIT_NONE;
  if (f->answer == 1) {
    ret->kind = ACORE_KIT_BOOL;
    ret->u.i = 1;
  } else if (f->answer == 2 &&
             acore_future_new(the_loop, &ret->u.future) == ACORE_OK) {
    ret->kind = ACORE_KIT_FUTURE;
    acore_future_set_int(ret->u.future, 1);
  }
  return ACORE_OK;
}

static void host_release(acore_kit_obj *o) { ((fake *)o)->released++; }

static const acore_kit_host host = {"fake", 0, host_call, host_release};

/* One pass of a case: the allocation to fail, what the call did. */
typedef struct walk {
  long n;
  acore_loop_t *loop;
  fake obj;   /* the host object the call takes, if it takes one */
  int rc;     /* the kit call's result */
  int failed; /* the planned failure happened inside the call */
  acore_task_t *task;
  int (*step)(struct walk *w, acore_task_t *t); /* run inside a task */
} walk;

/* Run `call` with the walk's allocation armed to fail. */
static void arm(walk *w) { tu_alloc_fail_at(w->n); }
static int disarm(walk *w, int rc) {
  w->rc = rc;
  w->failed = tu_alloc_failed();
  tu_alloc_fail_at(0);
  return rc;
}
#define ARMED(w, call) disarm((w), (arm(w), (call)))

/* After a failed call: the object it took released, nothing handed out. */
static void refused(walk *w, const void *out, int takes) {
  if (w->rc != ACORE_ENOMEM)
    return;
  assert_null(out);
  if (takes)
    assert_int_equal(w->obj.released, 1);
}

/* Run the loop: the host object was called once if the call succeeded,
 * never if it failed. */
static void ran_iff_ok(walk *w) {
  acore_loop_run(w->loop);
  assert_int_equal(w->obj.calls, w->rc == ACORE_OK);
}

static acore_future_t *future_done(acore_loop_t *loop) {
  acore_future_t *f;

  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  assert_int_equal(acore_future_set_int(f, 1), ACORE_OK);
  return f;
}

/* ---- callbacks ---- */

static void case_call_soon(walk *w) {
  acore_handle_t *h = NULL;

  ARMED(w, acore_kit_call_soon(w->loop, &w->obj.base, &h));
  refused(w, h, 1);
  ran_iff_ok(w);
  acore_handle_unref(h);
}

static void case_call_later(walk *w) {
  acore_handle_t *h = NULL;

  ARMED(w, acore_kit_call_later(w->loop, 0, &w->obj.base, &h));
  refused(w, h, 1);
  ran_iff_ok(w);
  acore_handle_unref(h);
}

static void case_add_done_callback(walk *w) {
  acore_future_t *f = future_done(w->loop);

  ARMED(w, acore_kit_add_done_callback(f, &w->obj.base));
  refused(w, NULL, 1);
  ran_iff_ok(w);
  acore_future_unref(f);
}

static int walk_resume(acore_kit_obj *o, acore_task_t *task, int cancel,
                       acore_kit_arg *out) {
  (void)task, (void)cancel;
  ((fake *)o)->calls++;
  out->kind = ACORE_KIT_NONE;
  return ACORE_KIT_RETURNED;
}

static int walk_site(acore_kit_obj *o, char *buf, size_t cap) {
  (void)o;
  snprintf(buf, cap, "walk.co:1");
  return 1;
}

static const acore_kit_coroutine_host co_host = {
    {"fakeco", ACORE_KIT_COROUTINES, host_call, host_release}, walk_resume,
    walk_site};

/* A spawn on the loop or in a group, of a plain callable or a coroutine:
 * the task exists and runs once if the call succeeded. A coroutine's
 * first spawn on a loop installs the kit's where callback: if that fails,
 * the task stands and a dump names no site (the failure, seen, counts as
 * the walk's ENOMEM). */
static void spawn_case(walk *w, int in_group, int coroutine) {
  acore_group_t *g = NULL;
  acore_task_t *t = NULL;
  int no_sites;
  char *text = NULL;

  if (coroutine)
    w->obj.base.host = &co_host.base;
  if (in_group)
    assert_int_equal(acore_group_new(w->loop, &g), ACORE_OK);
  if (in_group && coroutine)
    ARMED(w, acore_kit_group_spawn_coroutine(g, &w->obj.base, &t));
  else if (in_group)
    ARMED(w, acore_kit_group_spawn(g, &w->obj.base, &t));
  else if (coroutine)
    ARMED(w, acore_kit_spawn_coroutine(w->loop, &w->obj.base, &t));
  else
    ARMED(w, acore_kit_spawn(w->loop, &w->obj.base, &t));
  refused(w, t, 1);
  no_sites = coroutine && w->rc == ACORE_OK && w->failed;
  if (no_sites) {
    assert_int_equal(acore_loop_dump_string(w->loop, ACORE_DUMP_TREE, &text),
                     ACORE_OK);
    assert_null(strstr(text, "walk.co:1"));
    acore_free(text);
  }
  if (g != NULL)
    acore_group_seal(g);
  ran_iff_ok(w);
  acore_task_unref(t);
  acore_group_unref(g);
  if (no_sites)
    w->rc = ACORE_ENOMEM;
}

static void case_spawn(walk *w) { spawn_case(w, 0, 0); }
static void case_group_spawn(walk *w) { spawn_case(w, 1, 0); }
static void case_spawn_coroutine(walk *w) { spawn_case(w, 0, 1); }
static void case_group_spawn_coroutine(walk *w) { spawn_case(w, 1, 1); }

static void case_set_error_handler(walk *w) {
  ARMED(w, acore_kit_set_error_handler(w->loop, &w->obj.base));
  refused(w, NULL, 1);
}

static void case_queue_new_priority(walk *w) {
  acore_queue_t *q = NULL;

  ARMED(w, acore_kit_queue_new_priority(w->loop, 0, &w->obj.base, &q));
  refused(w, q, 1);
  acore_queue_unref(q);
}

static void case_map(walk *w) {
  acore_future_t *m = NULL;

  w->obj.answer = 2; /* each job a done future */
  ARMED(w, acore_kit_map(w->loop, 3, 2, &w->obj.base, 0, &m));
  refused(w, m, 1);
  if (m != NULL)
    acore_loop_run_until_complete(w->loop, m);
  acore_future_unref(m);
}

/* ---- inside a task step ---- */

static int walk_step(acore_task_t *t, void *ud) {
  walk *w = ud;
  acore_future_t *done = NULL;

  if (acore_task_resume(t, &done) == ACORE_ECANCELLED)
    return acore_task_finish_cancelled(t);
  return w->step(w, t);
}

/* Spawn a C task running w->step, run the loop until it is done. */
static void in_task(walk *w, int (*step)(walk *w, acore_task_t *t)) {
  acore_task_t *t;

  tu_reports r;

  w->step = step;
  tu_capture_reports(w->loop, &r); /* task_fail's error is not read */
  assert_int_equal(acore_task_spawn(w->loop, walk_step, w, NULL, &t),
                   ACORE_OK);
  acore_loop_run_until_complete(w->loop, acore_task_future(t));
  acore_task_unref(t);
}

static int step_return_value(walk *w, acore_task_t *t) {
  return ARMED(w, acore_kit_task_return_value(t, &w->obj.base));
}

static void case_task_return_value(walk *w) {
  in_task(w, step_return_value);
  refused(w, NULL, 1);
}

static int step_cond_wait_for(walk *w, acore_task_t *t) {
  acore_future_t *out = NULL;
  acore_lock_t *lock;
  acore_cond_t *cond;

  (void)t;
  assert_int_equal(acore_lock_new(w->loop, &lock), ACORE_OK);
  assert_int_equal(acore_cond_new(w->loop, lock, &cond), ACORE_OK);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  w->obj.answer = 1; /* the predicate holds at once */
  ARMED(w, acore_kit_cond_wait_for(cond, &w->obj.base, &out));
  refused(w, out, 1);
  if (out != NULL)
    assert_int_equal(acore_future_is_done(out), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  acore_future_unref(out);
  acore_cond_unref(cond);
  acore_lock_unref(lock);
  return ACORE_TASK_DONE;
}

static void case_cond_wait_for(walk *w) { in_task(w, step_cond_wait_for); }

static acore_future_t *awaited;

static int step_task_await(walk *w, acore_task_t *t) {
  if (awaited == NULL)
    return ACORE_TASK_DONE; /* the second step */
  ARMED(w, acore_kit_task_await(t, awaited));
  acore_future_unref(awaited);
  awaited = NULL;
  return w->rc;
}

static void case_task_await(walk *w) {
  awaited = future_done(w->loop);
  in_task(w, step_task_await);
  w->rc = w->rc == ACORE_TASK_AWAIT ? ACORE_OK : w->rc;
}

static int step_task_fail(walk *w, acore_task_t *t) {
  acore_error_t *e;
  int rc;

  assert_int_equal(acore_error_new(ACORE_EIO, "io", &e), ACORE_OK);
  rc = ARMED(w, acore_kit_task_fail(t, e));
  acore_error_unref(e);
  w->rc = rc == ACORE_EIO ? ACORE_OK : rc;
  return rc;
}

static void case_task_fail(walk *w) { in_task(w, step_task_fail); }

/* ---- host values ---- */

static void case_future_set_value(walk *w) {
  acore_future_t *f;

  assert_int_equal(acore_future_new(w->loop, &f), ACORE_OK);
  ARMED(w, acore_kit_future_set_value(f, &w->obj.base));
  refused(w, NULL, 1);
  acore_future_unref(f);
}

static void case_future_set_typed(walk *w) {
  acore_kit_arg v;
  acore_future_t *f;

  assert_int_equal(acore_future_new(w->loop, &f), ACORE_OK);
  v.kind = ACORE_KIT_BYTES;
  v.u.b.data = "bytes";
  v.u.b.len = 5;
  ARMED(w, acore_kit_future_set(f, &v)); /* a copy is made */
  assert_int_equal(acore_future_is_done(f), w->rc == ACORE_OK);
  acore_future_unref(f);
}

static int step_return_typed(walk *w, acore_task_t *t) {
  acore_kit_arg v;

  v.kind = ACORE_KIT_STRING;
  v.u.s = "result";
  return ARMED(w, acore_kit_task_return(t, &v));
}

static void case_task_return_typed(walk *w) {
  in_task(w, step_return_typed);
}

static void case_queue_put(walk *w) {
  acore_future_t *put = NULL;
  acore_queue_t *q;

  assert_int_equal(acore_queue_new(w->loop, 1, ACORE_QUEUE_FIFO, &q),
                   ACORE_OK);
  assert_int_equal(acore_queue_put_nowait(q, NULL, NULL), ACORE_OK);
  ARMED(w, acore_kit_queue_put(q, &w->obj.base, &put)); /* full: waits */
  refused(w, put, 1);
  if (put != NULL)
    acore_future_cancel(put, NULL);
  acore_loop_run(w->loop);
  acore_future_unref(put);
  acore_queue_unref(q);
}

static void case_queue_put_nowait(walk *w) {
  acore_queue_t *q;

  assert_int_equal(acore_queue_new(w->loop, 0, ACORE_QUEUE_FIFO, &q),
                   ACORE_OK);
  ARMED(w, acore_kit_queue_put_nowait(q, &w->obj.base));
  refused(w, NULL, 1);
  acore_queue_unref(q);
}

static void case_error_new_value(walk *w) {
  acore_error_t *e = NULL;

  ARMED(w, acore_kit_error_new_value(ACORE_EHOST, "m", &w->obj.base, &e));
  refused(w, e, 1);
  acore_error_unref(e);
}

static void case_loop_set_value(walk *w) {
  ARMED(w, acore_kit_loop_set_value(w->loop, &w->obj.base));
  refused(w, NULL, 1);
}

/* ---- lists of futures ---- */

static acore_futlist_t *list_of(acore_loop_t *loop, int n, int done) {
  acore_futlist_t *l;
  acore_future_t *f;
  int i;

  assert_int_equal(acore_futlist_new(&l), ACORE_OK);
  for (i = 0; i < n; i++) {
    assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
    if (done)
      acore_future_set_int(f, i);
    assert_int_equal(acore_futlist_append(l, f), ACORE_OK);
    acore_future_unref(f);
  }
  return l;
}

/* Complete what is pending, run, drop the list and the combinator. */
static void finish_list(walk *w, acore_futlist_t *l, acore_future_t *c) {
  size_t i;

  for (i = 0; i < acore_futlist_count(l); i++) {
    acore_future_t *f = acore_futlist_get(l, i);
    if (!acore_future_is_done(f))
      acore_future_set_int(f, 0);
    acore_future_unref(f);
  }
  acore_loop_run(w->loop);
  acore_future_unref(c);
  acore_futlist_free(l);
}

static void case_futlist_new(walk *w) {
  acore_futlist_t *l = NULL;

  ARMED(w, acore_futlist_new(&l));
  refused(w, l, 0);
  acore_futlist_free(l);
}

static void case_futlist_append(walk *w) {
  acore_futlist_t *l = list_of(w->loop, 8, 1); /* full: the next grows */
  acore_future_t *f = future_done(w->loop);

  ARMED(w, acore_futlist_append(l, f));
  assert_int_equal(acore_futlist_count(l), w->rc == ACORE_OK ? 9 : 8);
  acore_future_unref(f);
  acore_futlist_free(l);
}

static void case_gather(walk *w) {
  acore_futlist_t *l = list_of(w->loop, 3, 0);
  acore_future_t *g = NULL;

  ARMED(w, acore_kit_gather(w->loop, l, 0, &g));
  refused(w, g, 0);
  finish_list(w, l, g);
}

static void case_wait(walk *w) {
  acore_futlist_t *l = list_of(w->loop, 3, 0);
  acore_future_t *c = NULL;

  ARMED(w, acore_kit_wait(w->loop, l, ACORE_WAIT_FIRST_COMPLETED, 10, &c));
  refused(w, c, 0);
  finish_list(w, l, c);
}

static void case_wait_at_least(walk *w) {
  acore_futlist_t *l = list_of(w->loop, 3, 0);
  acore_future_t *c = NULL;

  ARMED(w, acore_kit_wait_at_least(w->loop, l, 2, ACORE_NO_TIMEOUT, &c));
  refused(w, c, 0);
  finish_list(w, l, c);
}

static void case_as_completed(walk *w) {
  acore_futlist_t *l = list_of(w->loop, 3, 0);
  acore_future_t *c = NULL;

  ARMED(w, acore_kit_as_completed(w->loop, l, ACORE_NO_TIMEOUT, &c));
  refused(w, c, 0);
  finish_list(w, l, c);
}

/* A done wait over three done futures. */
static acore_future_t *wait_done(walk *w) {
  acore_futlist_t *l = list_of(w->loop, 3, 1);
  acore_future_t *c;

  assert_int_equal(acore_kit_wait(w->loop, l, ACORE_WAIT_ALL_COMPLETED,
                                  ACORE_NO_TIMEOUT, &c), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(w->loop, c), ACORE_OK);
  acore_futlist_free(l);
  return c;
}

static void case_wait_done_list(walk *w) {
  acore_future_t *c = wait_done(w);
  acore_futlist_t *out = NULL;

  ARMED(w, acore_kit_wait_done_list(c, &out));
  refused(w, out, 0);
  acore_futlist_free(out);
  acore_future_unref(c);
}

static void case_wait_pending_list(walk *w) {
  acore_future_t *c = wait_done(w);
  acore_futlist_t *out = NULL;

  ARMED(w, acore_kit_wait_pending_list(c, &out));
  refused(w, out, 0);
  acore_futlist_free(out);
  acore_future_unref(c);
}

static int finish(acore_task_t *t, void *ud) {
  (void)t, (void)ud;
  return ACORE_TASK_DONE;
}

static void case_loop_tasks(walk *w) {
  acore_futlist_t *out = NULL;
  acore_task_t *t[3];
  int i;

  for (i = 0; i < 3; i++)
    assert_int_equal(acore_task_spawn(w->loop, finish, NULL, NULL, &t[i]),
                     ACORE_OK);
  ARMED(w, acore_kit_loop_tasks(w->loop, &out));
  refused(w, out, 0);
  if (out != NULL)
    assert_int_equal(acore_futlist_count(out), 3);
  acore_futlist_free(out);
  acore_loop_run(w->loop);
  for (i = 0; i < 3; i++)
    acore_task_unref(t[i]);
}

static int work_nothing(acore_work_t *work, void *ud) {
  (void)ud;
  return acore_work_set_int(work, 1);
}

static void case_run_c_work(walk *w) {
  acore_future_t *f = NULL;

  ARMED(w, acore_kit_run_c_work(w->loop, NULL, (void *)work_nothing, "ab",
                                2, &f));
  refused(w, f, 0);
  if (f != NULL)
    assert_int_equal(acore_loop_run_until_complete(w->loop, f), ACORE_OK);
  acore_future_unref(f);
}

/* The dump of a loop with a coroutine task may fail; when it does not, it
 * names the task's site (asked then, nothing allocated for it). */
static void case_loop_dump(walk *w) {
  acore_task_t *t = NULL;
  char *text = NULL;

  w->obj.base.host = &co_host.base;
  assert_int_equal(acore_kit_spawn_coroutine(w->loop, &w->obj.base, &t),
                   ACORE_OK);
  ARMED(w, acore_kit_loop_dump(w->loop, 0, &text));
  if (w->rc == ACORE_OK)
    assert_non_null(strstr(text, "walk.co:1"));
  acore_free(text);
  acore_loop_run(w->loop);
  acore_task_unref(t);
}

/* ---- release from any thread: the post failing drops it at once ---- */

static int dropped;
static void count_drop(void *h) {
  (void)h;
  dropped++;
}

static void case_release_anywhere(walk *w) {
  dropped = 0;
  ARMED(w, acore_kit_release_anywhere(w->loop, count_drop, &dropped));
  assert_int_equal(w->rc, ACORE_OK); /* released either way */
  assert_int_equal(dropped, w->failed);
  acore_loop_run(w->loop);
  assert_int_equal(dropped, 1);
  if (w->failed)
    w->rc = ACORE_ENOMEM; /* as the walk expects: the failure was seen */
}

/* ---- the walk ---- */

typedef struct kit_case {
  const char *name;
  void (*run)(walk *w);
  int takes; /* takes w->obj */
} kit_case;

static const kit_case cases[] = {
    {"call_soon", case_call_soon, 1},
    {"call_later", case_call_later, 1},
    {"add_done_callback", case_add_done_callback, 1},
    {"spawn", case_spawn, 1},
    {"group_spawn", case_group_spawn, 1},
    {"spawn_coroutine", case_spawn_coroutine, 1},
    {"group_spawn_coroutine", case_group_spawn_coroutine, 1},
    {"set_error_handler", case_set_error_handler, 1},
    {"cond_wait_for", case_cond_wait_for, 1},
    {"queue_new_priority", case_queue_new_priority, 1},
    {"map", case_map, 1},
    {"task_return_value", case_task_return_value, 1},
    {"task_await", case_task_await, 0},
    {"task_fail", case_task_fail, 0},
    {"future_set_value", case_future_set_value, 1},
    {"future_set", case_future_set_typed, 0},
    {"task_return", case_task_return_typed, 0},
    {"queue_put", case_queue_put, 1},
    {"queue_put_nowait", case_queue_put_nowait, 1},
    {"error_new_value", case_error_new_value, 1},
    {"loop_set_value", case_loop_set_value, 1},
    {"futlist_new", case_futlist_new, 0},
    {"futlist_append", case_futlist_append, 0},
    {"gather", case_gather, 0},
    {"wait", case_wait, 0},
    {"wait_at_least", case_wait_at_least, 0},
    {"as_completed", case_as_completed, 0},
    {"wait_done_list", case_wait_done_list, 0},
    {"wait_pending_list", case_wait_pending_list, 0},
    {"loop_tasks", case_loop_tasks, 0},
    {"run_c_work", case_run_c_work, 0},
    {"release_anywhere", case_release_anywhere, 0},
    {"loop_dump", case_loop_dump, 1},
};

/* Fail the 1st, 2nd, ... allocation of one case's kit call; returns how
 * many it makes. */
static int walk_case(const kit_case *c) {
  long n, live;

  for (n = 1; n < 100; n++) {
    walk w;
    int cache = tu_cache_off(1); /* every object its own allocation */

    memset(&w, 0, sizeof(w));
    w.n = n;
    w.obj.base.host = &host;
    live = tu_alloc_live();
    assert_int_equal(acore_loop_new(NULL, &w.loop), ACORE_OK);
    tu_cache_off(cache);
    the_loop = w.loop;
    c->run(&w);
    assert_int_equal(acore_loop_close(w.loop), ACORE_OK);
    acore_loop_unref(w.loop);
    assert_int_equal(tu_alloc_live(), live); /* nothing leaked */
    if (c->takes)
      assert_int_equal(w.obj.released, 1); /* once, whatever happened */
    if (!w.failed) {
      assert_int_equal(w.rc, ACORE_OK); /* ACORE_TASK_DONE too */
      return (int)n - 1;
    }
    assert_int_equal(w.rc, ACORE_ENOMEM);
  }
  fail_msg("%s: more than 100 allocations", c->name);
  return -1;
}

static void test_kit_alloc_failure_walk_every_function(void **state) {
  size_t i;
  int n, total = 0;

  (void)state;
  tu_alloc_install();
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    n = walk_case(&cases[i]);
    print_message("%-20s %d allocation(s) failed in turn\n", cases[i].name,
                  n);
    total += n;
  }
  assert_true(total >= 30);
}

/* The readers and the new-reference accessors allocate nothing. */
static void test_kit_alloc_readers_allocate_nothing(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_kit_obj *v = NULL;
  acore_futlist_t *l = list_of(loop, 2, 1);
  acore_future_t *f = future_done(loop), *x;
  acore_error_t *e;
  acore_loop_t *lp;
  long made = tu_alloc_made();

  assert_int_equal(acore_kit_future_value(f, &v), ACORE_ETYPE);
  assert_int_equal(acore_kit_loop_value(loop, &v), ACORE_EEMPTY);
  assert_int_equal(acore_futlist_count(l), 2);
  x = acore_futlist_get(l, 0);
  acore_future_unref(x);
  assert_null(acore_kit_future_error(f));
  assert_null(acore_kit_current_task(loop));
  lp = acore_kit_future_loop(f);
  assert_ptr_equal(lp, loop);
  acore_loop_unref(lp);
  assert_int_equal(tu_alloc_made(), made);
  assert_int_equal(acore_error_new(ACORE_EIO, NULL, &e), ACORE_OK);
  made = tu_alloc_made();
  assert_int_equal(acore_kit_error_value(e, &v), ACORE_EEMPTY);
  assert_int_equal(tu_alloc_made(), made);
  acore_error_unref(e);
  acore_future_unref(f);
  acore_futlist_free(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_kit_alloc_failure_walk_every_function),
    cmocka_unit_test_setup_teardown(test_kit_alloc_readers_allocate_nothing,
                                    tu_setup, tu_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
