/* SPDX-License-Identifier: MIT */
/*
 * loop.c - the event loop: creation, the iteration, running, stopping,
 * closing, call_soon and call_soon_threadsafe.
 *
 * Design notes
 * - acore drives libuv with four handles: a check handle runs one acore
 *   iteration after each poll; an idle handle is active while items are
 *   ready (so poll does not block); a timer is armed for the earliest
 *   deadline (real clock only); an async handle carries wake-ups from other
 *   threads. The check and async handles are unreferenced, so libuv counts
 *   as "work" only ready items, pending timers and holds.
 * - An iteration: due timers join the ready queue's tail, the queue is moved
 *   aside, and exactly those items run; what they schedule runs next time.
 * - The check may run more iterations, each at once after the last (up
 *   to SPIN_ITERATIONS in all, none begun once SPIN_ITEMS items ran),
 *   while nothing could come of libuv's poll in between: a run of acore's
 *   own (acore_loop_run, _until_complete) on its own uv loop, work ready,
 *   and poll.c's census finds only the loop's own handles and no request.
 *   Between two, what the poll would bring is taken (the threadsafe
 *   queue, the zombies: loop->news; the executors' ended jobs: their
 *   waker, loop->spin_waker, one of the loop's own handles), and each
 *   iteration still collects its due timers and may end the run (stop,
 *   run_until_complete), so the order is the poll's; only the poll's system call and libuv's two clock
 *   reads are saved. The bounds keep the wake-up fd read regularly.
 *   run_once is always one iteration.
 * - loop->core.nlive counts the loop's live objects plus one while the loop has
 *   references. Whoever brings it to 0 (under the mutex, after close) frees
 *   the loop's memory.
 */
#include "alloc.h"
#include "future.h"
#include "loop_impl.h"
#include "poll.h"
#include "queue.h"
#include "task.h"
#include "timer.h"
#include "waker.h"

#include <assert.h>
#include <signal.h>
#include <stdio.h>

/* ---- options --------------------------------------------------------------- */

int acore_loop_options_new(acore_loop_options_t **out) {
  acore_loop_options_t *o;

  if (out == NULL)
    return ACORE_EINVAL;
  o = acore__calloc(1, sizeof(*o));
  if (o == NULL)
    return ACORE_ENOMEM;
  o->slow_callback = 0.1;
  o->threadsafe_limit = ACORE_THREADSAFE_LIMIT_DEFAULT;
  *out = o;
  return ACORE_OK;
}

void acore_loop_options_free(acore_loop_options_t *opts) { acore__free(opts); }

int acore_loop_options_set_flags(acore_loop_options_t *opts, unsigned flags) {
  if (opts == NULL || (flags & ~(ACORE_LOOP_DEBUG | ACORE_LOOP_VIRTUAL_CLOCK |
                                  ACORE_LOOP_TASK_TIMES)))
    return ACORE_EINVAL;
  opts->flags = flags;
  return ACORE_OK;
}

int acore_loop_options_set_slow_callback(acore_loop_options_t *opts,
                                         double seconds) {
  if (opts == NULL || !(seconds >= 0))
    return ACORE_EINVAL;
  opts->slow_callback = seconds;
  return ACORE_OK;
}

int acore_loop_options_set_threadsafe_limit(acore_loop_options_t *opts,
                                            size_t limit) {
  if (opts == NULL || limit == 0)
    return ACORE_EINVAL;
  opts->threadsafe_limit = limit;
  return ACORE_OK;
}

int acore_loop_options_set_stuck_threshold(acore_loop_options_t *opts,
                                           double seconds) {
  if (opts == NULL || !(seconds >= 0) || seconds > 1e9)
    return ACORE_EINVAL;
  opts->stuck_threshold = seconds;
  return ACORE_OK;
}

int acore_loop_options_set_dump_signal(acore_loop_options_t *opts,
                                       int signum) {
  if (opts == NULL || signum < 0 || signum >= NSIG || signum == SIGKILL ||
      signum == SIGSTOP)
    return ACORE_EINVAL;
  opts->dump_signal = signum;
  return ACORE_OK;
}

int acore_loop_options_set_uv_loop(acore_loop_options_t *opts, void *uv_loop) {
  if (opts == NULL)
    return ACORE_EINVAL;
  opts->uv_loop = uv_loop;
  return ACORE_OK;
}

/* ---- clock and threads ----------------------------------------------------- */

__thread char acore__thread_marker __attribute__((tls_model("initial-exec")));

uint64_t acore__loop_now(const acore_loop_t *loop) {
  if (loop->core.flags & ACORE_LOOP_VIRTUAL_CLOCK)
    return ACORE__LOAD(loop->vnow);
  return uv_hrtime() - loop->epoch;
}

double acore_loop_time(const acore_loop_t *loop) {
  if (loop == NULL)
    return -1.0;
  return (double)acore__loop_now(loop) / 1e9;
}

/* ---- handles of libuv ------------------------------------------------------ */

