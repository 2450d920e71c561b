/* SPDX-License-Identifier: MIT */
/*
 * sigdump.c - the out-of-process dump: on the loop's dump signal, write
 * its await graph to <dir>/acore-<pid>.txt (tree) and .json, where <dir>
 * is $ACORE_DUMP_DIR, else $TMPDIR, else /tmp. `acore-ps PID` (tools/)
 * sends the signal and prints the file.
 *
 * Design notes
 * - libuv's signal watcher runs the dump on the loop thread, between two
 *   callbacks, never inside a step: the graph is consistent. A loop
 *   blocked waiting for events wakes for it; a loop stuck inside a step
 *   (a busy C loop) cannot answer (use a debugger then).
 * - Each file is written to a ".tmp" sibling and renamed, so a reader
 *   sees a whole dump or none. The watcher is unreferenced: it never
 *   keeps a run going.
 */
#include "loop_impl.h"
#include "sigdump.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *dump_dir(void) {
  const char *d = getenv("ACORE_DUMP_DIR");

  if (d == NULL || d[0] == '\0')
    d = getenv("TMPDIR");
  return d != NULL && d[0] != '\0' ? d : "/tmp";
}

/* Write the dump in `flags`' format to <dir>/acore-<pid>.<ext>. */
static void dump_to(acore_loop_t *loop, unsigned flags, const char *ext) {
  char path[4096], tmp[4200];
  int fd, rc;

  snprintf(path, sizeof(path), "%s/acore-%ld.%s", dump_dir(), (long)getpid(),
           ext);
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  rc = acore_loop_dump_fd(loop, flags, fd);
  if (close(fd) == 0 && rc == ACORE_OK)
    rename(tmp, path);
  else
    unlink(tmp);
}

static void on_signal(uv_signal_t *h, int signum) {
  acore_loop_t *loop = h->data;

  (void)signum;
  if (loop->core.closed)
    return;
  dump_to(loop, ACORE_DUMP_JSON, "json");
  dump_to(loop, ACORE_DUMP_TREE, "txt"); /* last: acore-ps waits for it */
}

void acore__sigdump_init(acore_loop_t *loop, int signum) {
  if (signum <= 0)
    return;
  uv_signal_init(loop->core.uv, &loop->sigdump.sig);
  loop->sigdump.sig.data = loop;
  loop->sigdump.signum = signum;
  /* cannot fail for a signal number the setter accepted */
  uv_signal_start(&loop->sigdump.sig, on_signal, signum);
  uv_unref((uv_handle_t *)&loop->sigdump.sig);
}

void acore__sigdump_close(acore_loop_t *loop, uv_close_cb on_closed) {
  if (loop->sigdump.signum == 0)
    return;
  loop->closing_handles++;
  uv_close((uv_handle_t *)&loop->sigdump.sig, on_closed);
}
