/* SPDX-License-Identifier: MIT */
/* test_io_process.c - child processes (acore/process.h): spawn with argv,
 * env, cwd and stdio; exit futures; kill; close and loop close with a
 * child still running. Every child is short-lived or killed, and reaped. */
#include "io_testutil.h"
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int uv_busy(acore_loop_t *loop) {
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  return uv_loop_alive(acore_loop_uv(loop));
}

/* Spawn argv (NULL-terminated) with default options. */
static acore_process_t *spawn_argv(acore_loop_t *loop,
                                   const char *const *argv) {
  acore_process_options_t *o = NULL;
  acore_process_t *p = NULL;

  assert_int_equal(acore_process_options_new(&o), ACORE_OK);
  assert_int_equal(acore_process_options_set_args(o, argv), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_OK);
  acore_process_options_free(o);
  return p;
}

static acore_process_t *spawn_sh(acore_loop_t *loop, const char *script) {
  const char *argv[] = {"/bin/sh", "-c", script, NULL};

  return spawn_argv(loop, argv);
}

/* The returncode of `p`, waiting at most 5 s. */
static int wait_rc(acore_loop_t *loop, acore_process_t *p) {
  acore_future_t *f = NULL;
  int rc;

  assert_int_equal(acore_process_wait(p, &f), ACORE_OK);
  io_wait(loop, f, 5);
  rc = (int)io_int(f);
  acore_future_unref(f);
  return rc;
}

/* Nothing left of `pid`: reaped (not a zombie), not running. */
static void assert_reaped(int pid) {
  assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
  assert_int_equal(errno, ECHILD);
  assert_int_equal(kill(pid, 0), -1);
}

static void test_io_process_exit_status(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_process_t *p = spawn_sh(loop, "exit 3");
  int rc = -1;

  assert_true(acore_process_pid(p) > 0);
  assert_int_equal(acore_process_returncode(p, &rc), ACORE_EINVALIDSTATE);
  assert_int_equal(wait_rc(loop, p), 3);
  assert_int_equal(acore_process_returncode(p, &rc), ACORE_OK);
  assert_int_equal(rc, 3);
  assert_int_equal(wait_rc(loop, p), 3); /* after the exit: at once */
  assert_int_equal(acore_process_kill(p, SIGTERM), ACORE_ESRCH);
  assert_reaped(acore_process_pid(p));
  assert_false(uv_busy(loop));
  acore_process_unref(p);
}

/* kill: the returncode is minus the signal; several waiters, one of them
 * cancelled (the child is untouched by that). */
static void test_io_process_kill(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const char *argv[] = {"sleep", "30", NULL}; /* found in PATH */
  acore_process_t *p = spawn_argv(loop, argv);
  acore_future_t *a = NULL, *b = NULL, *c = NULL;

  assert_int_equal(acore_process_wait(p, &a), ACORE_OK);
  assert_int_equal(acore_process_wait(p, &b), ACORE_OK);
  assert_int_equal(acore_process_wait(p, &c), ACORE_OK);
  assert_int_equal(acore_future_cancel(b, NULL), 1);
  assert_int_equal(acore_process_kill(p, 0), ACORE_OK);
  assert_int_equal(kill(acore_process_pid(p), 0), 0); /* still runs */
  assert_int_equal(acore_process_kill(p, SIGTERM), ACORE_OK);
  io_wait(loop, c, 5);
  assert_int_equal(io_int(a), -SIGTERM);
  assert_int_equal(io_int(c), -SIGTERM);
  assert_int_equal(acore_future_state(b), ACORE_FUTURE_CANCELLED);
  assert_reaped(acore_process_pid(p));
  acore_future_unref(a);
  acore_future_unref(b);
  acore_future_unref(c);
  acore_process_unref(p);
  assert_false(uv_busy(loop));
}

/* wait_for on a child that outlives it: the wait is cancelled, the child
 * runs on until killed. */
