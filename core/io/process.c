/* SPDX-License-Identifier: MIT */
/*
 * process.c - child processes: options, spawn, exit futures, kill, close
 * (acore/process.h).
 *
 * Design notes
 * - A process is a composite future nobody sees as one (as fd.c's
 *   watchers): reference counted, destroyed on the loop thread. Its libuv
 *   handle lives in a block of its own (proch) that libuv's close callback
 *   frees, so the handle may outlive the object.
 * - The child is reaped by libuv's SIGCHLD handling while the handle is
 *   open. Closing the handle ends that, so close first kills a child that
 *   still runs and reaps it itself (waitpid, blocking for the moment a
 *   SIGKILLed child takes to go): no zombie, no child outliving its object.
 * - An exit future (pwait) holds a reference to its process while it is
 *   pending, so awaiting a child whose object was dropped still works. The
 *   exit callback completes the waiters first and drops their references
 *   last, as that may destroy the process.
 * - Open processes are listed in the loop's registry (found through its
 *   closer record); loop close cancels their waiters and closes them.
 */
#include "acore/process.h"

#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "io.h"
#include "loop.h"
#include "queue.h"
#include "uverr.h"
#include "value.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

struct acore_process_options {
  char **argv; /* NULL-terminated, or NULL */
  char **env;  /* NULL: the parent's */
  char *cwd;   /* NULL: the parent's */
  int mode[3];
  int fd[3];
  unsigned flags; /* ACORE_PROCESS_* */
};

typedef struct proch {
  acore__uvblock blk;      /* first: the loop; freed once uv closed */
  uv_process_t uv;         /* data: the proch */
  acore_process_t *owner;  /* NULL once closed */
} proch;

typedef acore__ioreg procreg; /* live: acore_process.node */

struct acore_process {
  acore__xfuture x;      /* first: refs and lifetime */
  acore__queue node;     /* in the registry while open */
  proch *h;              /* NULL once closed */
  int pid;
  bool exited;
  int rc;                /* the returncode, once exited */
  acore__queue waiters;  /* pwait.node */
  acore_stream_t *io[3]; /* the parent's ends of ACORE_STDIO_PIPE streams */
};

typedef struct pwait {
  acore__xfuture x;  /* first */
  acore__queue node; /* in p->waiters while pending */
  acore_process_t *p; /* a reference while pending */
} pwait;

/* ---- options ------------------------------------------------------------ */

static void strv_free(char **v) {
  size_t i;

  for (i = 0; v != NULL && v[i] != NULL; i++)
    acore__free(v[i]);
  acore__free(v);
}

static int strv_dup(const char *const *src, char ***out) {
  size_t n = 0, i;
  char **v;

  while (src[n] != NULL)
    n++;
  v = acore__calloc(n + 1, sizeof(*v));
  if (v == NULL)
    return ACORE_ENOMEM;
  for (i = 0; i < n; i++)
    if ((v[i] = acore__strdup(src[i])) == NULL) {
      strv_free(v);
      return ACORE_ENOMEM;
    }
  *out = v;
  return ACORE_OK;
}

int acore_process_options_new(acore_process_options_t **out) {
  acore_process_options_t *o;

  if (out == NULL)
    return ACORE_EINVAL;
  o = acore__calloc(1, sizeof(*o));
  if (o == NULL)
    return ACORE_ENOMEM;
  *out = o; /* mode: ACORE_STDIO_INHERIT (0) */
  return ACORE_OK;
}

void acore_process_options_free(acore_process_options_t *opts) {
  if (opts == NULL)
    return;
  strv_free(opts->argv);
  strv_free(opts->env);
  acore__free(opts->cwd);
  acore__free(opts);
}

int acore_process_options_set_args(acore_process_options_t *opts,
                                   const char *const *argv) {
  char **v;

  if (opts == NULL || argv == NULL || argv[0] == NULL)
    return ACORE_EINVAL;
  if (strv_dup(argv, &v) != ACORE_OK)
    return ACORE_ENOMEM;
  strv_free(opts->argv);
  opts->argv = v;
  return ACORE_OK;
}

