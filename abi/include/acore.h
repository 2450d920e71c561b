/* SPDX-License-Identifier: MIT */
/*
 * acore.h - asyncio's model of concurrency as a C library on libuv.
 *
 * This header is the contract. Every entry documents what it returns, who
 * owns what, which thread may call it and since which version it exists.
 *
 * Conventions that hold for every function unless its entry says otherwise:
 *  - Functions return ACORE_OK (0) or a negative ACORE_E* code. A function
 *    that returns an error has done nothing: no side effect, and a callback
 *    passed to it is never called (its `ud_free` still runs, see below).
 *  - A function that hands out a handle hands out a new reference; release it
 *    with the matching _unref(). Every _unref() and _free() accepts NULL.
 *  - Callbacks take the shape (fn, void *ud, acore_free_fn ud_free): ownership
 *    of `ud` passes to acore on every call, whatever the outcome, and
 *    `ud_free(ud)` (when not NULL) runs exactly once, on the loop thread,
 *    after the last call of `fn` - also when the call fails and also when the
 *    loop is closed with `fn` never called.
 *  - Loop-thread only: a loop belongs to the thread that runs it (or that
 *    created it, before it first runs). Only functions marked "any thread"
 *    may be called from other threads; in debug mode, any other call from
 *    another thread returns ACORE_EWRONGTHREAD (every such function that
 *    returns an int; accessors returning pointers cannot say so).
 *  - Times are seconds on the loop's monotonic clock, as doubles.
 */
#ifndef ACORE_H
#define ACORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the exported functions (the library is built with hidden
 * visibility; consumers see plain declarations either way). */
#if defined(__GNUC__)
#define ACORE_API __attribute__((visibility("default")))
#else
#define ACORE_API
#endif

/* Marks a deprecated function, after ACORE_API: a program that uses it gets
 * a compiler warning that names the replacement `msg`; the function keeps
 * working until the SONAME changes (docs/ABI.md "Deprecation"). */
#if defined(__GNUC__)
#define ACORE_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#define ACORE_DEPRECATED(msg)
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

#define ACORE_VERSION_MAJOR 1
#define ACORE_VERSION_MINOR 0
#define ACORE_VERSION_PATCH 0
#define ACORE_VERSION_STRING "1.0.0"
/* (major << 16) | (minor << 8) | patch, comparable as an integer. */
#define ACORE_VERSION_HEX \
  ((ACORE_VERSION_MAJOR << 16) | (ACORE_VERSION_MINOR << 8) | ACORE_VERSION_PATCH)

/* acore_version() - the run-time library version as ACORE_VERSION_HEX.
 * Thread: any.  Since: 0.1 */
ACORE_API unsigned acore_version(void);

/* acore_version_string() - the run-time version, e.g. "1.0.0". Static
 * storage, never NULL.  Thread: any.  Since: 0.1 */
ACORE_API const char *acore_version_string(void);

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/* Error codes. The values are frozen forever; new codes get new values. */
enum {
  ACORE_OK = 0,
  ACORE_EINVAL = -1,        /* invalid argument */
  ACORE_ENOMEM = -2,        /* out of memory */
  ACORE_EINVALIDSTATE = -3, /* object in the wrong state for this call */
  ACORE_ECANCELLED = -4,    /* the operation was cancelled */
  ACORE_ETIMEDOUT = -5,     /* a timeout or deadline passed */
  ACORE_ECLOSED = -6,       /* the loop/object is closed or shut down */
  ACORE_EBUSY = -7,         /* resource busy (e.g. the loop is running) */
  ACORE_EWRONGTHREAD = -8,  /* called from a thread that does not own it */
  ACORE_EAGAIN = -9,        /* nothing to do now; try again later */
  ACORE_EFULL = -10,        /* a bounded container is full */
  ACORE_EEMPTY = -11,       /* a container is empty */
  ACORE_ENOTOWNER = -12,    /* released by a task that does not own it */
  ACORE_EOVERFLOW = -13,    /* a counter would pass its bound */
  ACORE_EGROUP = -14,       /* several errors; see acore_error_child() */
  ACORE_EIO = -15,          /* a system or libuv error; see the message */
  ACORE_ETYPE = -16,        /* the value is of another type */
  ACORE_EHOST = -17,        /* an error raised by a host language */

  /* I/O (-100 ... -199): a system call or name lookup failed. Since: 1.1 */
  ACORE_EOF = -100,           /* end of stream: the peer closed its side */
  ACORE_ECONNREFUSED = -101,  /* connection refused */
  ACORE_ECONNRESET = -102,    /* connection reset by the peer */
  ACORE_ECONNABORTED = -103,  /* connection aborted */
  ACORE_EPIPE = -104,         /* write to a stream whose peer is gone */
  ACORE_ENOTCONN = -105,      /* the socket is not connected */
  ACORE_EADDRINUSE = -106,    /* address already in use */
  ACORE_EADDRNOTAVAIL = -107, /* address not available on this host */
  ACORE_ENETUNREACH = -108,   /* network unreachable */
  ACORE_EHOSTUNREACH = -109,  /* host unreachable */
  ACORE_ENETDOWN = -110,      /* network is down */
  ACORE_ENOENT = -111,        /* no such file or directory */
  ACORE_EACCES = -112,        /* permission denied */
  ACORE_EPERM = -113,         /* operation not permitted */
  ACORE_EEXIST = -114,        /* already exists */
  ACORE_EMFILE = -115,        /* too many open files (process or system) */
  ACORE_ENOSPC = -116,        /* no space left on device */
  ACORE_EMSGSIZE = -117,      /* message too long for the socket */
  ACORE_ENOTSUP = -118,       /* operation not supported on this object */
  ACORE_EAFNOSUPPORT = -119,  /* address family not supported */
  ACORE_ENONAME = -120,       /* the name does not resolve */
  ACORE_ENAMEAGAIN = -121,    /* name lookup failed for now; try again */
  ACORE_ENAMEFAIL = -122,     /* name lookup failed for good */
  ACORE_EBADF = -123,         /* not an open file descriptor */
  ACORE_ENOTDIR = -124,       /* a path component is not a directory */
  ACORE_EISDIR = -125,        /* is a directory */
  ACORE_ENOBUFS = -126,       /* no buffer space available */

  /* Processes and signals (-200 ... -299).  Since: 1.1 */
  ACORE_ESRCH = -200,         /* no such process */
  ACORE_ECHILD = -201         /* no such child process */
};

/* The longest address text the I/O calls give back, with its NUL: an
 * IPv6 address (46), a Unix socket path (at most 107 bytes and its NUL).
 * A host buffer of ACORE_ADDRESS_MAX bytes always suffices for every
 * address function (streams, servers, names, UDP).  Since: 1.1 */
#define ACORE_ADDRESS_MAX 108

/* acore_strerror() - a one-line English description of `code`, e.g.
 * "invalid argument". Unknown codes give "unknown error". Static storage,
 * never NULL.  Thread: any.  Since: 0.1 */
ACORE_API const char *acore_strerror(int code);

/* acore_err_name() - the symbolic name of `code` without the prefix, e.g.
 * "EINVAL" for ACORE_EINVAL, "OK" for 0, "UNKNOWN" otherwise. Static storage,
 * never NULL.  Thread: any.  Since: 0.1 */
ACORE_API const char *acore_err_name(int code);

/* A destructor for user data, values and payloads. acore calls it with
 * exactly the pointer it was given, which may be NULL. */
typedef void (*acore_free_fn)(void *ud);

/* An error object: a code, a message and an optional payload (for example a
 * host language's exception object) with its destructor. Immutable once
 * made, reference counted; safe to share between threads. */
typedef struct acore_error acore_error_t;

/* acore_error_new() - make an error.
 * `code` must be negative; `message` may be NULL (then the message is
 * acore_strerror(code)); it is copied.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (out NULL,
 *          code >= 0); ACORE_ENOMEM.
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_error_new(int code, const char *message,
                              acore_error_t **out);

/* acore_error_new_payload() - make an error that carries `payload`.
 * As acore_error_new(); `payload_free(payload)` runs when the last reference
 * is dropped, on the thread that drops it.
 * Owns: `payload` passes to the error, also when this call fails
 *       (then payload_free(payload) runs before it returns).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_error_new_payload(int code, const char *message,
                                      void *payload, acore_free_fn payload_free,
                                      acore_error_t **out);

/* acore_error_new_group() - make an error that groups `n` others (a task
 * group's or a gather's errors), in the order given. Takes a new reference
 * to each child. `code` is usually ACORE_EGROUP.
 * Returns: ACORE_OK; ACORE_EINVAL (out NULL, code >= 0, children NULL with
 *          n > 0, a NULL child); ACORE_ENOMEM.
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_error_new_group(int code, const char *message,
                                    acore_error_t *const *children, size_t n,
                                    acore_error_t **out);

/* acore_error_ref() - take a reference. Returns `err` (NULL for NULL).
 * Thread: any.  Since: 0.1 */