static void test_io_process_wait_for(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_process_t *p = spawn_sh(loop, "sleep 30");
  acore_future_t *f = NULL, *wf = NULL;

  assert_int_equal(acore_process_wait(p, &f), ACORE_OK);
  assert_int_equal(acore_wait_for(f, 0.05, &wf), ACORE_OK);
  io_wait(loop, wf, 5);
  assert_int_equal(acore_future_result(wf, NULL), ACORE_ETIMEDOUT);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_CANCELLED);
  assert_int_equal(kill(acore_process_pid(p), 0), 0);
  assert_int_equal(acore_process_kill(p, SIGKILL), ACORE_OK);
  assert_int_equal(wait_rc(loop, p), -SIGKILL);
  acore_future_unref(f);
  acore_future_unref(wf);
  acore_process_unref(p);
}

/* The exit future keeps the process: dropping the object while awaiting
 * its exit does not kill the child. */
static void test_io_process_wait_keeps_process(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_process_t *p = spawn_sh(loop, "sleep 0.05; exit 4");
  acore_future_t *f = NULL;

  assert_int_equal(acore_process_wait(p, &f), ACORE_OK);
  acore_process_unref(p);
  io_wait(loop, f, 5);
  assert_int_equal(io_int(f), 4);
  acore_future_unref(f);
  assert_false(uv_busy(loop));
}

static void test_io_process_env_and_cwd(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const char *argv[] = {"/bin/sh", "-c",
                        "test \"$(pwd -P)\" = \"$WANT\" && exit $CODE; exit 99",
                        NULL};
  char dir[] = "/tmp/acore-proc-XXXXXX", real[4096], want[4200];
  const char *env[] = {want, "CODE=7", NULL};
  acore_process_options_t *o = NULL;
  acore_process_t *p = NULL;

  assert_non_null(mkdtemp(dir));
  assert_non_null(realpath(dir, real));
  snprintf(want, sizeof(want), "WANT=%s", real);
  assert_int_equal(acore_process_options_new(&o), ACORE_OK);
  assert_int_equal(acore_process_options_set_args(o, argv), ACORE_OK);
  assert_int_equal(acore_process_options_set_env(o, env), ACORE_OK);
  assert_int_equal(acore_process_options_set_cwd(o, dir), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_OK);
  assert_int_equal(wait_rc(loop, p), 7);
  acore_process_unref(p);
  /* back to the parent's environment and directory */
  assert_int_equal(acore_process_options_set_env(o, NULL), ACORE_OK);
  assert_int_equal(acore_process_options_set_cwd(o, NULL), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_OK);
  assert_int_equal(wait_rc(loop, p), 99);
  acore_process_unref(p);
  acore_process_options_free(o);
  rmdir(dir);
}

/* ACORE_PROCESS_NEW_SESSION: the child leads a session of its own (its
 * session id, field 6 of /proc/<pid>/stat, is its pid); without it, the
 * child stays in ours. */
static void test_io_process_new_session(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const char *argv[] = {"/bin/sh", "-c",
                        "test \"$(cut -d' ' -f6 /proc/$$/stat)\" = $$", NULL};
  acore_process_options_t *o = NULL;
  acore_process_t *p = NULL;

  assert_int_equal(acore_process_options_new(&o), ACORE_OK);
  assert_int_equal(acore_process_options_set_args(o, argv), ACORE_OK);
  assert_int_equal(
      acore_process_options_set_flags(o, ACORE_PROCESS_NEW_SESSION),
      ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_OK);
  assert_int_equal(wait_rc(loop, p), 0);
  acore_process_unref(p);
  assert_int_equal(acore_process_options_set_flags(o, 0), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_OK);
  assert_int_equal(wait_rc(loop, p), 1);
  acore_process_unref(p);
  acore_process_options_free(o);
}

/* stdout to a pipe of ours (read through a readiness future), stdin
 * ignored (/dev/null: `read` meets end of file), stderr inherited. */
