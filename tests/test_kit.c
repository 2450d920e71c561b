/* SPDX-License-Identifier: MIT */
/* test_kit.c - the binding kit (bindings/kit/) with a fake host: every
 * callback shape reaches host->call, host values come back only to their
 * own module, lists of futures feed the combinators, and every host object
 * the kit takes is released exactly once. */
#include "testutil.h"

#include "kit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fake host object: calls fn, counts its releases. */
typedef struct fake fake;
typedef int (*fake_fn)(fake *f, const acore_kit_arg *args, int nargs,
                       acore_kit_arg *ret);
struct fake {
  acore_kit_obj base;
  fake_fn fn;
  int calls;
  int released;
  int64_t n; /* a value's number, or the callee's state */
  acore_loop_t *loop; /* for a call from another thread */
};

static int host_call(acore_kit_obj *o, const acore_kit_arg *args, int nargs,
                     acore_kit_arg *ret) {
  fake *f = (fake *)o;

  f->calls++;
  ret->kind = ACORE_KIT_NONE;
  return f->fn != NULL ? f->fn(f, args, nargs, ret) : ACORE_OK;
}

static void host_release(acore_kit_obj *o) { ((fake *)o)->released++; }

static const acore_kit_host host = {"fake", 0, host_call, host_release};

/* A fake coroutine: its first resume yields a future (done, or pending
 * when f->n is 1), the next returns 5; a cancel makes it raise EIO (the
 * kit never resumes one that did not run to cancel it). */
static int host_resume(acore_kit_obj *o, acore_task_t *task, int cancel,
                       acore_kit_arg *out) {
  fake *f = (fake *)o;

  f->calls++;
  out->kind = ACORE_KIT_NONE;
  if (cancel) {
    assert_true(f->calls > 1);
    acore_error_new(ACORE_EIO, "raised", &out->u.error);
    out->kind = ACORE_KIT_ERROR;
    return ACORE_KIT_RAISED;
  }
  if (f->calls == 1) {
    out->kind = ACORE_KIT_FUTURE;
    acore_future_new(acore_task_loop(task), &out->u.future);
    if (f->n == 0)
      acore_future_set_int(out->u.future, 1);
    return ACORE_KIT_YIELDED;
  }
  out->kind = ACORE_KIT_INT;
  out->u.i = 5;
  return ACORE_KIT_RETURNED;
}

static const acore_kit_coroutine_host co_host = {
    {"fakeco", ACORE_KIT_COROUTINES, host_call, host_release}, host_resume,
    NULL};

/* A coroutine with a creation site: each resume checks that the kit
 * names it and its task as the running ones, then returns. */
static int site_resume(acore_kit_obj *o, acore_task_t *task, int cancel,
                       acore_kit_arg *out) {
  acore_kit_obj *co = NULL;

  (void)cancel;
  ((fake *)o)->calls++;
  assert_ptr_equal(acore_kit_running(&co), task);
  assert_ptr_equal(co, o);
  out->kind = ACORE_KIT_NONE;
  return ACORE_KIT_RETURNED;
}

static int site_of(acore_kit_obj *o, char *buf, size_t cap) {
  if (((fake *)o)->n == 0)
    return 0; /* a coroutine with no site (a C function's) */
  snprintf(buf, cap, "fake.co:%d", (int)((fake *)o)->n);
  return 1;
}

static const acore_kit_coroutine_host site_host = {
    {"siteco", ACORE_KIT_COROUTINES, host_call, host_release}, site_resume,
    site_of};

static fake fake_of(fake_fn fn, int64_t n) {
  fake f;

  memset(&f, 0, sizeof(f));
  f.base.host = &host;
  f.fn = fn;
  f.n = n;
  return f;
}

/* ---- callbacks ---- */

static void test_kit_call_soon_calls_then_releases(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake cb = fake_of(NULL, 0);

  assert_int_equal(acore_kit_call_soon(loop, &cb.base, NULL), ACORE_OK);
  assert_int_equal(cb.calls, 0); /* never inside the call */
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(cb.calls, 1);
  assert_int_equal(cb.released, 1);
}

static int raise_host(fake *f, const acore_kit_arg *a, int n,
                      acore_kit_arg *ret) {
  (void)f, (void)a, (void)n;
  ret->kind = ACORE_KIT_ERROR;
  assert_int_equal(acore_error_new(ACORE_EHOST, "raised", &ret->u.error),
                   ACORE_OK);
  return ACORE_EHOST;
}

