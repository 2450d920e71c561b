/* SPDX-License-Identifier: MIT */
/*
 * kit.h - the binding kit: C compiled into every language's module, so a
 * language binds the whole API with one call function, one release
 * function and a few typemaps (kit.swg).
 *
 * A host object the kit keeps (a callable, a value stored as a result, an
 * error's payload) is a struct of the language's own whose first member is
 * an acore_kit_obj: a pointer to the language's acore_kit_host. The kit
 * calls it through host->call and drops it through host->release, so every
 * callback shape of acore (call_soon, done callbacks, task steps, the
 * error handler, predicates, comparisons, map jobs) has one trampoline
 * here, for every language.
 *
 * Values: a host value stored in a future is a pointer result whose
 * destructor is acore_kit_value_free (each module has its own copy, so
 * the tag is per module): it is read back with acore_future_result_tagged
 * only by the module that stored it.
 *
 * Threads: everything runs on the loop thread, except
 * acore_kit_release_anywhere and acore_kit_call_soon_threadsafe (any
 * thread) and the host's release of a
 * value freed by a worker (documented per language: Lua never runs host
 * code on workers). The list of coroutine tasks (acore_kit_loop_dump) and
 * the running one (acore_kit_running) are per thread: a coroutine task is
 * spawned, stepped, finished and dumped on its loop's thread.
 */
#ifndef ACORE_KIT_H
#define ACORE_KIT_H

#include "acore.h"
#include "acore/executor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct acore_kit_host acore_kit_host;

#ifndef SWIG /* what follows up to the functions is C only */

/* The first member of every host object the kit holds. */
typedef struct acore_kit_obj {
  const acore_kit_host *host;
  /* The kit's own (a host leaves them alone): the task whose coroutine
   * the object is (acore_kit_running), and whether it was resumed. */
  acore_task_t *kit_task;
  int kit_ran;
} acore_kit_obj;

/* What a call passes and returns (acore_kit_arg.kind). */
enum {
  ACORE_KIT_NONE = 0,
  ACORE_KIT_INT = 1,    /* u.i */
  ACORE_KIT_DOUBLE = 2, /* u.d */
  ACORE_KIT_STRING = 3, /* u.s, borrowed for the call */
  ACORE_KIT_VALUE = 4,  /* u.obj: a host value (borrowed in args; in a
                           return, owned by the caller of call) */
  ACORE_KIT_FUTURE = 5, /* u.future (borrowed in args; a new reference in
                           a return) */
  ACORE_KIT_TASK = 6,   /* u.task, borrowed */
  ACORE_KIT_ERROR = 7,  /* u.error (borrowed in args; a new reference in a
                           return) */
  ACORE_KIT_BOOL = 8,   /* u.i, 0 or 1 */
  ACORE_KIT_BYTES = 9   /* u.b: bytes, borrowed (from the caller, or from
                           the future read) */
};

typedef struct acore_kit_arg {
  int kind;
  union {
    int64_t i;
    double d;
    const char *s;
    acore_kit_obj *obj;
    acore_future_t *future;
    acore_task_t *task;
    acore_error_t *error;
    struct {
      const void *data;
      size_t len;
    } b;
  } u;
} acore_kit_arg;

/* acore_kit_host.flags */
enum {
  /* Steps are called with the status alone: fn(status). The host keeps
   * the task it got from acore_kit_spawn (the first step never runs
   * inside it) and knows what it awaits: no handle is made per step. */
  ACORE_KIT_LEAN_STEPS = 1u << 0,
  /* The table is the `base` of an acore_kit_coroutine_host: the host's
   * coroutines can be tasks (acore_kit_spawn_coroutine). */
  ACORE_KIT_COROUTINES = 1u << 1
};

/* What a host's coroutine did when resumed (acore_kit_host.resume). */
enum {
  ACORE_KIT_YIELDED = 1,  /* *out: a FUTURE to await, or NONE (run again
                             on the next iteration) */
  ACORE_KIT_RETURNED = 2, /* *out: its result (a typed value) */
  ACORE_KIT_RAISED = 3    /* *out: an ERROR to fail with, or NONE: it
                             ended by the cancellation delivered */
};

