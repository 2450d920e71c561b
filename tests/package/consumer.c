/* SPDX-License-Identifier: MIT */
/*
 * consumer.c - a small program built against an INSTALLED acore, the way a
 * user builds one: `cc consumer.c $(pkg-config --cflags --libs acore)`, the
 * same as C++, or find_package(acore) in CMake (tests/package/). It is valid
 * C and C++. Usage: consumer <expected version>; it checks that the
 * compile-time and run-time versions agree with the packaging's version,
 * then runs a task that awaits a timer on the virtual clock.
 */
#include <acore.h>

#include <stdio.h>
#include <string.h>

static void complete(void *ud) {
  acore_future_set_int((acore_future_t *)ud, 21);
}

static int step(acore_task_t *t, void *ud) {
  int *at = (int *)ud;
  acore_future_t *f = NULL;
  int64_t v = 0;

  if ((*at)++ == 0) {
    if (acore_future_new(acore_task_loop(t), &f) != ACORE_OK)
      return ACORE_ENOMEM;
    acore_loop_call_later(acore_task_loop(t), 2.0, complete, f, NULL, NULL);
    return acore_task_await_take(t, f);
  }
  acore_future_result_int(acore_task_awaited(t), &v);
  return acore_task_return_int(t, v * 2);
}

static int run_task(void) {
  acore_loop_options_t *opts = NULL;
  acore_loop_t *loop = NULL;
  acore_task_t *t = NULL;
  int at = 0;
  int64_t v = 0;

  if (acore_loop_options_new(&opts) != ACORE_OK ||
      acore_loop_options_set_flags(opts, ACORE_LOOP_VIRTUAL_CLOCK) != ACORE_OK ||
      acore_loop_new(opts, &loop) != ACORE_OK)
    return -1;
  acore_loop_options_free(opts);
  acore_task_spawn(loop, step, &at, NULL, &t);
  acore_loop_run(loop);
  acore_loop_advance(loop, 2.0);
  acore_loop_run_until_complete(loop, acore_task_future(t));
  acore_future_result_int(acore_task_future(t), &v);
  acore_task_unref(t);
  acore_loop_close(loop);
  acore_loop_unref(loop);
  return (int)v;
}

int main(int argc, char **argv) {
  const char *want = argc > 1 ? argv[1] : "";
  int ok = strcmp(ACORE_VERSION_STRING, want) == 0 &&
           strcmp(acore_version_string(), want) == 0 &&
           acore_version() == (unsigned)ACORE_VERSION_HEX;
  int v = run_task();

  printf("consumer (%s): package %s, header %s, library %s; task result %d\n",
#ifdef __cplusplus
         "C++",
#else
         "C",
#endif
         want, ACORE_VERSION_STRING, acore_version_string(), v);
  return ok && v == 42 ? 0 : 1;
}
