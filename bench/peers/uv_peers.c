/* SPDX-License-Identifier: MIT */
/* uv_peers.c - the acore benchmark workloads written by hand on libuv.
 *
 * Each workload is the smallest honest C program that does what the acore
 * benchmark does, directly on libuv: the floor that a library on libuv pays
 * nothing over.  Prints one line per figure,
 *     RESULT libuv <workload> <value> <unit>
 * the median of REPS repetitions.  Usage: uv_peers [workload...]; a name
 * selects itself and the workloads named "<name>_*" (W1 = all W1 runs);
 * no name runs them all.  uv_peers --once WORKLOAD [--n N] [--rounds R]
 * runs one rep of one workload (every one but LAT) and prints REP lines
 * (bench_util.h); N is the workload's count of futures, tasks or jobs.
 *
 * Design notes:
 * - A "ready list" is asyncio's call_soon queue: a FIFO of intrusive nodes
 *   that a uv_idle handle drains once per loop iteration.  Nodes posted while
 *   draining run on the next iteration, as in asyncio.  The idle handle is
 *   stopped when the list is empty, so uv_run returns once nothing is queued
 *   and no request is pending.
 * - A future is a malloc'd struct with one done callback; setting its result
 *   posts the future itself on the ready list (W1_batched_rec: a future with
 *   a malloc'd record per done callback, which any number of callbacks per
 *   future needs).  A task is a malloc'd struct
 *   with an explicit state and a step function; a future's done callback
 *   resumes it.  Both are freed when done: that is what a real one costs.
 * - A fresh loop per repetition; setting it up is outside the timed region.
 * - Build: cc -O2 -g -std=gnu11 -Wall -Wextra uv_peers.c -luv -lpthread
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#define BENCH_NAME "uv_peers"
#include "../bench_util.h" /* clock, quantiles, check, LAT driver */

#define REPS 5

#define container_of(ptr, type, field) \
  ((type *)((char *)(ptr) - offsetof(type, field)))

/* ---- helpers: clock, statistics, failure ---- */

static void report(const char *workload, double value, const char *unit)
{
  printf("RESULT libuv %s %.1f %s\n", workload, value, unit);
  fflush(stdout);
}

static void fail(const char *what)
{
  check(0, what);
}

static void check_uv(int rc, const char *call)
{
  if (rc < 0) {
    fprintf(stderr, "uv_peers: %s: %s\n", call, uv_strerror(rc));
    exit(1);
  }
}

static void *xmalloc(size_t n)
{
  void *p = malloc(n);

  if (p == NULL)
    fail("out of memory");
  return p;
}

/* Runs `rep` REPS times and reports the median of what it returns. */
static void run_reps(const char *name, const char *unit, double (*rep)(void))
{
  double v[REPS];

  for (int i = 0; i < REPS; i++)
    v[i] = rep();
  report(name, quantile(v, REPS, 0.5), unit);
}

/* ---- FIFO of intrusive nodes, and the ready list built on it ---- */

struct rnode {
  struct rnode *next;
  void (*fn)(struct rnode *);
};

struct fifo {
  struct rnode *head;
  struct rnode **tail;
};

static void fifo_init(struct fifo *q)
{
  q->head = NULL;
  q->tail = &q->head;
}

static void fifo_push(struct fifo *q, struct rnode *n)
{
  n->next = NULL;
  *q->tail = n;
  q->tail = &n->next;
}

static struct rnode *fifo_pop(struct fifo *q)
{
  struct rnode *n = q->head;

  if (n != NULL && (q->head = n->next) == NULL)
    q->tail = &q->head;
  return n;
}

static struct {
  uv_loop_t loop;
  uv_idle_t idle;
  struct fifo ready;
  int idle_active;
} sched;

/* Runs the nodes that were ready when this iteration began. */
static void sched_drain(uv_idle_t *idle)
{
  struct rnode *n = sched.ready.head;

  fifo_init(&sched.ready);
  while (n != NULL) {
    struct rnode *next = n->next; /* fn may free or re-post n */
    n->fn(n);
    n = next;
  }
  if (sched.ready.head == NULL) {
    sched.idle_active = 0;
    uv_idle_stop(idle);
  }
}

