/* SPDX-License-Identifier: MIT */
/*
 * uverr.h - libuv's error codes as acore's (the I/O and process ranges of
 * docs/errors.md), and error objects made from them.
 * Internal.
 */
#ifndef ACORE_UVERR_H
#define ACORE_UVERR_H

#include "acore.h"

/* The acore code of libuv error `uverr` (negative). A libuv error with no
 * code of its own gives ACORE_EIO; 0 gives ACORE_OK. */
int acore__uv_code(int uverr);

/* A new error object for libuv error `uverr` met by operation `op` (e.g.
 * "connect"): its code is acore__uv_code(uverr); its message is
 * "<op>: <text> (<libuv name>)", e.g. "connect: connection refused
 * (ECONNREFUSED)". Returns ACORE_OK and a new reference in *out;
 * ACORE_ENOMEM (then *out is the static out-of-memory error). */
int acore__uv_error_new(int uverr, const char *op, acore_error_t **out);

#endif /* ACORE_UVERR_H */
