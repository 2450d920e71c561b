/* SPDX-License-Identifier: MIT */
/*
 * old_binary - a program built against the RELEASED headers and run
 * against the library just built (tests/abi/abi_tests.py, test
 * abi_old_binary). It calls every released function at least once and
 * asserts documented behaviour with values and orders (a call_soon that ran
 * last-in-first-out, a renumbered constant or a changed calling convention
 * fails a check). Plain C, no framework: an old binary is an ordinary
 * program. It first prints the path of the libacore it is running (the test
 * compares it with the library under test). Exit status 0 when every check
 * holds; each failed check prints its line.
 */
#define _GNU_SOURCE
#include "ob.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ob_failures;
char ob_log[256];
int ob_freed;
const char ob_ids[] = "0123456789abcdefghijklmnopqrstuvwxyz";

void ob_fail(const char *file, int line, const char *what) {
  fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  ob_failures++;
}

void ob_log_reset(void) { memset(ob_log, 0, sizeof(ob_log)); }

void ob_log_add(char c) {
  size_t n = strlen(ob_log);
  if (n + 1 < sizeof(ob_log))
    ob_log[n] = c;
}

void ob_log_cb(void *ud) { ob_log_add(*(const char *)ud); }

void ob_count_free(void *ud) {
  (void)ud;
  ob_freed++;
}

acore_loop_t *ob_vloop(void) {
  acore_loop_options_t *opts = NULL;
  acore_loop_t *loop = NULL;

  if (acore_loop_options_new(&opts) != ACORE_OK ||
      acore_loop_options_set_flags(opts, ACORE_LOOP_VIRTUAL_CLOCK) != ACORE_OK ||
      acore_loop_new(opts, &loop) != ACORE_OK) {
    fprintf(stderr, "old_binary: cannot make a loop\n");
    exit(1);
  }
  acore_loop_options_free(opts);
  return loop;
}

void ob_vloop_done(acore_loop_t *loop) {
  CHECK(acore_loop_close(loop) == ACORE_OK);
  acore_loop_unref(loop);
}

long long ob_int(acore_future_t *fut) {
  int64_t v = 0;
  return acore_future_result_int(fut, &v) == ACORE_OK ? (long long)v : -999;
}

/* Which libacore this process runs: the file holding acore_version()
 * (dladdr) and every libacore file mapped (/proc/self/maps). */
static int print_loaded(void) {
  union { unsigned (*fn)(void); void *p; } sym;
  Dl_info info;
  char line[1024], last[1024] = "", *path;
  FILE *maps = fopen("/proc/self/maps", "r");

  sym.fn = acore_version;
  if (!dladdr(sym.p, &info) || info.dli_fname == NULL) {
    fprintf(stderr, "old_binary: dladdr cannot tell which libacore is loaded\n");
    return 1;
  }
  printf("loaded: %s\n", info.dli_fname);
  while (maps && fgets(line, sizeof(line), maps)) {
    path = strchr(line, '/');
    if (path && strstr(path, "libacore")) {
      path[strcspn(path, "\n")] = '\0';
      if (strcmp(path, last) != 0)
        printf("mapped: %s\n", path);
      snprintf(last, sizeof(last), "%s", path);
    }
  }
  if (maps)
    fclose(maps);
  return 0;
}

int main(void) {
  if (print_loaded())
    return 1;
  ob_base();
  ob_loop();
  ob_future();
  ob_task();
  ob_comb();
  ob_group();
  ob_exec();
  ob_sync();
  ob_queue();
  ob_udp();
  ob_io_sys();
  ob_net();
  ob_graph();
  if (ob_failures) {
    fprintf(stderr, "old_binary: %d check(s) failed\n", ob_failures);
    return 1;
  }
  printf("old_binary: the released API behaves as documented (built against "
         "%s, running %s)\n", ACORE_VERSION_STRING, acore_version_string());
  return 0;
}