static void on_idle(uv_idle_t *h) { (void)h; }

/* libuv's timer counts whole milliseconds on its own cached clock, so it
 * can fire a little before acore's deadline. Then re-arm it for the rest
 * at once (at least 1 ms, so libuv does not run it again in this pass),
 * or the poll that follows could sleep with the timer pending; when the
 * deadline has come, keep the poll from blocking: the check collects it. */
static void on_timer(uv_timer_t *h) {
  acore_loop_t *loop = h->data;
  uint64_t now, when;

  if (loop->timers.heap_len == 0)
    return;
  now = acore__loop_now(loop);
  when = loop->timers.heap[0]->when;
  if ((int64_t)when <= (int64_t)now) { /* deadlines are signed: timer.c */
    if (!loop->idle_on) {
      uv_idle_start(&loop->idle, on_idle);
      loop->idle_on = true;
    }
    return;
  }
  uv_timer_start(&loop->timer, on_timer, (when - now + 999999) / 1000000, 0);
  loop->armed_when = when;
}

static bool timer_due(const acore_loop_t *loop) {
  return loop->timers.heap_len > 0 &&
         (int64_t)loop->timers.heap[0]->when <= (int64_t)acore__loop_now(loop);
}

/* run_until_complete's future is done: the next iteration is its last. */
static bool uc_done(const acore_loop_t *loop) {
  return loop->uc_fut != NULL && loop->uc_fut->state != ACORE_FUTURE_PENDING;
}

/* Make libuv's view match acore's: idle while work is ready (or a virtual
 * timer is due), the uv timer armed for the earliest real deadline. */
static void update_handles(acore_loop_t *loop) {
  bool virt = (loop->core.flags & ACORE_LOOP_VIRTUAL_CLOCK) != 0;
  bool want_idle = !acore__queue_empty(&loop->ready) ||
                   (virt && timer_due(loop)) || uc_done(loop);

  if (want_idle && !loop->idle_on)
    uv_idle_start(&loop->idle, on_idle);
  else if (!want_idle && loop->idle_on)
    uv_idle_stop(&loop->idle);
  loop->idle_on = want_idle;
  if (virt || loop->timers.heap_len == 0) {
    if (loop->armed_when != 0) {
      uv_timer_stop(&loop->timer);
      loop->armed_when = 0;
    }
    return;
  }
  if (loop->armed_when != loop->timers.heap[0]->when ||
      !uv_is_active((uv_handle_t *)&loop->timer)) {
    uint64_t now = acore__loop_now(loop), when = loop->timers.heap[0]->when;
    uint64_t ms =
        (int64_t)when > (int64_t)now ? (when - now + 999999) / 1000000 : 0;
    uv_update_time(loop->core.uv);
    uv_timer_start(&loop->timer, on_timer, ms, 0);
    loop->armed_when = when;
  }
}

void acore__loop_wake_timers(acore_loop_t *loop) {
  if (!loop->running)
    update_handles(loop);
  /* While running, the iteration's end brings the handles up to date. */
}

static void sync_async_ref(acore_loop_t *loop) {
  if (atomic_load(&loop->holds) > 0)
    uv_ref((uv_handle_t *)&loop->async);
  else
    uv_unref((uv_handle_t *)&loop->async);
}

void acore__loop_push(acore_loop_t *loop, acore__item *it) {
  acore__queue_insert_tail(&loop->ready, &it->node);
  if (!loop->idle_on) {
    uv_idle_start(&loop->idle, on_idle);
    loop->idle_on = true;
  }
}

void acore__loop_kick(acore_loop_t *loop) {
  if (!loop->idle_on) {
    uv_idle_start(&loop->idle, on_idle);
    loop->idle_on = true;
  }
}

/* ---- object memory --------------------------------------------------------- */

static void loop_free(acore_loop_t *loop) {
  int i;

  uv_mutex_destroy(&loop->core.mutex);
  for (i = 0; i < ACORE__SLAB_COUNT; i++)
    acore__slab_destroy(&loop->core.slabs[i]);
  acore__free(loop->timers.heap);
  acore__free(loop);
}

void *acore__obj_alloc_slow(acore_loop_t *loop, int slab) {
  acore__slab *s = &loop->core.slabs[slab];
  void *p = loop->core.cache_off ? acore__malloc(s->block_size)
                                 : acore__slab_alloc(s);

  if (p != NULL)
    loop->core.nlive++;
  return p;
}

/* slab < 0 (or the caches off): `p` came from acore__malloc. */
static void obj_release(acore_loop_t *loop, int slab, void *p) {
  if (slab < 0 || loop->core.cache_off)
    acore__free(p);
  else
    acore__slab_free(&loop->core.slabs[slab], p);
}

void acore__obj_free_slow(acore_loop_t *loop, int slab, void *p) {
  if (!loop->core.closed) {
    obj_release(loop, slab, p);
    loop->core.nlive--;
    return;
  }
  acore__loop_obj_gone(loop, slab, p);
}