ACORE_API acore_error_t *acore_error_ref(acore_error_t *err);

/* acore_error_unref() - drop a reference; the last one frees the error and
 * runs the payload's destructor. Accepts NULL.  Thread: any.  Since: 0.1 */
ACORE_API void acore_error_unref(acore_error_t *err);

/* acore_error_code() - the error's code (negative), or ACORE_EINVAL for
 * NULL.  Thread: any.  Since: 0.1 */
ACORE_API int acore_error_code(const acore_error_t *err);

/* acore_error_message() - the message; valid as long as the error. Never
 * NULL ("" for a NULL err).  Thread: any.  Since: 0.1 */
ACORE_API const char *acore_error_message(const acore_error_t *err);

/* acore_error_payload() - the payload if it was made with `payload_free ==
 * tag`, else NULL. A binding passes its own destructor as the tag, so it
 * only ever sees its own objects. Borrowed: valid as long as the error.
 * Thread: any.  Since: 0.1 */
ACORE_API void *acore_error_payload(const acore_error_t *err,
                                    acore_free_fn tag);

/* acore_error_child_count() - number of grouped errors (0 for a plain
 * error or NULL).  Thread: any.  Since: 0.1 */
ACORE_API size_t acore_error_child_count(const acore_error_t *err);

/* acore_error_child() - the i-th grouped error, borrowed (valid as long as
 * `err`), or NULL when i is out of range.  Thread: any.  Since: 0.1 */
ACORE_API acore_error_t *acore_error_child(const acore_error_t *err, size_t i);

/* ------------------------------------------------------------------------ */
/* Allocator                                                                 */
/* ------------------------------------------------------------------------ */

typedef void *(*acore_malloc_fn)(size_t size);
typedef void *(*acore_realloc_fn)(void *ptr, size_t size);
typedef void *(*acore_calloc_fn)(size_t count, size_t size);
typedef void (*acore_dealloc_fn)(void *ptr);

/* acore_set_allocator() - route every allocation acore makes through these
 * four functions (libuv's own allocations are not affected). Passing all
 * four NULL restores the C library's. Call it before any acore object
 * exists, or after all are freed: memory must be freed by the allocator
 * that made it.
 * Returns: ACORE_OK; ACORE_EINVAL (some but not all NULL).
 * Thread: any, but not concurrently with any other acore call.
 * Since: 0.1 */
ACORE_API int acore_set_allocator(acore_malloc_fn malloc_fn,
                                  acore_realloc_fn realloc_fn,
                                  acore_calloc_fn calloc_fn,
                                  acore_dealloc_fn free_fn);

/* acore_free() - free memory that acore handed to the caller (documented
 * where it happens). Accepts NULL.  Thread: any.  Since: 0.1 */
ACORE_API void acore_free(void *ptr);

/* ------------------------------------------------------------------------ */
/* Handles                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct acore_loop acore_loop_t;
typedef struct acore_loop_options acore_loop_options_t;
typedef struct acore_future acore_future_t;
typedef struct acore_task acore_task_t;
typedef struct acore_handle acore_handle_t;
typedef struct acore_context acore_context_t;

/* A callback scheduled on the loop. */
typedef void (*acore_callback_fn)(void *ud);

/* A future's done callback: `fut` is borrowed for the call. */
typedef void (*acore_done_fn)(acore_future_t *fut, void *ud);

/* A task's step function; see "Tasks". */
typedef int (*acore_step_fn)(acore_task_t *task, void *ud);

/* The loop's error handler: `ctx` is borrowed for the call. */
typedef void (*acore_error_handler_fn)(acore_loop_t *loop,
                                       const acore_context_t *ctx, void *ud);

/* ------------------------------------------------------------------------ */
/* Loop options                                                              */
/* ------------------------------------------------------------------------ */

/* Loop flags (acore_loop_options_set_flags). */
enum {
  /* Debug mode: loop-thread-only calls from other threads return
   * ACORE_EWRONGTHREAD; callbacks and steps slower than the slow-callback
   * threshold are reported to the error handler (ACORE_REPORT_SLOW_CALLBACK;
   * a step's report carries its task). */
  ACORE_LOOP_DEBUG = 1u << 0,
  /* Virtual clock: the loop's time starts at 0 and moves only by
   * acore_loop_advance(); the loop never sleeps waiting for a timer. */
  ACORE_LOOP_VIRTUAL_CLOCK = 1u << 1,
  /* Task times (since 1.1): every task records the loop time it was
   * spawned and the loop time it last started waiting or was scheduled
   * (acore_task_times, the dump's "since"), at the cost of a small record
   * per task and a clock read per await. Off: the times read unknown. */
  ACORE_LOOP_TASK_TIMES = 1u << 2
};

/* acore_loop_options_new() - options with defaults (no flags, a slow
 * callback threshold of 0.1 s, a loop of its own).
 * Returns: ACORE_OK and the options in *out (free with
 *          acore_loop_options_free); ACORE_EINVAL; ACORE_ENOMEM.
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_loop_options_new(acore_loop_options_t **out);

/* acore_loop_options_free() - free options. Accepts NULL.
 * Thread: any.  Since: 0.1 */
ACORE_API void acore_loop_options_free(acore_loop_options_t *opts);

/* acore_loop_options_set_flags() - set the ACORE_LOOP_* flags word.
 * Returns: ACORE_OK; ACORE_EINVAL (opts NULL, unknown flag bits).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_loop_options_set_flags(acore_loop_options_t *opts,
                                           unsigned flags);

/* acore_loop_options_set_slow_callback() - the debug-mode threshold in
 * seconds above which a callback or step is reported.
 * Returns: ACORE_OK; ACORE_EINVAL (opts NULL, seconds < 0 or NaN).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_loop_options_set_slow_callback(acore_loop_options_t *opts,
                                                   double seconds);

/* acore_loop_options_set_stuck_threshold() - stuck-task detection: a task
 * that has waited on one await (acore_task_times' `since`) for `seconds`
 * or longer is reported to the error handler once per await
 * (ACORE_REPORT_TASK_STUCK; the context's task is it, its message gives
 * the wait and the await chain: "task waiting for 12.0 s (threshold
 * 10.0 s): awaits gather: 0 of 2 done -> worker (#3) -> awaits waiter:
 * lock 0x..., 1 of 1 waiting; held by other (#4)"). The loop checks every
 * `seconds` / 2 of real time (also while it waits for events; the check
 * never keeps a run going) and on acore_loop_check_stuck(). It turns
 * ACORE_LOOP_TASK_TIMES on. 0 (the default) turns it off.
 * Returns: ACORE_OK; ACORE_EINVAL (opts NULL, seconds < 0, NaN, > 1e9).
 * Thread: any.  Since: 1.1 */
ACORE_API int acore_loop_options_set_stuck_threshold(
    acore_loop_options_t *opts, double seconds);

/* acore_loop_options_set_dump_signal() - the out-of-process dump: when the
 * process gets signal `signum` (e.g. SIGUSR1 = 10 on Linux), the loop
 * writes its await graph (acore_loop_dump) to <dir>/acore-<pid>.json and
 * then <dir>/acore-<pid>.txt (the tree), <dir> being $ACORE_DUMP_DIR, else
 * $TMPDIR, else /tmp; each file appears whole (written aside, renamed).
 * The installed `acore-ps PID` sends SIGUSR1 and prints the tree. The dump
 * runs on the loop thread between callbacks (a loop waiting for events
 * wakes for it; one busy inside a step answers when the step returns);
 * the watcher never keeps a run going. With several loops on the signal,
 * each writes (the last one's files stay). 0 (the default): off.
 * Returns: ACORE_OK; ACORE_EINVAL (opts NULL, signum < 0 or not a signal,
 *          SIGKILL, SIGSTOP).
 * Thread: any.  Since: 1.1 */
ACORE_API int acore_loop_options_set_dump_signal(acore_loop_options_t *opts,
                                                 int signum);

/* acore_loop_options_set_uv_loop() - build the loop on the host's existing
 * `uv_loop_t *` (passed as void * so this header does not need <uv.h>).
 * acore adds a few handles to it and removes them on close; the host's loop
 * stays usable and the host still closes it. NULL means a loop of its own.
 * Returns: ACORE_OK; ACORE_EINVAL (opts NULL).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_loop_options_set_uv_loop(acore_loop_options_t *opts,
                                             void *uv_loop);

/* The default of acore_loop_options_set_threadsafe_limit(). */
#define ACORE_THREADSAFE_LIMIT_DEFAULT ((size_t)1 << 20)

