/* SPDX-License-Identifier: MIT */
/* io_sys.c - file descriptor readiness, signals, child processes (1.1).
 * Built against the released headers: these calls compile once a release
 * has the headers (acore/fd.h ...); against 1.0 the file is empty. */
#include "ob.h"

#if __has_include(<acore/fd.h>)
#include <acore/fd.h>

#include <sys/socket.h>
#include <unistd.h>

static void on_fd(acore_fd_watcher_t *w, int fd, unsigned events, void *ud) {
  (void)w;
  (void)fd;
  *(unsigned *)ud |= events;
}

static void fds(void) {
  acore_loop_t *loop = ob_vloop();
  acore_future_t *r = NULL, *wr = NULL;
  acore_fd_watcher_t *w = NULL;
  unsigned seen = 0;
  int sv[2];

  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  CHECK(acore_fd_readable(loop, sv[0], &r) == ACORE_OK);
  CHECK(acore_fd_writable(loop, sv[0], &wr) == ACORE_OK);
  CHECK(acore_fd_watcher_new(loop, sv[0], 0, on_fd, &seen, NULL, &w) ==
        ACORE_OK);
  CHECK(acore_fd_watcher_ref(w) == w);
  acore_fd_watcher_unref(w);
  CHECK(acore_fd_watcher_fd(w) == sv[0]);
  CHECK(acore_fd_watcher_set_events(w, ACORE_FD_WRITABLE) == ACORE_OK);
  CHECK(acore_fd_watcher_events(w) == ACORE_FD_WRITABLE);
  CHECK(write(sv[1], "x", 1) == 1);
  CHECK(acore_loop_run_until_complete(loop, r) == ACORE_OK);
  CHECK(ob_int(r) == ACORE_FD_READABLE);
  CHECK(acore_loop_run_until_complete(loop, wr) == ACORE_OK);
  CHECK(ob_int(wr) == ACORE_FD_WRITABLE);
  CHECK(seen == ACORE_FD_WRITABLE);
  CHECK(acore_fd_watcher_close(w) == ACORE_OK);
  acore_fd_watcher_unref(w);
  acore_future_unref(r);
  acore_future_unref(wr);
  ob_vloop_done(loop);
  close(sv[0]);
  close(sv[1]);
}

#if __has_include(<acore/signal.h>)
#include <acore/signal.h>

#include <signal.h>

static void on_sig(acore_signal_t *sig, int signum, void *ud) {
  (void)sig;
  *(int *)ud = signum;
}

static void signals(void) {
  acore_loop_t *loop = ob_vloop();
  acore_future_t *f = NULL;
  acore_signal_t *s = NULL;
  int got = 0;

  CHECK(acore_signal_wait(loop, SIGUSR1, &f) == ACORE_OK);
  CHECK(acore_signal_new(loop, SIGUSR1, on_sig, &got, NULL, &s) == ACORE_OK);
  CHECK(acore_signal_ref(s) == s);
  acore_signal_unref(s);
  CHECK(acore_signal_signum(s) == SIGUSR1);
  CHECK(raise(SIGUSR1) == 0);
  CHECK(acore_loop_run_until_complete(loop, f) == ACORE_OK);
  CHECK(ob_int(f) == SIGUSR1);
  CHECK(got == SIGUSR1);
  CHECK(acore_signal_close(s) == ACORE_OK);
  acore_signal_unref(s);
  acore_future_unref(f);
  ob_vloop_done(loop);
}
#else
static void signals(void) {}
#endif

#if __has_include(<acore/process.h>)
#include <acore/process.h>

static void processes(void) {
  const char *argv[] = {"/bin/sh", "-c", "exit $CODE", NULL};
  const char *env[] = {"CODE=5", NULL};
  acore_loop_t *loop = ob_vloop();
  acore_process_options_t *o = NULL;
  acore_process_t *p = NULL;
  acore_future_t *f = NULL;
  acore_stream_t *in = NULL;
  int rc = -1;

  CHECK(acore_process_options_new(&o) == ACORE_OK);
  CHECK(acore_process_options_set_args(o, argv) == ACORE_OK);
  CHECK(acore_process_options_set_env(o, env) == ACORE_OK);
  CHECK(acore_process_options_set_cwd(o, "/") == ACORE_OK);
  CHECK(acore_process_options_set_flags(o, ACORE_PROCESS_NEW_SESSION) ==
        ACORE_OK);
  CHECK(acore_process_options_set_stdio(o, 0, ACORE_STDIO_IGNORE, -1) ==
        ACORE_OK);
  CHECK(acore_process_spawn(loop, o, &p) == ACORE_OK);
  acore_process_options_free(o);
  CHECK(acore_process_pid(p) > 0);
  CHECK(acore_process_ref(p) == p);
  acore_process_unref(p);
  CHECK(acore_process_kill(p, 0) == ACORE_OK || acore_process_kill(p, 0) ==
        ACORE_ESRCH);
  CHECK(acore_process_wait(p, &f) == ACORE_OK);
  CHECK(acore_process_stdio(p, 0, &in) == ACORE_EINVAL); /* not a pipe */
  CHECK(acore_loop_run_until_complete(loop, f) == ACORE_OK);
  CHECK(ob_int(f) == 5);
  CHECK(acore_process_returncode(p, &rc) == ACORE_OK && rc == 5);
  CHECK(acore_process_kill(p, 9) == ACORE_ESRCH);
  CHECK(acore_process_close(p) == ACORE_OK);
  acore_process_unref(p);
  acore_future_unref(f);
  ob_vloop_done(loop);
}
#else
static void processes(void) {}
#endif

void ob_io_sys(void) {
  fds();
  signals();
  processes();
}
#else
void ob_io_sys(void) {}
#endif
