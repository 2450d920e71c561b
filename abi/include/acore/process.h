/* SPDX-License-Identifier: MIT */
/*
 * acore/process.h - child processes: spawn with argv, environment, working
 * directory and standard streams; futures for their exit; kill.
 *
 *   const char *argv[] = {"/bin/sh", "-c", "exit 3", NULL};
 *   acore_process_options_t *o;
 *   acore_process_t *p;
 *   acore_future_t *exited;
 *   acore_process_options_new(&o);
 *   acore_process_options_set_args(o, argv);
 *   acore_process_spawn(loop, o, &p);       (ACORE_ENOENT: no such program)
 *   acore_process_options_free(o);
 *   acore_process_wait(p, &exited);         ... await: int result 3 ...
 *
 * The exit status follows asyncio's returncode: an int result >= 0 is the
 * exit status; -N means the child was ended by signal N.
 *
 * Lifetime: the child is reaped by acore when it exits (libuv's SIGCHLD
 * handler), however many references are held. Closing the process object -
 * acore_process_close(), its last unref, or loop close - while the child
 * still runs kills it with SIGKILL and reaps it before returning, as
 * asyncio's transport close() does: a child never outlives its object's
 * close, and no zombie is left. To let a child finish, await its exit
 * first. Loop close cancels the pending exit futures.
 *
 * A running child keeps acore_loop_run() running.
 */
#ifndef ACORE_PROCESS_H
#define ACORE_PROCESS_H

#include "../acore.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct acore_process acore_process_t;
typedef struct acore_process_options acore_process_options_t;
/* The stream of acore_process_stdio() (acore/stream.h declares it too:
 * each header stands alone). */
#ifndef ACORE_STREAM_T_DECLARED
#define ACORE_STREAM_T_DECLARED
typedef struct acore_stream acore_stream_t;
#endif

/* How a standard stream of the child (0 stdin, 1 stdout, 2 stderr) is set
 * up (acore_process_options_set_stdio). */
enum {
  ACORE_STDIO_INHERIT = 0, /* the parent's same fd (the default) */
  ACORE_STDIO_IGNORE = 1,  /* /dev/null */
  ACORE_STDIO_FD = 2,      /* a given fd of the parent (dup'ed in the child;
                              the parent's stays the caller's) */
  ACORE_STDIO_PIPE = 3     /* a new pipe: the parent's end is an
                              acore_stream_t (acore_process_stdio) */
};

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/* acore_process_options_new() - options with the defaults: no arguments
 * (set them: spawn needs a program), the parent's environment and working
 * directory, every standard stream inherited.
 * Returns:  ACORE_OK and the options in *out (free with
 *           acore_process_options_free); ACORE_EINVAL (out NULL);
 *           ACORE_ENOMEM.
 * Thread:   any.                          Since: 1.1
 */
ACORE_API int acore_process_options_new(acore_process_options_t **out);

/* acore_process_options_free() - free options. Accepts NULL.
 * Thread:   any.                          Since: 1.1
 */
ACORE_API void acore_process_options_free(acore_process_options_t *opts);

/* acore_process_options_set_args() - the program and its arguments:
 * `argv` is a NULL-terminated array; argv[0] is the program (a path, or a
 * name looked up in PATH) and the child's argv[0]. Copied.
 * Returns:  ACORE_OK; ACORE_EINVAL (opts or argv NULL, argv empty);
 *           ACORE_ENOMEM (the options keep their previous arguments).
 * Thread:   any (one thread at a time per options object).  Since: 1.1
 */
ACORE_API int acore_process_options_set_args(acore_process_options_t *opts,
                                             const char *const *argv);

/* acore_process_options_set_env() - the child's whole environment, a
 * NULL-terminated array of "NAME=value" strings (copied); NULL: the
 * parent's environment (the default).
 * Returns:  ACORE_OK; ACORE_EINVAL (opts NULL, a string without '=');
 *           ACORE_ENOMEM (unchanged).
 * Thread:   any (one thread at a time per options object).  Since: 1.1
 */
ACORE_API int acore_process_options_set_env(acore_process_options_t *opts,
                                            const char *const *env);

/* acore_process_options_set_cwd() - the child's working directory
 * (copied); NULL: the parent's (the default).
 * Returns:  ACORE_OK; ACORE_EINVAL (opts NULL); ACORE_ENOMEM (unchanged).
 * Thread:   any (one thread at a time per options object).  Since: 1.1
 */
ACORE_API int acore_process_options_set_cwd(acore_process_options_t *opts,
                                            const char *cwd);

/* acore_process_options_set_stdio() - how the child's standard stream
 * `index` (0, 1 or 2) is set up: ACORE_STDIO_INHERIT, ACORE_STDIO_IGNORE,
 * ACORE_STDIO_PIPE (the parent's end: acore_process_stdio()), or
 * ACORE_STDIO_FD with the parent's `fd` (ignored otherwise).
 * Returns:  ACORE_OK; ACORE_EINVAL (opts NULL, index not 0-2, unknown
 *           mode, ACORE_STDIO_FD with fd < 0).
 * Thread:   any (one thread at a time per options object).  Since: 1.1
 */
