/* SPDX-License-Identifier: MIT */
/*
 * pyac.h - the hand-written C half of the Python binding: the object types
 * on the hot path (Loop base, Future, Task, Handle), the GIL discipline and
 * the trampolines every callback type uses. The SWIG module (_lowlevel)
 * wraps the raw C API; pyac_init() adds these types to it.
 *
 * Design notes
 * - Every Python object handed to C is one strong reference, released by
 *   pyac_obj_free() (which is also the tag that marks a value or error
 *   payload as ours). pyac_crefs counts those references: it is 0 once
 *   every loop is closed and every future is gone (the tests check it).
 * - GIL: running a loop releases the GIL; the first trampoline that needs it
 *   takes it back (pyac_gil_enter) and keeps it until the loop is about to
 *   wait (its poll hook releases it again), so a batch of callbacks
 *   pays for one GIL hand-off, not one each. Off the loop thread,
 *   pyac_gil_enter() is PyGILState_Ensure().
 * - One wrapper per C future created from Python: the wrapper is what done
 *   callbacks receive (identity as in asyncio), and it is the only object
 *   that reports to the garbage collector the Python object its C future
 *   holds (c_obj), so no cycle through C stays invisible.
 * - A wrapper is `shared` once C may hold its C future on its own (the
 *   future was made by C, or handed to a combinator, a task's await or a C
 *   extension). Until then nothing but the wrapper can complete it, so the
 *   reference its pending done-callback registration holds is reported to
 *   the garbage collector: a pending future nobody can reach is collected
 *   with its callbacks, as in asyncio, instead of living until close.
 */
#ifndef PYAC_H
#define PYAC_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "acore.h"

/* ---- counters and the ownership tag ------------------------------------ */

extern Py_ssize_t pyac_crefs;   /* Python references held by C */
extern Py_ssize_t pyac_live;    /* live wrappers (Loop, Future, Task, Handle) */

/* Destructor and tag of every PyObject stored in C. Any thread. */
void pyac_obj_free(void *obj);
/* Hand `obj` (a new reference) to C: counts it. Returns obj. */
static inline void *pyac_give(PyObject *obj) {
  pyac_crefs++;
  return obj;
}

/* ---- the GIL ------------------------------------------------------------- */

typedef struct pyac_gil {
  int how; /* 0: nothing to undo; 1: PyGILState_Release */
  PyGILState_STATE st;
} pyac_gil;

pyac_gil pyac_gil_enter(void);
void pyac_gil_leave(pyac_gil g);
/* Take back the GIL a runner released on this thread, if it is released
 * (pyac_tls_saved); a no-op otherwise. */
void pyac_gil_retake(void);

/* ---- contextvars --------------------------------------------------------- */

/* The context a callback scheduled now must run in, as a new reference: a
 * copy of the current context, or Py_None when the current context is
 * empty (the callback then runs in its loop's shared empty context). NULL
 * with an exception on failure. Any thread, GIL held. */
PyObject *pyac_ctx_capture(void);

/* ---- types --------------------------------------------------------------- */

typedef struct PyLoop PyLoop;
typedef struct PyTask PyTask;

struct PyLoop {
  PyObject_HEAD
  acore_loop_t *loop;
  PyObject *fatal;        /* exception to re-raise out of the runner */
  PyObject *empty_ctx;    /* shared empty contextvars.Context, or NULL */
  PyTask *tasks;          /* unfinished Python tasks (intrusive list) */
  Py_ssize_t ntasks;
  int closing;            /* inside close(): a nested close() returns */
  PyObject *task_factory; /* loop.set_task_factory()'s, or NULL */
  PyObject *weakreflist;
  PyLoop *lprev, *lnext;  /* every initialised loop (pyac_loops) */
  PyTask *step_task;      /* borrowed: the task whose step runs, or NULL */
  PyObject *step_ctx;     /* borrowed: the context that step entered */
  struct pyac_fdtab *fdtab; /* add_reader/add_writer entries (pyac_io.c) */
  struct acore_executor *dflt_ex; /* the default executor (pyac_exec.c) */
};

enum { PYAC_FUT_PLAIN, PYAC_FUT_GATHER, PYAC_FUT_GATHER_SETTLED };