/* What a language gives the kit, once (a static const table). */
struct acore_kit_host {
  const char *name; /* "lua", "java", ... */
  unsigned flags;   /* ACORE_KIT_* */
  /* Call the callable `fn` with `args` (borrowed); store what it returned
   * in *ret (kind NONE when nothing). Returns ACORE_OK, or a negative code
   * when the host raised: then *ret is ACORE_KIT_ERROR with a new error
   * reference (its payload, if any, the host's exception as a host value
   * tagged acore_kit_value_free) or ACORE_KIT_NONE. Loop thread. */
  int (*call)(acore_kit_obj *fn, const acore_kit_arg *args, int nargs,
              acore_kit_arg *ret);
  /* Drop the kit's reference to a callable or value. */
  void (*release)(acore_kit_obj *obj);
};

/* A host whose coroutines can be tasks (flag ACORE_KIT_COROUTINES). */
typedef struct acore_kit_coroutine_host {
  acore_kit_host base;
  /* Resume
   * the coroutine `co`, the body of `task`, for one step - delivering the
   * cancellation (`cancel` 1: raised inside it at the point where it
   * waits; one that never ran is not resumed: the kit ends it
   * cancelled) - and tell
   * what it did: ACORE_KIT_YIELDED, _RETURNED or _RAISED with *out (new
   * references and taken values: the kit owns them), or a negative code
   * (the task fails with it). The kit makes the verdict: it awaits, finishes
   * with the value, fails, finishes cancelled, and marks a cancel the
   * coroutine survived as handled. Loop thread. */
  int (*resume)(acore_kit_obj *co, acore_task_t *task, int cancel,
                acore_kit_arg *out);
  /* The creation site of the coroutine `co` ("file:line", at most cap
   * bytes with its NUL) into buf; 0 when it has none. NULL: no sites. */
  int (*site)(acore_kit_obj *co, char *buf, size_t cap);
} acore_kit_coroutine_host;

#else
typedef struct acore_kit_obj acore_kit_obj;
typedef struct acore_kit_arg acore_kit_arg;
#endif /* SWIG */

/* ---- destructors and tags ---- */

/* The ud_free of every callback, the destructor (and tag) of every host
 * value and payload: calls obj->host->release(obj). Accepts NULL. */
void acore_kit_value_free(void *obj);

/* Drop an acore handle's reference from any thread (a host GC may
 * finalise on its own thread): `unref(handle)` runs on the loop thread
 * (at once when the loop is already closed or the post fails).
 * Returns: ACORE_OK; ACORE_EINVAL (loop or unref NULL). */
int acore_kit_release_anywhere(acore_loop_t *loop, acore_free_fn unref,
                               void *handle);

/* ---- callbacks: fn(...) for each acore callback shape ---- */

int acore_kit_call_soon(acore_loop_t *loop, acore_kit_obj *fn,
                        acore_handle_t **out);
int acore_kit_call_later(acore_loop_t *loop, double delay, acore_kit_obj *fn,
                         acore_handle_t **out);
/* Any thread (the host's call then runs on the loop thread; a refused
 * call releases fn on the calling thread before it returns). */
int acore_kit_call_soon_threadsafe(acore_loop_t *loop, acore_kit_obj *fn);
int acore_kit_add_done_callback(acore_future_t *fut, acore_kit_obj *fn);
/* The step fn(task, status, awaited) - fn(status) for a host with
 * ACORE_KIT_LEAN_STEPS - returns its verdict: a FUTURE (a new reference:
 * await it), a VALUE (finish with it), an INT (a verdict: ACORE_TASK_YIELD,
 * or one a task call already made, e.g. acore_task_return_int's), NONE
 * (finish with no result) or raises (fail with the error). */
int acore_kit_spawn(acore_loop_t *loop, acore_kit_obj *fn,
                    acore_task_t **out);
int acore_kit_group_spawn(acore_group_t *group, acore_kit_obj *fn,
                          acore_task_t **out);
/* A task whose body is the host's coroutine `co`, each step one resume
 * (see acore_kit_coroutine_host; ACORE_EINVAL for another host). */
int acore_kit_spawn_coroutine(acore_loop_t *loop, acore_kit_obj *co,
                              acore_task_t **out);
int acore_kit_group_spawn_coroutine(acore_group_t *group, acore_kit_obj *co,
                                    acore_task_t **out);
