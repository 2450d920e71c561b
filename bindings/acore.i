/* SPDX-License-Identifier: MIT */
/*
 * acore.i - the SWIG interface shared by every language binding: the
 * handles (each an opaque object whose destructor drops the reference the
 * binding holds), the functions and the constants of abi/include/acore.h.
 *
 * A language's own .i file defines, before including this one, its
 * typemaps: callbacks (fn, ud, ud_free) -> (trampoline, host object, host
 * decref), `acore_X_t **out` -> a new owned handle, negative int returns ->
 * the host's error mechanism. Nothing here is language-specific.
 */

%{
#include "acore.h"
%}

#define ACORE_API

/* ---- handles: opaque, reference counted -------------------------------- */

%nodefaultctor acore_loop;
%nodefaultctor acore_future;
%nodefaultctor acore_task;
%nodefaultctor acore_handle;
%nodefaultctor acore_error;
%nodefaultctor acore_context;
%nodefaultctor acore_loop_options;
%nodefaultdtor acore_context;

struct acore_loop {};
struct acore_future {};
struct acore_task {};
struct acore_handle {};
struct acore_error {};
struct acore_context {};
struct acore_loop_options {};

%extend acore_loop { ~acore_loop() { acore_loop_unref($self); } }
%extend acore_future { ~acore_future() { acore_future_unref($self); } }
%extend acore_task { ~acore_task() { acore_task_unref($self); } }
%extend acore_handle { ~acore_handle() { acore_handle_unref($self); } }
%extend acore_error { ~acore_error() { acore_error_unref($self); } }
%extend acore_loop_options {
  ~acore_loop_options() { acore_loop_options_free($self); }
}

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
%ignore acore_future_bytes;
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
%ignore acore_task_await;
%ignore acore_task_fail;

%include "acore.h"

%inline %{
/* acore_task_await() taking its own reference to `fut`. */
static int acore_task_await_ref(acore_task_t *task, acore_future_t *fut) {
  return acore_task_await(task, acore_future_ref(fut));
}
%}