typedef struct PyFuture {
  PyObject_HEAD
  acore_future_t *fut;    /* a reference (NULL once cleared) */
  PyLoop *loop;           /* strong */
  PyObject *cb0;          /* first done callback, or NULL */
  PyObject *ctx0;         /* cb0's contextvars.Context, or NULL */
  PyObject *cbs;          /* list of further callbacks, or NULL */
  PyObject *c_obj;        /* borrowed: the result/exception C holds for us */
  PyObject *result;       /* strong: a result moved out of C */
  PyObject *weakreflist;
  PyObject *extra;        /* gather: the children (tuple); a plain future
                             or task: what a cancel keeps that C cannot
                             (pyac_cancelled_error), or NULL */
  uint8_t kind;           /* PYAC_FUT_* */
  uint8_t armed;          /* a C done callback is registered */
  uint8_t blocking;       /* asyncio's _asyncio_future_blocking */
  uint8_t shared;         /* C may hold `fut` besides this wrapper */
  uint8_t quiet;          /* asyncio's _log_destroy_pending cleared (kept
                             for asyncio's code; acore reports in C) */
  uint8_t exhausted;      /* a task's coroutine returned or raised */
} PyFuture;

/* A task's C task is its future (base.fut: acore_task_from_future). */
struct PyTask {
  PyFuture base;
  PyObject *coro;         /* cleared when the task finishes */
  PyObject *context;      /* contextvars.Context the steps run in, or
                             Py_None: an empty one (pyac_ctx_capture) */
  PyObject *throw_exc;    /* thrown into the coroutine at the next step */
  PyTask *prev, *next;    /* loop->tasks while unfinished */
  PyObject *awaited;      /* what the coroutine last yielded to wait on: an
                             acore.Future, or the wait on an asyncio-compatible
                             future (acore._ForeignWait); NULL */
};

typedef struct PyHandle {
  PyObject_HEAD
  acore_handle_t *h;      /* a reference, or NULL (threadsafe calls) */
  PyObject *fn;
  PyObject *args;         /* tuple */
  PyObject *context;      /* or NULL */
  PyLoop *loop;           /* strong */
  uint8_t cancelled;
} PyHandle;

extern PyTypeObject PyacLoop_Type, PyacFuture_Type, PyacTask_Type,
    PyacHandle_Type, PyacTimerHandle_Type;

#define PyacFuture_Check(o) PyObject_TypeCheck(o, &PyacFuture_Type)
#define PyacTask_Check(o) PyObject_TypeCheck(o, &PyacTask_Type)

/* asyncio's exception types and ours. */
extern PyObject *pyac_CancelledError, *pyac_InvalidStateError, *pyac_Error;

/* ---- shared helpers ------------------------------------------------------ */

/* tp_new of the binding's plain types: tp_alloc, counted in pyac_live. */
PyObject *pyac_counted_new(PyTypeObject *type, PyObject *args, PyObject *kw);
/* am_await / tp_iter of an object that is its own iterator. */
PyObject *pyac_self(PyObject *o);
/* tp_iternext from an am_send outcome: the yielded value for PYGEN_NEXT,
 * else NULL with StopIteration(r) set (r consumed) or r's exception. */
PyObject *pyac_next_from_send(PySendResult sr, PyObject *r);

/* Raise the Python exception for acore error code `rc` (< 0). NULL. */
PyObject *pyac_raise(int rc);
/* The Python exception object a C error stands for: its payload if it is
 * ours, else a new exception mapped from its code (new reference). */
PyObject *pyac_exc_from_error(acore_error_t *err);
/* A new acore error carrying exception `exc` (a borrowed reference). */
int pyac_error_from_exc(PyObject *exc, acore_error_t **out);
/* The pending Python exception as a normalised object with traceback
 * (new reference); clears it. */
PyObject *pyac_fetch_exc(void);
/* An exception escaped from a loop callback: hand it to the loop. */
void pyac_callback_error(PyLoop *loop, PyObject *source);
/* KeyboardInterrupt or SystemExit: what leaves the loop's runner (any
 * other exception, BaseException included, stays with its task or goes to
 * the exception handler, as in asyncio). */
static inline int pyac_is_fatal(PyObject *exc) {
  return PyObject_TypeCheck(exc, (PyTypeObject *)PyExc_KeyboardInterrupt) ||
         PyObject_TypeCheck(exc, (PyTypeObject *)PyExc_SystemExit);
}
/* `exc` as an asyncio future shows it (new reference): a
 * concurrent.futures.CancelledError becomes asyncio.CancelledError with
 * the same arguments, as asyncio's wrap_future does; else `exc` itself. */
PyObject *pyac_convert_cf_exc(PyObject *exc);
/* Stop the loop and re-raise `exc` out of its runner. */
void pyac_set_fatal(PyLoop *loop, PyObject *exc);