/* The task whose coroutine step runs now on this thread (borrowed), and
 * its coroutine in *co (may be NULL); NULL outside a coroutine step. */
acore_task_t *acore_kit_running(acore_kit_obj **co);
/* The same task as a new reference, or NULL. */
acore_task_t *acore_kit_running_task(void);
/* The loop's await graph as acore_loop_dump_string() makes it (json 0:
 * the tree, else JSON; *text freed with acore_free). Coroutine tasks name
 * their sites (host->site), asked by the loop's where callback that the
 * first coroutine spawn installed: spawning pays nothing for sites, and a
 * dump C writes alone names them too. Returns: ACORE_OK; ACORE_EINVAL;
 * ACORE_ECLOSED (the loop is closed); as acore_loop_dump_string. */
int acore_kit_loop_dump(acore_loop_t *loop, int json, char **text);
/* fn(kind, message, name, error or NONE): the context's future is not
 * passed (it may be about to be freed; the name says which task). */
int acore_kit_set_error_handler(acore_loop_t *loop, acore_kit_obj *fn);
/* Synchronous: fn() -> BOOL; fn(a, b) -> INT (a, b the host values put);
 * fn(i) -> FUTURE (job i, 0-based). */
int acore_kit_cond_wait_for(acore_cond_t *cond, acore_kit_obj *fn,
                            acore_future_t **out);
int acore_kit_queue_new_priority(acore_loop_t *loop, size_t maxsize,
                                 acore_kit_obj *fn, acore_queue_t **out);
int acore_kit_map(acore_loop_t *loop, size_t n, size_t k, acore_kit_obj *fn,
                  unsigned flags, acore_future_t **out);

/* Run the C work function `work` (an acore_work_fn a C library handed to
 * the host as a plain pointer) on `ex` (NULL: the loop's default
 * executor) with a NUL-terminated copy of the `len` bytes at `data` as its
 * argument: the executor of a host whose code never runs on a worker
 * (Lua). Returns: as acore_run_in_executor; ACORE_EINVAL (work NULL). */
int acore_kit_run_c_work(acore_loop_t *loop, acore_executor_t *ex,
                         void *work, const void *data, size_t len,
                         acore_future_t **out);

/* ---- host values as results and items (each call takes `value`, also
 * when it fails) ---- */

int acore_kit_future_set_value(acore_future_t *fut, acore_kit_obj *value);
int acore_kit_task_return_value(acore_task_t *task, acore_kit_obj *value);
int acore_kit_queue_put(acore_queue_t *q, acore_kit_obj *value,
                        acore_future_t **out);
int acore_kit_queue_put_nowait(acore_queue_t *q, acore_kit_obj *value);
/* Borrowed: the value this module stored in `fut`, or ACORE_ETYPE. */
int acore_kit_future_value(acore_future_t *fut, acore_kit_obj **value);
/* The next item now, owned by the caller (*taken): ACORE_EEMPTY when
 * none; ACORE_ETYPE (the item dropped) when another module put it. */
int acore_kit_queue_get_nowait(acore_queue_t *q, acore_kit_obj **taken);
/* An error carrying a host value (taken, also on failure). */
int acore_kit_error_new_value(int code, const char *message,
                              acore_kit_obj *value, acore_error_t **out);
/* Keep a host value on the loop (per-loop host data under this module's
 * key; replaced by the next call, dropped when the loop closes) and read
 * it back, borrowed (ACORE_EEMPTY when none). */
int acore_kit_loop_set_value(acore_loop_t *loop, acore_kit_obj *value);
int acore_kit_loop_value(acore_loop_t *loop, acore_kit_obj **value);
/* Borrowed: the host value an error of this module carries (ACORE_EEMPTY
 * when it carries none of this module's). */
int acore_kit_error_value(acore_error_t *err, acore_kit_obj **value);

/* ---- typed values: what every host stores and reads the same way ----
 * A host turns its value into an acore_kit_arg once (an integer INT, a
 * float DOUBLE, a string BYTES or STRING, nothing NONE, anything else a
 * host VALUE) and back, so numbers and strings are acore's typed values
 * (C reads them) and the rest stays the host's (tagged). */