static void test_io_process_stdio(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const char *argv[] = {"/bin/sh", "-c", "echo hello; read x; exit $?", NULL};
  acore_process_options_t *o = NULL;
  acore_process_t *p = NULL;
  acore_future_t *r = NULL;
  char buf[64] = {0};
  int fds[2];

  assert_int_equal(pipe(fds), 0);
  assert_int_equal(acore_process_options_new(&o), ACORE_OK);
  assert_int_equal(acore_process_options_set_args(o, argv), ACORE_OK);
  assert_int_equal(acore_process_options_set_stdio(o, 0, ACORE_STDIO_IGNORE,
                                                   -1), ACORE_OK);
  assert_int_equal(acore_process_options_set_stdio(o, 1, ACORE_STDIO_FD,
                                                   fds[1]), ACORE_OK);
  assert_int_equal(acore_process_options_set_stdio(o, 2, ACORE_STDIO_INHERIT,
                                                   -1), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_OK);
  acore_process_options_free(o);
  close(fds[1]); /* the child has its copy */
  assert_int_equal(acore_fd_readable(loop, fds[0], &r), ACORE_OK);
  io_wait(loop, r, 5);
  assert_int_equal(read(fds[0], buf, sizeof(buf) - 1), 6);
  assert_string_equal(buf, "hello\n");
  assert_int_equal(wait_rc(loop, p), 1); /* read failed: end of file */
  acore_future_unref(r);
  acore_process_unref(p);
  close(fds[0]);
}

/* Read `s` to its end into buf[cap] (bounded by the test's deadline). */
static size_t read_all(acore_loop_t *loop, acore_stream_t *s, char *buf,
                       size_t cap) {
  size_t n = 0;
  int64_t got;

  do {
    acore_future_t *f = NULL;
    assert_true(n < cap);
    assert_int_equal(acore_stream_read(s, buf + n, cap - n, &f), ACORE_OK);
    io_wait(loop, f, 5);
    got = io_int(f);
    acore_future_unref(f);
    n += (size_t)got;
  } while (got > 0);
  return n;
}

/* Pipes as streams: write the child's stdin (/bin/cat), read its stdout;
 * read another's stderr. */
static void test_io_process_pipes(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const char *cat[] = {"/bin/cat", NULL};
  const char *err[] = {"/bin/sh", "-c", "echo oops >&2; exit 2", NULL};
  acore_process_options_t *o = NULL;
  acore_process_t *p = NULL;
  acore_stream_t *in = NULL, *out = NULL, *e = NULL;
  acore_future_t *w = NULL, *sd = NULL;
  char buf[256];
  size_t n;

  assert_int_equal(acore_process_options_new(&o), ACORE_OK);
  assert_int_equal(acore_process_options_set_args(o, cat), ACORE_OK);
  assert_int_equal(acore_process_options_set_stdio(o, 0, ACORE_STDIO_PIPE,
                                                   -1), ACORE_OK);
  assert_int_equal(acore_process_options_set_stdio(o, 1, ACORE_STDIO_PIPE,
                                                   -1), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_OK);
  assert_int_equal(acore_process_stdio(p, 0, &in), ACORE_OK);
  assert_int_equal(acore_process_stdio(p, 1, &out), ACORE_OK);
  assert_int_equal(acore_process_stdio(p, 2, &e), ACORE_EINVAL); /* inherited */
  assert_int_equal(acore_stream_write(in, "hello, cat\n", 11, &w), ACORE_OK);
  io_wait(loop, w, 5);
  assert_int_equal(io_int(w), 11);
  assert_int_equal(acore_stream_shutdown(in, &sd), ACORE_OK); /* cat: EOF */
  io_wait(loop, sd, 5);
  n = read_all(loop, out, buf, sizeof(buf));
  assert_int_equal(n, 11);
  assert_memory_equal(buf, "hello, cat\n", 11);
  assert_int_equal(wait_rc(loop, p), 0);
  acore_future_unref(w);
  acore_future_unref(sd);
  acore_stream_unref(in);
  acore_stream_unref(out);
  acore_process_unref(p);

  assert_int_equal(acore_process_options_set_args(o, err), ACORE_OK);
  assert_int_equal(acore_process_options_set_stdio(o, 0, ACORE_STDIO_IGNORE,
                                                   -1), ACORE_OK);
  assert_int_equal(acore_process_options_set_stdio(o, 1, ACORE_STDIO_INHERIT,
                                                   -1), ACORE_OK);
  assert_int_equal(acore_process_options_set_stdio(o, 2, ACORE_STDIO_PIPE,
                                                   -1), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_OK);
  assert_int_equal(acore_process_stdio(p, 2, &e), ACORE_OK);
  n = read_all(loop, e, buf, sizeof(buf));
  assert_int_equal(n, 5);
  assert_memory_equal(buf, "oops\n", 5);
  assert_int_equal(wait_rc(loop, p), 2);
  acore_stream_unref(e);
  acore_process_unref(p);
  acore_process_options_free(o);
  assert_false(uv_busy(loop));
}