/* acore_loop_options_set_threadsafe_limit() - the most calls queued with
 * acore_loop_call_soon_threadsafe() (and the acore_future_*_threadsafe()
 * requests, which are such calls) that may wait for the loop thread to
 * take them. A call made while `limit` wait fails with ACORE_EAGAIN at
 * once, its `ud_free` run on the calling thread; it never blocks (the
 * poster may be the loop thread, or a thread the loop waits for): the
 * poster retries, waits or drops. The loop takes every waiting call each
 * time it wakes up. Executor completions do not count and are never
 * refused. SIZE_MAX: no bound. Default ACORE_THREADSAFE_LIMIT_DEFAULT.
 * Returns: ACORE_OK; ACORE_EINVAL (opts NULL, limit 0).
 * Thread: any.  Since: 1.0 */
ACORE_API int acore_loop_options_set_threadsafe_limit(
    acore_loop_options_t *opts, size_t limit);

/* ------------------------------------------------------------------------ */
/* Loop                                                                      */
/* ------------------------------------------------------------------------ */

/* acore_loop_new() - make a loop, owned by the calling thread until it first
 * runs. `opts` may be NULL for defaults; it is only read.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (out NULL);
 *          ACORE_ENOMEM; ACORE_EIO (libuv failed to set up).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_loop_new(const acore_loop_options_t *opts,
                             acore_loop_t **out);

/* acore_loop_ref() - take a reference. Returns `loop`.
 * Thread: any.  Since: 0.1 */
ACORE_API acore_loop_t *acore_loop_ref(acore_loop_t *loop);

/* acore_loop_unref() - drop a reference. The loop's memory lives on while
 * futures, tasks or handles of it exist. Dropping the last reference of a
 * loop that was not closed closes it first (from the loop thread; from
 * another thread the close is skipped and the loop leaks with a message to
 * stderr: close it on its own thread). Inside a callback the loop runs
 * (also when a host's uv_run() drives it) the loop lives on until the
 * callback returns. Accepts NULL.
 * Thread: any.  Since: 0.1 */
ACORE_API void acore_loop_unref(acore_loop_t *loop);

/* acore_loop_uv() - the `uv_loop_t *` this loop runs on (as void *);
 * borrowed, valid until close. NULL for NULL.  Thread: loop.  Since: 0.1 */
ACORE_API void *acore_loop_uv(acore_loop_t *loop);

/* acore_loop_backend_fd() - the fd to poll when a foreign loop drives this
 * one: when it is readable (or the backend timeout passes), call
 * acore_loop_run_once(loop, ACORE_RUN_NOWAIT).
 * Returns: the fd (>= 0); ACORE_EINVAL; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_backend_fd(acore_loop_t *loop);

/* acore_loop_backend_timeout() - how long a foreign loop may sleep before
 * calling acore_loop_run_once() again, in milliseconds: 0 when work is
 * ready, else the sooner of acore's next timer and libuv's own timeout for
 * other handles on the same uv loop, -1 when nothing is scheduled.
 * Returns: the timeout (>= -1); ACORE_EINVAL (NULL loop); ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_backend_timeout(acore_loop_t *loop);

/* What a poll hook is told (acore_poll_fn's `phase`). */
enum {
  /* The loop is about to wait for events and may block (nothing is ready
   * and the wait has no zero timeout): release an interpreter lock now. */
  ACORE_POLL_BEFORE = 1,
  /* The wait that followed BEFORE is over; the loop's callbacks run next.
   * Every BEFORE is followed by exactly one AFTER, in the same iteration. */
  ACORE_POLL_AFTER = 2,
  /* The wake-up fd (acore_loop_set_wakeup_fd) became readable and was
   * drained; comes between a BEFORE and its AFTER when the loop waited. */
  ACORE_POLL_WAKEUP = 3
};

/* A poll hook: called on the loop thread with one ACORE_POLL_* phase. */
typedef void (*acore_poll_fn)(acore_loop_t *loop, int phase, void *ud);

/* acore_loop_set_poll_hook() - call fn(loop, phase, ud) around the loop's
 * waits for events, so a binding can release its interpreter lock while
 * the loop sleeps without reaching libuv. A wait that cannot block (work
 * is ready, or acore_loop_run_once() with ACORE_RUN_NOWAIT) is not
 * announced, so a busy loop never calls it. Between BEFORE and AFTER only
 * libuv callbacks of other handles on the same uv loop and the WAKEUP
 * phase may run. NULL `fn` removes the hook. The previous hook's `ud_free`
 * runs now; a hook replaced between BEFORE and AFTER gets no AFTER.
 * Returns: ACORE_OK; ACORE_EINVAL (loop NULL); ACORE_EBUSY (called from
 *          inside the hook); ACORE_ECLOSED.
 * Owns: `ud` (see the conventions): `ud_free(ud)` runs when the hook is
 *       replaced or removed, when the loop closes, or now if this fails.
 * Thread: loop.  Since: 1.0 */
ACORE_API int acore_loop_set_poll_hook(acore_loop_t *loop, acore_poll_fn fn,
                                       void *ud, acore_free_fn ud_free);

/* acore_loop_set_wakeup_fd() - also wake the loop when `fd` becomes
 * readable (a signal wake-up fd, e.g. Python's signal.set_wakeup_fd): the
 * loop makes `fd` non-blocking, reads it empty and calls the poll hook
 * with ACORE_POLL_WAKEUP. The fd does not keep the loop running; a busy
 * loop reads it at least every 64 iterations. -1 stops
 * watching; a new fd replaces the old one. The caller keeps `fd` open
 * while it is watched and closes it afterwards.
 * Returns: ACORE_OK; ACORE_EINVAL (loop NULL, fd < -1); ACORE_ENOMEM;
 *          ACORE_EIO (libuv cannot watch it: not pollable, or already
 *          watched on this uv loop); ACORE_ECLOSED.
 * Thread: loop.  Since: 1.0 */
ACORE_API int acore_loop_set_wakeup_fd(acore_loop_t *loop, int fd);

/* acore_loop_set_host_data() - keep `data` on the loop under `key` (the
 * address of something the caller owns, e.g. a static variable of a
 * binding), so a binding finds its interpreter state from the loop without
 * a global. Each key has one slot; a new `data` replaces the old one (whose
 * `data_free` runs now); NULL `data` empties the slot (`data_free` is
 * then not called). The slots are
 * emptied last when the loop closes, after every other `ud_free` of the
 * close has run, so those may still read them.
 * Returns: ACORE_OK; ACORE_EINVAL (loop or key NULL); ACORE_ENOMEM;
 *          ACORE_ECLOSED.
 * Owns: `data`: `data_free(data)` (when not NULL) runs once: when it is
 *       replaced or removed, when the loop closes, or now if this fails.
 * Thread: loop.  Since: 1.0 */
ACORE_API int acore_loop_set_host_data(acore_loop_t *loop, const void *key,
                                       void *data, acore_free_fn data_free);

/* acore_loop_host_data() - the data kept under `key`, borrowed (valid until
 * it is replaced or the loop closes), or NULL (none, or loop/key NULL).
 * Thread: loop.  Since: 1.0 */
ACORE_API void *acore_loop_host_data(const acore_loop_t *loop,
                                     const void *key);

/* acore_loop_run() - run until there is no more work: nothing ready, no
 * timer pending (under the virtual clock: none due), no host handle active,
 * no hold (acore_loop_hold) - or until acore_loop_stop().
 * Returns: ACORE_OK; ACORE_EINVAL; ACORE_EBUSY (already running: called from
 *          a callback); ACORE_ECLOSED.
 * Thread: the calling thread becomes the loop thread.  Since: 0.1 */
ACORE_API int acore_loop_run(acore_loop_t *loop);

/* acore_loop_run_until_complete() - run until `fut` is done (or the loop is
 * stopped). The future is not consumed; read it afterwards.
 * Returns: ACORE_OK (fut is done); ACORE_EINVAL (NULL, fut of another loop);
 *          ACORE_EBUSY (already running); ACORE_ECLOSED;
 *          ACORE_EAGAIN (stopped, or the loop ran out of work - under the
 *          virtual clock: nothing due - with fut still pending).
 * Thread: the calling thread becomes the loop thread.  Since: 0.1 */
ACORE_API int acore_loop_run_until_complete(acore_loop_t *loop,
                                            acore_future_t *fut);

/* Flags for acore_loop_run_once(). */
enum { ACORE_RUN_NOWAIT = 1u << 0 };

