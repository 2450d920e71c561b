/* SPDX-License-Identifier: MIT */
/*
 * uverr.c - libuv's error codes as acore's.
 *
 * Design notes
 * - libuv's codes are negated errno values (or its own UV_EAI_* and UV_EOF)
 *   and differ between platforms; acore's are fixed forever. The table is
 *   the one place that ties them; a code with no acore equivalent becomes
 *   ACORE_EIO and keeps libuv's name in the error's message.
 */
#include "uverr.h"

#include "value.h"

#include <stdio.h>
#include <string.h>
#include <uv.h>

struct uv_map {
  int uv;
  int code;
};

static const struct uv_map uv_map[] = {
  {UV_EOF, ACORE_EOF},
  {UV_ECONNREFUSED, ACORE_ECONNREFUSED},
  {UV_ECONNRESET, ACORE_ECONNRESET},
  {UV_ECONNABORTED, ACORE_ECONNABORTED},
  {UV_EPIPE, ACORE_EPIPE},
  {UV_ENOTCONN, ACORE_ENOTCONN},
  {UV_EADDRINUSE, ACORE_EADDRINUSE},
  {UV_EADDRNOTAVAIL, ACORE_EADDRNOTAVAIL},
  {UV_ENETUNREACH, ACORE_ENETUNREACH},
  {UV_EHOSTUNREACH, ACORE_EHOSTUNREACH},
  {UV_ENETDOWN, ACORE_ENETDOWN},
  {UV_ENOENT, ACORE_ENOENT},
  {UV_EACCES, ACORE_EACCES},
  {UV_EPERM, ACORE_EPERM},
  {UV_EEXIST, ACORE_EEXIST},
  {UV_EMFILE, ACORE_EMFILE},
  {UV_ENFILE, ACORE_EMFILE},
  {UV_ENOSPC, ACORE_ENOSPC},
  {UV_EMSGSIZE, ACORE_EMSGSIZE},
  {UV_ENOTSUP, ACORE_ENOTSUP},
  {UV_EAFNOSUPPORT, ACORE_EAFNOSUPPORT},
  {UV_EBADF, ACORE_EBADF},
  {UV_ENOTDIR, ACORE_ENOTDIR},
  {UV_EISDIR, ACORE_EISDIR},
  {UV_ENOBUFS, ACORE_ENOBUFS},
  {UV_ESRCH, ACORE_ESRCH},
  {UV_ETIMEDOUT, ACORE_ETIMEDOUT},
  {UV_ECANCELED, ACORE_ECANCELLED},
  {UV_ENOMEM, ACORE_ENOMEM},
  {UV_EINVAL, ACORE_EINVAL},
  {UV_EAGAIN, ACORE_EAGAIN},
  {UV_EBUSY, ACORE_EBUSY},
  {UV_EAI_NONAME, ACORE_ENONAME},
  {UV_EAI_NODATA, ACORE_ENONAME},
  {UV_EAI_ADDRFAMILY, ACORE_ENONAME},
  {UV_EAI_SERVICE, ACORE_ENONAME},
  {UV_EAI_AGAIN, ACORE_ENAMEAGAIN},
  {UV_EAI_FAIL, ACORE_ENAMEFAIL},
  {UV_EAI_FAMILY, ACORE_EAFNOSUPPORT},
  {UV_EAI_MEMORY, ACORE_ENOMEM},
  {UV_EAI_CANCELED, ACORE_ECANCELLED},
};

int acore__uv_code(int uverr) {
  size_t i;

  if (uverr >= 0)
    return ACORE_OK;
  for (i = 0; i < sizeof(uv_map) / sizeof(uv_map[0]); i++)
    if (uv_map[i].uv == uverr)
      return uv_map[i].code;
  return ACORE_EIO;
}

int acore__uv_error_new(int uverr, const char *op, acore_error_t **out) {
  char msg[160];
  int code = acore__uv_code(uverr);

  if (code == ACORE_OK) /* not an error: say so rather than invent one */
    code = ACORE_EIO;
  snprintf(msg, sizeof(msg), "%s: %s (%s)", op != NULL ? op : "I/O",
           uverr < 0 ? uv_strerror(uverr) : "no error",
           uverr < 0 ? uv_err_name(uverr) : "OK");
  if (acore_error_new(code, msg, out) != ACORE_OK) {
    *out = &acore__enomem_error;
    return ACORE_ENOMEM;
  }
  return ACORE_OK;
}