static void test_kit_callback_error_goes_to_the_handler(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake cb = fake_of(raise_host, 0);
  tu_reports r;

  tu_capture_reports(loop, &r);
  assert_int_equal(acore_kit_call_later(loop, 0, &cb.base, NULL), ACORE_OK);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(r.count, 1);
  assert_int_equal(r.last_kind, ACORE_REPORT_CALLBACK_ERROR);
  assert_int_equal(r.last_code, ACORE_EHOST);
  assert_string_equal(r.last_message, "raised");
  assert_int_equal(cb.released, 1);
}

static int done_seen(fake *f, const acore_kit_arg *a, int n,
                     acore_kit_arg *ret) {
  (void)ret;
  assert_int_equal(n, 1);
  assert_int_equal(a[0].kind, ACORE_KIT_FUTURE);
  f->n = acore_future_is_done(a[0].u.future);
  return ACORE_OK;
}

static void test_kit_done_callback_gets_the_future(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake cb = fake_of(done_seen, 0);
  acore_future_t *f;

  acore_future_new(loop, &f);
  assert_int_equal(acore_kit_add_done_callback(f, &cb.base), ACORE_OK);
  acore_future_set_int(f, 1);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(cb.n, 1);
  assert_int_equal(cb.released, 1);
  acore_future_unref(f);
}

/* ---- steps and host values ---- */

static fake result_value;

/* First step: await a done future; second: finish with a host value. */
static int two_steps(fake *f, const acore_kit_arg *a, int n,
                     acore_kit_arg *ret) {
  assert_int_equal(n, 3);
  assert_int_equal(a[0].kind, ACORE_KIT_TASK);
  assert_int_equal(a[1].u.i, ACORE_OK);
  if (a[2].kind == ACORE_KIT_NONE) {
    acore_future_t *g;
    acore_future_new(acore_task_loop(a[0].u.task), &g);
    acore_future_set_int(g, 5);
    ret->kind = ACORE_KIT_FUTURE; /* a new reference: the kit takes it */
    ret->u.future = g;
    return ACORE_OK;
  }
  f->n = a[2].kind == ACORE_KIT_FUTURE && acore_future_is_done(a[2].u.future);
  result_value = fake_of(NULL, 42);
  ret->kind = ACORE_KIT_VALUE;
  ret->u.obj = &result_value.base;
  return ACORE_OK;
}

static void test_kit_step_awaits_then_returns_a_host_value(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake step = fake_of(two_steps, 0);
  acore_kit_obj *v = NULL;
  acore_task_t *t;

  assert_int_equal(acore_kit_spawn(loop, &step.base, &t), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, acore_task_future(t)),
                   ACORE_OK);
  assert_int_equal(step.calls, 2);
  assert_int_equal(step.n, 1);
  assert_int_equal(acore_kit_future_value(acore_task_future(t), &v),
                   ACORE_OK);
  assert_ptr_equal(v, &result_value.base); /* borrowed */
  assert_int_equal(result_value.released, 0);
  acore_task_unref(t);
  assert_int_equal(result_value.released, 1);
  assert_int_equal(step.released, 1);
}

static void free_other(void *p) { (void)p; }

static void test_kit_value_read_only_by_its_module(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake v = fake_of(NULL, 1);
  acore_kit_obj *out = NULL;
  acore_future_t *mine, *foreign;

  acore_future_new(loop, &mine);
  acore_future_new(loop, &foreign);
  assert_int_equal(acore_kit_future_set_value(mine, &v.base), ACORE_OK);
  assert_int_equal(acore_future_set_result(foreign, &v, free_other), ACORE_OK);
  assert_int_equal(acore_kit_future_value(mine, &out), ACORE_OK);
  assert_ptr_equal(out, &v.base);
  assert_int_equal(acore_kit_future_value(foreign, &out), ACORE_ETYPE);
  assert_null(out);
  /* refused: the kit releases the value it was given */
  assert_int_equal(acore_kit_future_set_value(mine, &v.base),
                   ACORE_EINVALIDSTATE);
  assert_int_equal(v.released, 1);
  acore_future_unref(mine);
  acore_future_unref(foreign);
  assert_int_equal(v.released, 2);
}

static void test_kit_error_carries_a_host_value(void **state) {
  fake v = fake_of(NULL, 1);
  acore_kit_obj *out = NULL;
  acore_error_t *e, *plain;

  (void)state;
  assert_int_equal(acore_kit_error_new_value(ACORE_EHOST, "m", &v.base, &e),
                   ACORE_OK);
  assert_int_equal(acore_error_new(ACORE_EIO, NULL, &plain), ACORE_OK);
  assert_int_equal(acore_kit_error_value(e, &out), ACORE_OK);
  assert_ptr_equal(out, &v.base);
  assert_int_equal(acore_kit_error_value(plain, &out), ACORE_EEMPTY);
  acore_error_unref(e);
  acore_error_unref(plain);
  assert_int_equal(v.released, 1);
}

