/* SPDX-License-Identifier: MIT */
/*
 * cjob.c - the C half of examples/lua/executor.lua: a Lua module
 * (acore_cjob) that hands Lua a blocking C work function to run on acore's
 * executor. Its argument is "<milliseconds>:<text>": it sleeps that long
 * (the blocking part) and returns the sum of the text's bytes.
 */
#include <acore.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int slow_sum(acore_work_t *w, void *ud) {
  char *text = NULL;
  long ms = strtol(ud, &text, 10);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  int64_t sum = 0;

  nanosleep(&ts, NULL); /* a blocking call: fine on a worker */
  if (*text == ':')
    text++;
  while (*text)
    sum += (unsigned char)*text++;
  return acore_work_set_int(w, sum);
}

int luaopen_acore_cjob(lua_State *L) {
  lua_newtable(L);
  lua_pushlightuserdata(L, (void *)(acore_work_fn)slow_sum);
  lua_setfield(L, -2, "slow_sum");
  return 1;
}
