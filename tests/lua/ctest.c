/* SPDX-License-Identifier: MIT */
/*
 * ctest.c - a C library driving the loop a Lua script runs (the Lua module
 * acore_ctest, for tests/lua/interop_spec.lua): C completes a future Lua
 * awaits, a C task awaits a future Lua completes, a C work function runs
 * on the executor, and a C thread of its own wakes the loop (the
 * thread-safe completions, call_soon_threadsafe). Handles cross as light
 * userdata (acore.core.pointer / acore.core.adopt).
 */
#include <acore.h>
#include <acore/executor.h>
#include <lauxlib.h>
#include <lua.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct later {
  acore_future_t *fut;
  int64_t value;
} later;

static void complete(void *ud) {
  later *l = ud;

  acore_future_set_int(l->fut, l->value);
}

static void later_free(void *ud) {
  later *l = ud;

  acore_future_unref(l->fut);
  free(l);
}

/* complete_later(loop, fut, value, delay): C sets the int result later. */
static int complete_later(lua_State *L) {
  acore_loop_t *loop = lua_touserdata(L, 1);
  later *l = malloc(sizeof(*l));

  if (l == NULL)
    return luaL_error(L, "out of memory");
  l->fut = acore_future_ref(lua_touserdata(L, 2));
  l->value = luaL_checkinteger(L, 3);
  lua_pushinteger(L, acore_loop_call_later(loop, luaL_checknumber(L, 4),
                                           complete, l, later_free, NULL));
  return 1;
}

/* A C task: await the future in ud, return its int result doubled. */
static int doubler(acore_task_t *task, void *ud) {
  acore_future_t *done = NULL;
  int64_t v = 0;

  if (acore_task_resume(task, &done) == ACORE_ECANCELLED)
    return acore_task_finish_cancelled(task);
  if (done == NULL)
    return acore_task_await_take(task, acore_future_ref(ud));
  if (acore_future_result_int(done, &v) != ACORE_OK)
    return acore_task_fail_code(task, ACORE_ETYPE, "an int was expected");
  return acore_task_return_int(task, v * 2);
}

static void unref_future(void *ud) { acore_future_unref(ud); }

/* spawn_doubler(loop, fut) -> a C task (a new reference, to adopt) */
static int spawn_doubler(lua_State *L) {
  acore_future_t *fut = acore_future_ref(lua_touserdata(L, 2));
  acore_task_t *t = NULL;
  int rc = acore_task_spawn(lua_touserdata(L, 1), doubler, fut, unref_future,
                            &t);

  if (rc != ACORE_OK)
    return luaL_error(L, "spawn: %s", acore_err_name(rc));
  lua_pushlightuserdata(L, t);
  return 1;
}

/* A C work function: the sum of the bytes of its string argument. */
static int checksum(acore_work_t *w, void *ud) {
  const unsigned char *s = ud;
  int64_t sum = 0;

  while (*s)
    sum += *s++;
  return acore_work_set_int(w, sum);
}

/* ---- a C thread of the library's own ---- */

typedef struct job {
  acore_loop_t *loop;  /* a reference */
  acore_future_t *fut; /* a reference, taken on the loop thread */
  int how;             /* see hows[] */
  int64_t value;
  long ms;
  pthread_t thread;
} job;

/* On the loop thread, queued by the job's thread (how "soon"). */
static void set_on_loop(void *ud) {
  job *j = ud;

  acore_future_set_int(j->fut, j->value);
}

static void *job_main(void *ud) {
  job *j = ud;
  struct timespec ts = {j->ms / 1000, (j->ms % 1000) * 1000000L};

  nanosleep(&ts, NULL); /* the library's blocking work */
  switch (j->how) {
  case 0: acore_future_set_int_threadsafe(j->fut, j->value); break;
  case 1: acore_future_set_bytes_threadsafe(j->fut, "from C", 6); break;
  case 2:
    acore_future_set_error_code_threadsafe(j->fut, ACORE_EIO, "C failed");
    break;
  case 3: acore_future_cancel_threadsafe(j->fut, "C gave up"); break;
  default:
    acore_loop_call_soon_threadsafe(j->loop, set_on_loop, j, NULL);
  }
  return NULL;
}

/* thread_complete(loop, fut, how, value, ms) -> a job to join: a thread
 * that sleeps ms, then completes fut from there ("int" with value,
 * "bytes", "error", "cancel", or "soon": a call_soon_threadsafe callback
 * sets value on the loop thread). */
static int thread_complete(lua_State *L) {
  static const char *const hows[] = {"int", "bytes", "error", "cancel",
                                     "soon", NULL};
  job *j = calloc(1, sizeof(*j));

  if (j == NULL)
    return luaL_error(L, "out of memory");
  j->loop = acore_loop_ref(lua_touserdata(L, 1));
  j->fut = acore_future_ref(lua_touserdata(L, 2));
  j->how = luaL_checkoption(L, 3, NULL, hows);
  j->value = luaL_optinteger(L, 4, 0);
  j->ms = (long)luaL_optinteger(L, 5, 0);
  if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
    acore_future_unref(j->fut);
    acore_loop_unref(j->loop);
    free(j);
    return luaL_error(L, "pthread_create failed");
  }
  lua_pushlightuserdata(L, j);
  return 1;
}

/* join(job): wait for the thread, drop the job's references. */
static int join(lua_State *L) {
  job *j = lua_touserdata(L, 1);

  pthread_join(j->thread, NULL);
  acore_future_unref(j->fut);
  acore_loop_unref(j->loop);
  free(j);
  return 0;
}

int luaopen_acore_ctest(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"complete_later", complete_later},
      {"spawn_doubler", spawn_doubler},
      {"thread_complete", thread_complete},
      {"join", join},
      {NULL, NULL}};

  luaL_newlib(L, fns);
  lua_pushlightuserdata(L, (void *)(acore_work_fn)checksum);
  lua_setfield(L, -2, "checksum");
  return 1;
}