/* acore_loop_run_once() - one loop iteration: poll for I/O (waiting for the
 * next event or timer unless ACORE_RUN_NOWAIT or work is ready), then run
 * the callbacks that were ready when the iteration began (due timers join
 * them at the end).
 * Returns: 1 if there is more work, 0 if not; ACORE_EINVAL (NULL, unknown
 *          flags); ACORE_EBUSY (already running); ACORE_ECLOSED.
 * Thread: the calling thread becomes the loop thread.  Since: 0.1 */
ACORE_API int acore_loop_run_once(acore_loop_t *loop, unsigned flags);

/* acore_loop_stop() - make a running loop return after the current
 * iteration. Called while the loop is not running, the request waits: the
 * next run call that runs an iteration returns after it (a run call with
 * no work at all returns at once and leaves the request in place).
 * Returns: ACORE_OK; ACORE_EINVAL; ACORE_ECLOSED.
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_loop_stop(acore_loop_t *loop);

/* acore_loop_close() - close the loop: every pending task is reported to the
 * error handler and cancelled; every callback still registered (queued
 * callbacks, timers, done callbacks, task steps) is dropped with its
 * `ud_free` run once; acore's handles are removed from the uv loop (closed
 * too if acore made it). Later calls on the loop and its objects return
 * ACORE_ECLOSED; the calls that schedule something (call_soon, call_later,
 * call_at, task_spawn, add_done_callback) do so from the moment close
 * starts, so one made by a cleanup that close runs is refused (its
 * `ud_free` runs) instead of being lost. Closing twice is harmless; a
 * call from a cleanup of the close under way returns ACORE_OK at once.
 * Returns: ACORE_OK; ACORE_EINVAL; ACORE_EBUSY (the loop is running).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_close(acore_loop_t *loop);

/* acore_loop_is_closed() - 1 if closed, 0 if not; ACORE_EINVAL.
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_loop_is_closed(const acore_loop_t *loop);

/* acore_loop_is_running() - 1 if running, 0 if not; ACORE_EINVAL.
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_loop_is_running(const acore_loop_t *loop);

/* acore_loop_time() - the loop's time in seconds (monotonic, arbitrary
 * epoch; 0 at creation under the virtual clock). Read fresh on each call.
 * Returns the time; -1.0 for NULL.  Thread: any.  Since: 0.1 */
ACORE_API double acore_loop_time(const acore_loop_t *loop);

/* acore_loop_advance() - move the virtual clock forward by `seconds`.
 * Timers due by then run on the next iteration(s).
 * Returns: ACORE_OK; ACORE_EINVAL (NULL, seconds < 0 or NaN);
 *          ACORE_EINVALIDSTATE (no virtual clock); ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_advance(acore_loop_t *loop, double seconds);

/* acore_loop_hold() / acore_loop_release() - keep acore_loop_run() and
 * acore_loop_run_until_complete() waiting while another thread still has
 * work for this loop (it will wake it with call_soon_threadsafe or a
 * thread-safe completion). Counted; release undoes one hold.
 * Returns: ACORE_OK; ACORE_EINVAL; ACORE_ECLOSED; ACORE_EINVALIDSTATE
 *          (release without hold).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_loop_hold(acore_loop_t *loop);
ACORE_API int acore_loop_release(acore_loop_t *loop);

/* acore_loop_call_soon() - run fn(ud) on a later iteration, after the
 * callbacks already queued. If `out` is not NULL it receives a new
 * reference to a handle that can cancel the call.
 * Returns: ACORE_OK; ACORE_EINVAL (loop or fn NULL); ACORE_ENOMEM;
 *          ACORE_ECLOSED.
 * Owns: `ud` (see the conventions).  Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_call_soon(acore_loop_t *loop, acore_callback_fn fn,
                                   void *ud, acore_free_fn ud_free,
                                   acore_handle_t **out);

/* acore_loop_call_later() - run fn(ud) `delay` seconds from now (read from
 * a fresh clock). Timers with equal deadlines run in the order scheduled;
 * a due timer joins the ready queue after the callbacks already queued.
 * Returns: ACORE_OK; ACORE_EINVAL (NULL loop/fn, delay < 0 or NaN);
 *          ACORE_ENOMEM; ACORE_ECLOSED.
 * Owns: `ud`.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_call_later(acore_loop_t *loop, double delay,
                                    acore_callback_fn fn, void *ud,
                                    acore_free_fn ud_free,
                                    acore_handle_t **out);

/* acore_loop_call_at() - as call_later, at the absolute loop time `when`
 * (a time in the past is due at once).
 * Returns: as acore_loop_call_later (EINVAL for NaN `when`).
 * Owns: `ud`.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_call_at(acore_loop_t *loop, double when,
                                 acore_callback_fn fn, void *ud,
                                 acore_free_fn ud_free, acore_handle_t **out);

/* acore_loop_call_soon_threadsafe() - queue fn(ud) from any thread and wake
 * the loop. Calls from one thread run in the order made.
 * Returns: ACORE_OK; ACORE_EINVAL; ACORE_ENOMEM; ACORE_ECLOSED;
 *          ACORE_EAGAIN (the loop's bound of waiting calls is reached:
 *          acore_loop_options_set_threadsafe_limit).
 * Owns: `ud`; when this call fails, `ud_free(ud)` runs on the calling
 *       thread before it returns; otherwise on the loop thread.
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_loop_call_soon_threadsafe(acore_loop_t *loop,
                                              acore_callback_fn fn, void *ud,
                                              acore_free_fn ud_free);

/* acore_handle_cancel() - cancel a scheduled call if it has not run. Its
 * `ud_free` runs at once.
 * Returns: 1 cancelled now, 0 already run or cancelled; ACORE_EINVAL.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_handle_cancel(acore_handle_t *h);

/* acore_handle_is_cancelled() - 1 if cancelled, 0 if not; ACORE_EINVAL.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_handle_is_cancelled(const acore_handle_t *h);

/* acore_handle_when() - the loop time a timer handle is due at; -1.0 for a
 * call_soon handle or NULL.  Thread: loop.  Since: 0.1 */
ACORE_API double acore_handle_when(const acore_handle_t *h);

/* acore_handle_ref() / acore_handle_unref() - references; a handle outlives
 * neither its call (it just stops cancelling) nor needs to outlive it.
 * Thread: loop (any for unref).  Since: 0.1 */
ACORE_API acore_handle_t *acore_handle_ref(acore_handle_t *h);
ACORE_API void acore_handle_unref(acore_handle_t *h);

/* ------------------------------------------------------------------------ */
/* Error handler                                                             */
/* ------------------------------------------------------------------------ */

/* What a report is about (acore_context_kind). */
enum {
  ACORE_REPORT_UNRETRIEVED = 1,   /* a future's error was never retrieved */
  ACORE_REPORT_TASK_PENDING = 2,  /* a task destroyed/closed while pending */
  ACORE_REPORT_SLOW_CALLBACK = 3, /* debug: a callback or step was slow */
  ACORE_REPORT_CALLBACK_ERROR = 4, /* an error raised in a callback (host) */
  ACORE_REPORT_TASK_STUCK = 5      /* a task waited longer than the stuck
                                      threshold (since 1.1) */
};

/* acore_loop_set_error_handler() - install `fn` to receive reports; NULL
 * restores the default, which prints one line to stderr. The previous
 * handler's `ud_free` runs.
 * Returns: ACORE_OK; ACORE_EINVAL (loop NULL); ACORE_ECLOSED.
 * Owns: `ud`.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_set_error_handler(acore_loop_t *loop,
                                           acore_error_handler_fn fn, void *ud,
                                           acore_free_fn ud_free);

/* acore_loop_report() - hand a report to the loop's error handler (what a
 * binding does with an exception from a loop callback). `kind` is an
 * ACORE_REPORT_* value; message, err, fut may be NULL; err and fut are
 * borrowed.
 * Returns: ACORE_OK; ACORE_EINVAL (loop NULL, unknown kind).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_report(acore_loop_t *loop, int kind,
                                const char *message, acore_error_t *err,
                                acore_future_t *fut);

/* acore_loop_default_error_handler() - what the default handler does: print
 * the context to stderr. For custom handlers that also want it.
 * Thread: loop.  Since: 0.1 */
ACORE_API void acore_loop_default_error_handler(acore_loop_t *loop,
                                                const acore_context_t *ctx);