void acore__loop_obj_gone(acore_loop_t *loop, int slab, void *p) {
  bool last;

  uv_mutex_lock(&loop->core.mutex);
  obj_release(loop, slab, p);
  last = --loop->core.nlive == 0;
  uv_mutex_unlock(&loop->core.mutex);
  if (last)
    loop_free(loop);
}

void acore__loop_defer_destroy(acore_loop_t *loop, acore_future_t *f) {
  uv_mutex_lock(&loop->core.mutex);
  if (!loop->core.closed) {
    f->znext = loop->zombies;
    loop->zombies = f;
    atomic_store(&loop->news, true);
    uv_async_send(&loop->async);
    uv_mutex_unlock(&loop->core.mutex);
    return;
  }
  uv_mutex_unlock(&loop->core.mutex);
  acore__future_destroy(f); /* closed: destruction takes the mutex */
}

/* ---- creation -------------------------------------------------------------- */

static void on_check(uv_check_t *h);
static void on_async(uv_async_t *h);

static int loop_init_uv(acore_loop_t *loop, void *host) {
  int rc;

  if (host != NULL) {
    loop->core.uv = host;
  } else {
    if (uv_loop_init(&loop->own_uv) != 0)
      return ACORE_EIO;
    loop->core.uv = &loop->own_uv;
    loop->owns_uv = true;
  }
  rc = uv_async_init(loop->core.uv, &loop->async, on_async);
  if (rc != 0) {
    if (loop->owns_uv)
      uv_loop_close(&loop->own_uv);
    return rc == UV_ENOMEM ? ACORE_ENOMEM : ACORE_EIO;
  }
  uv_check_init(loop->core.uv, &loop->check);
  uv_idle_init(loop->core.uv, &loop->idle);
  uv_timer_init(loop->core.uv, &loop->timer);
  loop->check.data = loop->idle.data = loop->timer.data = loop;
  loop->async.data = loop;
  uv_check_start(&loop->check, on_check);
  uv_unref((uv_handle_t *)&loop->check);
  uv_unref((uv_handle_t *)&loop->async);
  acore__poll_init(loop);
  return ACORE_OK;
}

static void loop_init_slabs(acore_loop_t *loop) {
  acore__slab *s = loop->core.slabs;
  int i;

  acore__slab_init(&s[ACORE__SLAB_FUTURE], sizeof(acore__pfuture));
  acore__slab_init(&s[ACORE__SLAB_TASK], sizeof(acore_task_t));
  acore__slab_init(&s[ACORE__SLAB_CBREC], sizeof(acore__cbrec));
  acore__slab_init(&s[ACORE__SLAB_HANDLE], sizeof(acore_handle_t));
  acore__slab_init(&s[ACORE__SLAB_CALL], sizeof(acore__call));
  for (i = 0; i < ACORE__XSLABS; i++)
    acore__slab_init(&s[ACORE__SLAB_X0 + i], (size_t)(i + 1) * 16);
}

int acore_loop_new(const acore_loop_options_t *opts, acore_loop_t **out) {
  acore_loop_t *loop;
  int rc;

  if (out == NULL)
    return ACORE_EINVAL;
  loop = acore__calloc(1, sizeof(*loop));
  if (loop == NULL)
    return ACORE_ENOMEM;
  loop->core.cache_off = acore__no_cache() != 0;
  acore__loop_sync_detour(loop);
  atomic_init(&loop->refs, 1);
  loop->core.nlive = 1; /* the references */
  loop->core.flags = opts ? opts->flags : 0;
  loop->slow_ns = (uint64_t)((opts ? opts->slow_callback : 0.1) * 1e9);
  loop->tsq_limit = opts ? opts->threadsafe_limit
                         : ACORE_THREADSAFE_LIMIT_DEFAULT;
  loop->core.owner = &acore__thread_marker;
  loop->epoch = uv_hrtime();
  loop->tasks.next_task_id = 1;
  loop->tasks.times = (loop->core.flags & ACORE_LOOP_TASK_TIMES) != 0 ||
                      (opts != NULL && opts->stuck_threshold > 0);
  acore__queue_init(&loop->ready);
  acore__queue_init(&loop->futures.cbrecs);
  acore__queue_init(&loop->tasks.tasks);
  acore__queue_init(&loop->tsq);
  acore__queue_init(&loop->closers);
  loop_init_slabs(loop);
  if (uv_mutex_init(&loop->core.mutex) != 0) {
    rc = ACORE_EIO;
    goto fail_mutex;
  }
  rc = loop_init_uv(loop, opts ? opts->uv_loop : NULL);
  if (rc != ACORE_OK)
    goto fail_uv;
  acore__stuck_init(loop, opts ? opts->stuck_threshold : 0);
  acore__sigdump_init(loop, opts ? opts->dump_signal : 0);
  *out = loop;
  return ACORE_OK;

fail_uv:
  uv_mutex_destroy(&loop->core.mutex);
fail_mutex:
  acore__free(loop);
  return rc;
}