/* A pipe spawn that fails leaves no stream behind; the loop's close closes
 * the pipes of a process still running. */
static void test_io_process_pipes_fail_and_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const char *none[] = {"/nonexistent/acore-no-such-program", NULL};
  const char *sleeper[] = {"/bin/sleep", "30", NULL};
  acore_process_options_t *o = NULL;
  acore_process_t *p = NULL;
  acore_stream_t *out = NULL;
  acore_future_t *r = NULL;
  char buf[8];

  assert_int_equal(acore_process_options_new(&o), ACORE_OK);
  assert_int_equal(acore_process_options_set_args(o, none), ACORE_OK);
  assert_int_equal(acore_process_options_set_stdio(o, 1, ACORE_STDIO_PIPE,
                                                   -1), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_ENOENT);
  assert_false(uv_busy(loop));
  assert_int_equal(acore_process_options_set_args(o, sleeper), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_OK);
  acore_process_options_free(o);
  assert_int_equal(acore_process_stdio(p, 1, &out), ACORE_OK);
  assert_int_equal(acore_stream_read(out, buf, sizeof(buf), &r), ACORE_OK);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_int_equal(acore_future_state(r), ACORE_FUTURE_CANCELLED);
  acore_future_unref(r);
  acore_stream_unref(out);
  acore_process_unref(p);
}

static void test_io_process_missing_program(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const char *argv[] = {"/nonexistent/acore-no-such-program", NULL};
  const char *name[] = {"acore-no-such-program-in-path", NULL};
  const char *ok[] = {"/bin/true", NULL};
  acore_process_options_t *o = NULL;
  acore_process_t *p = NULL;

  assert_int_equal(acore_process_options_new(&o), ACORE_OK);
  assert_int_equal(acore_process_options_set_args(o, argv), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_ENOENT);
  assert_int_equal(acore_process_options_set_args(o, name), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_ENOENT);
  assert_int_equal(acore_process_options_set_args(o, ok), ACORE_OK);
  assert_int_equal(acore_process_options_set_cwd(o, "/nonexistent/dir"),
                   ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_ENOENT);
  assert_null(p);
  acore_process_options_free(o);
  assert_false(uv_busy(loop));
}

/* close with the child running: killed and reaped at once; the waiters
 * see -SIGKILL. */
static void test_io_process_close_kills(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_process_t *p = spawn_sh(loop, "sleep 30");
  acore_future_t *f = NULL;
  int pid = acore_process_pid(p);

  assert_int_equal(acore_process_wait(p, &f), ACORE_OK);
  assert_int_equal(acore_process_close(p), ACORE_OK);
  assert_reaped(pid);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_RESULT);
  assert_int_equal(io_int(f), -SIGKILL);
  assert_int_equal(acore_process_close(p), ACORE_OK); /* idempotent */
  assert_int_equal(acore_process_kill(p, SIGTERM), ACORE_ECLOSED);
  assert_false(uv_busy(loop));
  acore_future_unref(f);
  acore_process_unref(p);
  /* the last unref of a running child does the same */
  p = spawn_sh(loop, "sleep 30");
  pid = acore_process_pid(p);
  acore_process_unref(p);
  assert_reaped(pid);
  assert_false(uv_busy(loop));
}

static void test_io_process_loop_close(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  acore_process_t *p = spawn_sh(loop, "sleep 30");
  acore_future_t *f = NULL;
  int pid = acore_process_pid(p), rc = 0;

  assert_int_equal(acore_process_wait(p, &f), ACORE_OK);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT);
  assert_int_equal(acore_loop_close(loop), ACORE_OK);
  assert_reaped(pid);
  assert_int_equal(acore_future_state(f), ACORE_FUTURE_CANCELLED);
  assert_int_equal(acore_process_returncode(p, &rc), ACORE_OK);
  assert_int_equal(rc, -SIGKILL);
  assert_int_equal(acore_process_kill(p, SIGTERM), ACORE_ECLOSED);
  assert_int_equal(acore_process_wait(p, &f), ACORE_ECLOSED);
  assert_int_equal(acore_process_close(p), ACORE_OK);
  acore_process_unref(p);
  acore_future_unref(f);
}

