/* SPDX-License-Identifier: MIT */
/*
 * curl_multi.c - libcurl's multi-socket interface driven by acore's loop:
 * several HTTP transfers at once, no thread, no curl_multi_poll().
 *
 *   curl_multi <base-url> <path>...
 *
 * Fetches every <base-url><path> concurrently and prints, per path, its
 * HTTP status, its size and the FNV-1a 64 hash of its body, then the peak
 * number of transfers in flight. Exit status 0 when every transfer got a
 * 200. (Its test, curl_multi_test.py, starts a local HTTP server and checks
 * the sizes and hashes.)
 *
 * The glue is what every fd-based asynchronous C library needs:
 * - curl's socket callback says which sockets to watch and for what: one
 *   acore_fd_watcher_t per socket, its interest changed with
 *   acore_fd_watcher_set_events() and closed on CURL_POLL_REMOVE;
 * - curl's timer callback asks for one timer: an acore_loop_call_later()
 *   handle, replaced or cancelled as curl asks;
 * - a ready socket or the timer calls curl_multi_socket_action(), then the
 *   finished transfers are collected; when none is left a future completes,
 *   which is what the program runs the loop until.
 */
#include <acore.h>

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct transfer {
  const char *path;
  CURL *easy;
  long status;
  size_t bytes;
  uint64_t hash;    /* FNV-1a 64 of the body */
  CURLcode result;
} transfer;

typedef struct app {
  acore_loop_t *loop;
  CURLM *multi;
  acore_handle_t *timer; /* curl's timer, or NULL */
  acore_future_t *done;  /* completes when no transfer is left */
  int left;              /* transfers not finished */
  int running, peak;     /* curl's count of running transfers, its peak */
} app;

/* ---- curl's data -------------------------------------------------------- */

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
  transfer *t = ud;
  size_t i, len = size * n;

  for (i = 0; i < len; i++)
    t->hash = (t->hash ^ (unsigned char)p[i]) * 0x100000001b3ull;
  t->bytes += len;
  return len;
}

/* Collect the finished transfers; complete `done` when none is left. */
static void collect(app *a) {
  CURLMsg *m;
  int n;

  if (a->running > a->peak)
    a->peak = a->running;
  while ((m = curl_multi_info_read(a->multi, &n)) != NULL) {
    transfer *t;
    if (m->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
    curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &t->status);
    t->result = m->data.result;
    curl_multi_remove_handle(a->multi, t->easy);
    curl_easy_cleanup(t->easy);
    t->easy = NULL;
    if (--a->left == 0)
      acore_future_set_int(a->done, 0);
  }
}

/* ---- sockets: curl -> acore and back ------------------------------------ */

static void on_ready(acore_fd_watcher_t *w, int fd, unsigned events,
                     void *ud) {
  app *a = ud;
  int flags = ((events & ACORE_FD_READABLE) ? CURL_CSELECT_IN : 0) |
              ((events & ACORE_FD_WRITABLE) ? CURL_CSELECT_OUT : 0) |
              ((events & ACORE_FD_ERROR) ? CURL_CSELECT_ERR : 0);

  (void)w;
  curl_multi_socket_action(a->multi, fd, flags, &a->running);
  collect(a);
}

/* curl: watch `s` for `what` (or stop: CURL_POLL_REMOVE). The watcher is
 * curl's per-socket pointer. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp,
                     void *socketp) {
  app *a = userp;
  acore_fd_watcher_t *w = socketp;
  unsigned events = ((what & CURL_POLL_IN) ? ACORE_FD_READABLE : 0) |
                    ((what & CURL_POLL_OUT) ? ACORE_FD_WRITABLE : 0);

  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    acore_fd_watcher_close(w);
    acore_fd_watcher_unref(w);
    curl_multi_assign(a->multi, s, NULL);
    return 0;
  }
  if (w != NULL)
    return acore_fd_watcher_set_events(w, events) == ACORE_OK ? 0 : -1;
  if (acore_fd_watcher_new(a->loop, s, events, on_ready, a, NULL, &w) !=
      ACORE_OK)
    return -1;
  curl_multi_assign(a->multi, s, w);
  return 0;
}

/* ---- curl's timer ------------------------------------------------------- */

static void on_timeout(void *ud) {
  app *a = ud;

  acore_handle_unref(a->timer);
  a->timer = NULL;
  curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0, &a->running);
  collect(a);
}

/* curl: call back in `ms` milliseconds (-1: no timer). */
static int on_timer(CURLM *multi, long ms, void *userp) {
  app *a = userp;

  (void)multi;
  if (a->timer != NULL) {
    acore_handle_cancel(a->timer);
    acore_handle_unref(a->timer);
    a->timer = NULL;
  }
  if (ms < 0)
    return 0;
  return acore_loop_call_later(a->loop, (double)ms / 1000.0, on_timeout, a,
                               NULL, &a->timer) == ACORE_OK ? 0 : -1;
}

/* ---- the program -------------------------------------------------------- */

static int start(app *a, transfer *t, const char *base) {
  char url[1024];

  snprintf(url, sizeof(url), "%s%s", base, t->path);
  t->hash = 0xcbf29ce484222325ull;
  t->easy = curl_easy_init();
  if (t->easy == NULL)
    return -1;
  curl_easy_setopt(t->easy, CURLOPT_URL, url);
  curl_easy_setopt(t->easy, CURLOPT_PROXY, ""); /* loopback: never a proxy */
  curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
  if (curl_multi_add_handle(a->multi, t->easy) != CURLM_OK)
    return -1;
  a->left++;
  return 0;
}

int main(int argc, char **argv) {
  app a = {0};
  transfer *ts;
  int i, n = argc - 2, failed = 0;

  if (n < 1) {
    fprintf(stderr, "usage: %s <base-url> <path>...\n", argv[0]);
    return 2;
  }
  ts = calloc((size_t)n, sizeof(*ts));
  if (ts == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
      acore_loop_new(NULL, &a.loop) != ACORE_OK ||
      acore_future_new(a.loop, &a.done) != ACORE_OK)
    return 1;
  a.multi = curl_multi_init();
  curl_multi_setopt(a.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(a.multi, CURLMOPT_SOCKETDATA, &a);
  curl_multi_setopt(a.multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(a.multi, CURLMOPT_TIMERDATA, &a);
  for (i = 0; i < n; i++) {
    ts[i].path = argv[i + 2];
    if (start(&a, &ts[i], argv[1]) != 0)
      return 1;
  }
  acore_loop_run_until_complete(a.loop, a.done);

  for (i = 0; i < n; i++) {
    printf("%s %ld %zu %016llx\n", ts[i].path, ts[i].status, ts[i].bytes,
           (unsigned long long)ts[i].hash);
    if (ts[i].result != CURLE_OK) {
      printf("  error: %s\n", curl_easy_strerror(ts[i].result));
      failed++;
    } else if (ts[i].status != 200) {
      failed++;
    }
  }
  printf("peak transfers in flight: %d\n", a.peak);
  curl_multi_cleanup(a.multi);
  on_timer(NULL, -1, &a); /* drop a timer curl left behind */
  acore_future_unref(a.done);
  acore_loop_close(a.loop);
  acore_loop_unref(a.loop);
  curl_global_cleanup();
  free(ts);
  return failed == 0 ? 0 : 1;
}