/* call_soon: `fn(n)` runs on the next loop iteration. */
static void sched_post(struct rnode *n, void (*fn)(struct rnode *))
{
  n->fn = fn;
  fifo_push(&sched.ready, n);
  if (!sched.idle_active) {
    sched.idle_active = 1;
    uv_idle_start(&sched.idle, sched_drain);
  }
}

static void sched_init(void)
{
  check_uv(uv_loop_init(&sched.loop), "uv_loop_init");
  check_uv(uv_idle_init(&sched.loop, &sched.idle), "uv_idle_init");
  fifo_init(&sched.ready);
  sched.idle_active = 0;
}

static void sched_run(void)
{
  uv_run(&sched.loop, UV_RUN_DEFAULT);
}

static void sched_close(void)
{
  check(sched.ready.head == NULL, "ready list not empty at close");
  uv_close((uv_handle_t *)&sched.idle, NULL);
  uv_run(&sched.loop, UV_RUN_DEFAULT);
  check_uv(uv_loop_close(&sched.loop), "uv_loop_close");
}

/* ---- futures ---- */

struct future;
typedef void (*done_fn)(struct future *f, void *arg);

struct future {
  struct rnode node; /* on the ready list while its callback is due */
  done_fn cb;
  void *arg;
  long result;
  int done;
};

static struct future *future_new(void)
{
  struct future *f = xmalloc(sizeof *f);

  f->cb = NULL;
  f->arg = NULL;
  f->result = 0;
  f->done = 0;
  return f;
}

static void future_add_done_cb(struct future *f, done_fn cb, void *arg)
{
  assert(f->cb == NULL && !f->done);
  f->cb = cb;
  f->arg = arg;
}

static void future_run_cb(struct rnode *n)
{
  struct future *f = container_of(n, struct future, node);

  f->cb(f, f->arg);
}

/* As in asyncio, the done callback runs on a later iteration, never here. */
static void future_set_result(struct future *f, long value)
{
  assert(!f->done);
  f->done = 1;
  f->result = value;
  if (f->cb != NULL)
    sched_post(&f->node, future_run_cb);
}

static void future_reply(struct rnode *n)
{
  future_set_result(container_of(n, struct future, node), 1);
}

/* loop.call_soon(f.set_result, 1): the simulated remote reply. */
static void future_reply_soon(struct future *f)
{
  sched_post(&f->node, future_reply);
}

/* ---- tasks ---- */

enum task_state {
  T_START,       /* posted, not yet run */
  T_WAIT_SLOT,   /* queued on a semaphore */
  T_WAIT_FUTURE, /* awaiting t->fut */
  T_YIELDED,     /* sleep(0): re-posted itself */
  T_CANCELLED,   /* cancel() posted it */
};

struct task {
  struct rnode node;
  void (*step)(struct task *t);
  struct future *fut;
  long index;
  enum task_state state;
};

static long tasks_pending;

static void task_run(struct rnode *n)
{
  struct task *t = container_of(n, struct task, node);

  t->step(t);
}

static struct task *task_spawn(void (*step)(struct task *), long index)
{
  struct task *t = xmalloc(sizeof *t);

  t->step = step;
  t->fut = NULL;
  t->index = index;
  t->state = T_START;
  tasks_pending++;
  sched_post(&t->node, task_run);
  return t;
}

/* Done callback of an awaited future: resumes the task at once. */
static void task_wakeup(struct future *f, void *arg)
{
  struct task *t = arg;

  (void)f;

  assert(t->fut == f && t->state == T_WAIT_FUTURE);
  t->step(t);
}

static void task_await(struct task *t, struct future *f)
{
  t->fut = f;
  t->state = T_WAIT_FUTURE;
  future_add_done_cb(f, task_wakeup, t);
}

static void task_yield(struct task *t)
{
  t->state = T_YIELDED;
  sched_post(&t->node, task_run);
}

static void task_finish(struct task *t)
{
  free(t->fut);
  free(t);
  tasks_pending--;
}