acore_loop_t *acore_loop_ref(acore_loop_t *loop) {
  if (loop != NULL)
    atomic_fetch_add_explicit(&loop->refs, 1, memory_order_relaxed);
  return loop;
}

void acore_loop_unref(acore_loop_t *loop) {
  bool last;

  if (loop == NULL ||
      atomic_fetch_sub_explicit(&loop->refs, 1, memory_order_acq_rel) != 1)
    return;
  if (!loop->core.closed) {
    if (!acore__on_loop_thread(loop)) {
      fprintf(stderr, "acore: last reference to an open loop dropped on "
                      "another thread; close it on its own thread\n");
      return;
    }
    acore_loop_close(loop);
  }
  uv_mutex_lock(&loop->core.mutex);
  last = --loop->core.nlive == 0;
  uv_mutex_unlock(&loop->core.mutex);
  if (last)
    loop_free(loop);
}

void *acore_loop_uv(acore_loop_t *loop) {
  return loop != NULL && !loop->core.closed ? loop->core.uv : NULL;
}

int acore_loop_backend_fd(acore_loop_t *loop) {
  int rc = acore__loop_check(loop);

  return rc != ACORE_OK ? rc : uv_backend_fd(loop->core.uv);
}

int acore_loop_backend_timeout(acore_loop_t *loop) {
  uint64_t now, when, ms;
  int host, rc;

  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if (!acore__queue_empty(&loop->ready))
    return 0;
  /* libuv's own wait, for the host's handles on the same uv loop. */
  host = uv_loop_alive(loop->core.uv) ? uv_backend_timeout(loop->core.uv) : -1;
  if (loop->timers.heap_len == 0)
    return host;
  /* One clock read for both questions: due? and how long until then. */
  now = acore__loop_now(loop);
  when = loop->timers.heap[0]->when;
  if ((int64_t)when <= (int64_t)now) /* deadlines compare as signed */
    return 0;
  if (loop->core.flags & ACORE_LOOP_VIRTUAL_CLOCK)
    return host;
  ms = (when - now + 999999) / 1000000;
  if (ms > INT32_MAX)
    ms = INT32_MAX;
  return host >= 0 && (uint64_t)host < ms ? host : (int)ms;
}

/* ---- the iteration ----------------------------------------------------------- */

/* A handle-less call_soon: run it (or, at close, only drop it). */
static void call_finish(acore_loop_t *loop, acore__call *c, bool run) {
  if (run)
    c->fn(c->ud);
  if (c->ud_free != NULL)
    c->ud_free(c->ud);
  acore__obj_free(loop, ACORE__SLAB_CALL, c);
}

/* The ready queue's dispatch: one runner per item kind, called through
 * this table (an indexed indirect call, cheaper than a switch's range
 * check and jump table followed by a call). */
typedef void (*run_fn)(acore_loop_t *loop, acore__item *it);

static void run_scall(acore_loop_t *loop, acore__item *it) {
  call_finish(loop, (acore__call *)it, true);
}

static void run_call(acore_loop_t *loop, acore__item *it) {
  acore__handle_run(loop, (acore_handle_t *)it);
}

static void run_cbrec(acore_loop_t *loop, acore__item *it) {
  acore__cbrec_run(loop, (acore__cbrec *)it);
}

static void run_task(acore_loop_t *loop, acore__item *it) {
  acore__task_run(loop, acore__queue_data(it, acore_task_t, item));
}

static void run_bad(acore_loop_t *loop, acore__item *it) {
  (void)loop;
  (void)it;
  assert(!"unknown item kind");
}

static const run_fn runners[] = {
    [0] = run_bad,
    [ACORE__ITEM_CALL] = run_call,
    [ACORE__ITEM_DONECB] = run_cbrec,
    [ACORE__ITEM_TASK] = run_task,
    [ACORE__ITEM_INTERNAL] = run_cbrec,
    [ACORE__ITEM_SCALL] = run_scall,
    [ACORE__ITEM_FIRSTCB] = acore__first_run,
};

static inline void run_item(acore_loop_t *loop, acore__item *it) {
  assert(it->kind < sizeof(runners) / sizeof(runners[0]));
  runners[it->kind](loop, it);
}

/* `t`: the task whose step was slow, or NULL for a callback. */
static void report_slow(acore_loop_t *loop, acore_task_t *t, uint64_t ns) {
  char msg[128];

  snprintf(msg, sizeof(msg), "%s took %.3f seconds",
           t ? "a task step" : "a callback", (double)ns / 1e9);
  acore__loop_report(loop, ACORE_REPORT_SLOW_CALLBACK, msg, NULL,
                     t ? &t->fut : NULL);
}

/* Run `it` timed. Once it ran, `it` may be freed: only a task is kept
 * (a reference) for the report. */