/* The result of the done future `fut` as an arg (*got): INT, DOUBLE,
 * BYTES (borrowed from the future), VALUE (this module's, borrowed) or
 * NONE. Returns: ACORE_OK; ACORE_EINVALIDSTATE (pending); the error's code
 * (failed) or ACORE_ECANCELLED (cancelled), *got NONE; ACORE_ETYPE (a
 * pointer another module or C stored); ACORE_EINVAL. */
int acore_kit_future_get(acore_future_t *fut, acore_kit_arg *got);
/* Complete `fut` with `v` (a VALUE is taken, also when this fails; BYTES
 * and STRING are copied; BOOL and INT are ints). Returns: as the
 * acore_future_set_* call made. */
int acore_kit_future_set(acore_future_t *fut, const acore_kit_arg *v);
/* The verdict "finish `task` with `v`" (as acore_kit_future_set). */
int acore_kit_task_return(acore_task_t *task, const acore_kit_arg *v);

/* ---- lists of futures ---- */

typedef struct acore_futlist acore_futlist_t;

int acore_futlist_new(acore_futlist_t **out);
void acore_futlist_free(acore_futlist_t *list);
/* Append a new reference to `fut`. */
int acore_futlist_append(acore_futlist_t *list, acore_future_t *fut);
size_t acore_futlist_count(const acore_futlist_t *list);
/* A new reference to item i, or NULL. */
acore_future_t *acore_futlist_get(const acore_futlist_t *list, size_t i);

int acore_kit_gather(acore_loop_t *loop, const acore_futlist_t *list,
                     unsigned flags, acore_future_t **out);
int acore_kit_wait(acore_loop_t *loop, const acore_futlist_t *list,
                   int return_when, double timeout, acore_future_t **out);
int acore_kit_wait_at_least(acore_loop_t *loop, const acore_futlist_t *list,
                            size_t count, double timeout,
                            acore_future_t **out);
int acore_kit_as_completed(acore_loop_t *loop, const acore_futlist_t *list,
                           double timeout, acore_future_t **out);
/* Every unfinished task of the loop, oldest first, as a new list. */
int acore_kit_loop_tasks(acore_loop_t *loop, acore_futlist_t **out);
/* A done wait's done and pending sets, as new lists. */
int acore_kit_wait_done_list(acore_future_t *wait, acore_futlist_t **out);
int acore_kit_wait_pending_list(acore_future_t *wait, acore_futlist_t **out);

/* ---- new-reference versions of the borrowed accessors (NULL when the
 * borrowed one is NULL) ---- */

acore_future_t *acore_kit_task_future(acore_task_t *task);
acore_task_t *acore_kit_task_from_future(acore_future_t *fut);
acore_loop_t *acore_kit_task_loop(acore_task_t *task);
acore_loop_t *acore_kit_future_loop(acore_future_t *fut);
acore_future_t *acore_kit_task_awaited(acore_task_t *task);
acore_task_t *acore_kit_current_task(acore_loop_t *loop);
acore_error_t *acore_kit_future_error(acore_future_t *fut);
acore_error_t *acore_kit_error_child(acore_error_t *err, size_t i);
acore_future_t *acore_kit_gather_child(acore_future_t *gather, size_t i);
acore_future_t *acore_kit_group_future(acore_group_t *group);
acore_group_t *acore_kit_group_from_future(acore_future_t *fut);
acore_lock_t *acore_kit_cond_lock(acore_cond_t *cond);
acore_task_t *acore_kit_lock_owner(acore_lock_t *lock);
acore_future_t *acore_kit_map_job(acore_future_t *map, size_t i);
/* The awaited/await verdict taking its own reference to `fut`. */
int acore_kit_task_await(acore_task_t *task, acore_future_t *fut);
/* Finish a task with `err` (a reference of its own is taken). */
int acore_kit_task_fail(acore_task_t *task, acore_error_t *err);
/* The original future an acore_as_completed_next() future hands out. */
acore_future_t *acore_kit_next_future(acore_future_t *next);
/* A number naming the future `fut` (the task's future for a task: a
 * task and its future have one key), for a host's maps: wait and
 * as_completed hand back the very objects they were given. 0 for NULL. */
uint64_t acore_kit_future_key(acore_future_t *fut);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_KIT_H */