/* ---- W1: future churn ----
 * Measures ns per future: malloc, one done callback dispatched through the
 * ready list, free.
 * W1_batched: a producer callback creates 1000 futures, adds one done
 * callback to each and sets its result, then re-posts itself; the next
 * iteration runs the 1000 done callbacks, which free their future.
 * W1_single: a chain, one future per loop iteration: each done callback
 * frees its future and creates, arms and completes the next one.
 */

static struct {
  long total, remaining, batch, done;
  struct rnode producer;
} w1;

/* Creates a future, adds `cb` as its done callback and completes it. */
static void w1_arm(done_fn cb)
{
  struct future *f = future_new();

  future_add_done_cb(f, cb, NULL);
  future_set_result(f, 1);
}

static void w1_on_done(struct future *f, void *arg)
{
  (void)arg;
  w1.done++;
  free(f);
}

static void w1_produce(struct rnode *n)
{
  long k = w1.remaining < w1.batch ? w1.remaining : w1.batch;

  for (long i = 0; i < k; i++)
    w1_arm(w1_on_done);
  w1.remaining -= k;
  if (w1.remaining > 0)
    sched_post(n, w1_produce);
}

/* Times 1,000,000 futures made 1,000 per iteration by `produce`. */
static double w1_batched_run(void (*produce)(struct rnode *))
{
  const long total = bench_size(1000000);
  uint64_t t0, t1;

  sched_init();
  w1.remaining = total;
  w1.batch = 1000;
  w1.done = 0;
  t0 = bench_start();
  sched_post(&w1.producer, produce);
  sched_run();
  t1 = bench_stop();
  check(w1.done == total, "W1_batched: done callbacks missing");
  sched_close();
  return (double)(t1 - t0) / (double)total;
}

static double w1_batched_rep(void)
{
  return w1_batched_run(w1_produce);
}

static void w1_on_done_chain(struct future *f, void *arg)
{
  (void)arg;
  w1.done++;
  free(f);
  if (w1.done < w1.total)
    w1_arm(w1_on_done_chain);
}

static double w1_single_rep(void)
{
  const long total = bench_size(200000);
  uint64_t t0, t1;

  sched_init();
  w1.total = total;
  w1.done = 0;
  t0 = bench_start();
  w1_arm(w1_on_done_chain);
  sched_run();
  t1 = bench_stop();
  check(w1.done == total, "W1_single: done callbacks missing");
  sched_close();
  return (double)(t1 - t0) / (double)total;
}

static void run_w1_batched(void)
{
  run_reps("W1_batched", "ns/future", w1_batched_rep);
}

static void run_w1_single(void)
{
  run_reps("W1_single", "ns/future", w1_single_rep);
}

/* ---- W1_batched_rec: the same with a record per done callback ----
 * A future that accepts any number of done callbacks keeps each in a
 * record of its own, allocated at registration and freed after it ran.
 * This floor pays that (two malloc/free pairs per future); W1_batched
 * above embeds the one callback in the future.
 */

struct rfuture;

struct cbrec {
  struct rnode node;   /* on the ready list once the future is done */
  struct cbrec *next;  /* the future's registrations, in order */
  void (*cb)(struct rfuture *f, void *arg);
  void *arg;
  struct rfuture *f;
};

struct rfuture {
  struct cbrec *head, **tail;
  long result;
  int done;
};

static void rec_run(struct rnode *n)
{
  struct cbrec *r = container_of(n, struct cbrec, node);
  struct rfuture *f = r->f;

  r->cb(f, r->arg);
  free(r);
  free(f); /* its only callback ran: the future goes too */
}

static void rfuture_set_result(struct rfuture *f, long value)
{
  f->done = 1;
  f->result = value;
  for (struct cbrec *r = f->head; r != NULL; r = r->next)
    sched_post(&r->node, rec_run);
}

static void w1r_on_done(struct rfuture *f, void *arg)
{
  (void)f;
  (void)arg;
  w1.done++;
}

static void w1r_arm(void)
{
  struct rfuture *f = xmalloc(sizeof *f);
  struct cbrec *r = xmalloc(sizeof *r);

  f->head = NULL;
  f->tail = &f->head;
  f->done = 0;
  r->cb = w1r_on_done;
  r->arg = NULL;
  r->f = f;
  r->next = NULL;
  *f->tail = r;
  f->tail = &r->next;
  rfuture_set_result(f, 1);
}