ACORE_API int acore_process_options_set_stdio(acore_process_options_t *opts,
                                              int index, int mode, int fd);

/* Flags of a child (acore_process_options_set_flags). */
enum {
  ACORE_PROCESS_NEW_SESSION = 1 /* the child starts a new session (setsid):
                                   its own session and process group, no
                                   controlling terminal (subprocess's
                                   start_new_session) */
};

/* acore_process_options_set_flags() - the child's ACORE_PROCESS_* flags,
 * replacing the previous ones (0, the default: none).
 * Returns:  ACORE_OK; ACORE_EINVAL (opts NULL, an unknown flag: the flags
 *           are unchanged).
 * Thread:   any (one thread at a time per options object).  Since: 1.1
 */
ACORE_API int acore_process_options_set_flags(acore_process_options_t *opts,
                                              unsigned flags);

/* ------------------------------------------------------------------------ */
/* Processes                                                                 */
/* ------------------------------------------------------------------------ */

/* acore_process_spawn() - start a child as `opts` say (the options may be
 * freed or reused as soon as this returns).
 * Returns:  ACORE_OK and a new process in *out; ACORE_EINVAL (loop, opts
 *           or out NULL, no arguments set); ACORE_ENOENT (no such program,
 *           or no such working directory); ACORE_EACCES (not executable);
 *           another code of the I/O range for what the system refused
 *           (ACORE_EMFILE, ACORE_ENOTDIR, ...); ACORE_ECLOSED;
 *           ACORE_EWRONGTHREAD; ACORE_ENOMEM. On error no child runs.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_process_spawn(acore_loop_t *loop,
                                  const acore_process_options_t *opts,
                                  acore_process_t **out);

/* acore_process_stdio() - the parent's end of the child's standard stream
 * `index` made with ACORE_STDIO_PIPE: a stream to write the child's stdin
 * (0), or to read its stdout (1) or stderr (2), with the acore_stream_*
 * calls (reading gives 0 at the child's end of output). The stream lives
 * on its own: closing the process does not close it (close it, or let
 * its last unref and loop close do it).
 * Returns:  ACORE_OK and a new reference in *out; ACORE_EINVAL (p or out
 *           NULL, index not 0-2, or that stream is not a pipe).
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_process_stdio(acore_process_t *p, int index,
                                  acore_stream_t **out);

/* acore_process_pid() - the child's process id; -1 for NULL.
 * Thread:   any.                          Since: 1.1
 */
ACORE_API int acore_process_pid(const acore_process_t *p);

/* acore_process_wait() - a future that completes when the child has
 * exited, with its returncode as int result (>= 0: exit status; -N: ended
 * by signal N). Each call makes a new future; after the exit it completes
 * at once. Cancelling it does not touch the child. Cancelled at loop close.
 * Returns:  ACORE_OK and a new future in *out; ACORE_EINVAL (p or out
 *           NULL); ACORE_ECLOSED (loop closed); ACORE_EWRONGTHREAD;
 *           ACORE_ENOMEM.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_process_wait(acore_process_t *p, acore_future_t **out);

/* acore_process_returncode() - the returncode once the child has exited.
 * Returns:  ACORE_OK and the returncode in *out; ACORE_EINVALIDSTATE
 *           (still running); ACORE_EINVAL (p or out NULL).
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_process_returncode(const acore_process_t *p, int *out);

/* acore_process_kill() - send `signum` to the child (0: only check that
 * it runs).
 * Returns:  ACORE_OK; ACORE_ESRCH (it has exited: nothing is sent, so a
 *           recycled pid is never hit); ACORE_EINVAL (p NULL, signum < 0
 *           or >= NSIG); ACORE_ECLOSED (process closed); ACORE_EPERM;
 *           ACORE_EWRONGTHREAD.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_process_kill(acore_process_t *p, int signum);

/* acore_process_close() - let the process object go: a child that still
 * runs is killed (SIGKILL) and reaped before this returns, and the
 * pending exit futures complete with its returncode (-9). Idempotent.
 * Returns:  ACORE_OK (also when already closed, or its loop is);
 *           ACORE_EINVAL (p NULL); ACORE_EWRONGTHREAD.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_process_close(acore_process_t *p);

/* acore_process_ref() - a new reference to `p` (returns `p`; NULL for
 * NULL).  Thread: any.                   Since: 1.1 */
ACORE_API acore_process_t *acore_process_ref(acore_process_t *p);

/* acore_process_unref() - drop a reference. The last one closes the
 * process if needed (see acore_process_close; on the loop thread:
 * deferred there when dropped elsewhere) and frees it. Accepts NULL.
 * Thread:   any.                          Since: 1.1
 */
ACORE_API void acore_process_unref(acore_process_t *p);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_PROCESS_H */