/* Each typed value comes back as it went in; C reads the numbers and the
 * bytes; a failed, cancelled or pending future answers its code. */
static void test_kit_typed_values_round_trip(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake v = fake_of(NULL, 1);
  acore_kit_arg in[6], got;
  acore_future_t *f;
  int64_t i64 = 0;
  int i;

  memset(in, 0, sizeof(in));
  in[0].kind = ACORE_KIT_INT, in[0].u.i = -7;
  in[1].kind = ACORE_KIT_DOUBLE, in[1].u.d = 0.5;
  in[2].kind = ACORE_KIT_BYTES, in[2].u.b.data = "a\0b", in[2].u.b.len = 3;
  in[3].kind = ACORE_KIT_STRING, in[3].u.s = "str";
  in[4].kind = ACORE_KIT_VALUE, in[4].u.obj = &v.base;
  in[5].kind = ACORE_KIT_NONE;
  for (i = 0; i < 6; i++) {
    assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
    assert_int_equal(acore_kit_future_get(f, &got), ACORE_EINVALIDSTATE);
    assert_int_equal(acore_kit_future_set(f, &in[i]), ACORE_OK);
    assert_int_equal(acore_kit_future_get(f, &got), ACORE_OK);
    assert_int_equal(got.kind, i == 3 ? ACORE_KIT_BYTES : in[i].kind);
    if (i == 0) {
      assert_int_equal(acore_future_result_int(f, &i64), ACORE_OK);
      assert_int_equal(i64, -7);
    } else if (i == 1) {
      assert_true(got.u.d == 0.5);
    } else if (i == 2) {
      assert_int_equal(got.u.b.len, 3);
      assert_memory_equal(got.u.b.data, "a\0b", 3);
    } else if (i == 3) {
      assert_string_equal(got.u.b.data, "str");
    } else if (i == 4) {
      assert_ptr_equal(got.u.obj, &v.base);
    }
    acore_future_unref(f);
  }
  assert_int_equal(v.released, 1);
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  acore_future_set_error_code(f, ACORE_EIO, "io");
  assert_int_equal(acore_kit_future_get(f, &got), ACORE_EIO);
  acore_future_unref(f);
  assert_int_equal(acore_future_new(loop, &f), ACORE_OK);
  acore_future_cancel(f, NULL);
  assert_int_equal(acore_kit_future_get(f, &got), ACORE_ECANCELLED);
  assert_int_equal(acore_future_set_result(f, NULL, NULL),
                   ACORE_EINVALIDSTATE);
  in[4].u.obj = &v.base; /* refused: released all the same */
  assert_int_equal(acore_kit_future_set(f, &in[4]), ACORE_EINVALIDSTATE);
  assert_int_equal(v.released, 2);
  acore_future_unref(f);
  assert_int_equal(acore_kit_future_get(NULL, &got), ACORE_EINVAL);
  assert_int_equal(acore_kit_future_set(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_kit_task_return(NULL, NULL), ACORE_EINVAL);
}

static int return_typed(fake *f, const acore_kit_arg *a, int n,
                        acore_kit_arg *ret) {
  acore_kit_arg v;

  (void)f, (void)n;
  v.kind = ACORE_KIT_BYTES;
  v.u.b.data = "done";
  v.u.b.len = 4;
  ret->kind = ACORE_KIT_INT; /* the verdict of a task call made */
  ret->u.i = acore_kit_task_return(a[0].u.task, &v);
  return ACORE_OK;
}

static void test_kit_task_return_typed_value(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake step = fake_of(return_typed, 0);
  acore_kit_arg got;
  acore_task_t *t;

  assert_int_equal(acore_kit_spawn(loop, &step.base, &t), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, acore_task_future(t)),
                   ACORE_OK);
  assert_int_equal(acore_kit_future_get(acore_task_future(t), &got),
                   ACORE_OK);
  assert_int_equal(got.kind, ACORE_KIT_BYTES);
  assert_memory_equal(got.u.b.data, "done", 4);
  acore_task_unref(t);
}

/* A coroutine task: the kit awaits what it yields, finishes with what it
 * returns, fails with what it raises, ends cancelled when the cancel went
 * through; a host without resume cannot spawn one. */
