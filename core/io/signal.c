/* SPDX-License-Identifier: MIT */
/*
 * signal.c - signals on the loop thread: acore_signal_wait() futures and
 * acore_signal_t handlers (acore/signal.h).
 *
 * Design notes
 * - Each future and handler has its own uv_signal_t, in a block of its own
 *   (sigh) that outlives its owner until libuv's close callback frees it.
 *   libuv allows several handles per signal and calls each per delivery.
 *   A future uses a one-shot start; a handler a persistent one.
 * - A sigh points to its owner and the owner to it; whichever side ends
 *   first cuts both links (the owner: cancel, destroy, close; the handle:
 *   a one-shot delivery), so neither is reached after it is gone.
 * - The live handles of a loop are listed in its registry (found through
 *   its closer record), so loop close can cancel the futures and close the
 *   handlers still open.
 * - A handler is a composite future nobody sees as one (as fd.c's
 *   watchers): reference counted, destroyed on the loop thread.
 */
#include "acore/signal.h"

#include "alloc.h"
#include "comb.h"
#include "future.h"
#include "io.h"
#include "loop.h"
#include "queue.h"
#include "uverr.h"
#include "value.h"

#include <signal.h>
#include <stdbool.h>

typedef struct sigh {
  acore__uvblock blk; /* first: the loop; freed once uv closed */
  uv_signal_t uv;     /* data: the sigh */
  acore__queue node;  /* in the registry's live list until closed */
  void *owner;        /* a sigfut or an acore_signal_t; NULL once cut */
  bool is_fut;
} sigh;

typedef acore__ioreg sigreg; /* live: sigh.node */

typedef struct sigfut {
  acore__xfuture x; /* first */
  sigh *h;          /* NULL once the handle is gone */
} sigfut;

struct acore_signal {
  acore__xfuture x; /* first: refs and lifetime */
  sigh *h;          /* NULL once closed */
  int signum;
  acore_signal_fn fn;
  void *ud;
  acore_free_fn ud_free;
};

/* ---- handles and the registry ------------------------------------------- */

static void reg_close(acore__closer *c, acore_loop_t *loop);

static sigreg *reg_get(acore_loop_t *loop) {
  return acore__ioreg_get(loop, reg_close, sizeof(sigreg));
}

/* Stop and close a handle; its owner has cut its link. */
static void sigh_close(sigh *h) {
  h->owner = NULL;
  acore__queue_remove(&h->node);
  acore__uvblock_close((uv_handle_t *)&h->uv);
}

static bool catchable(int signum) {
  return signum > 0 && signum < NSIG && signum != SIGKILL &&
         signum != SIGSTOP;
}

/* A started handle for `owner`. */
static int sigh_new(acore_loop_t *loop, int signum, void *owner, bool is_fut,
                    uv_signal_cb cb, sigh **out) {
  sigreg *r = reg_get(loop);
  sigh *h;
  int rc;

  if (r == NULL || (h = acore__calloc(1, sizeof(*h))) == NULL)
    return ACORE_ENOMEM;
  rc = uv_signal_init(acore__core(loop)->uv, &h->uv);
  if (rc != 0) {
    acore__free(h);
    return acore__uv_code(rc);
  }
  h->uv.data = h;
  h->blk.loop = loop;
  h->owner = owner;
  h->is_fut = is_fut;
  rc = is_fut ? uv_signal_start_oneshot(&h->uv, cb, signum)
              : uv_signal_start(&h->uv, cb, signum);
  acore__queue_insert_tail(&r->live, &h->node);
  if (rc != 0) {
    sigh_close(h);
    return acore__uv_code(rc);
  }
  *out = h;
  return ACORE_OK;
}

/* ---- futures ------------------------------------------------------------ */

static void on_fut_signal(uv_signal_t *uvh, int signum) {
  sigh *h = uvh->data;
  sigfut *s = h->owner;

  if (s == NULL)
    return;
  s->h = NULL;
  sigh_close(h);
  acore__future_complete(&s->x.fut, ACORE_FUTURE_RESULT, ACORE_VALUE_INT,
                         acore__value_int(signum));
}

static void fut_cut(sigfut *s) {
  if (s->h != NULL) {
    sigh_close(s->h);
    s->h = NULL;
  }
}

static int fut_cancel(acore_future_t *f, const char *message) {
  int rc = acore__future_cancel(f, message);

  if (rc == 1)
    fut_cut((sigfut *)f);
  return rc;
}