/* The loop a Future(loop=...) or Task(loop=...) argument names: the
 * running one for None (borrowed); NULL + RuntimeError if none. */
PyLoop *pyac_loop_arg(PyObject *loop);
/* The C future of `o`, an acore.Future that is not cleared (borrowed);
 * NULL + TypeError otherwise. */
acore_future_t *pyac_c_future(PyObject *o);
PyFuture *pyac_future_new(PyLoop *loop, PyTypeObject *type);
PyObject *pyac_future_result(PyFuture *f);   /* result() */
void pyac_future_dealloc_body(PyFuture *f);
/* A Future wrapping `fut`, taking over the caller's reference. */
PyFuture *pyac_future_wrap(PyLoop *loop, acore_future_t *fut);
/* The CancelledError a cancelled future or task raises (new reference):
 * the one its coroutine raised (once, as asyncio's _cancelled_exc), else
 * one carrying the cancel message - the object given to cancel() when it
 * was no str and is still the message C holds, else C's text. */
PyObject *pyac_cancelled_error(PyFuture *f, const char *msg);
/* ---- waiters (pyac_waiter.c) ---------------------------------------------
 * The awaitable a synchronisation primitive returns when a call must
 * wait: it yields its C future while that is pending; once it is done the
 * task resumes and the kind's `take` finishes the call. A waiter whose
 * outcome will never be taken (an exception thrown in, or dropped) cancels
 * a pending future, or has the kind's `give_back` return what a done one
 * was granted. A waiter is awaited at most once. */
typedef struct PyWaiter PyWaiter;
typedef struct pyac_waiter_kind {
  /* The outcome for the task (a new reference), or NULL + exception. */
  PyObject *(*take)(PyWaiter *w);
  /* Return what the done future was granted; swallows errors. Or NULL. */
  void (*give_back)(PyWaiter *w);
} pyac_waiter_kind;

struct PyWaiter {
  PyObject_HEAD
  const pyac_waiter_kind *kind;
  PyObject *owner;        /* strong: the semaphore or queue */
  PyFuture *fut;          /* the wrapper of the C future the task awaits */
  int finished;           /* taken or given back */
};

/* A waiter of `owner` on `fut` (consumes the caller's reference; on
 * failure `fut` is cancelled). NULL + exception on failure. */
PyObject *pyac_waiter_new(const pyac_waiter_kind *kind, PyObject *owner,
                          PyLoop *loop, acore_future_t *fut);
int pyac_waiter_type_init(void);

int pyac_exec_init(PyObject *m);
/* pyac_exec.c: free the thread states of executor workers that left
 * (with the GIL); the loop's default executor around its close (GIL
 * released): shut down before the C loop closes, dropped after. */
void pyac_exec_reap(void);
void pyac_exec_loop_closing(PyLoop *pl);
void pyac_exec_loop_closed(PyLoop *pl);
int pyac_comb_init(PyObject *m);  /* sleep(0)'s _Yield */
int pyac_sync_init(PyObject *m);
int pyac_queue_init(PyObject *m);
int pyac_signal_init(PyObject *m);  /* acore.Signal (pyac_signal.c) */
int pyac_proc_init(PyObject *m);    /* acore.Process (pyac_proc.c) */
int pyac_transport_init(PyObject *m); /* SocketTransportBase (pyac_transport.c) */
int pyac_dns_init(PyObject *m);     /* _getaddrinfo ... (pyac_dns.c) */
PyObject *pyac_loop_sleep(PyLoop *loop, PyObject *arg);
PyObject *pyac_loop_gather(PyLoop *loop, PyObject *args);  /* release what it holds */
PyObject *pyac_loop_wait(PyLoop *loop, PyObject *args);  /* acore_wait */
PyObject *pyac_loop_wait_split(PyLoop *loop, PyObject *args);
PyObject *pyac_loop_as_completed(PyLoop *loop, PyObject *args);
PyObject *pyac_loop_as_completed_next(PyLoop *loop, PyObject *ac);
PyObject *pyac_loop_as_completed_pick(PyLoop *loop, PyObject *next);
int pyac_future_add_callback(PyFuture *f, PyObject *entry);
PyObject *pyac_task_create(PyLoop *loop, PyObject *coro, PyObject *name,
                           PyObject *context);
PyObject *pyac_all_tasks(PyLoop *loop);
/* The unfinished Python tasks of every loop (a new list), and how many
 * there are: asyncio's task set shows them (acore/__init__.py). */