static void run_debug(acore_loop_t *loop, acore__item *it) {
  uint64_t t0 = uv_hrtime(), dt;
  acore_task_t *t = NULL;

  if (it->kind == ACORE__ITEM_TASK)
    t = acore_task_ref(acore__queue_data(it, acore_task_t, item));
  run_item(loop, it);
  dt = uv_hrtime() - t0;
  if (dt > loop->slow_ns)
    report_slow(loop, t, dt);
  acore_task_unref(t);
}

/* Returns how many items ran. */
static unsigned iterate(acore_loop_t *loop) {
  acore__queue todo;
  unsigned ran = 0;
  bool debug = (loop->core.flags & ACORE_LOOP_DEBUG) != 0;

  if (loop->timers.heap_len > 0) /* no clock read when no timer is pending */
    acore__timers_collect(loop, acore__loop_now(loop));
  acore__queue_move(&loop->ready, &todo);
  while (!acore__queue_empty(&todo)) {
    acore__queue *n = acore__queue_head(&todo);
    acore__item *it = acore__queue_data(n, acore__item, node);

    acore__queue_remove(n);
    if (debug)
      run_debug(loop, it);
    else
      run_item(loop, it);
    ran++;
  }
  return ran;
}

/* A host runs the uv loop (no acore_loop_run* holds a reference): keep
 * the loop alive through a callback that may drop its last reference; the
 * close that this unref may then do must not spin the host's uv loop. */
static bool cb_enter(acore_loop_t *loop) {
  if (loop->running || loop->in_uv_cb)
    return false;
  acore_loop_ref(loop);
  loop->in_uv_cb = true;
  return true;
}

static void cb_leave(acore_loop_t *loop, bool entered) {
  if (!entered)
    return;
  loop->in_uv_cb = false;
  if (atomic_load_explicit(&loop->refs, memory_order_acquire) == 1)
    loop->in_uv_cb = true; /* this unref closes: inside the callback still */
  acore_loop_unref(loop);  /* loop may be gone */
}

/* A check runs at most SPIN_ITERATIONS iterations without libuv's poll
 * in between, and starts no more once SPIN_ITEMS items have run (the
 * poll waits behind an ordinary iteration of that many ready items too). */
enum { SPIN_ITERATIONS = 64, SPIN_ITEMS = 1024 };

/* One acore iteration, adding the items it ran to *ran; true when the
 * run stops after it. */
static bool run_iteration(acore_loop_t *loop, unsigned *ran) {
  bool last = uc_done(loop); /* as asyncio: the iteration after fut's */
  bool stop;

  *ran += iterate(loop);
  if (last)
    loop->uc_fut = NULL;
  stop = atomic_load_explicit(&loop->stop_req, memory_order_relaxed) &&
         atomic_exchange(&loop->stop_req, 0);
  return stop || last;
}

static void take_news(acore_loop_t *loop);

/* Another iteration may run at once, without libuv's poll: a run of
 * acore's own on its own uv loop, work is ready (so that poll would not
 * wait), nobody stopped the uv loop, and the poll could bring nothing but
 * what take_news() takes (poll.c's census). */
static bool may_spin(acore_loop_t *loop) {
  return loop->spin && !acore__queue_empty(&loop->ready) &&
         loop->core.uv->stop_flag == 0 && acore__poll_skippable(loop);
}

static void on_check(uv_check_t *h) {
  acore_loop_t *loop = h->data;
  bool was_running = loop->running, entered = cb_enter(loop), end;
  unsigned ran = 0, n = 1;

  acore__poll_after(loop);
  ACORE__STORE(loop->running, true); /* also when a host runs the uv loop */
  end = run_iteration(loop, &ran);
  while (!end && n < SPIN_ITERATIONS && ran < SPIN_ITEMS &&
         may_spin(loop)) {
    take_news(loop); /* what the poll's async callback would take */
    end = run_iteration(loop, &ran);
    n++;
  }
  ACORE__STORE(loop->running, was_running);
  if (end) {
    uv_stop(loop->core.uv);
    loop->stopped = true;
  }
  update_handles(loop);
  cb_leave(loop, entered);
}

static void drain_threadsafe(acore_loop_t *loop, acore__queue *q) {
  while (!acore__queue_empty(q)) {
    acore__queue *n = acore__queue_head(q);
    acore_handle_t *h = acore__queue_data(n, acore_handle_t, item.node);

    acore__queue_remove(n);
    acore__loop_push(loop, &h->item);
  }
}

/* Destroy the futures whose last reference went on another thread. */
static void release_zombies(acore_future_t *z) {
  while (z != NULL) {
    acore_future_t *next = z->znext;
    z->znext = NULL;
    acore__future_release(z);
    z = next;
  }
}

/* Take what other threads sent: calls join the ready queue, zombies die. */
static void take_foreign(acore_loop_t *loop) {
  acore__queue q;
  acore_future_t *z;

  uv_mutex_lock(&loop->core.mutex);
  acore__queue_move(&loop->tsq, &q);
  loop->tsq_len = 0;
  z = loop->zombies;
  loop->zombies = NULL;
  uv_mutex_unlock(&loop->core.mutex);
  drain_threadsafe(loop, &q);
  release_zombies(z);
}