int acore_process_options_set_env(acore_process_options_t *opts,
                                  const char *const *env) {
  char **v = NULL;
  size_t i;

  if (opts == NULL)
    return ACORE_EINVAL;
  for (i = 0; env != NULL && env[i] != NULL; i++)
    if (strchr(env[i], '=') == NULL)
      return ACORE_EINVAL;
  if (env != NULL && strv_dup(env, &v) != ACORE_OK)
    return ACORE_ENOMEM;
  strv_free(opts->env);
  opts->env = v;
  return ACORE_OK;
}

int acore_process_options_set_cwd(acore_process_options_t *opts,
                                  const char *cwd) {
  char *c = NULL;

  if (opts == NULL)
    return ACORE_EINVAL;
  if (cwd != NULL && (c = acore__strdup(cwd)) == NULL)
    return ACORE_ENOMEM;
  acore__free(opts->cwd);
  opts->cwd = c;
  return ACORE_OK;
}

int acore_process_options_set_stdio(acore_process_options_t *opts, int index,
                                    int mode, int fd) {
  if (opts == NULL || index < 0 || index > 2 ||
      (mode != ACORE_STDIO_INHERIT && mode != ACORE_STDIO_IGNORE &&
       mode != ACORE_STDIO_FD && mode != ACORE_STDIO_PIPE) ||
      (mode == ACORE_STDIO_FD && fd < 0))
    return ACORE_EINVAL;
  opts->mode[index] = mode;
  opts->fd[index] = mode == ACORE_STDIO_FD ? fd : index;
  return ACORE_OK;
}

int acore_process_options_set_flags(acore_process_options_t *opts,
                                    unsigned flags) {
  if (opts == NULL || (flags & ~(unsigned)ACORE_PROCESS_NEW_SESSION) != 0)
    return ACORE_EINVAL;
  opts->flags = flags;
  return ACORE_OK;
}

/* ---- the handle and the registry ---------------------------------------- */

static void reg_close(acore__closer *c, acore_loop_t *loop);

static procreg *reg_get(acore_loop_t *loop) {
  return acore__ioreg_get(loop, reg_close, sizeof(procreg));
}

static void proch_close(proch *h) {
  h->owner = NULL;
  acore__uvblock_close((uv_handle_t *)&h->uv);
}

/* ---- exit --------------------------------------------------------------- */

/* Complete the waiters with the returncode (or cancel them: loop close),
 * then drop their references to `p` (which may destroy it). */
static void finish_waiters(acore_process_t *p, bool cancel) {
  acore__queue q;
  int n = 0;

  acore__queue_move(&p->waiters, &q);
  while (!acore__queue_empty(&q)) {
    pwait *w = acore__queue_data(acore__queue_head(&q), pwait, node);
    acore__queue_remove(&w->node);
    acore__queue_init(&w->node);
    w->p = NULL;
    if (cancel)
      acore__comb_set_cancelled(&w->x.fut, "loop closed");
    else
      acore__future_complete(&w->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_INT,
                             acore__value_int(p->rc));
    n++;
  }
  while (n-- > 0)
    acore_future_unref(&p->x.fut); /* p may be gone after the last */
}

static void on_exit(uv_process_t *uvp, int64_t status, int term_signal) {
  proch *h = uvp->data;
  acore_process_t *p = h->owner;

  if (p == NULL)
    return;
  p->exited = true;
  p->rc = term_signal != 0 ? -term_signal : (int)status;
  finish_waiters(p, false);
}

/* Kill a child that still runs and reap it; close the handle. */
static void process_close(acore_process_t *p) {
  int st;
  pid_t r;

  if (p->h == NULL)
    return;
  if (!p->exited) {
    kill(p->pid, SIGKILL);
    do
      r = waitpid(p->pid, &st, 0);
    while (r < 0 && errno == EINTR);
    p->exited = true;
    p->rc = r == p->pid && WIFEXITED(st) ? WEXITSTATUS(st)
            : r == p->pid && WIFSIGNALED(st) ? -WTERMSIG(st)
                                             : -SIGKILL;
  }
  acore__queue_remove(&p->node);
  proch_close(p->h);
  p->h = NULL;
}