static void test_kit_coroutine_steps(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake co = fake_of(NULL, 0), early = fake_of(NULL, 0);
  fake late = fake_of(NULL, 1);
  fake plain = fake_of(NULL, 0);
  acore_task_t *t, *c, *d;
  int64_t v = 0;

  co.base.host = early.base.host = late.base.host = &co_host.base;
  assert_int_equal(acore_kit_spawn_coroutine(loop, &co.base, &t), ACORE_OK);
  assert_int_equal(acore_kit_spawn_coroutine(loop, &early.base, &c),
                   ACORE_OK);
  assert_int_equal(acore_kit_spawn_coroutine(loop, &late.base, &d), ACORE_OK);
  assert_int_equal(acore_task_cancel(c, NULL), 1); /* before its first step */
  assert_int_equal(acore_loop_run_once(loop, 0) >= 0, 1);
  assert_int_equal(acore_task_cancel(d, NULL), 1); /* after it yielded */
  assert_int_equal(acore_loop_run_until_complete(loop, acore_task_future(t)),
                   ACORE_OK);
  acore_loop_run(loop);
  assert_int_equal(acore_future_result_int(acore_task_future(t), &v),
                   ACORE_OK);
  assert_int_equal(v, 5);
  assert_int_equal(co.calls, 2);
  assert_int_equal(acore_future_is_cancelled(acore_task_future(c)), 1);
  assert_int_equal(early.calls, 0); /* cancelled before it ran */
  assert_int_equal(acore_future_state(acore_task_future(d)),
                   ACORE_FUTURE_ERROR);
  assert_int_equal(acore_error_code(acore_future_error(acore_task_future(d))),
                   ACORE_EIO);
  acore_task_unref(t);
  acore_task_unref(c);
  acore_task_unref(d);
  assert_int_equal(co.released + early.released + late.released, 3);
  assert_int_equal(acore_kit_spawn_coroutine(loop, &plain.base, &t),
                   ACORE_EINVAL);
  assert_int_equal(plain.released, 1);
}

/* A dump names the sites of the unfinished coroutine tasks (asked of the
 * host then, by the loop's where callback, never stored), also a dump C
 * writes alone; a finished task is no longer asked; a closed loop has no
 * dump. */
static void test_kit_loop_dump_names_coroutine_sites(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake a = fake_of(NULL, 7), b = fake_of(NULL, 0);
  acore_task_t *ta, *tb;
  acore_kit_obj *co = NULL;
  char *text = NULL;

  a.base.host = b.base.host = &site_host.base;
  assert_null(acore_kit_running(&co)); /* no step runs */
  assert_null(co);
  assert_int_equal(acore_kit_spawn_coroutine(loop, &a.base, &ta), ACORE_OK);
  assert_int_equal(acore_kit_spawn_coroutine(loop, &b.base, &tb), ACORE_OK);
  assert_null(acore_task_where(ta)); /* nothing asked at spawn */
  assert_int_equal(acore_kit_loop_dump(loop, 1, &text), ACORE_OK);
  assert_non_null(strstr(text, "\"where\": \"fake.co:7\""));
  acore_free(text);
  assert_int_equal(acore_loop_dump_string(loop, ACORE_DUMP_TREE, &text),
                   ACORE_OK); /* C alone */
  assert_non_null(strstr(text, "fake.co:7"));
  acore_free(text);
  assert_null(acore_task_where(ta)); /* asked, never stored */
  assert_null(acore_task_where(tb));
  assert_int_equal(acore_loop_run_until_complete(loop, acore_task_future(ta)),
                   ACORE_OK);
  acore_loop_run(loop);
  assert_int_equal(a.calls + b.calls, 2);
  assert_int_equal(a.released + b.released, 2); /* unlinked, released */
  assert_int_equal(acore_kit_loop_dump(loop, 0, &text), ACORE_OK);
  assert_non_null(strstr(text, "0 tasks"));
  acore_free(text);
  assert_int_equal(acore_kit_loop_dump(NULL, 0, &text), ACORE_EINVAL);
  assert_int_equal(acore_kit_loop_dump(loop, 0, NULL), ACORE_EINVAL);
  acore_task_unref(ta);
  acore_task_unref(tb);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_kit_loop_dump(loop, 0, &text), ACORE_ECLOSED);
}

/* The C work function runs on a worker with its own copy of the bytes. */
static int sum_bytes(acore_work_t *w, void *ud) {
  const unsigned char *p = ud;
  int64_t sum = 0;

  while (*p)
    sum += *p++;
  return acore_work_set_int(w, sum);
}

