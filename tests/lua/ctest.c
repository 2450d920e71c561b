/* SPDX-License-Identifier: MIT */
/*
 * ctest.c - a C library driving the loop a Lua script runs (the Lua module
 * acore_ctest, for tests/lua/interop_spec.lua): C completes a future Lua
 * awaits, a C task awaits a future Lua completes, and a C work function
 * runs on the executor. Handles cross as light userdata
 * (acore.core.pointer / acore.core.adopt).
 */
#include <acore.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

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

int luaopen_acore_ctest(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"complete_later", complete_later},
      {"spawn_doubler", spawn_doubler},
      {NULL, NULL}};

  luaL_newlib(L, fns);
  lua_pushlightuserdata(L, (void *)(acore_work_fn)checksum);
  lua_setfield(L, -2, "checksum");
  return 1;
}