/* Between two iterations of one check: take what other threads sent, if
 * anything (the async handle's wake-up then finds nothing new). */
static void take_news(acore_loop_t *loop) {
  if (loop->spin_waker != NULL)
    acore__waker_take(loop->spin_waker); /* executor jobs that ended */
  if (!atomic_load_explicit(&loop->news, memory_order_relaxed) ||
      !atomic_exchange(&loop->news, false))
    return;
  take_foreign(loop);
  sync_async_ref(loop);
}

void acore__loop_set_spin_waker(acore_loop_t *loop, acore__waker *w) {
  loop->spin_waker = w;
}

static void on_async(uv_async_t *h) {
  acore_loop_t *loop = h->data;
  bool entered = cb_enter(loop);

  atomic_store(&loop->news, false); /* before the take: none is missed */
  take_foreign(loop);
  if (!loop->core.closed) {
    sync_async_ref(loop);
    if (atomic_load(&loop->stop_req))
      update_handles(loop); /* the check handle stops us after this poll */
  }
  cb_leave(loop, entered);
}

/* ---- running ----------------------------------------------------------------- */

static int run_check(acore_loop_t *loop) {
  if (loop->core.closed)
    return ACORE_ECLOSED;
  if (loop->running)
    return ACORE_EBUSY;
  return ACORE_OK;
}

static int run_uv(acore_loop_t *loop, uv_run_mode mode) {
  int r;

  ACORE__STORE(loop->core.owner, &acore__thread_marker);
  ACORE__STORE(loop->running, true);
  loop->stopped = false;
  loop->nowait = mode == UV_RUN_NOWAIT;
  loop->spin = mode == UV_RUN_DEFAULT && loop->owns_uv;
  acore_loop_ref(loop);
  take_foreign(loop);
  sync_async_ref(loop);
  update_handles(loop);
  r = uv_run(loop->core.uv, mode);
  ACORE__STORE(loop->running, false);
  loop->nowait = false;
  loop->spin = false;
  acore_loop_unref(loop);
  return r;
}

int acore_loop_run(acore_loop_t *loop) {
  int rc;

  if (loop == NULL)
    return ACORE_EINVAL;
  if ((rc = run_check(loop)) != ACORE_OK)
    return rc;
  run_uv(loop, UV_RUN_DEFAULT);
  return ACORE_OK;
}

int acore_loop_run_once(acore_loop_t *loop, unsigned flags) {
  int rc, r;

  if (loop == NULL || (flags & ~ACORE_RUN_NOWAIT))
    return ACORE_EINVAL;
  if ((rc = run_check(loop)) != ACORE_OK)
    return rc;
  r = run_uv(loop, (flags & ACORE_RUN_NOWAIT) ? UV_RUN_NOWAIT : UV_RUN_ONCE);
  if (loop->core.closed)
    return 0;
  return r != 0 || loop->timers.heap_len > 0 ||
         !acore__queue_empty(&loop->ready);
}

int acore_loop_run_until_complete(acore_loop_t *loop, acore_future_t *fut) {
  int rc;

  if (loop == NULL || fut == NULL || fut->loop != loop)
    return ACORE_EINVAL;
  if ((rc = run_check(loop)) != ACORE_OK)
    return rc;
  acore_future_ref(fut);
  loop->uc_fut = fut; /* the check handle stops the run (no allocation) */
  run_uv(loop, UV_RUN_DEFAULT);
  loop->uc_fut = NULL;
  rc = fut->state != ACORE_FUTURE_PENDING ? ACORE_OK : ACORE_EAGAIN;
  acore_future_unref(fut);
  return rc;
}

int acore_loop_stop(acore_loop_t *loop) {
  int rc = ACORE_OK;

  if (loop == NULL)
    return ACORE_EINVAL;
  uv_mutex_lock(&loop->core.mutex);
  if (loop->core.closed) {
    rc = ACORE_ECLOSED;
  } else {
    atomic_store(&loop->stop_req, 1);
    uv_async_send(&loop->async);
  }
  uv_mutex_unlock(&loop->core.mutex);
  return rc;
}

int acore_loop_is_closed(const acore_loop_t *loop) {
  return loop ? ACORE__LOAD(loop->core.closed) : ACORE_EINVAL;
}

int acore_loop_is_running(const acore_loop_t *loop) {
  return loop ? ACORE__LOAD(loop->running) : ACORE_EINVAL;
}

int acore_loop_advance(acore_loop_t *loop, double seconds) {
  int rc;

  if (!(seconds >= 0))
    return ACORE_EINVAL;
  if ((rc = acore__loop_check(loop)) != ACORE_OK)
    return rc;
  if (!(loop->core.flags & ACORE_LOOP_VIRTUAL_CLOCK))
    return ACORE_EINVALIDSTATE;
  ACORE__STORE(loop->vnow, loop->vnow + (uint64_t)(seconds * 1e9 + 0.5));
  update_handles(loop);
  return ACORE_OK;
}