static void test_kit_run_c_work_with_a_copy(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  char data[] = "abc";
  acore_future_t *f = NULL;
  int64_t v = 0;

  assert_int_equal(acore_kit_run_c_work(loop, NULL, (void *)sum_bytes, data,
                                        3, &f), ACORE_OK);
  data[0] = 'z'; /* the worker has its copy */
  assert_int_equal(acore_loop_run_until_complete(loop, f), ACORE_OK);
  assert_int_equal(acore_future_result_int(f, &v), ACORE_OK);
  assert_int_equal(v, 'a' + 'b' + 'c');
  acore_future_unref(f);
  assert_int_equal(acore_kit_run_c_work(loop, NULL, NULL, data, 3, &f),
                   ACORE_EINVAL);
}

/* ---- synchronous callbacks ---- */

static int less_than(fake *f, const acore_kit_arg *a, int n,
                     acore_kit_arg *ret) {
  (void)f;
  assert_int_equal(n, 2);
  ret->kind = ACORE_KIT_BOOL;
  ret->u.i = ((fake *)a[0].u.obj)->n < ((fake *)a[1].u.obj)->n;
  return ACORE_OK;
}

static void test_kit_priority_queue_with_a_less_than(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake cmp = fake_of(less_than, 0);
  fake items[5];
  int order[5] = {5, 1, 4, 2, 3}, i;
  acore_kit_obj *got = NULL;
  acore_queue_t *q;

  assert_int_equal(acore_kit_queue_new_priority(loop, 0, &cmp.base, &q),
                   ACORE_OK);
  for (i = 0; i < 5; i++) {
    items[i] = fake_of(NULL, order[i]);
    assert_int_equal(acore_kit_queue_put_nowait(q, &items[i].base), ACORE_OK);
  }
  for (i = 1; i <= 5; i++) {
    assert_int_equal(acore_kit_queue_get_nowait(q, &got), ACORE_OK);
    assert_int_equal(((fake *)got)->n, i);
    acore_kit_value_free(got); /* taken: the caller's */
  }
  assert_int_equal(acore_kit_queue_get_nowait(q, &got), ACORE_EEMPTY);
  acore_queue_unref(q);
  assert_int_equal(cmp.released, 1);
}

static acore_loop_t *map_loop;
static int map_job(fake *f, const acore_kit_arg *a, int n,
                   acore_kit_arg *ret) {
  (void)f, (void)n;
  ret->kind = ACORE_KIT_FUTURE;
  acore_future_new(map_loop, &ret->u.future);
  acore_future_set_int(ret->u.future, a[0].u.i * 10);
  return ACORE_OK;
}

static void test_kit_map_calls_each_job(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake job = fake_of(map_job, 0);
  acore_future_t *m;
  int64_t v = 0;

  map_loop = loop;
  assert_int_equal(acore_kit_map(loop, 4, 2, &job.base, 0, &m), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, m), ACORE_OK);
  assert_int_equal(job.calls, 4);
  assert_int_equal(acore_future_result_int(acore_map_job(m, 3), &v), ACORE_OK);
  assert_int_equal(v, 30);
  acore_future_unref(m);
  assert_int_equal(job.released, 1);
}

/* ---- lists of futures ---- */

static void test_kit_futlist_feeds_gather_and_wait(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_futlist_t *l, *done = NULL, *pending = NULL;
  acore_future_t *f[3], *g, *w, *x;
  int i;

  assert_int_equal(acore_futlist_new(&l), ACORE_OK);
  for (i = 0; i < 3; i++) {
    acore_future_new(loop, &f[i]);
    assert_int_equal(acore_futlist_append(l, f[i]), ACORE_OK);
  }
  assert_int_equal(acore_futlist_count(l), 3);
  x = acore_futlist_get(l, 1);
  assert_ptr_equal(x, f[1]); /* a new reference */
  acore_future_unref(x);
  assert_null(acore_futlist_get(l, 3));
  assert_int_equal(acore_kit_wait(loop, l, ACORE_WAIT_FIRST_COMPLETED,
                                  ACORE_NO_TIMEOUT, &w), ACORE_OK);
  assert_int_equal(acore_kit_gather(loop, l, 0, &g), ACORE_OK);
  acore_future_set_int(f[2], 2);
  assert_int_equal(acore_loop_run_until_complete(loop, w), ACORE_OK);
  assert_int_equal(acore_kit_wait_done_list(w, &done), ACORE_OK);
  assert_int_equal(acore_kit_wait_pending_list(w, &pending), ACORE_OK);
  assert_int_equal(acore_futlist_count(done), 1);
  assert_int_equal(acore_futlist_count(pending), 2);
  acore_future_set_int(f[0], 0);
  acore_future_set_int(f[1], 1);
  assert_int_equal(acore_loop_run_until_complete(loop, g), ACORE_OK);
  assert_int_equal(acore_future_state(g), ACORE_FUTURE_RESULT);
  acore_futlist_free(done);
  acore_futlist_free(pending);
  acore_futlist_free(l);
  acore_future_unref(g);
  acore_future_unref(w);
  for (i = 0; i < 3; i++)
    acore_future_unref(f[i]);
}


