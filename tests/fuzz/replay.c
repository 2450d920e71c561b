/* SPDX-License-Identifier: MIT */
/*
 * replay.c - runs fuzz_api.c's harness over files without libFuzzer: each
 * argument is a file (one input) or a folder (every file in it, in name
 * order). Built with the normal compiler, so the corpus runs as an ordinary
 * test (and under valgrind) in every build.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *fp = fopen(path, "rb");
  uint8_t *buf;
  long n;

  if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    if (fp != NULL)
      fclose(fp);
    return 1;
  }
  rewind(fp);
  buf = malloc((size_t)n + 1);
  if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    free(buf);
    fclose(fp);
    return 1;
  }
  fclose(fp);
  LLVMFuzzerTestOneInput(buf, (size_t)n);
  free(buf);
  return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_path(const char *path, int *count) {
  struct dirent **names;
  struct stat st;
  char full[4096];
  int n, i, bad = 0;

  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: no such file or folder: %s\n", path);
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    ++*count;
    return run_file(path);
  }
  n = scandir(path, &names, NULL, by_name);
  if (n < 0)
    return 1;
  for (i = 0; i < n; i++) {
    if (names[i]->d_name[0] != '.') {
      snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name);
      bad |= run_path(full, count);
    }
    free(names[i]);
  }
  free(names);
  return bad;
}

int main(int argc, char **argv) {
  int i, bad = 0, count = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE|FOLDER...\n", argv[0]);
    return 2;
  }
  LLVMFuzzerInitialize(&argc, &argv);
  for (i = 1; i < argc; i++)
    bad |= run_path(argv[i], &count);
  printf("replayed %d inputs\n", count);
  if (count == 0) {
    fprintf(stderr, "replay: no input found\n");
    return 1;
  }
  return bad;
}
