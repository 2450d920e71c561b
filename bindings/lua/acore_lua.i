/* SPDX-License-Identifier: MIT */
/*
 * acore_lua.i - the Lua module acore_core: acore.i and the binding kit
 * with Lua's typemaps (one per kit shape). The idiomatic layer, `require
 * "acore"`, is acore.lua.
 */
%module acore_core

%include "kit.swg"
%include "lua_host.swg"

/* ---- kit shapes ---------------------------------------------------------- */

/* A callable (any value Lua can call); taken after every argument
 * converted, so a bad argument leaks nothing. */
%typemap(in) acore_kit_obj *fn "luaL_checkany(L, $input); $1 = NULL;"
%typemap(check) acore_kit_obj *fn { $1 = &lk_ref_new(L, $argnum)->base; }

/* Any Lua value, stored by reference. */
%typemap(in) acore_kit_obj *value "luaL_checkany(L, $input); $1 = NULL;"
%typemap(check) acore_kit_obj *value { $1 = &lk_ref_new(L, $argnum)->base; }

%typemap(in, numinputs=0) acore_kit_obj **value (acore_kit_obj *tmp = NULL) {
  $1 = &tmp;
}
%typemap(argout) acore_kit_obj **value {
  lua_pop(L, SWIG_arg);
  SWIG_arg = 0;
  lk_push_ref(L, tmp$argnum);
  SWIG_arg++;
}
%typemap(in, numinputs=0) acore_kit_obj **taken (acore_kit_obj *tmp = NULL) {
  $1 = &tmp;
}
%typemap(argout) acore_kit_obj **taken {
  lua_pop(L, SWIG_arg);
  SWIG_arg = 0;
  lk_push_ref(L, tmp$argnum);
  SWIG_arg++;
  acore_kit_value_free(tmp$argnum);
}

/* Any Lua value as a typed value (a reference taken last, as for fn). */
%typemap(in) const acore_kit_arg *v (acore_kit_arg tmp) {
  luaL_checkany(L, $input);
  tmp.kind = ACORE_KIT_NONE;
  $1 = &tmp;
}
%typemap(check) const acore_kit_arg *v { lk_to_value(L, $argnum, &tmp$argnum); }
%typemap(in, numinputs=0) acore_kit_arg *got (acore_kit_arg tmp) {
  tmp.kind = ACORE_KIT_NONE;
  $1 = &tmp;
}
%typemap(argout) acore_kit_arg *got { lk_push_arg(L, &tmp$argnum); SWIG_arg++; }

/* A Lua string as bytes. */
%typemap(in, checkfn="lua_isstring") (const void *data, size_t len) {
  size_t n = 0;
  $1 = (void *)lua_tolstring(L, $input, &n);
  $2 = n;
}

/* A sequence of futures or tasks (or a futlist). */
%typemap(in) const acore_futlist_t *list (acore_futlist_t *tmp = NULL) {
  lua_Integer i, n;
  void *p = NULL;

  if (SWIG_IsOK(SWIG_ConvertPtr(L, $input, &p, SWIGTYPE_p_acore_futlist, 0))) {
    $1 = p;
  } else {
    if (!lua_istable(L, $input)) {
      lua_pushstring(L, "acore: a list of futures was expected");
      SWIG_fail;
    }
    if (acore_futlist_new(&tmp) != ACORE_OK)
      ACORE_KIT_RAISE(ACORE_ENOMEM);
    n = luaL_len(L, $input);
    for (i = 1; i <= n; i++) {
      lua_geti(L, $input, i);
      if ((p = lk_future_at(L, -1)) == NULL) {
        lua_pushfstring(L, "acore: item %d is not a future", (int)i);
        SWIG_fail;
      }
      lua_pop(L, 1);
      if (acore_futlist_append(tmp, p) != ACORE_OK)
        ACORE_KIT_RAISE(ACORE_ENOMEM);
    }
    $1 = tmp;
  }
}
%typemap(freearg) const acore_futlist_t *list {
  acore_futlist_free(tmp$argnum);
  tmp$argnum = NULL;
}

/* New handles: the handle alone is returned (the 0 of success dropped). */
%define LK_OUT_HANDLE(TYPE, STRUCT, DROP)
%typemap(in, numinputs=0) TYPE **out (TYPE *tmp = NULL) { $1 = &tmp; }
%typemap(argout) TYPE **out {
  lua_pop(L, SWIG_arg);
  SWIG_arg = 0;
  lk_push_handle(L, tmp$argnum, $descriptor(struct STRUCT *));
  SWIG_arg++;
}
%enddef
ACORE_KIT_HANDLES(LK_OUT_HANDLE)
%apply acore_future_t **out { acore_future_t **next };

/* A string acore made (the kit frees it). */
%typemap(argout) char **text {
  lua_pop(L, SWIG_arg);
  SWIG_arg = 0;
  lua_pushstring(L, *$1);
  SWIG_arg++;
}

/* Numbers read through out-parameters. */
%typemap(in, numinputs=0) int64_t *out (int64_t tmp = 0) { $1 = &tmp; }
%typemap(argout) int64_t *out {
  lua_pop(L, SWIG_arg);
  SWIG_arg = 0;
  lua_pushinteger(L, (lua_Integer)tmp$argnum);
  SWIG_arg++;
}
%typemap(in, numinputs=0) double *out (double tmp = 0) { $1 = &tmp; }
%typemap(argout) double *out {
  lua_pop(L, SWIG_arg);
  SWIG_arg = 0;
  lua_pushnumber(L, tmp$argnum);
  SWIG_arg++;
}
%typemap(out) int, unsigned, size_t {
  lua_pushinteger(L, (lua_Integer)$1);
  SWIG_arg++;
}
%typemap(in) int64_t { $1 = (int64_t)luaL_checkinteger(L, $input); }
%typemap(out) int64_t { lua_pushinteger(L, (lua_Integer)$1); SWIG_arg++; }
%typemap(out) uint64_t { lua_pushinteger(L, (lua_Integer)$1); SWIG_arg++; }

/* A task's name: the name as a string (acore_task_name copies it). */
%typemap(in, numinputs=0) (char *buf, size_t cap) (char tmp[128]) {
  $1 = tmp;
  $2 = sizeof(tmp);
}
%typemap(argout) (char *buf, size_t cap) {
  lua_pop(L, SWIG_arg);
  SWIG_arg = 0;
  lua_pushlstring(L, tmp$argnum, (size_t)result < sizeof(tmp$argnum)
                                     ? (size_t)result : sizeof(tmp$argnum) - 1);
  SWIG_arg++;
}

%include "acore.i"
%include "kit_api.swg"

/* ---- Lua only --------------------------------------------------------------- */

%native(class_methods) int lk_class_methods(lua_State *L);
%native(same) int lk_same(lua_State *L);
%native(pointer) int lk_pointer(lua_State *L);
%native(outcomes) int lk_outcomes(lua_State *L);
%native(adopt) int lk_adopt(lua_State *L);
%native(spawn) int lk_spawn(lua_State *L);
%native(in_task) int lk_in_task(lua_State *L);
%native(task_hooks) int lk_task_hooks(lua_State *L);