static void fut_destroy(acore_future_t *f) { fut_cut((sigfut *)f); }

static const acore__future_ops fut_ops = {
    .cancel = fut_cancel,
    .destroy = fut_destroy,
    .name = "signal.wait"};

int acore_signal_wait(acore_loop_t *loop, int signum, acore_future_t **out) {
  acore_future_t *f;
  sigfut *s;
  int rc;

  if (out == NULL || !catchable(signum))
    return ACORE_EINVAL;
  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    return rc;
  f = acore__xfuture_new(loop, sizeof(sigfut), &fut_ops, ACORE__F_NOSET);
  if (f == NULL)
    return ACORE_ENOMEM;
  s = (sigfut *)f;
  rc = sigh_new(loop, signum, s, true, on_fut_signal, &s->h);
  if (rc != ACORE_OK) {
    acore_future_unref(f);
    return rc;
  }
  *out = f;
  return ACORE_OK;
}

/* ---- handlers ----------------------------------------------------------- */

static void on_handler_signal(uv_signal_t *uvh, int signum) {
  sigh *h = uvh->data;
  acore_signal_t *sig = h->owner;

  if (sig == NULL)
    return;
  acore_future_ref(&sig->x.fut);
  sig->fn(sig, signum, sig->ud);
  acore_future_unref(&sig->x.fut);
}

static void handler_close(acore_signal_t *sig) {
  acore_free_fn ud_free = sig->ud_free;

  if (sig->h == NULL)
    return;
  sigh_close(sig->h);
  sig->h = NULL;
  sig->ud_free = NULL;
  if (ud_free != NULL)
    ud_free(sig->ud);
}

static void handler_destroy(acore_future_t *f) {
  handler_close((acore_signal_t *)f);
}

static const acore__future_ops handler_ops = {
    .destroy = handler_destroy,
    .name = "signal.handler"};

int acore_signal_new(acore_loop_t *loop, int signum, acore_signal_fn fn,
                     void *ud, acore_free_fn ud_free, acore_signal_t **out) {
  acore_signal_t *sig = NULL;
  int rc = ACORE_EINVAL;

  if (fn == NULL || out == NULL || !catchable(signum))
    goto fail;
  if ((rc = acore__loop_check_sched(loop)) != ACORE_OK)
    goto fail;
  sig = (acore_signal_t *)acore__xfuture_new(loop, sizeof(*sig), &handler_ops,
                                             ACORE__F_NOSET);
  rc = ACORE_ENOMEM;
  if (sig == NULL ||
      (rc = sigh_new(loop, signum, sig, false, on_handler_signal, &sig->h)) !=
          ACORE_OK)
    goto fail;
  sig->signum = signum;
  sig->fn = fn;
  sig->ud = ud;
  sig->ud_free = ud_free;
  *out = sig;
  return ACORE_OK;

fail:
  if (sig != NULL)
    acore_future_unref(&sig->x.fut); /* no handle: its destroy does nothing */
  if (ud_free != NULL)
    ud_free(ud);
  return rc;
}

int acore_signal_signum(const acore_signal_t *sig) {
  return sig != NULL ? sig->signum : -1;
}

int acore_signal_close(acore_signal_t *sig) {
  if (sig == NULL)
    return ACORE_EINVAL;
  if (ACORE__WRONG_THREAD(sig->x.fut.loop))
    return ACORE_EWRONGTHREAD;
  handler_close(sig);
  return ACORE_OK;
}

acore_signal_t *acore_signal_ref(acore_signal_t *sig) {
  if (sig != NULL)
    acore_future_ref(&sig->x.fut);
  return sig;
}

void acore_signal_unref(acore_signal_t *sig) {
  if (sig != NULL)
    acore_future_unref(&sig->x.fut);
}

/* ---- loop close --------------------------------------------------------- */

static void reg_close(acore__closer *c, acore_loop_t *loop) {
  sigreg *r = (sigreg *)c;

  (void)loop;
  while (!acore__queue_empty(&r->live)) {
    sigh *h = acore__queue_data(acore__queue_head(&r->live), sigh, node);
    if (h->is_fut) {
      sigfut *s = h->owner;
      fut_cut(s);
      acore__comb_set_cancelled(&s->x.fut, "loop closed");
    } else {
      handler_close(h->owner);
    }
  }
  acore__free(r);
}