static void w1r_produce(struct rnode *n)
{
  long k = w1.remaining < w1.batch ? w1.remaining : w1.batch;

  for (long i = 0; i < k; i++)
    w1r_arm();
  w1.remaining -= k;
  if (w1.remaining > 0)
    sched_post(n, w1r_produce);
}

static double w1_batched_rec_rep(void)
{
  return w1_batched_run(w1r_produce);
}

static void run_w1_batched_rec(void)
{
  run_reps("W1_batched_rec", "ns/future", w1_batched_rec_rep);
}

/* ---- helper for the task workloads: spawn n, run, time ---- */

static double spawn_and_run(long n, void (*step)(struct task *))
{
  uint64_t t0, t1;

  t0 = bench_start();
  for (long i = 0; i < n; i++)
    task_spawn(step, i);
  sched_run();
  t1 = bench_stop();
  check(tasks_pending == 0, "tasks left pending");
  return (double)(t1 - t0) / (double)n;
}

/* ---- W2a: tasks awaiting a future ----
 * 100,000 tasks; each creates a future, has call_soon complete it, awaits
 * it and finishes.  Measures ns per task: task and future allocation, three
 * ready-list dispatches (start, reply, done callback), free.
 */

#define W2A_N 100000

static void w2a_step(struct task *t)
{
  struct future *f;

  switch (t->state) {
  case T_START:
    f = future_new();
    task_await(t, f);
    future_reply_soon(f);
    break;
  case T_WAIT_FUTURE:
    check(t->fut->result == 1, "W2a: wrong result");
    task_finish(t);
    break;
  default:
    assert(!"W2a: bad state");
  }
}

static double w2a_rep(void)
{
  double ns;

  sched_init();
  ns = spawn_and_run(bench_size(W2A_N), w2a_step);
  sched_close();
  return ns;
}

static void run_w2a(void)
{
  run_reps("W2a", "ns/task", w2a_rep);
}

/* ---- W2: spawn, sleep(0), gather ----
 * 100,000 tasks; each yields once (re-posts itself) and returns its index
 * into the gathered results array; the sum is checked.  Measures ns per
 * task: allocation, two dispatches, result store, free.
 */

#define W2_N 100000

static long *w2_results;

static void w2_step(struct task *t)
{
  switch (t->state) {
  case T_START:
    task_yield(t);
    break;
  case T_YIELDED:
    w2_results[t->index] = t->index;
    task_finish(t);
    break;
  default:
    assert(!"W2: bad state");
  }
}

static double w2_rep(void)
{
  const long n = bench_size(W2_N);
  long sum = 0;
  double ns;

  sched_init();
  w2_results = xmalloc((size_t)n * sizeof *w2_results);
  ns = spawn_and_run(n, w2_step);
  for (long i = 0; i < n; i++)
    sum += w2_results[i];
  check(sum == n * (n - 1) / 2, "W2: wrong sum");
  free(w2_results);
  sched_close();
  return ns;
}

static void run_w2(void)
{
  run_reps("W2", "ns/task", w2_rep);
}

/* ---- W3: semaphore-bounded remote calls ----
 * 10,000 jobs, at most 100 in flight: a job takes a slot (or queues FIFO),
 * awaits a future completed by call_soon, then releases the slot, handing
 * it straight to the first waiter.  Measures ns per job.
 */

#define W3_N 10000
#define W3_SLOTS 100

static struct {
  int free_slots, in_flight, max_in_flight;
  struct fifo waiters;
} w3;

static void w3_call(struct task *t)
{
  struct future *f = future_new();

  if (++w3.in_flight > w3.max_in_flight)
    w3.max_in_flight = w3.in_flight;
  task_await(t, f);
  future_reply_soon(f);
}

static void w3_release(void)
{
  struct rnode *waiter = fifo_pop(&w3.waiters);

  w3.in_flight--;
  if (waiter != NULL)
    sched_post(waiter, task_run); /* the slot passes to the waiter */
  else
    w3.free_slots++;
}