static void process_destroy(acore_future_t *f) {
  acore_process_t *p = (acore_process_t *)f;
  int i;

  process_close(p); /* no waiter left: they hold refs */
  for (i = 0; i < 3; i++)
    acore_stream_unref(p->io[i]);
}

static const acore__future_ops process_ops = {
    .destroy = process_destroy,
    .name = "process"};

/* ---- spawn -------------------------------------------------------------- */

static void drop_pipes(acore_stream_t *s[3]) {
  int i;

  for (i = 0; i < 3; i++)
    if (s[i] != NULL) {
      acore_stream_close(s[i]);
      acore_stream_unref(s[i]);
      s[i] = NULL;
    }
}

/* The child's standard streams; a new pipe stream for each PIPE. */
static int fill_stdio(acore_loop_t *loop, const acore_process_options_t *o,
                      uv_stdio_container_t io[3], acore_stream_t *s[3]) {
  int i, rc;

  for (i = 0; i < 3; i++) {
    if (o->mode[i] == ACORE_STDIO_PIPE) {
      rc = acore__stream_new(loop, ACORE__STREAM_PIPE, &s[i]);
      if (rc != ACORE_OK) {
        drop_pipes(s);
        return rc;
      }
      io[i].flags = UV_CREATE_PIPE |
                    (i == 0 ? UV_READABLE_PIPE : UV_WRITABLE_PIPE);
      io[i].data.stream = acore__stream_uv(s[i]);
      continue;
    }
    io[i].flags = o->mode[i] == ACORE_STDIO_IGNORE ? UV_IGNORE
                                                   : UV_INHERIT_FD;
    io[i].data.fd = o->mode[i] == ACORE_STDIO_FD ? o->fd[i] : i;
  }
  return ACORE_OK;
}

static int start(acore_loop_t *loop, const acore_process_options_t *o,
                 acore_process_t *p) {
  uv_process_options_t uo;
  uv_stdio_container_t io[3];
  acore_stream_t *s[3] = {NULL, NULL, NULL};
  proch *h = acore__calloc(1, sizeof(*h));
  int rc;

  if (h == NULL)
    return ACORE_ENOMEM;
  memset(&uo, 0, sizeof(uo));
  if ((rc = fill_stdio(loop, o, io, s)) != ACORE_OK) {
    acore__free(h);
    return rc;
  }
  uo.exit_cb = on_exit;
  uo.file = o->argv[0];
  uo.args = o->argv;
  uo.env = o->env;
  uo.cwd = o->cwd;
  uo.stdio_count = 3;
  uo.stdio = io;
  if (o->flags & ACORE_PROCESS_NEW_SESSION)
    uo.flags |= UV_PROCESS_DETACHED; /* setsid() in the child */
  h->uv.data = h;
  h->blk.loop = loop;
  rc = uv_spawn(acore__core(loop)->uv, &h->uv, &uo);
  if (rc != 0) {
    proch_close(h); /* libuv initialised it: close it all the same */
    drop_pipes(s);
    return acore__uv_code(rc);
  }
  memcpy(p->io, s, sizeof(s));
  h->owner = p;
  p->h = h;
  p->pid = h->uv.pid;
  return ACORE_OK;
}

