/* SPDX-License-Identifier: MIT */
/*
 * acore.i - the SWIG interface shared by every language binding: the
 * handles (each an opaque object whose destructor drops the reference the
 * binding holds), the functions and the constants of abi/include/acore.h
 * and of its sub-headers acore/combinators.h, acore/sync.h and
 * acore/executor.h (what a binding cannot express with its typemaps is
 * ignored below, each with the reason).
 *
 * A language's own .i file defines, before including this one, its
 * typemaps: callbacks (fn, ud, ud_free) -> (trampoline, host object, host
 * decref), `acore_X_t **out` -> a new owned handle, negative int returns ->
 * the host's error mechanism. Nothing here is language-specific.
 */

%{
#include <math.h> /* HUGE_VAL: ACORE_NO_TIMEOUT */
#include "acore.h"
#include "acore/combinators.h"
#include "acore/sync.h"
#include "acore/executor.h"
%}

#define ACORE_API

%include <stdint.i>
%include "handles.swg"

/* ---- handles: opaque, reference counted -------------------------------- */

/* Each handle type of handles.swg is an opaque object without a
 * constructor whose destructor drops the reference the binding holds. */
%define ACORE_HANDLE_CLASS(TYPE, STRUCT, DROP)
%nodefaultctor STRUCT;
struct STRUCT {};
%extend STRUCT { ~STRUCT() { DROP($self); } }
%enddef
ACORE_HANDLES(ACORE_HANDLE_CLASS)

/* a callback's context: borrowed for the call, never owned */
%nodefaultctor acore_context;
%nodefaultdtor acore_context;
struct acore_context {};

/* A task is usable wherever a future is expected, in every language: the
 * runtime type system converts it to the task's future (borrowed from the
 * task, which the caller's object keeps alive for the call). */
%types(acore_task = acore_future) %{
  *newmemory = 0;
  return acore_task_future((acore_task_t *)$from);
%}

/* ---- not for bindings ---------------------------------------------------------
 * Raw memory, allocator hooks and borrowed libuv pointers have no meaning
 * in a host language; ownership-transferring pointer values go through
 * each binding's own value typemaps instead. */
%ignore acore_set_allocator;
%ignore acore_free;
%ignore acore_loop_uv;
%ignore acore_loop_options_set_uv_loop;
%ignore acore_error_new_payload;
%ignore acore_error_new_group;
%ignore acore_error_payload;
%ignore acore_future_set_result;
%ignore acore_future_result;
%ignore acore_future_steal_result;
%ignore acore_future_result_bytes;
%ignore acore_task_return;
%ignore acore_task_return_bytes;
%ignore acore_loop_all_tasks;
/* references are managed by the handle objects themselves */
%ignore acore_loop_ref;
%ignore acore_loop_unref;
%ignore acore_future_ref;
%ignore acore_future_unref;
%ignore acore_task_ref;
%ignore acore_task_unref;
%ignore acore_handle_ref;
%ignore acore_handle_unref;
%ignore acore_error_ref;
%ignore acore_error_unref;
%ignore acore_loop_options_free;
/* borrowed handles would need a reference: bindings use their own ways */
%ignore acore_task_future;
%ignore acore_task_from_future;
%ignore acore_task_loop;
%ignore acore_future_loop;
%ignore acore_task_awaited;
%ignore acore_loop_current_task;
%ignore acore_context_future;
%ignore acore_context_task;
%ignore acore_context_error;
%ignore acore_future_error;
%ignore acore_error_child;

/* verdicts that consume a reference: bindings pass a new one */
%ignore acore_task_await_take;
%ignore acore_task_fail_take;

%include "acore.h"

/* ---- the sub-headers ------------------------------------------------------ */

/* references are managed by the handle objects themselves */
%ignore acore_timeout_free;
%ignore acore_group_ref;
%ignore acore_group_unref;
%ignore acore_sem_ref;
%ignore acore_sem_unref;
%ignore acore_lock_ref;
%ignore acore_lock_unref;
%ignore acore_event_ref;
%ignore acore_event_unref;
%ignore acore_cond_ref;
%ignore acore_cond_unref;
%ignore acore_queue_ref;
%ignore acore_queue_unref;
%ignore acore_executor_ref;
%ignore acore_executor_unref;
%ignore acore_executor_options_free;
/* borrowed handles would need a reference: bindings use their own ways */
%ignore acore_gather_child;
%ignore acore_wait_done;
%ignore acore_wait_pending;
%ignore acore_group_future;
%ignore acore_group_from_future;
%ignore acore_cond_lock;
%ignore acore_lock_owner;
%ignore acore_map_job;
/* arrays of futures (acore_future_t *const *, n) have no shared typemap:
 * bindings pass their own futures (Python: Loop._gather / Loop._wait) */
%ignore acore_gather;
%ignore acore_wait;
%ignore acore_wait_at_least;
%ignore acore_as_completed;
/* callback types without a typemap (a predicate, a comparison of raw
 * items, a map job returning a future through an out-parameter, work run
 * on a worker thread) */
%ignore acore_cond_wait_for;
%ignore acore_queue_new_priority;
%ignore acore_map;
%ignore acore_run_in_executor;
/* raw item pointers with destructors: bindings own their items
 * (Python: acore.Queue); the work API exists only inside a work function */
%ignore acore_queue_put;
%ignore acore_queue_put_nowait;
%ignore acore_queue_get_nowait;
%ignore acore_work_set_result;
%ignore acore_work_set_int;
%ignore acore_work_set_double;
%ignore acore_work_set_bytes;
%ignore acore_work_set_error;
%ignore acore_work_set_error_code;
%ignore acore_work_is_cancelled;
%ignore acore_work_loop;
%ignore acore_future_set_result_threadsafe;
%ignore acore_future_set_bytes_threadsafe;
/* a macro of HUGE_VAL: SWIG cannot evaluate it; given as a constant (the
 * header's macro is then skipped) */
%constant double ACORE_NO_TIMEOUT = HUGE_VAL;
%warnfilter(302) ACORE_NO_TIMEOUT;

%include "acore/combinators.h"
%include "acore/sync.h"
%include "acore/executor.h"

%inline %{
/* acore_task_await_take() taking its own reference to `fut`. */
static int acore_task_await_ref(acore_task_t *task, acore_future_t *fut) {
  return acore_task_await_take(task, acore_future_ref(fut));
}
%}