PyObject *pyac_every_task(void);
Py_ssize_t pyac_every_task_count(void);
/* call_soon / call_later / call_at / call_soon_threadsafe */
enum { PYAC_SOON, PYAC_LATER, PYAC_AT, PYAC_THREADSAFE };
PyObject *pyac_schedule(PyLoop *loop, int kind, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames);
extern __thread PyThreadState *pyac_tls_saved;
extern __thread int pyac_tls_depth;
extern __thread PyThreadState *pyac_tls_tstate; /* the runner's, or NULL */
int pyac_loop_check(PyLoop *loop);           /* -1 + exception if closed */
/* Enter `ctx` (a Context, or Py_None from pyac_ctx_capture) to run a
 * callback of `loop`: returns the entered context (a new reference, to
 * give to pyac_ctx_exit) or NULL with an exception. */
PyObject *pyac_ctx_enter(PyLoop *loop, PyObject *ctx);
void pyac_ctx_exit(PyLoop *loop, PyObject *entered);
/* pyac_ctx_exit with the pending exception (if any) kept for the caller. */
void pyac_ctx_exit_keeping_error(PyLoop *loop, PyObject *entered);
/* As pyac_ctx_exit, for an owner whose context `*own` may be Py_None: if
 * the callback left a variable (or a Token) in the context it ran in, that
 * context becomes the owner's own (a task's). */
void pyac_ctx_exit_adopt(PyLoop *loop, PyObject *entered, PyObject **own);
/* Make `*own` (Py_None) a context of its own: `entered` when the owner is
 * running in it (NULL otherwise: a new empty one). 0, or -1 + exception. */
int pyac_ctx_adopt(PyLoop *loop, PyObject *entered, PyObject **own);
PyLoop *pyac_running_loop(void);             /* borrowed or NULL */
PyTask *pyac_current_task(void);             /* borrowed or NULL */
/* The task whose step runs on `loop` (any object), borrowed, or NULL. */
PyTask *pyac_step_task(PyObject *loop);

/* ---- asyncio's view of acore tasks (set by acore/__init__.py) ------------
 * pyac_aio_foreign(task, fut): the wait on a foreign future (or NULL);
 * pyac_aio_current: asyncio's {loop: current task} dict, kept while a
 * step runs so asyncio.current_task() sees acore tasks (or NULL);
 * pyac_aio_register(task): asyncio's task registration, for all_tasks()
 * (pyac_aio_register_task() enters a task: 0, or -1 + exception). */
extern PyObject *pyac_aio_foreign, *pyac_aio_current, *pyac_aio_register;
int pyac_aio_register_task(PyObject *task);

/* A Handle of `type` calling fn(*args) in `ctx` (NULL: a copy of the
 * current context). NULL + exception on failure. */
PyHandle *pyac_handle_new(PyTypeObject *type, PyLoop *loop, PyObject *fn,
                          PyObject *const *args, Py_ssize_t n, PyObject *ctx);

/* ---- fd readiness (pyac_io.c) --------------------------------------------- */
PyObject *pyac_loop_add_reader(PyLoop *loop, PyObject *const *args,
                               Py_ssize_t nargs);
PyObject *pyac_loop_add_writer(PyLoop *loop, PyObject *const *args,
                               Py_ssize_t nargs);
PyObject *pyac_loop_remove_reader(PyLoop *loop, PyObject *fd);
PyObject *pyac_loop_remove_writer(PyLoop *loop, PyObject *fd);
PyObject *pyac_loop_fd_watched(PyLoop *loop, PyObject *fd);
/* Drop every entry (loop close, GC clear, dealloc); GIL held. */
void pyac_io_clear(PyLoop *loop);
int pyac_io_traverse(PyLoop *loop, visitproc visit, void *arg);

/* ---- the await graph (pyac_graph.c) -------------------------------------- */
/* The creation site of a task running `coro`: "file:line in qualname()"
 * of its code (borrowed from a cache), or NULL. GIL held. */
const char *pyac_coro_where(PyObject *coro);
/* The loop's where callback (pyac_task.c, acore_loop_set_where_fn): a
 * Python task's site, asked for by the dumps. Loop thread, any GIL state. */
int pyac_task_where(acore_task_t *task, acore_step_fn step, void *step_ud,
                    char *buf, size_t cap, void *ud);
int pyac_graph_init(PyObject *m);

int pyac_loop_type_init(PyObject *m);
int pyac_future_type_init(PyObject *m);
int pyac_task_type_init(PyObject *m);
int pyac_handle_type_init(PyObject *m);
int pyac_init(PyObject *m);

#endif /* PYAC_H */