/* ---- the error handler, per-loop host data, new references ---- */

static int handler_args(fake *f, const acore_kit_arg *a, int n,
                        acore_kit_arg *ret) {
  (void)ret;
  assert_int_equal(n, 4); /* kind, message, name, error: no future */
  assert_int_equal(a[0].kind, ACORE_KIT_INT);
  assert_int_equal(a[1].kind, ACORE_KIT_STRING);
  assert_int_equal(a[2].kind, ACORE_KIT_STRING);
  f->n = a[0].u.i;
  if (a[3].kind == ACORE_KIT_ERROR)
    f->n += 1000 * acore_error_code(a[3].u.error);
  return ACORE_OK;
}

static void test_kit_error_handler_gets_kind_message_and_error(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake h = fake_of(handler_args, 0);
  acore_error_t *e;

  assert_int_equal(acore_kit_set_error_handler(loop, &h.base), ACORE_OK);
  assert_int_equal(acore_error_new(ACORE_EIO, "io", &e), ACORE_OK);
  acore_loop_report(loop, ACORE_REPORT_CALLBACK_ERROR, "m", e, NULL);
  acore_error_unref(e);
  assert_int_equal(h.calls, 1);
  assert_int_equal(h.n, ACORE_REPORT_CALLBACK_ERROR + 1000 * ACORE_EIO);
  assert_int_equal(acore_kit_set_error_handler(loop, NULL), ACORE_OK);
  assert_int_equal(h.released, 1);
}

static void test_kit_loop_value_replaced_then_dropped_at_close(void **state) {
  fake a = fake_of(NULL, 1), b = fake_of(NULL, 2);
  acore_kit_obj *got = NULL;
  acore_loop_t *loop;

  (void)state;
  assert_int_equal(acore_loop_new(NULL, &loop), ACORE_OK);
  assert_int_equal(acore_kit_loop_value(loop, &got), ACORE_EEMPTY);
  assert_int_equal(acore_kit_loop_set_value(loop, &a.base), ACORE_OK);
  assert_int_equal(acore_kit_loop_set_value(loop, &b.base), ACORE_OK);
  assert_int_equal(a.released, 1);
  assert_int_equal(acore_kit_loop_value(loop, &got), ACORE_OK);
  assert_ptr_equal(got, &b.base);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(b.released, 1);
  acore_loop_unref(loop);
}

static int finish_now(fake *f, const acore_kit_arg *a, int n,
                      acore_kit_arg *ret) {
  (void)f, (void)a, (void)n;
  ret->kind = ACORE_KIT_NONE; /* finish with no result */
  return ACORE_OK;
}

/* Each accessor's reference is the caller's: dropping them all leaves the
 * objects alive (ASan and valgrind see an over-release). */
static void test_kit_accessors_give_new_references(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake step = fake_of(finish_now, 0);
  acore_future_t *tf;
  acore_task_t *t, *back;
  acore_loop_t *l1, *l2;

  assert_int_equal(acore_kit_spawn(loop, &step.base, &t), ACORE_OK);
  tf = acore_kit_task_future(t);
  assert_ptr_equal(tf, acore_task_future(t));
  back = acore_kit_task_from_future(tf);
  assert_ptr_equal(back, t);
  l1 = acore_kit_task_loop(t);
  l2 = acore_kit_future_loop(tf);
  assert_ptr_equal(l1, loop);
  assert_ptr_equal(l2, loop);
  assert_null(acore_kit_current_task(loop)); /* no step runs */
  assert_null(acore_kit_task_awaited(t));
  acore_loop_unref(l1);
  acore_loop_unref(l2);
  acore_task_unref(back);
  acore_future_unref(tf);
  assert_int_equal(acore_loop_run_until_complete(loop, acore_task_future(t)),
                   ACORE_OK);
  assert_int_equal(acore_future_state(acore_task_future(t)),
                   ACORE_FUTURE_RESULT);
  acore_task_unref(t);
  assert_null(acore_kit_task_future(NULL));
  assert_null(acore_kit_future_loop(NULL));
}

