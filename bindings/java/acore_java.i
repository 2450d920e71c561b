/* SPDX-License-Identifier: MIT */
/*
 * acore_java.i - the JNI module of org.acore: acore.i and the binding kit
 * with Java's typemaps (one per kit shape), into the package-private
 * classes org.acore.Native / NativeJNI. The idiomatic layer is the Java
 * code of bindings/java/src/org/acore/.
 *
 * At this level a handle is a `long` (its C pointer): the Java classes
 * (Future, Task, Loop, ...) hold one reference each and give it back
 * through a Cleaner or close(). Every C `int` is a Java `long`, so a call
 * that makes a handle (`int f(..., TYPE **out)`) returns the handle itself;
 * a negative code throws an AcoreException.
 */
%module Native

%include "kit.swg"
%include "java_host.swg"

%pragma(java) moduleclassmodifiers="final class"
%pragma(java) jniclassclassmodifiers="final class"
%pragma(java) jniclasscode=%{
  static { Lib.load(); }
%}

/* ---- numbers -------------------------------------------------------------- */

%typemap(jni) int "jlong"
%typemap(jtype) int "long"
%typemap(jstype) int "long"
%typemap(in) int %{ $1 = (int)$input; %}
%typemap(out) int %{ $result = (jlong)$1; %}
%typemap(javain) int "$javainput"
%typemap(javaout) int { return $jnicall; }
%typemap(jni) uint64_t "jlong"
%typemap(jtype) uint64_t "long"
%typemap(jstype) uint64_t "long"
%typemap(out) uint64_t %{ $result = (jlong)$1; %}
%typemap(javaout) uint64_t { return $jnicall; }

/* ---- handles: a long ----------------------------------------------------- */

%define JK_HANDLE(TYPE, STRUCT, DROP)
%ignore STRUCT;
%typemap(jni) TYPE *, const TYPE * "jlong"
%typemap(jtype) TYPE *, const TYPE * "long"
%typemap(jstype) TYPE *, const TYPE * "long"
%typemap(javain) TYPE *, const TYPE * "$javainput"
%typemap(javaout) TYPE *, const TYPE * { return $jnicall; }
%typemap(in) TYPE *, const TYPE * %{ $1 = ($1_ltype)(intptr_t)$input; %}
%typemap(out) TYPE *, const TYPE * %{ $result = (jlong)(intptr_t)$1; %}
/* a new handle: the call returns it in place of ACORE_OK */
%typemap(in, numinputs=0) TYPE **out (TYPE *tmp = NULL) %{ $1 = &tmp; %}
%typemap(argout) TYPE **out %{
  if (result >= 0)
    jresult = (jlong)(intptr_t)tmp$argnum;
%}
%enddef
ACORE_KIT_HANDLES(JK_HANDLE)
%ignore acore_context;
%apply acore_future_t **out { acore_future_t **next };

/* ---- kit shapes ---------------------------------------------------------- */

/* A callable: an org.acore.Fn (a global reference from here on). */
%typemap(jni) acore_kit_obj *fn "jobject"
%typemap(jtype) acore_kit_obj *fn "Fn"
%typemap(jstype) acore_kit_obj *fn "Fn"
%typemap(javain) acore_kit_obj *fn "$javainput"
%typemap(in) acore_kit_obj *fn %{ $1 = NULL; %}
%typemap(check) acore_kit_obj *fn %{
  if ($input != NULL && ($1 = jk_ref_new(jenv, $input, 1)) == NULL)
    return $null;
%}

/* Any Java object as a value. */
%typemap(jni) acore_kit_obj *value "jobject"
%typemap(jtype) acore_kit_obj *value "Object"
%typemap(jstype) acore_kit_obj *value "Object"
%typemap(javain) acore_kit_obj *value "$javainput"
%typemap(in) acore_kit_obj *value %{ $1 = NULL; %}
%typemap(check) acore_kit_obj *value %{
  if ($input != NULL && ($1 = jk_ref_new(jenv, $input, 0)) == NULL)
    return $null;
%}

/* A list of futures: their handles. */
%typemap(jni) const acore_futlist_t *list "jlongArray"
%typemap(jtype) const acore_futlist_t *list "long[]"
%typemap(jstype) const acore_futlist_t *list "long[]"
%typemap(javain) const acore_futlist_t *list "$javainput"
%typemap(in) const acore_futlist_t *list (acore_futlist_t *tmp = NULL) {
  if ((tmp = jk_futlist_of(jenv, $input)) == NULL)
    return $null;
  $1 = tmp;
}
%typemap(freearg) const acore_futlist_t *list {
  acore_futlist_free(tmp$argnum);
  tmp$argnum = NULL;
}

/* Bytes in: a byte[]. */
%apply (const char *STRING, size_t LENGTH) { (const void *data, size_t len) };

/* ---- what Java reaches through its own natives (java_host.swg) ---------- */

/* the error handler's context is read by the kit's trampoline (the
 * functions taking a C function are ignored by kit.swg) */
%ignore acore_loop_default_error_handler;
%ignore acore_context_kind;
%ignore acore_context_message;
%ignore acore_context_name;
/* values and names are read by jk_value, jk_task_name, ... */
%ignore acore_future_result_int;
%ignore acore_future_result_double;
%ignore acore_task_name;
%ignore acore_kit_future_value;
%ignore acore_kit_queue_get_nowait;
%ignore acore_kit_loop_value;
%ignore acore_kit_loop_set_value;
%ignore acore_kit_error_value;
%ignore acore_futlist_count;
%ignore acore_futlist_get;
%ignore acore_futlist_append;
%ignore acore_future_result_tagged;
%ignore acore_task_resume;
/* the await graph (caller buffers and arrays of handles): not reached
 * from Java yet; the dump is jk_loop_dump */
%ignore acore_future_children;
%ignore acore_future_awaiters;
%ignore acore_future_describe;
%ignore acore_loop_dump;
%ignore acore_loop_dump_string;
%ignore acore_kit_loop_dump;
%ignore acore_task_times;
/* the kit's shapes for hosts with coroutines and C work (Lua's) */
%ignore acore_kit_spawn_coroutine;
%ignore acore_kit_group_spawn_coroutine;
%ignore acore_kit_future_get;
%ignore acore_kit_future_set;
%ignore acore_kit_task_return;
%ignore acore_kit_run_c_work;

/* answers that are negative codes by design (the Java layer reads them) */
%typemap(ret) int acore_sem_acquire_finish "";
%typemap(ret) int acore_lock_acquire_finish "";
%typemap(ret) int acore_queue_put_finish "";
%typemap(ret) int acore_queue_get_finish "";
%typemap(ret) int acore_sem_try_acquire "";
%typemap(ret) int acore_lock_try_acquire "";
%typemap(ret) int jk_task_fail "";

%include "acore.i"
%include "kit_api.swg"
%include "java_natives.swg"