/* Accessors of a report; every result is borrowed for the handler call.
 * acore_context_kind(): ACORE_REPORT_*, or ACORE_EINVAL for NULL.
 * acore_context_message(): never NULL ("" for NULL).
 * acore_context_error(): the error involved, or NULL.
 * acore_context_future(): the future (or task's future) involved, or NULL;
 *   it may be about to be freed: read it, do not keep it.
 * acore_context_task(): the task involved, or NULL (same caveat).
 * acore_context_name(): the task's name, or "" when there is none.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_context_kind(const acore_context_t *ctx);
ACORE_API const char *acore_context_message(const acore_context_t *ctx);
ACORE_API acore_error_t *acore_context_error(const acore_context_t *ctx);
ACORE_API acore_future_t *acore_context_future(const acore_context_t *ctx);
ACORE_API acore_task_t *acore_context_task(const acore_context_t *ctx);
ACORE_API const char *acore_context_name(const acore_context_t *ctx);

/* ------------------------------------------------------------------------ */
/* Futures                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * A future completes exactly once: with a result, with an error or
 * cancelled. Done callbacks never run inside the call that completes the
 * future or adds the callback: they are queued on the loop's ready queue, in
 * registration order, also when the future is already done.
 */

/* States (acore_future_state). */
enum {
  ACORE_FUTURE_PENDING = 0,
  ACORE_FUTURE_RESULT = 1,
  ACORE_FUTURE_ERROR = 2,
  ACORE_FUTURE_CANCELLED = 3
};

/* Kinds of result value (acore_future_result_kind). */
enum {
  ACORE_VALUE_NONE = 0,   /* no result yet, or a NULL pointer result */
  ACORE_VALUE_PTR = 1,    /* a pointer with an optional destructor */
  ACORE_VALUE_INT = 2,    /* an int64_t */
  ACORE_VALUE_DOUBLE = 3, /* a double */
  ACORE_VALUE_BYTES = 4   /* a byte string (copied, NUL-terminated) */
};

/* acore_future_new() - a pending future on `loop`.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL;
 *          ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_new(acore_loop_t *loop, acore_future_t **out);

/* acore_future_ref() - take a reference; returns `fut`. A done callback
 * may take one on its future after the last was dropped: the future then
 * lives on until that reference goes.
 * Thread: any.  Since: 0.1 */
ACORE_API acore_future_t *acore_future_ref(acore_future_t *fut);

/* acore_future_unref() - drop a reference. At the last one, a future that
 * failed and whose error nobody retrieved is reported to the loop's error
 * handler (ACORE_REPORT_UNRETRIEVED); its value's destructor and remaining
 * callbacks' `ud_free` run. From another thread this is deferred to the
 * loop thread. Accepts NULL.  Thread: any.  Since: 0.1 */
ACORE_API void acore_future_unref(acore_future_t *fut);

/* acore_future_loop() - the loop, borrowed; NULL for NULL.
 * Thread: any.  Since: 0.1 */
ACORE_API acore_loop_t *acore_future_loop(const acore_future_t *fut);

/* acore_future_state() - ACORE_FUTURE_*; ACORE_EINVAL for NULL.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_state(const acore_future_t *fut);

/* acore_future_is_done() / acore_future_is_cancelled() - 1 or 0; ACORE_EINVAL.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_is_done(const acore_future_t *fut);
ACORE_API int acore_future_is_cancelled(const acore_future_t *fut);

/* acore_future_set_result() - complete with a pointer result.
 * `value_free(value)`, when not NULL, runs when the future is freed.
 * Returns: ACORE_OK; ACORE_EINVAL (fut NULL, or a future only its owner
 *          completes: a task's, or one made by a combinator or a
 *          primitive); ACORE_EINVALIDSTATE (already done); ACORE_ECLOSED.
 * Owns: `value` passes to the future only on ACORE_OK; on error the caller
 *       keeps it.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_set_result(acore_future_t *fut, void *value,
                                      acore_free_fn value_free);

/* acore_future_set_int() / _set_double() - complete with a number.
 * acore_future_set_bytes() - complete with a copy of `len` bytes at `data`
 * (data may be NULL when len is 0; a NUL is appended).
 * Returns: as acore_future_set_result; ACORE_ENOMEM (bytes).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_set_int(acore_future_t *fut, int64_t value);
ACORE_API int acore_future_set_double(acore_future_t *fut, double value);
ACORE_API int acore_future_set_bytes(acore_future_t *fut, const void *data,
                                     size_t len);

/* acore_future_set_error() - complete with `err`; takes its own reference.
 * Returns: ACORE_OK; ACORE_EINVAL (NULL fut or err); ACORE_EINVALIDSTATE;
 *          ACORE_ECLOSED.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_set_error(acore_future_t *fut, acore_error_t *err);

/* acore_future_set_error_code() - complete with a new error made from
 * `code` (negative) and `message` (may be NULL).
 * Returns: as set_error; ACORE_EINVAL (code >= 0); ACORE_ENOMEM.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_set_error_code(acore_future_t *fut, int code,
                                          const char *message);

/* acore_future_cancel() - cancel a pending future, with an optional message
 * (copied). A task is asked to cancel instead: see acore_task_cancel().
 * A cancel passed on (to awaited futures, a gather's children) reaches
 * each future once, however many paths lead to it; a task that awaits
 * itself through such a path is woken, its next step cancelled.
 * Cancelling a failed future or task (a no-op) counts as reading its error:
 * it is not reported as never retrieved.
 * Returns: 1 cancelled (or cancellation requested), 0 not cancelled (already
 *          done); ACORE_EINVAL; ACORE_ENOMEM (message copy); ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_cancel(acore_future_t *fut, const char *message);

/* acore_future_result() - the pointer result, borrowed (valid while the
 * future lives), in *out (may be NULL). A number or bytes result gives NULL
 * here; use the typed getters. Reading a failed future marks its error as
 * retrieved.
 * Returns: ACORE_OK (result); ACORE_EINVALIDSTATE (pending);
 *          ACORE_ECANCELLED (cancelled); the error's code (failed);
 *          ACORE_EINVAL (fut NULL).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_result(acore_future_t *fut, void **out);

/* acore_future_result_kind() - ACORE_VALUE_* of a future with a result
 * (ACORE_VALUE_NONE otherwise); ACORE_EINVAL.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_result_kind(const acore_future_t *fut);

/* acore_future_result_int() / _double() / _bytes() - typed results.
 * _bytes gives a borrowed pointer (NUL-terminated) and its length (`len`
 * may be NULL).
 * Returns: as acore_future_result; ACORE_ETYPE (a result of another kind);
 *          ACORE_EINVAL (NULL out).  Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_result_int(acore_future_t *fut, int64_t *out);
ACORE_API int acore_future_result_double(acore_future_t *fut, double *out);
ACORE_API int acore_future_result_bytes(acore_future_t *fut, const void **data,
                                 size_t *len);

/* acore_future_steal_result() - move a pointer result made with
 * `value_free == tag` out of the future: the caller owns it, the future
 * keeps its state but reads as a NULL result afterwards. This is how a
 * binding moves its host object into a garbage-collected wrapper.
 * Returns: ACORE_OK and the pointer in *out; ACORE_ETYPE (not a pointer
 *          result with this tag, or already stolen); the rest as
 *          acore_future_result.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_steal_result(acore_future_t *fut, acore_free_fn tag,
                                        void **out);

/* acore_future_result_tagged() - the pointer result, borrowed (valid
 * while the future lives), only when it was set with `value_free == tag`
 * (acore_future_set_result, acore_task_return, acore_work_set_result...).
 * A binding passes its own destructor as the tag, so it never misreads a
 * value another language (or C) stored.
 * Returns: ACORE_OK and the pointer in *out; ACORE_ETYPE (a result of
 *          another kind or tag, or stolen); ACORE_EINVAL (fut, tag or out
 *          NULL); the rest as acore_future_result.
 * Thread: loop.  Since: 1.0 */
ACORE_API int acore_future_result_tagged(acore_future_t *fut,
                                         acore_free_fn tag, void **out);

/* acore_future_error() - the error of a failed future, borrowed (valid while
 * the future lives), or NULL when it has not failed. Marks it retrieved.
 * Thread: loop.  Since: 0.1 */
ACORE_API acore_error_t *acore_future_error(acore_future_t *fut);

/* acore_future_cancel_message() - the message given to cancel, or NULL (also
 * when not cancelled). Borrowed.  Thread: loop.  Since: 0.1 */
ACORE_API const char *acore_future_cancel_message(const acore_future_t *fut);