/* Each future has a key of its own; NULL's is 0. */
static void test_kit_future_key_names_one_future(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake step = fake_of(finish_now, 0);
  acore_future_t *a, *b;
  acore_task_t *t;

  assert_int_equal(acore_future_new(loop, &a), ACORE_OK);
  assert_int_equal(acore_future_new(loop, &b), ACORE_OK);
  assert_int_equal(acore_kit_spawn(loop, &step.base, &t), ACORE_OK);
  assert_true(acore_kit_future_key(a) != acore_kit_future_key(b));
  assert_true(acore_kit_future_key(a) == acore_kit_future_key(a));
  assert_true(acore_kit_future_key(acore_task_future(t)) != 0);
  assert_true(acore_kit_future_key(NULL) == 0);
  acore_loop_run(loop);
  acore_task_unref(t);
  acore_future_unref(a);
  acore_future_unref(b);
}

static void test_kit_wait_at_least_and_as_completed(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_futlist_t *l, *done = NULL;
  acore_future_t *f[3], *w, *ac, *next, *orig;
  int i;

  assert_int_equal(acore_futlist_new(&l), ACORE_OK);
  for (i = 0; i < 3; i++) {
    acore_future_new(loop, &f[i]);
    acore_futlist_append(l, f[i]);
  }
  assert_int_equal(acore_kit_wait_at_least(loop, l, 2, ACORE_NO_TIMEOUT, &w),
                   ACORE_OK);
  assert_int_equal(acore_kit_as_completed(loop, l, ACORE_NO_TIMEOUT, &ac),
                   ACORE_OK);
  acore_future_set_int(f[2], 2);
  acore_future_set_int(f[0], 0);
  assert_int_equal(acore_loop_run_until_complete(loop, w), ACORE_OK);
  assert_int_equal(acore_kit_wait_done_list(w, &done), ACORE_OK);
  assert_int_equal(acore_futlist_count(done), 2);
  /* as_completed hands out f[2] first: the original future */
  assert_int_equal(acore_as_completed_next(ac, &next), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, next), ACORE_OK);
  orig = acore_kit_next_future(next);
  assert_ptr_equal(orig, f[2]);
  acore_future_unref(orig);
  acore_future_unref(next);
  acore_future_set_int(f[1], 1);
  acore_futlist_free(done);
  acore_futlist_free(l);
  acore_future_unref(w);
  acore_future_unref(ac);
  for (i = 0; i < 3; i++)
    acore_future_unref(f[i]);
}

/* ---- release from any thread ---- */

static pthread_t loop_thread;
static int unref_on_loop;
static void count_unref(void *h) {
  unref_on_loop += pthread_equal(pthread_self(), loop_thread) && h == &loop_thread;
}
static void *release_elsewhere(void *loop) {
  acore_kit_release_anywhere(loop, count_unref, &loop_thread);
  return NULL;
}

static void test_kit_release_anywhere_runs_on_the_loop(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  pthread_t t;

  loop_thread = pthread_self();
  unref_on_loop = 0;
  assert_int_equal(pthread_create(&t, NULL, release_elsewhere, loop), 0);
  pthread_join(t, NULL);
  assert_int_equal(unref_on_loop, 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(unref_on_loop, 1);
}

static void *call_from_elsewhere(void *ud) {
  fake *cb = ud;

  assert_int_equal(acore_kit_call_soon_threadsafe(cb->loop, &cb->base),
                   ACORE_OK);
  return NULL;
}

static void test_kit_call_soon_threadsafe_runs_on_the_loop(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake cb = fake_of(NULL, 0);
  pthread_t t;

  cb.loop = loop;
  assert_int_equal(pthread_create(&t, NULL, call_from_elsewhere, &cb), 0);
  pthread_join(t, NULL);
  assert_int_equal(cb.calls, 0);
  assert_int_equal(acore_loop_run(loop), ACORE_OK);
  assert_int_equal(cb.calls, 1);
  assert_int_equal(cb.released, 1);
  /* refused once the loop is closed: released at once, never called */
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_kit_call_soon_threadsafe(loop, &cb.base),
                   ACORE_ECLOSED);
  assert_int_equal(cb.calls, 1);
  assert_int_equal(cb.released, 2);
}

/* A predicate that answers its fake's n (set by the test) as a boolean. */
static int answer_n(fake *f, const acore_kit_arg *args, int nargs,
                    acore_kit_arg *ret) {
  (void)args, (void)nargs;
  ret->kind = ACORE_KIT_BOOL;
  ret->u.i = f->n != 0;
  return ACORE_OK;
}

/* The lock held by no task (plain C on the loop thread): the predicate is
 * still asked, at once and at each notify, and taken and released once. */