int acore_process_spawn(acore_loop_t *loop,
                        const acore_process_options_t *opts,
                        acore_process_t **out) {
  acore_process_t *p;
  procreg *r;
  int rc;

  if (opts == NULL || out == NULL || opts->argv == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    return rc;
  if ((r = reg_get(loop)) == NULL)
    return ACORE_ENOMEM;
  p = (acore_process_t *)acore__xfuture_new(loop, sizeof(*p), &process_ops,
                                            ACORE__F_NOSET);
  if (p == NULL)
    return ACORE_ENOMEM;
  acore__queue_init(&p->waiters);
  acore__queue_init(&p->node);
  if ((rc = start(loop, opts, p)) != ACORE_OK) {
    acore_future_unref(&p->x.fut); /* no handle: destroy does nothing */
    return rc;
  }
  acore__queue_insert_tail(&r->live, &p->node);
  *out = p;
  return ACORE_OK;
}

/* ---- the process -------------------------------------------------------- */

int acore_process_stdio(acore_process_t *p, int index, acore_stream_t **out) {
  if (p == NULL || out == NULL || index < 0 || index > 2 ||
      p->io[index] == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(p->x.fut.loop))
    return ACORE_EWRONGTHREAD;
  *out = acore_stream_ref(p->io[index]);
  return ACORE_OK;
}

int acore_process_pid(const acore_process_t *p) {
  return p != NULL ? p->pid : -1;
}

static int wait_cancel(acore_future_t *f, const char *message) {
  pwait *w = (pwait *)f;
  acore_process_t *p = w->p;
  int rc = acore__future_cancel(f, message);

  if (rc == 1 && p != NULL) {
    acore__queue_remove(&w->node);
    w->p = NULL;
    acore_future_unref(&p->x.fut);
  }
  return rc;
}

static void wait_destroy(acore_future_t *f) {
  pwait *w = (pwait *)f;

  if (w->p != NULL) { /* dropped while pending */
    acore__queue_remove(&w->node);
    acore_future_unref(&w->p->x.fut);
    w->p = NULL;
  }
}

static const acore__future_ops wait_ops = {
    .cancel = wait_cancel,
    .destroy = wait_destroy,
    .name = "process.wait"};

int acore_process_wait(acore_process_t *p, acore_future_t **out) {
  acore_future_t *f;
  pwait *w;
  int rc;

  if (p == NULL || out == NULL)
    return ACORE_EINVAL;
  if ((rc = acore__loop_check_sched(p->x.fut.loop)) != ACORE_OK)
    return rc;
  f = acore__xfuture_new(p->x.fut.loop, sizeof(pwait), &wait_ops,
                         ACORE__F_NOSET);
  if (f == NULL)
    return ACORE_ENOMEM;
  w = (pwait *)f;
  if (p->exited) {
    acore__future_complete(f, ACORE_FUTURE_RESULT, ACORE_VALUE_INT,
                           acore__value_int(p->rc));
  } else {
    w->p = p;
    acore_future_ref(&p->x.fut);
    acore__queue_insert_tail(&p->waiters, &w->node);
  }
  *out = f;
  return ACORE_OK;
}

int acore_process_returncode(const acore_process_t *p, int *out) {
  if (p == NULL || out == NULL)
    return ACORE_EINVAL;
  if (!p->exited)
    return ACORE_EINVALIDSTATE;
  *out = p->rc;
  return ACORE_OK;
}

int acore_process_kill(acore_process_t *p, int signum) {
  int rc;

  if (p == NULL || signum < 0 || signum >= NSIG)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(p->x.fut.loop))
    return ACORE_EWRONGTHREAD;
  if (p->h == NULL)
    return ACORE_ECLOSED;
  if (p->exited)
    return ACORE_ESRCH;
  rc = uv_process_kill(&p->h->uv, signum);
  return rc == 0 ? ACORE_OK : acore__uv_code(rc);
}

int acore_process_close(acore_process_t *p) {
  if (p == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(p->x.fut.loop))
    return ACORE_EWRONGTHREAD;
  if (p->h == NULL)
    return ACORE_OK;
  acore_future_ref(&p->x.fut); /* the waiters' references may be the last */
  process_close(p);
  finish_waiters(p, false);
  acore_future_unref(&p->x.fut);
  return ACORE_OK;
}

acore_process_t *acore_process_ref(acore_process_t *p) {
  if (p != NULL)
    acore_future_ref(&p->x.fut);
  return p;
}

void acore_process_unref(acore_process_t *p) {
  if (p != NULL)
    acore_future_unref(&p->x.fut);
}

/* ---- loop close --------------------------------------------------------- */

static void reg_close(acore__closer *c, acore_loop_t *loop) {
  procreg *r = (procreg *)c;

  (void)loop;
  while (!acore__queue_empty(&r->live)) {
    acore_process_t *p =
        acore__queue_data(acore__queue_head(&r->live), acore_process_t, node);
    acore_future_ref(&p->x.fut);
    process_close(p); /* unlinks it */
    finish_waiters(p, true);
    acore_future_unref(&p->x.fut);
  }
  acore__free(r);
}