/* acore_future_add_done_callback() - call fn(fut, ud) once `fut` is done.
 * `fn` runs exactly once, on the loop thread, on a later loop iteration -
 * never inside this call, even when `fut` is already done; callbacks run in
 * registration order.
 * Returns: ACORE_OK; ACORE_EINVAL (fut or fn NULL); ACORE_ENOMEM;
 *          ACORE_ECLOSED.
 * Owns: `ud`.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_add_done_callback(acore_future_t *fut,
                                             acore_done_fn fn, void *ud,
                                             acore_free_fn ud_free);

/* acore_future_remove_done_callback() - remove every registration of
 * (fn, ud) on a pending future; their `ud_free` runs now. Once the future
 * is done its callbacks are already queued: nothing is removed (returns 0)
 * and they run.
 * Returns: the number removed (>= 0); ACORE_EINVAL (fut or fn NULL).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_future_remove_done_callback(acore_future_t *fut,
                                                acore_done_fn fn, void *ud);

/* acore_future_is_task() - 1 if `fut` is a task's future, else 0;
 * ACORE_EINVAL.  Thread: any.  Since: 0.1 */
ACORE_API int acore_future_is_task(const acore_future_t *fut);

/* ------------------------------------------------------------------------ */
/* Tasks                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * A task is a step function plus the caller's state. Each call of the step
 * runs until the task must wait and returns its verdict:
 *
 *   return acore_task_await_take(task, fut);      resume me when fut is done
 *   return acore_task_yield(task);           resume me on the next iteration
 *   return acore_task_return_int(task, 42);  finish with a result
 *   return acore_task_fail_code(task, c, m); finish with an error
 *   return acore_task_finish_cancelled(t);   finish cancelled
 *   return ACORE_TASK_DONE;                  finish with no result
 *
 * Any other negative return finishes the task with that error code.
 * The first step never runs inside spawn: it runs on a later iteration.
 * Awaiting a future that is already done does not suspend: the step runs
 * again at once. When resumed, acore_task_awaited() is the done future.
 *
 * A step starts with one call that says why it runs and what it awaited:
 *
 *   acore_future_t *done;
 *   int st = acore_task_resume(task, &done);  ACORE_OK or ACORE_ECANCELLED
 *
 * Cancellation is a request. It is delivered into the next step:
 * acore_task_resume() (and acore_task_step_status()) return ACORE_ECANCELLED
 * there and acore_task_cancel_message() gives the message. If the task is
 * awaiting a future when cancelled, that future is cancelled too (and the
 * task resumes when it is done); a step also gets ACORE_ECANCELLED when the
 * future it awaited ended cancelled for any other reason.
 *
 * A cancel propagates unless the step handles it (asyncio's CancelledError
 * unless caught). A step that got ACORE_ECANCELLED handles it only by
 * calling, during that step, acore_task_uncancel() (absorb: one request
 * undone), acore_task_finish_cancelled() (answer: finish cancelled), or
 * acore_task_cancel_handled() (catch: "I handle it", then return any
 * verdict - await cleanup futures, return a value, fail). Reading the
 * status or the message does not handle it. A step that does none of these
 * ends the task cancelled with the delivered cancel's message, whatever it
 * returns; a pending future it staged with acore_task_await_take() is cancelled
 * and released, not awaited. One exception keeps resources safe: if it
 * staged a future that already has a result (something taken at once, such
 * as a semaphore permit), the task awaits it and the step runs again at
 * once with the same cancel, so its acore_sem_acquire_finish() (or other
 * *_finish call) gives the permit back. So a step that ignores the status
 * is correct: cancelled, it ends cancelled. A handled cancel is delivered
 * once; the steps after it run with ACORE_OK (cleanup over several steps
 * awaits freely) until a new cancel arrives, which the step that gets it
 * must handle again. acore_task_cancelling_count() counts requests; only
 * acore_task_uncancel() lowers it (acore_task_cancel_handled() does not, as
 * catching CancelledError does not in asyncio). acore_timeout_exit()
 * handles the cancel only when it turns it into ACORE_ETIMEDOUT.
 *
 * A cancel requested while the step runs is seen at the next step; if the
 * running step is the last one and returns a result (ACORE_TASK_DONE), the
 * task ends cancelled with the request's message; if it fails, it ends
 * with its error (asyncio 3.13).
 *
 * The message a task ends cancelled with is that of the cancel its step
 * answers: the awaited future's when that future ended cancelled, else
 * the latest request's. Cancelled twice while awaiting, a task ends with
 * the first message (the awaited future was cancelled with it); twice
 * while ready or running, with the second (asyncio 3.13).
 *
 * A task is a future: acore_task_future() gives it, so every function that
 * takes futures takes tasks; the future's reference count is the task's.
 * The loop holds a reference to every task until it finishes, so a task
 * nobody else holds still runs to the end.
 */

/* Verdicts a step returns. */
enum {
  ACORE_TASK_DONE = 0,
  ACORE_TASK_AWAIT = 1,
  ACORE_TASK_YIELD = 2,
  ACORE_TASK_CANCELLED = 3
};

/* acore_task_spawn() - make a task running `fn(task, ud)` on `loop`.
 * `out` may be NULL (fire and forget: the loop keeps it alive; an error it
 * ends with is still reported unless someone retrieves it).
 * Returns: ACORE_OK (and a new reference in *out); ACORE_EINVAL (loop or
 *          fn NULL); ACORE_ENOMEM; ACORE_ECLOSED.
 * Owns: `ud`: `ud_free(ud)` runs once, after the last step.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_task_spawn(acore_loop_t *loop, acore_step_fn fn, void *ud,
                               acore_free_fn ud_free, acore_task_t **out);

/* acore_task_ref() / acore_task_unref() - the same count as the task's
 * future.  Thread: any.  Since: 0.1 */
ACORE_API acore_task_t *acore_task_ref(acore_task_t *task);
ACORE_API void acore_task_unref(acore_task_t *task);

/* acore_task_future() - the task as a future, borrowed (same object, same
 * reference count); NULL for NULL.  Thread: any.  Since: 0.1 */
ACORE_API acore_future_t *acore_task_future(acore_task_t *task);

/* acore_task_from_future() - the task a future is, borrowed, or NULL when
 * it is a plain future (or NULL).  Thread: any.  Since: 0.1 */
ACORE_API acore_task_t *acore_task_from_future(acore_future_t *fut);

/* acore_task_loop() - the task's loop, borrowed.  Thread: any.  Since: 0.1 */
ACORE_API acore_loop_t *acore_task_loop(const acore_task_t *task);

/* acore_task_await_take() - the verdict "resume me when `fut` is done".
 * Consumes the caller's reference to `fut` (so a function that returns a new
 * future can be awaited directly), also on error.
 * Returns: ACORE_TASK_AWAIT; ACORE_EINVAL (NULL, fut of another loop, the
 *          task's own future, not called from its step) - returned by the
 *          step, that finishes the task with the error.
 * Thread: loop (inside the task's step).  Since: 0.1 */
ACORE_API int acore_task_await_take(acore_task_t *task, acore_future_t *fut);

/* acore_task_yield() - the verdict "run my next step on a later iteration"
 * (asyncio's `await sleep(0)`).
 * Returns: ACORE_TASK_YIELD; ACORE_EINVAL.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_task_yield(acore_task_t *task);

/* acore_task_awaited() - the future the task last awaited (done when the
 * step is resumed by it), borrowed; NULL before the first await and once
 * the task has finished. While the task waits, this is what it waits for.
 * Thread: loop.  Since: 0.1 */
ACORE_API acore_future_t *acore_task_awaited(const acore_task_t *task);

/* acore_task_step_status() - why this step runs: ACORE_OK, or
 * ACORE_ECANCELLED when a cancellation is delivered to it (the task was
 * cancelled, or the future it awaited ended cancelled); ACORE_EINVAL.
 * Reading it does not handle the cancel (see "Tasks").
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_task_step_status(const acore_task_t *task);

/* acore_task_resume() - the first call of a step: why it runs and what it
 * awaited, in one call. *awaited (if `awaited` is not NULL) is
 * acore_task_awaited(): the future the task last awaited, done now,
 * borrowed until the step returns; NULL before the first await.
 * Reading it does not handle a cancel (see "Tasks").
 * Returns: ACORE_OK; ACORE_ECANCELLED (a cancel is delivered to this
 *          step); ACORE_EINVAL (task NULL or not in its own running step;
 *          *awaited is then NULL).
 * Thread: loop (inside the task's step).  Since: 1.0 */
ACORE_API int acore_task_resume(acore_task_t *task, acore_future_t **awaited);

/* acore_task_cancel_handled() - "I handle this cancel, keep going" (asyncio:
 * `except CancelledError:`): the cancel delivered to the running step no
 * longer ends the task; the step's verdict stands (await cleanup futures,
 * return a value, fail). Does not lower acore_task_cancelling_count(). Without a
 * delivered cancel it does nothing.
 * Returns: ACORE_OK; ACORE_EINVAL (task NULL or not in its own running
 *          step).
 * Thread: loop (inside the task's step).  Since: 1.0 */