static void w3_step(struct task *t)
{
  switch (t->state) {
  case T_START:
    if (w3.free_slots > 0) {
      w3.free_slots--;
      w3_call(t);
    } else {
      t->state = T_WAIT_SLOT;
      fifo_push(&w3.waiters, &t->node);
    }
    break;
  case T_WAIT_SLOT:
    w3_call(t);
    break;
  case T_WAIT_FUTURE:
    w3_release();
    task_finish(t);
    break;
  default:
    assert(!"W3: bad state");
  }
}

static double w3_rep(void)
{
  const long n = bench_size(W3_N);
  double ns;

  sched_init();
  w3.free_slots = W3_SLOTS;
  w3.in_flight = w3.max_in_flight = 0;
  fifo_init(&w3.waiters);
  ns = spawn_and_run(n, w3_step);
  check(w3.max_in_flight == (n < W3_SLOTS ? n : W3_SLOTS),
        "W3: semaphore bound not reached");
  check(w3.free_slots == W3_SLOTS, "W3: slots leaked");
  sched_close();
  return ns;
}

static void run_w3(void)
{
  run_reps("W3", "ns/job", w3_rep);
}

/* ---- W4: tiny jobs on the thread pool ----
 * 100,000 jobs, each summing 100 ints on one of 4 pool threads
 * (UV_THREADPOOL_SIZE=4, set in main), all submitted up front and awaited.
 * Measures wall ns per job and CPU ns per job (all threads, getrusage).
 */

#define W4_N 100000
#define W4_INTS 100

static int w4_data[W4_INTS];
static long w4_expected, w4_done;

struct w4_job {
  uv_work_t req;
  long sum;
};

static void w4_work(uv_work_t *req)
{
  struct w4_job *job = container_of(req, struct w4_job, req);
  long sum = 0;

  for (int i = 0; i < W4_INTS; i++)
    sum += w4_data[i];
  job->sum = sum;
}

static void w4_after(uv_work_t *req, int status)
{
  struct w4_job *job = container_of(req, struct w4_job, req);

  check(status == 0 && job->sum == w4_expected, "W4: bad job result");
  w4_done++;
  free(job);
}

static void w4_setup(void)
{
  w4_expected = 0;
  for (int i = 0; i < W4_INTS; i++) {
    w4_data[i] = i;
    w4_expected += i;
  }
}

/* One round: W4_N jobs (or --n); returns wall ns per job. */
static double w4_rep(void)
{
  const long n = bench_size(W4_N);
  uint64_t t0, t1;

  sched_init();
  w4_done = 0;
  t0 = bench_start();
  for (long i = 0; i < n; i++) {
    struct w4_job *job = xmalloc(sizeof *job);
    check_uv(uv_queue_work(&sched.loop, &job->req, w4_work, w4_after),
             "uv_queue_work");
  }
  sched_run();
  t1 = bench_stop();
  check(w4_done == n, "W4: jobs missing");
  sched_close();
  return (double)(t1 - t0) / (double)n;
}

static void run_w4(void)
{
  double wall[REPS], cpu[REPS];

  w4_setup();
  for (int i = 0; i < REPS; i++) {
    wall[i] = w4_rep();
    cpu[i] = bench_cpu_per_op(wall[i]);
  }
  report("W4", quantile(wall, REPS, 0.5), "ns/job");
  report("W4_cpu", quantile(cpu, REPS, 0.5), "ns/job");
}

/* ---- W6: memory per pending task ----
 * 100,000 tasks each awaiting a future that never completes; heap growth
 * (mallinfo2: uordblks + hblkhd, so malloc headers count) divided by N,
 * including the array that holds the tasks (as asyncio's list would).
 * Then all are cancelled and freed through the loop.
 */

#define W6_N 100000

static void w6_step(struct task *t)
{
  switch (t->state) {
  case T_START:
    task_await(t, future_new());
    break;
  case T_CANCELLED:
    task_finish(t);
    break;
  default:
    assert(!"W6: bad state");
  }
}