static void test_kit_cond_wait_for_lock_held_outside_a_task(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake pred = fake_of(answer_n, 0);
  acore_lock_t *lock;
  acore_cond_t *cond;
  acore_future_t *w;

  assert_int_equal(acore_lock_new(loop, &lock), ACORE_OK);
  assert_int_equal(acore_cond_new(loop, lock, &cond), ACORE_OK);
  assert_ptr_equal(acore_lock_loop(lock), loop);
  /* not held: acore refuses, the predicate is released, never called */
  assert_int_not_equal(acore_kit_cond_wait_for(cond, &pred.base, &w),
                       ACORE_OK);
  assert_int_equal(pred.calls, 0);
  assert_int_equal(pred.released, 1);
  pred = fake_of(answer_n, 0);
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  assert_null(acore_lock_owner(lock));
  assert_int_equal(acore_kit_cond_wait_for(cond, &pred.base, &w), ACORE_OK);
  assert_int_equal(pred.calls, 1); /* asked at once: false */
  assert_int_equal(acore_future_is_done(w), 0);
  assert_int_equal(acore_lock_is_locked(lock), 0); /* the wait let it go */
  /* notified while false: asked again, and it waits on */
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  assert_int_equal(acore_cond_notify(cond, 1), 1); /* one woken */
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(pred.calls, 2);
  assert_int_equal(acore_future_is_done(w), 0);
  /* notified while true: done, holding the lock again */
  pred.n = 1;
  assert_int_equal(acore_lock_try_acquire(lock), ACORE_OK);
  assert_int_equal(acore_cond_notify(cond, 1), 1); /* one woken */
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  assert_int_equal(acore_loop_run_until_complete(loop, w), ACORE_OK);
  assert_int_equal(acore_future_state(w), ACORE_FUTURE_RESULT);
  assert_int_equal(pred.calls, 3);
  assert_int_equal(acore_lock_is_locked(lock), 1);
  assert_int_equal(acore_lock_release(lock), ACORE_OK);
  acore_future_unref(w);
  assert_int_equal(pred.released, 1);
  acore_cond_unref(cond);
  acore_lock_unref(lock);
}

static void test_kit_einval_releases_what_it_took(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  fake cb = fake_of(NULL, 0);
  acore_kit_obj *out = NULL;

  assert_int_equal(acore_kit_call_soon(NULL, &cb.base, NULL), ACORE_EINVAL);
  assert_int_equal(acore_kit_spawn(loop, NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_kit_map(NULL, 1, 1, &cb.base, 0, NULL), ACORE_EINVAL);
  assert_int_equal(acore_kit_queue_new_priority(NULL, 0, &cb.base, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_kit_cond_wait_for(NULL, &cb.base, NULL),
                   ACORE_EINVAL);
  assert_int_equal(acore_kit_call_soon_threadsafe(NULL, &cb.base),
                   ACORE_EINVAL);
  assert_int_equal(acore_kit_call_soon_threadsafe(loop, NULL), ACORE_EINVAL);
  assert_int_equal(cb.released, 5);
  assert_int_equal(acore_kit_future_value(NULL, &out), ACORE_EINVAL);
  assert_int_equal(acore_kit_gather(loop, NULL, 0, NULL), ACORE_EINVAL);
  assert_int_equal(acore_futlist_append(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_kit_release_anywhere(NULL, count_unref, NULL),
                   ACORE_EINVAL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tu_setup, tu_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
    T(test_kit_call_soon_calls_then_releases),
    T(test_kit_cond_wait_for_lock_held_outside_a_task),
    T(test_kit_callback_error_goes_to_the_handler),
    T(test_kit_done_callback_gets_the_future),
    T(test_kit_step_awaits_then_returns_a_host_value),
    T(test_kit_value_read_only_by_its_module),
    T(test_kit_error_carries_a_host_value),
    T(test_kit_typed_values_round_trip),
    T(test_kit_coroutine_steps),
    T(test_kit_loop_dump_names_coroutine_sites),
    T(test_kit_run_c_work_with_a_copy),
    T(test_kit_task_return_typed_value),
    T(test_kit_priority_queue_with_a_less_than),
    T(test_kit_map_calls_each_job),
    T(test_kit_futlist_feeds_gather_and_wait),
    T(test_kit_error_handler_gets_kind_message_and_error),
    T(test_kit_loop_value_replaced_then_dropped_at_close),
    T(test_kit_accessors_give_new_references),
    T(test_kit_future_key_names_one_future),
    T(test_kit_wait_at_least_and_as_completed),
    T(test_kit_release_anywhere_runs_on_the_loop),
    T(test_kit_call_soon_threadsafe_runs_on_the_loop),
    T(test_kit_einval_releases_what_it_took),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
