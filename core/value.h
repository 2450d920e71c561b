/* SPDX-License-Identifier: MIT */
/*
 * value.h - what a future carries: a value (a pointer with its destructor,
 * an int64, a double, bytes) or an error object (error.c). Internal.
 *
 * Design notes
 * - A value is a union read by the kind stored next to it (ACORE_VALUE_*
 *   for a result; the future's state says error or cancelled). The
 *   constructors below zero the unused bytes, so a value is always whole.
 * - An error is reference counted with atomic counts (its last reference
 *   may go on any thread); acore__enomem_error is never freed, so making
 *   an error never fails.
 */
#ifndef ACORE_VALUE_H
#define ACORE_VALUE_H

#include "acore.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct acore_error {
  atomic_uint refs;
  int code;
  unsigned is_static;
  void *payload;
  acore_free_fn payload_free;
  size_t nchildren;
  acore_error_t **children;
  char message[]; /* NUL-terminated */
};

/* A shared, never-freed error for when even making an error fails. */
extern acore_error_t acore__enomem_error;
/* A new reference to an error for `code`, or to acore__enomem_error. */
acore_error_t *acore__error_make(int code, const char *message);

typedef union acore__value {
  struct { void *ptr; acore_free_fn free; } p;
  int64_t i;
  double d;
  struct { char *data; size_t len; } b;
  acore_error_t *err;
  char *msg; /* cancel message (also a task's requested one) */
  struct {   /* a pending task: */
    char *msg;  /* the latest request's message (owned; aliases msg) */
    void *dlv;  /* the delivered cancel's: its message (owned) or the
                   cancelled future it came from (a reference) */
  } tc;
} acore__value;

/* Values, made whole (the unused bytes zeroed). */
static inline acore__value acore__value_ptr(void *ptr, acore_free_fn free_fn) {
  acore__value v;
  v.p.ptr = ptr;
  v.p.free = free_fn;
  return v;
}
/* The kind of a pointer result: NONE for a NULL pointer without destructor. */
static inline uint8_t acore__ptr_kind(void *ptr, acore_free_fn free_fn) {
  return ptr != NULL || free_fn != NULL ? ACORE_VALUE_PTR : ACORE_VALUE_NONE;
}
static inline acore__value acore__value_int(int64_t i) {
  acore__value v = acore__value_ptr(NULL, NULL);
  v.i = i;
  return v;
}
static inline acore__value acore__value_double(double d) {
  acore__value v = acore__value_ptr(NULL, NULL);
  v.d = d;
  return v;
}
static inline acore__value acore__value_err(acore_error_t *err) {
  acore__value v = acore__value_ptr(NULL, NULL);
  v.err = err;
  return v;
}
/* Free what a value owns, by the state and kind it was stored with
 * (future.c). */
void acore__value_free(uint8_t state, uint8_t kind, acore__value *v);
/* A NUL-terminated copy of bytes into v->b. */
int acore__value_bytes(const void *data, size_t len, acore__value *v);

#endif /* ACORE_VALUE_H */