static void w6_cancel(struct task *t)
{
  assert(t->state == T_WAIT_FUTURE);
  t->state = T_CANCELLED;
  sched_post(&t->node, task_run);
}

static double w6_rep(void)
{
  const long n = bench_size(W6_N);
  struct task **tasks;
  size_t before, after, rss_before;

  sched_init();
  rss_before = rss_bytes();
  before = heap_in_use();
  tasks = xmalloc((size_t)n * sizeof *tasks);
  for (long i = 0; i < n; i++)
    tasks[i] = task_spawn(w6_step, i);
  sched_run(); /* every task now awaits its future */
  after = heap_in_use();
  bench_rss_per_obj = ((double)rss_bytes() - (double)rss_before) / (double)n;
  for (long i = 0; i < n; i++)
    w6_cancel(tasks[i]);
  sched_run();
  check(tasks_pending == 0, "W6: tasks left after cancel");
  free(tasks);
  sched_close();
  return (double)(after - before) / (double)n;
}

static void run_w6(void)
{
  run_reps("W6", "bytes/task", w6_rep);
}

/* ---- LAT: worker thread -> loop thread wake-up latency ----
 * A worker thread stamps the time and calls uv_async_send; the loop
 * thread's async callback stamps again.  The worker waits for the callback
 * (a semaphore) before the next sample, so sends never coalesce.  p50 and
 * p99 over LAT_N samples, with both threads on CPU 0 and on CPUs 0 and 1.
 */

#define LAT_N 20000

struct lat_run {
  uv_loop_t loop;
  uv_async_t async;
  sem_t turn;
  uint64_t t_send; /* atomic: written by the worker, read by the loop */
  double *us;
  int got;
  int worker_cpu;
};

static void pin_self(int cpu)
{
  cpu_set_t set;

  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    fail("sched_setaffinity failed");
}

static void *lat_worker(void *arg)
{
  struct lat_run *r = arg;

  pin_self(r->worker_cpu);
  for (int i = 0; i < LAT_N; i++) {
    while (sem_wait(&r->turn) != 0 && errno == EINTR)
      ;
    __atomic_store_n(&r->t_send, now_ns(), __ATOMIC_RELEASE);
    check_uv(uv_async_send(&r->async), "uv_async_send");
  }
  return NULL;
}

static void lat_on_async(uv_async_t *a)
{
  uint64_t t = now_ns();
  struct lat_run *r = container_of(a, struct lat_run, async);
  uint64_t sent = __atomic_load_n(&r->t_send, __ATOMIC_ACQUIRE);

  r->us[r->got++] = (double)(t - sent) / 1e3;
  if (r->got == LAT_N)
    uv_close((uv_handle_t *)a, NULL);
  else
    sem_post(&r->turn);
}

/* One run of LAT_N samples, loop on CPU 0, worker on `worker_cpu`. */
static void lat_rep(int worker_cpu, double *p50, double *p99)
{
  struct lat_run r;
  pthread_t worker;

  r.us = xmalloc(LAT_N * sizeof *r.us);
  r.got = 0;
  r.worker_cpu = worker_cpu;
  r.t_send = 0;
  check(sem_init(&r.turn, 0, 1) == 0, "sem_init");
  check_uv(uv_loop_init(&r.loop), "uv_loop_init");
  check_uv(uv_async_init(&r.loop, &r.async, lat_on_async), "uv_async_init");
  pin_self(0);
  check(pthread_create(&worker, NULL, lat_worker, &r) == 0, "pthread_create");
  uv_run(&r.loop, UV_RUN_DEFAULT);
  pthread_join(worker, NULL);
  check(r.got == LAT_N, "LAT: samples missing");
  check_uv(uv_loop_close(&r.loop), "uv_loop_close");
  sem_destroy(&r.turn);
  *p50 = quantile(r.us, LAT_N, 0.50);
  *p99 = quantile(r.us, LAT_N, 0.99);
  free(r.us);
}