static void test_io_process_einval(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const char *empty[] = {NULL};
  const char *ok[] = {"/bin/true", NULL};
  const char *badenv[] = {"NOEQUALS", NULL};
  acore_process_options_t *o = NULL;
  acore_process_t *p = NULL;
  acore_future_t *f = NULL;
  acore_stream_t *s = NULL;
  int rc;

  assert_int_equal(acore_process_options_new(NULL), ACORE_EINVAL);
  acore_process_options_free(NULL);
  assert_int_equal(acore_process_options_new(&o), ACORE_OK);
  assert_int_equal(acore_process_options_set_args(NULL, ok), ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_args(o, NULL), ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_args(o, empty), ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_env(NULL, NULL), ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_env(o, badenv), ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_cwd(NULL, "/"), ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_stdio(NULL, 0, 0, 0),
                   ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_stdio(o, 3, 0, 0), ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_stdio(o, -1, 0, 0),
                   ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_stdio(o, 0, 7, 0), ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_stdio(o, 1, ACORE_STDIO_FD, -1),
                   ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_stdio(o, 1, 4, -1),
                   ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_flags(NULL, 0), ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_flags(o, 2), ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_flags(o, ~0u), ACORE_EINVAL);
  /* no arguments yet */
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_EINVAL);
  assert_int_equal(acore_process_options_set_args(o, ok), ACORE_OK);
  assert_int_equal(acore_process_spawn(NULL, o, &p), ACORE_EINVAL);
  assert_int_equal(acore_process_spawn(loop, NULL, &p), ACORE_EINVAL);
  assert_int_equal(acore_process_spawn(loop, o, NULL), ACORE_EINVAL);
  assert_null(p);
  assert_int_equal(acore_process_pid(NULL), -1);
  assert_int_equal(acore_process_stdio(NULL, 0, &s), ACORE_EINVAL);
  assert_int_equal(acore_process_wait(NULL, &f), ACORE_EINVAL);
  assert_int_equal(acore_process_returncode(NULL, &rc), ACORE_EINVAL);
  assert_int_equal(acore_process_kill(NULL, SIGTERM), ACORE_EINVAL);
  assert_int_equal(acore_process_close(NULL), ACORE_EINVAL);
  assert_null(acore_process_ref(NULL));
  acore_process_unref(NULL);
  assert_int_equal(acore_process_spawn(loop, o, &p), ACORE_OK);
  assert_int_equal(acore_process_wait(p, NULL), ACORE_EINVAL);
  assert_int_equal(acore_process_stdio(p, 0, NULL), ACORE_EINVAL);
  assert_int_equal(acore_process_stdio(p, 3, &s), ACORE_EINVAL);
  assert_int_equal(acore_process_stdio(p, -1, &s), ACORE_EINVAL);
  assert_int_equal(acore_process_stdio(p, 1, &s), ACORE_EINVAL); /* no pipe */
  assert_int_equal(acore_process_returncode(p, NULL), ACORE_EINVAL);
  assert_int_equal(acore_process_kill(p, -1), ACORE_EINVAL);
  assert_int_equal(acore_process_kill(p, NSIG), ACORE_EINVAL);
  assert_ptr_equal(acore_process_ref(p), p);
  acore_process_unref(p);
  assert_int_equal(wait_rc(loop, p), 0);
  acore_process_unref(p);
  acore_process_options_free(o);
}

typedef struct thr_arg {
  acore_loop_t *loop;
  acore_process_t *p;
  acore_process_options_t *o;
  int rc[4];
} thr_arg;

static void *from_other_thread(void *ud) {
  thr_arg *a = ud;
  acore_process_t *p = NULL;
  acore_future_t *f = NULL;

  a->rc[0] = acore_process_spawn(a->loop, a->o, &p);
  a->rc[1] = acore_process_wait(a->p, &f);
  a->rc[2] = acore_process_kill(a->p, SIGTERM);
  a->rc[3] = acore_process_close(a->p);
  acore_process_unref(a->p); /* the last: deferred to the loop thread */
  return NULL;
}