ACORE_API int acore_task_cancel_handled(acore_task_t *task);

/* acore_task_return() - the verdict "finished with this pointer result"
 * (value_free as in acore_future_set_result).
 * acore_task_return_int/_double/_bytes() - the same with a typed result.
 * Returns: ACORE_TASK_DONE; ACORE_EINVAL; ACORE_ENOMEM (bytes).
 * Owns: `value` passes to the task on ACORE_TASK_DONE.
 * Thread: loop (inside the task's step).  Since: 0.1 */
ACORE_API int acore_task_return(acore_task_t *task, void *value,
                                acore_free_fn value_free);
ACORE_API int acore_task_return_int(acore_task_t *task, int64_t value);
ACORE_API int acore_task_return_double(acore_task_t *task, double value);
ACORE_API int acore_task_return_bytes(acore_task_t *task, const void *data,
                                      size_t len);

/* acore_task_fail_take() - the verdict "finished with this error"; consumes the
 * caller's reference to `err`.
 * Returns: err's code (negative); ACORE_EINVAL (NULL).
 * Thread: loop (inside the task's step).  Since: 0.1 */
ACORE_API int acore_task_fail_take(acore_task_t *task, acore_error_t *err);

/* acore_task_fail_code() - as acore_task_fail_take with a new error.
 * Returns: `code`; ACORE_EINVAL (NULL task, code >= 0); ACORE_ENOMEM (the
 *          task then fails with ACORE_ENOMEM).  Thread: loop.  Since: 0.1 */
ACORE_API int acore_task_fail_code(acore_task_t *task, int code,
                                   const char *message);

/* acore_task_finish_cancelled() - the verdict "finished cancelled" (handles
 * a delivered cancel: asyncio's re-raise), with the message of the last
 * cancel delivered to a step (acore_task_cancel_message), else the latest
 * request's, else none.
 * Returns: ACORE_TASK_CANCELLED; ACORE_EINVAL.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_task_finish_cancelled(acore_task_t *task);

/* acore_task_cancel() - request cancellation (message copied, may be NULL).
 * Returns: 1 requested, 0 not (already done); ACORE_EINVAL; ACORE_ENOMEM;
 *          ACORE_ECLOSED.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_task_cancel(acore_task_t *task, const char *message);

/* acore_task_cancelling_count() - the number of cancel requests not undone by
 * uncancel (asyncio's cancelling()); ACORE_EINVAL.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_task_cancelling_count(const acore_task_t *task);

/* acore_task_uncancel() - undo one cancel request; at 0, a request not yet
 * delivered is dropped. Called in the step that got ACORE_ECANCELLED, it
 * also handles (absorbs) that cancel.
 * Returns: the remaining count (>= 0); ACORE_EINVAL.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_task_uncancel(acore_task_t *task);

/* acore_task_cancel_message() - borrowed, or NULL: once a cancel was
 * delivered to a step, the message of the last one delivered (the awaited
 * future's when it ended cancelled, else the request's); before that, the
 * latest request's; once the task ended cancelled, the one it ended with.
 * Thread: loop.  Since: 0.1 */
ACORE_API const char *acore_task_cancel_message(const acore_task_t *task);

/* acore_task_set_name() - name the task (copied); NULL restores the default
 * "Task-<n>".
 * Returns: ACORE_OK; ACORE_EINVAL; ACORE_ENOMEM.  Thread: loop.  Since: 0.1 */
ACORE_API int acore_task_set_name(acore_task_t *task, const char *name);

/* acore_task_name() - copy the task's name ("Task-<id>" until
 * acore_task_set_name gives another) into `buf`, NUL-terminated and cut
 * to `cap` - 1 bytes (nothing is written when cap is 0: ask for the
 * length with (task, NULL, 0)). Allocates nothing and changes nothing.
 * Returns: the name's full length in bytes (>= 0, without the NUL; it was
 *          cut when >= cap); ACORE_EINVAL (task NULL, buf NULL with
 *          cap > 0).
 * Thread: loop.  Since: 1.0 */
ACORE_API int acore_task_name(const acore_task_t *task, char *buf,
                              size_t cap);

/* acore_task_id() - the task's number, unique on its loop (from 1);
 * 0 for NULL.  Thread: loop (naming a task replaces the record that
 * holds the id).  Since: 0.1 */
ACORE_API uint64_t acore_task_id(const acore_task_t *task);

/* acore_loop_current_task() - the task whose step is running, borrowed, or
 * NULL.  Thread: loop.  Since: 0.1 */
ACORE_API acore_task_t *acore_loop_current_task(acore_loop_t *loop);

/* acore_loop_task_count() - number of tasks not yet finished; 0 for NULL.
 * Thread: loop.  Since: 0.1 */
ACORE_API size_t acore_loop_task_count(const acore_loop_t *loop);

/* acore_loop_all_tasks() - up to `cap` unfinished tasks, oldest first, as
 * new references in `tasks` (release each); the total in *n.
 * Returns: ACORE_OK; ACORE_EINVAL (loop or n NULL, tasks NULL with cap > 0).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_all_tasks(acore_loop_t *loop, acore_task_t **tasks,
                                   size_t cap, size_t *n);

/* ------------------------------------------------------------------------ */
/* The await graph (since 1.1): what every task waits for                    */
/* ------------------------------------------------------------------------ */

/* Each unfinished task (acore_loop_all_tasks) awaits at most one future
 * (acore_task_awaited); a composite future (gather, wait, wait_for, shield,
 * a task group, map, a semaphore/lock/event/condition/queue waiter, an
 * executor job, an I/O operation) has a kind name and a line of detail,
 * and a combinator has the futures it waits for as children. Walking from
 * the tasks through awaited futures and children gives the live await
 * graph; acore_loop_dump() prints it. docs/debugging.md shows its use. */

/* A task's state (acore_task_state). */
enum {
  ACORE_TASK_STATE_READY = 1,   /* scheduled: its step runs soon */
  ACORE_TASK_STATE_RUNNING = 2, /* its step is running now */
  ACORE_TASK_STATE_WAITING = 3, /* awaiting a pending future */
  ACORE_TASK_STATE_DONE = 4     /* finished */
};

/* acore_task_state() - the task's ACORE_TASK_STATE_*.
 * Returns: the state; ACORE_EINVAL (task NULL).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_task_state(const acore_task_t *task);

/* acore_task_times() - the loop times (seconds, acore_loop_time's clock) at
 * which the task was spawned (*created) and last started waiting for a
 * future or was scheduled by its spawn or a yield (*since). Both read -1.0
 * (unknown) unless the loop was made with ACORE_LOOP_TASK_TIMES. Either
 * pointer may be NULL.
 * Returns: ACORE_OK; ACORE_EINVAL (task NULL).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_task_times(const acore_task_t *task, double *created,
                               double *since);

/* acore_task_spawn_at() - acore_task_spawn() with the task's creation
 * site `where` (copied; NULL: none), e.g. "file.c:42" or a binding's
 * "script.py:17 in main()". Dumps show it.
 * Returns, Owns: as acore_task_spawn (ACORE_ENOMEM also when the copy of
 *          `where` fails; `ud_free(ud)` then runs).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_task_spawn_at(acore_loop_t *loop, acore_step_fn fn,
                                  void *ud, acore_free_fn ud_free,
                                  const char *where, acore_task_t **out);

/* ACORE_WHERE() - the string "file.c:42" of the line it is written on, for
 * acore_task_spawn_at() and acore_task_set_where():
 *   acore_task_spawn_at(loop, step, ud, ud_free, ACORE_WHERE(), &task);
 * (Its presence also tells a program that the 1.1 await-graph API is
 * declared.) */
#define ACORE__STR2(x) #x
#define ACORE__STR(x) ACORE__STR2(x)
#define ACORE_WHERE() __FILE__ ":" ACORE__STR(__LINE__)

/* acore_task_set_where() - set the task's creation site (copied; NULL
 * removes it).
 * Returns: ACORE_OK; ACORE_EINVAL (task NULL); ACORE_ENOMEM (nothing
 *          changed).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_task_set_where(acore_task_t *task, const char *where);

/* acore_task_where() - the task's creation site, borrowed (valid until it
 * is set again or the task is destroyed), or NULL (none, or task NULL).
 * Thread: loop.  Since: 1.1 */
ACORE_API const char *acore_task_where(const acore_task_t *task);