static void lat_report(const char *placement, int worker_cpu)
{
  double p50[REPS], p99[REPS];
  char name[64];

  for (int i = 0; i < REPS; i++)
    lat_rep(worker_cpu, &p50[i], &p99[i]);
  snprintf(name, sizeof name, "LAT_%s_p50", placement);
  report(name, quantile(p50, REPS, 0.5), "us");
  snprintf(name, sizeof name, "LAT_%s_p99", placement);
  report(name, quantile(p99, REPS, 0.5), "us");
}

static void run_lat(void)
{
  run_lat_placements(lat_report);
}

/* --once LAT_*: one rep, its p50 or p99 in ns (bench_lat_name). */
static int lat_cpu, lat_p99;

static double lat_once_rep(void)
{
  double p50, p99;

  lat_rep(lat_cpu, &p50, &p99);
  return (lat_p99 ? p99 : p50) * 1e3;
}

/* W4 while 2 child processes spin (bench_load_start). */
static double w4_loaded_rep(void)
{
  double ns;

  bench_load_start(2); /* as bench_executor's W4_LOAD */
  ns = w4_rep();
  bench_load_stop();
  return ns;
}

/* ---- main: workload selection ---- */

/* --once: the workloads one rep of which is one figure. */
static const struct {
  const char *name;
  const char *unit;
  double (*rep)(void);
} once_table[] = {
  { "W1_batched", "ns/future", w1_batched_rep },
  { "W1_single", "ns/future", w1_single_rep },
  { "W1_batched_rec", "ns/future", w1_batched_rec_rep },
  { "W2a", "ns/task", w2a_rep },
  { "W2", "ns/task", w2_rep },
  { "W3", "ns/job", w3_rep },
  { "W4", "ns/job", w4_rep },
  { "W4_loaded", "ns/job", w4_loaded_rep },
  { "W6", "bytes/task", w6_rep },
};

static int run_once(const char *prog, const bench_once *o)
{
  if (bench_lat_name(o->workload, &lat_cpu, &lat_p99))
    return bench_run_once("libuv", o, "ns", lat_once_rep);
  for (size_t i = 0; i < sizeof once_table / sizeof once_table[0]; i++)
    if (strcmp(once_table[i].name, o->workload) == 0)
      return bench_run_once("libuv", o, once_table[i].unit, once_table[i].rep);
  return bench_unknown(prog, o->workload);
}

static const struct workload {
  const char *name;
  void (*run)(void);
} workloads[] = {
  { "W1_batched", run_w1_batched },
  { "W1_single", run_w1_single },
  { "W1_batched_rec", run_w1_batched_rec },
  { "W2a", run_w2a },
  { "W2", run_w2 },
  { "W3", run_w3 },
  { "W4", run_w4 },
  { "W6", run_w6 },
  { "LAT", run_lat },
};

#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

/* `arg` selects `name` if equal to it or to its part before a '_'. */
static int selects(const char *arg, const char *name)
{
  size_t len = strlen(arg);

  return strncmp(arg, name, len) == 0 && (name[len] == '\0' || name[len] == '_');
}

static int selected(int argc, char **argv, const char *name)
{
  if (argc < 2)
    return 1;
  for (int i = 1; i < argc; i++)
    if (selects(argv[i], name))
      return 1;
  return 0;
}

static void check_args(int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    int known = 0;
    for (size_t w = 0; w < N_WORKLOADS; w++)
      known |= selects(argv[i], workloads[w].name);
    if (!known) {
      fprintf(stderr, "usage: %s [workload...]\nworkloads:", argv[0]);
      for (size_t w = 0; w < N_WORKLOADS; w++)
        fprintf(stderr, " %s", workloads[w].name);
      fprintf(stderr, "\n");
      exit(2);
    }
  }
}

int main(int argc, char **argv)
{
  bench_once once;

  /* Must precede the first uv_queue_work: the pool size is read once. */
  setenv("UV_THREADPOOL_SIZE", "4", 1);
  w4_setup();
  if (bench_once_args(argc, argv, &once))
    return run_once(argv[0], &once);
  check_args(argc, argv);
  printf("# libuv %s, median of %d runs\n", uv_version_string(), REPS);
  for (size_t w = 0; w < N_WORKLOADS; w++)
    if (selected(argc, argv, workloads[w].name))
      workloads[w].run();
  return 0;
}