static int hold_change(acore_loop_t *loop, int delta) {
  int rc = ACORE_OK;

  if (loop == NULL)
    return ACORE_EINVAL;
  uv_mutex_lock(&loop->core.mutex);
  if (loop->core.closed) {
    rc = ACORE_ECLOSED;
  } else if (delta < 0 && atomic_load(&loop->holds) == 0) {
    rc = ACORE_EINVALIDSTATE;
  } else {
    atomic_fetch_add(&loop->holds, delta);
    if (acore__on_loop_thread(loop))
      sync_async_ref(loop); /* the run going on sees it at once */
    atomic_store(&loop->news, true);
    uv_async_send(&loop->async);
  }
  uv_mutex_unlock(&loop->core.mutex);
  return rc;
}

int acore_loop_hold(acore_loop_t *loop) { return hold_change(loop, 1); }
int acore_loop_release(acore_loop_t *loop) { return hold_change(loop, -1); }

void acore__loop_add_closer(acore_loop_t *loop, acore__closer *c) {
  acore__queue_insert_tail(&loop->closers, &c->node);
}

void acore__loop_remove_closer(acore__closer *c) {
  acore__queue_remove(&c->node);
}

acore__closer *acore__loop_find_closer(acore_loop_t *loop,
                                       void (*fn)(acore__closer *c,
                                                  acore_loop_t *loop)) {
  acore__queue *n;

  for (n = loop->closers.next; n != &loop->closers; n = n->next) {
    acore__closer *c = acore__queue_data(n, acore__closer, node);
    if (c->fn == fn)
      return c;
  }
  return NULL;
}

/* ---- close -------------------------------------------------------------------- */

/* The loop's memory is kept (one count in nlive) until the last handle
 * closed, when that happens after acore_loop_close() returned. */
void acore__loop_uv_closed(acore_loop_t *loop) {
  bool last;

  if (--loop->closing_handles > 0 || !loop->close_later)
    return;
  uv_mutex_lock(&loop->core.mutex);
  last = --loop->core.nlive == 0;
  uv_mutex_unlock(&loop->core.mutex);
  if (last)
    loop_free(loop);
}

void acore__loop_uv_close(acore_loop_t *loop, uv_handle_t *h, uv_close_cb cb) {
  loop->closing_handles++;
  uv_close(h, cb);
}

void acore__loop_close_wait(acore_loop_t *loop) { loop->closing_handles++; }

static void on_handle_closed(uv_handle_t *h) { acore__loop_uv_closed(h->data); }

static void close_uv(acore_loop_t *loop) {
  uv_handle_t *hs[] = {(uv_handle_t *)&loop->check, (uv_handle_t *)&loop->idle,
                       (uv_handle_t *)&loop->timer, (uv_handle_t *)&loop->async};
  size_t i;

  for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
    loop->closing_handles++;
    uv_close(hs[i], on_handle_closed);
  }
  acore__poll_close(loop, on_handle_closed);
  acore__stuck_close(loop, on_handle_closed);
  acore__sigdump_close(loop, on_handle_closed);
  if (loop->in_uv_cb && !loop->owns_uv) {
    /* Inside the host's uv_run: it runs the close callbacks itself. */
    uv_mutex_lock(&loop->core.mutex);
    loop->core.nlive++;
    uv_mutex_unlock(&loop->core.mutex);
    loop->close_later = true;
    return;
  }
  while (loop->closing_handles > 0)
    uv_run(loop->core.uv, UV_RUN_NOWAIT);
  if (loop->owns_uv)
    uv_loop_close(&loop->own_uv);
}

static void drop_ready(acore_loop_t *loop) {
  while (!acore__queue_empty(&loop->ready)) {
    acore__queue *n = acore__queue_head(&loop->ready);
    acore__item *it = acore__queue_data(n, acore__item, node);

    acore__queue_remove(n);
    if (it->kind == ACORE__ITEM_SCALL)
      call_finish(loop, (acore__call *)it, false);
    else if (it->kind == ACORE__ITEM_CALL)
      acore__handle_drop((acore_handle_t *)it);
    else
      acore__future_drop_item(it);
  }
}

static void drop_threadsafe(acore__queue *q) {
  while (!acore__queue_empty(q)) {
    acore__queue *n = acore__queue_head(q);
    acore_handle_t *h = acore__queue_data(n, acore_handle_t, item.node);

    acore__queue_remove(n);
    acore__handle_drop(h);
  }
}

static bool close_left(const acore_loop_t *loop) {
  return !acore__queue_empty(&loop->tasks.tasks) ||
         !acore__queue_empty(&loop->futures.cbrecs) ||
         !acore__queue_empty(&loop->ready) || loop->timers.heap_len > 0;
}

/* Cancel the tasks, drop every callback, ready item and timer; again
 * while the cleanups that run meanwhile complete futures (which queues
 * their callbacks). Nothing new can be scheduled: loop->core.closing. */