/* A loop's where callback (acore_loop_set_where_fn): write the creation
 * site of `task`, an unfinished task with none of its own, into `buf`
 * (`cap` > 0 bytes) as snprintf does - e.g. a binding's "script.py:17 in
 * main()" computed from the task's coroutine only when asked. `step` and
 * `step_ud` are the task's step function and its data (acore_task_spawn's
 * `fn` and `ud`), so that a binding recognises its own tasks (compare
 * `step`) and reads its task object (`step_ud`), borrowed for the call.
 * Return the site's length (a longer site is cut to cap - 1 bytes); 0 or
 * less: no site. It runs on the loop thread inside a dump (or the stuck
 * check) and must not change the loop (no spawn, completion, cancel,
 * callback, run). */
typedef int (*acore_where_fn)(acore_task_t *task, acore_step_fn step,
                              void *step_ud, char *buf, size_t cap,
                              void *ud);

/* acore_loop_set_where_fn() - let `fn` name the creation sites of this
 * loop's tasks that have none (acore_task_where() NULL) when a dump needs
 * them: acore_loop_dump() and its _fd/_string forms (the dump signal's
 * files, acore-ps), and the stuck-task report (its first line). The site
 * is asked for each time, never stored: acore_task_where() still returns
 * only a site that was set. NULL `fn` removes the callback. The previous
 * callback's `ud_free` runs now.
 * Returns: ACORE_OK; ACORE_EINVAL (loop NULL); ACORE_EBUSY (called from
 *          inside the callback); ACORE_ECLOSED.
 * Owns: `ud`: `ud_free(ud)` runs when the callback is replaced or
 *       removed, when the loop closes, or now if this fails.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_loop_set_where_fn(acore_loop_t *loop, acore_where_fn fn,
                                      void *ud, acore_free_fn ud_free);

/* acore_future_kind() - the kind of future, a static string: "future" (a
 * plain one), "task", "gather", "wait", "wait_for", "shield", "sleep",
 * "group", "map", "waiter" (a semaphore, lock, event, condition or queue
 * waiter: acore_future_describe says which), "executor.job", and the kinds
 * later areas add (I/O operations). "" for NULL.
 * Thread: any.  Since: 1.1 */
ACORE_API const char *acore_future_kind(const acore_future_t *fut);

/* acore_future_describe() - one line of detail on what the future stands
 * for ("lock 0x..., 1 of 2 waiting; held by worker (#3)", "2 of 3 done"),
 * copied into `buf` as acore_task_name does ("" when the kind has none).
 * Returns: the detail's full length (>= 0); ACORE_EINVAL (fut NULL, buf
 *          NULL with cap > 0).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_future_describe(const acore_future_t *fut, char *buf,
                                    size_t cap);

/* acore_future_children() - the futures a composite future waits for (a
 * gather's or wait's inputs, a wait_for's or shield's inner future, a
 * group's unfinished tasks, a map's running jobs): up to `cap` of them as
 * new references in `futs` (release each), how many there are in *n (0
 * for a future that waits for nothing).
 * Returns: ACORE_OK; ACORE_EINVAL (fut or n NULL, futs NULL with cap > 0).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_future_children(acore_future_t *fut,
                                    acore_future_t **futs, size_t cap,
                                    size_t *n);

/* acore_future_awaiters() - who awaits `fut`: the tasks that await it
 * (their futures: acore_task_from_future) and the composite futures that
 * have it as a child, as found from the loop's unfinished tasks; up to
 * `cap` as new references in `futs`, how many in *n.
 * Returns: ACORE_OK; ACORE_EINVAL (fut or n NULL, futs NULL with cap > 0);
 *          ACORE_ENOMEM.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_future_awaiters(acore_future_t *fut,
                                    acore_future_t **futs, size_t cap,
                                    size_t *n);

/* Dump formats (acore_loop_dump's `flags`). */
enum {
  ACORE_DUMP_TREE = 0,     /* an indented tree, for people */
  ACORE_DUMP_JSON = 1u << 0 /* one JSON object, for tools */
};

/* A writer: called with `len` bytes of output (not NUL-terminated). */
typedef void (*acore_write_fn)(const char *data, size_t len, void *ud);

/* acore_loop_dump() - write the loop's live await graph through `fn`:
 * every unfinished task with its id, name, state, creation site, times
 * (ACORE_LOOP_TASK_TIMES), what it awaits (kind, detail, and a composite's
 * children down to the tasks they are) and which tasks await it. A tree
 * (ACORE_DUMP_TREE: tasks nobody awaits at the top, the tasks they wait for
 * nested below them) or JSON (ACORE_DUMP_JSON; docs/debugging.md gives
 * both formats). `fn` is called on this thread before this returns, in
 * pieces of at most a few hundred bytes; nothing else runs meanwhile.
 * Returns: ACORE_OK; ACORE_EINVAL (loop or fn NULL, unknown flags);
 *          ACORE_ENOMEM (nothing, or only a first part, was written).
 * Owns: `ud`: `ud_free(ud)` runs once before this returns, also when it
 *       fails.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_loop_dump(acore_loop_t *loop, unsigned flags,
                              acore_write_fn fn, void *ud,
                              acore_free_fn ud_free);

/* acore_loop_dump_fd() - acore_loop_dump() written to the file descriptor
 * `fd` (write(2); retried on EINTR; a write error ends the dump).
 * Returns: ACORE_OK; ACORE_EINVAL (loop NULL, fd < 0, unknown flags);
 *          ACORE_ENOMEM; ACORE_EIO (a write failed).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_loop_dump_fd(acore_loop_t *loop, unsigned flags, int fd);

/* acore_loop_dump_string() - acore_loop_dump() into a new NUL-terminated
 * string in *out (free it with acore_free).
 * Returns: ACORE_OK; ACORE_EINVAL (loop or out NULL, unknown flags);
 *          ACORE_ENOMEM (*out NULL).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_loop_dump_string(acore_loop_t *loop, unsigned flags,
                                     char **out);

/* acore_loop_check_stuck() - check for stuck tasks now (a loop made with
 * acore_loop_options_set_stuck_threshold; a no-op otherwise): each task
 * waiting longer than the threshold and not reported yet for this wait is
 * reported, synchronously, before this returns. With a virtual clock, the
 * way to check after acore_loop_advance().
 * Returns: ACORE_OK; ACORE_EINVAL (loop NULL); ACORE_ECLOSED.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_loop_check_stuck(acore_loop_t *loop);

/* Trace events (acore_trace_fn's `event`). At each of these points acore
 * also has a static probe (provider "acore", for perf, bpftrace or
 * systemtap without recompiling; docs/debugging.md lists them) when it was
 * built with <sys/sdt.h>. */
enum {
  ACORE_TRACE_TASK_CREATE = 1, /* a task was spawned (its step runs later) */
  ACORE_TRACE_STEP_START = 2,  /* a task's step is about to run */
  ACORE_TRACE_STEP_END = 3,    /* ... it returned (its verdict not applied) */
  ACORE_TRACE_TASK_FINISH = 4, /* a task finished (after its FUTURE_DONE) */
  ACORE_TRACE_FUTURE_DONE = 5  /* a future (a task's too) completed */
};

/* A trace hook: `fut` is the task's future (acore_task_from_future) or the
 * completed future, borrowed for the call. It runs synchronously inside
 * the loop's machinery: it may read (acore_task_id, acore_task_name,
 * acore_future_state, acore_loop_time, ...) and must not change the loop
 * (no spawn, completion, cancel, callback, run). */
typedef void (*acore_trace_fn)(acore_loop_t *loop, int event,
                               acore_future_t *fut, void *ud);

/* acore_loop_set_trace_hook() - call fn(loop, event, fut, ud) at every
 * ACORE_TRACE_* point of this loop; NULL `fn` removes the hook. Unset, a
 * point costs one predictable branch. The previous hook's `ud_free` runs
 * now.
 * Returns: ACORE_OK; ACORE_EINVAL (loop NULL); ACORE_EBUSY (called from
 *          inside the hook); ACORE_ECLOSED.
 * Owns: `ud`: `ud_free(ud)` runs when the hook is replaced or removed,
 *       when the loop closes, or now if this fails.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_loop_set_trace_hook(acore_loop_t *loop, acore_trace_fn fn,
                                        void *ud, acore_free_fn ud_free);

#ifdef __cplusplus
}
#endif

/* ---- sub-headers (each adds one area of the API) ------------------------- */
/* (one #include line per area below this line) */
#include "acore/sync.h"
#include "acore/combinators.h"
#include "acore/executor.h"
#include "acore/udp.h"
#include "acore/fd.h"
#include "acore/signal.h"
#include "acore/process.h"
#include "acore/stream.h"
#include "acore/dns.h"

#endif /* ACORE_H */