static void test_io_process_other_thread(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  const char *argv[] = {"/bin/sleep", "30", NULL};
  thr_arg a = {loop, NULL, NULL, {0}};
  pthread_t th;
  int pid;

  assert_int_equal(acore_process_options_new(&a.o), ACORE_OK);
  assert_int_equal(acore_process_options_set_args(a.o, argv), ACORE_OK);
  assert_int_equal(acore_process_spawn(loop, a.o, &a.p), ACORE_OK);
  pid = acore_process_pid(a.p);
  assert_int_equal(pthread_create(&th, NULL, from_other_thread, &a), 0);
  pthread_join(th, NULL);
  assert_int_equal(a.rc[0], ACORE_EWRONGTHREAD);
  assert_int_equal(a.rc[1], ACORE_EWRONGTHREAD);
  assert_int_equal(a.rc[2], ACORE_EWRONGTHREAD);
  assert_int_equal(a.rc[3], ACORE_EWRONGTHREAD);
  assert_int_equal(kill(pid, 0), 0);
  acore_loop_run_once(loop, ACORE_RUN_NOWAIT); /* the deferred close */
  assert_reaped(pid);
  acore_process_options_free(a.o);
}

/* Options, spawn and wait under a planned allocation failure; the child
 * is awaited afterwards, with allocation back to normal. */
static int alloc_scenario(acore_loop_t *loop, acore_process_t **p,
                          acore_future_t **f) {
  const char *argv[] = {"/bin/sh", "-c", "exit 2", NULL};
  const char *env[] = {"A=1", "B=2", NULL};
  acore_process_options_t *o = NULL;
  int rc;

  if ((rc = acore_process_options_new(&o)) != ACORE_OK)
    return rc;
  if ((rc = acore_process_options_set_args(o, argv)) == ACORE_OK &&
      (rc = acore_process_options_set_env(o, env)) == ACORE_OK &&
      (rc = acore_process_options_set_cwd(o, "/")) == ACORE_OK &&
      (rc = acore_process_options_set_stdio(o, 1, ACORE_STDIO_PIPE, -1)) ==
          ACORE_OK &&
      (rc = acore_process_spawn(loop, o, p)) == ACORE_OK)
    rc = acore_process_wait(*p, f);
  acore_process_options_free(o);
  return rc;
}

static void test_io_process_alloc_failure_walk(void **state) {
  acore_loop_t *loop = TU_LOOP(state);
  long nth;
  int rc;

  for (nth = 1; nth < 200; nth++) {
    acore_process_t *p = NULL;
    acore_future_t *f = NULL;

    tu_alloc_fail_at(nth);
    rc = alloc_scenario(loop, &p, &f);
    tu_alloc_fail_at(0);
    if (p != NULL)
      assert_int_equal(wait_rc(loop, p), 2);
    acore_future_unref(f);
    acore_process_unref(p);
    assert_false(uv_busy(loop));
    if (rc == ACORE_OK) {
      assert_int_equal(tu_alloc_failed(), 0);
      break;
    }
    assert_int_equal(rc, ACORE_ENOMEM);
  }
  assert_true(nth > 5 && nth < 200);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    IO_TEST(test_io_process_exit_status),
    IO_TEST(test_io_process_kill),
    IO_TEST(test_io_process_wait_for),
    IO_TEST(test_io_process_wait_keeps_process),
    IO_TEST(test_io_process_env_and_cwd),
    IO_TEST(test_io_process_new_session),
    IO_TEST(test_io_process_stdio),
    IO_TEST(test_io_process_pipes),
    IO_TEST(test_io_process_pipes_fail_and_close),
    IO_TEST(test_io_process_missing_program),
    IO_TEST(test_io_process_close_kills),
    IO_TEST(test_io_process_loop_close),
    IO_TEST(test_io_process_einval),
    cmocka_unit_test_setup_teardown(test_io_process_other_thread,
                                    tu_setup_debug, tu_teardown),
    IO_TEST_WALK(test_io_process_alloc_failure_walk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