static void close_drain(acore_loop_t *loop) {
  do {
    /* Tasks first: cancelling them completes futures whose callbacks are
     * then dropped with everything else. */
    while (!acore__queue_empty(&loop->tasks.tasks)) {
      acore__queue *n = acore__queue_head(&loop->tasks.tasks);
      acore__task_close(acore__queue_data(n, acore_task_t, tnode));
    }
    acore__future_drop_callbacks(loop);
    drop_ready(loop);
    acore__timers_drop(loop);
  } while (close_left(loop));
}

int acore_loop_close(acore_loop_t *loop) {
  acore__queue q;
  acore_future_t *z;

  if (loop == NULL)
    return ACORE_EINVAL;
  if (loop->core.closing) /* closed, or a cleanup of this close calls it */
    return ACORE_OK;
  if (loop->running)
    return ACORE_EBUSY;
  if (ACORE__WRONG_THREAD(loop))
    return ACORE_EWRONGTHREAD;
  loop->core.closing = true;
  while (!acore__queue_empty(&loop->closers)) {
    acore__queue *n = acore__queue_head(&loop->closers);
    acore__closer *c = acore__queue_data(n, acore__closer, node);
    acore__queue_remove(n);
    c->fn(c, loop);
  }
  close_drain(loop);
  uv_mutex_lock(&loop->core.mutex);
  ACORE__STORE(loop->core.closed, true);
  acore__loop_sync_detour(loop);
  acore__queue_move(&loop->tsq, &q);
  loop->tsq_len = 0;
  z = loop->zombies;
  loop->zombies = NULL;
  uv_mutex_unlock(&loop->core.mutex);
  drop_threadsafe(&q);
  release_zombies(z);
  if (loop->report.eh_free != NULL)
    loop->report.eh_free(loop->report.eh_ud);
  loop->report.eh = NULL;
  loop->report.eh_free = NULL;
  acore__trace_close(loop);
  acore__where_close(loop);
  acore__loop_host_drop(loop);
  close_uv(loop);
  return ACORE_OK;
}

/* ---- call_soon ------------------------------------------------------------------ */

int acore_loop_call_soon(acore_loop_t *loop, acore_callback_fn fn, void *ud,
                         acore_free_fn ud_free, acore_handle_t **out) {
  acore_handle_t *h;
  int rc = fn == NULL ? ACORE_EINVAL : acore__loop_check_sched(loop);

  if (rc != ACORE_OK)
    goto fail;
  if (out == NULL) {
    acore__call *c = acore__obj_alloc(loop, ACORE__SLAB_CALL);
    if (c == NULL) {
      rc = ACORE_ENOMEM;
      goto fail;
    }
    c->item.kind = ACORE__ITEM_SCALL;
    c->fn = fn;
    c->ud = ud;
    c->ud_free = ud_free;
    acore__loop_push(loop, &c->item);
    return ACORE_OK;
  }
  h = acore__handle_new_call(loop, true);
  if (h == NULL) {
    rc = ACORE_ENOMEM;
    goto fail;
  }
  h->fn = fn;
  h->ud = ud;
  h->ud_free = ud_free;
  acore__loop_push(loop, &h->item);
  *out = h;
  return ACORE_OK;

fail:
  if (ud_free != NULL)
    ud_free(ud);
  return rc;
}

/* `limit`: the most calls that may wait for the loop thread. */
static int post(acore_loop_t *loop, acore_callback_fn fn, void *ud,
                acore_free_fn ud_free, size_t limit) {
  acore_handle_t *h;
  int rc;

  if (loop == NULL || fn == NULL) {
    rc = ACORE_EINVAL;
    goto fail;
  }
  h = acore__handle_new_threadsafe(loop);
  if (h == NULL) {
    rc = ACORE_ENOMEM;
    goto fail;
  }
  h->fn = fn;
  h->ud = ud;
  h->ud_free = ud_free;
  uv_mutex_lock(&loop->core.mutex);
  if (loop->core.closed || loop->tsq_len >= limit) {
    rc = loop->core.closed ? ACORE_ECLOSED : ACORE_EAGAIN;
    uv_mutex_unlock(&loop->core.mutex);
    acore__handle_release(h);
    goto fail;
  }
  acore__queue_insert_tail(&loop->tsq, &h->item.node);
  loop->tsq_len++;
  atomic_store(&loop->news, true);
  uv_async_send(&loop->async);
  uv_mutex_unlock(&loop->core.mutex);
  return ACORE_OK;

fail:
  if (ud_free != NULL)
    ud_free(ud);
  return rc;
}

int acore_loop_call_soon_threadsafe(acore_loop_t *loop, acore_callback_fn fn,
                                    void *ud, acore_free_fn ud_free) {
  return post(loop, fn, ud, ud_free, loop != NULL ? loop->tsq_limit : 0);
}

int acore__loop_post(acore_loop_t *loop, acore_callback_fn fn, void *ud,
                     acore_free_fn ud_free) {
  return post(loop, fn, ud, ud_free, SIZE_MAX);
}
