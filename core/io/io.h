/* SPDX-License-Identifier: MIT */
/*
 * io.h - what acore's I/O objects share: the life cycle of an object that
 * owns one libuv handle (streams, servers), the per-loop registries and
 * loose handles of fd, signal and process watching, address parsing, and
 * the internal constructor of a stream around a pipe (child-process
 * stdio). Internal.
 *
 * Design notes
 * - An I/O object (a struct whose first member is an acore__io) owns one
 *   libuv handle embedded in it. Two counts keep it: `urefs`, the user's
 *   references (acore_x_ref/_unref; an operation that hands the object
 *   out later, a connect or an accept, holds one too), and `mrefs`, the
 *   memory's: one for all the user references together and one while the
 *   libuv handle is open. The memory goes when both are gone, so a handle
 *   closing in libuv never outlives it and a user reference never dangles.
 * - The last user reference closes the object (on the loop thread; from
 *   another thread the close is posted there; once the loop is closed the
 *   handle is closed already).
 * - Close (acore__io_close) is idempotent: it runs the object's `stop`
 *   (which completes or cancels every pending operation and detaches it),
 *   unlinks the loop's closer record and closes the handle through
 *   acore__loop_uv_close(), so acore_loop_close() waits for it. Loop close
 *   runs the same close through the closer record.
 * - An object is counted in its loop's live objects (nlive) like a future,
 *   so the loop's memory outlives it; it holds no loop reference, so it
 *   never keeps a loop from closing.
 * - Operations are composite futures (future.h). An operation and its
 *   object point at each other without references; whichever side goes
 *   first (the operation completes, is cancelled or destroyed; the object
 *   closes) clears the other's pointer.
 */
#ifndef ACORE_IO_H
#define ACORE_IO_H

#include "acore.h"
#include "acore/stream.h"
#include "loop.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <uv.h>

typedef struct acore__io acore__io;

typedef struct acore__io_ops {
  /* Close started: complete or cancel every pending operation (called
   * once, on the loop thread, before the handle is closed). */
  void (*stop)(acore__io *io);
} acore__io_ops;

struct acore__io {
  acore__closer closer;     /* on the loop's closers while open */
  acore_loop_t *loop;
  const acore__io_ops *ops;
  uv_handle_t *handle;      /* embedded in the object */
  atomic_uint urefs;        /* user references */
  atomic_uint mrefs;        /* memory: users (1) + open handle (1) */
  bool closing;             /* close started */
};

/* Allocate an I/O object of `size` bytes (zeroed), counted in the loop's
 * live objects. NULL on allocation failure. Loop thread, loop open. */
void *acore__io_alloc(acore_loop_t *loop, size_t size);
/* A new I/O object of `size` bytes around a libuv TCP or pipe handle
 * (`kind`, ACORE__STREAM_*) found `uv_off` bytes into it: allocated as
 * acore__io_alloc() does, the handle initialised (uv_tcp_init, or
 * uv_pipe_init without IPC), acore__io_init() with `ops`, the handle
 * unreferenced. The caller sets up the rest of the object. Returns
 * ACORE_OK; ACORE_ENOMEM; the acore code of libuv's init error (nothing
 * is left then). Loop thread, loop checked by the caller. */
int acore__io_uvstream_new(acore_loop_t *loop, size_t size, size_t uv_off,
                           int kind, const acore__io_ops *ops, void **out);
/* Free an object whose handle was never initialised. */
void acore__io_free_raw(acore_loop_t *loop, void *obj);
/* Start the life of `io` whose `handle` libuv initialised: one user
 * reference, registered for loop close. Loop thread. */
void acore__io_init(acore__io *io, acore_loop_t *loop, uv_handle_t *handle,
                    const acore__io_ops *ops);
void acore__io_ref(acore__io *io);   /* any thread */
void acore__io_unref(acore__io *io); /* any thread */
/* Close: idempotent; loop thread. */
void acore__io_close(acore__io *io);
/* ACORE_EINVAL (NULL) / ACORE_EWRONGTHREAD / ACORE_ECLOSED (object or
 * loop closed), else ACORE_OK: what every operation checks first. */
int acore__io_check(const acore__io *io);

/* ---- per-loop registries and loose handles (fd.c, signal.c, process.c) -- */

/* A kind's per-loop registry: made at the kind's first use on a loop and
 * closed with the loop through its closer record, whose `fn` is the
 * kind's close function (it finds the registry again). A kind's registry
 * type starts with this; `live` lists its open objects as the kind links
 * them (a kind with a table of its own may leave it empty). */
typedef struct acore__ioreg {
  acore__closer closer; /* first */
  acore__queue live;
} acore__ioreg;

/* The loop's registry whose close function is `close`: the one made
 * before, or a new one of `size` bytes (zeroed, `live` empty) put on the
 * loop's closers. `close` must end by freeing it with acore__free(). NULL
 * on allocation failure. Loop thread, loop open. */
void *acore__ioreg_get(acore_loop_t *loop,
                       void (*close)(acore__closer *c, acore_loop_t *loop),
                       size_t size);

/* A libuv handle in a block of its own, which may outlive what used it
 * until libuv has closed it: the block was allocated with acore__malloc
 * or acore__calloc, begins with an `acore__uvblock` and the handle's data
 * is the block. acore__uvblock_close() closes the handle through
 * acore__loop_uv_close() (acore_loop_close() waits for it); once libuv is
 * done the block is freed. Loop thread. */
typedef struct acore__uvblock {
  acore_loop_t *loop;
} acore__uvblock;

void acore__uvblock_close(uv_handle_t *h);

/* Make SIGPIPE ignored if nobody set a disposition (once per process):
 * a write to a closed peer then fails with ACORE_EPIPE, as in Python. */
void acore__io_sigpipe(void);

/* Parse a numeric IPv4 or IPv6 address and a port (0...65535) into *sa.
 * ACORE_OK; ACORE_EINVAL (NULL host, not numeric, port out of range). */
int acore__io_parse_addr(const char *host, int port,
                         struct sockaddr_storage *sa);
/* The numeric text and port of `sa` into host[cap] and *port (port may
 * be NULL). ACORE_OK; ACORE_EINVAL (cap too small, unknown family). */
int acore__io_format_addr(const struct sockaddr *sa, char *host, size_t cap,
                          int *port);

/* ---- streams (stream.c), for the other I/O files -------------------------- */

enum { ACORE__STREAM_TCP = 1, ACORE__STREAM_PIPE = 2 };

typedef union acore__uvstream {
  uv_handle_t h;
  uv_stream_t s;
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} acore__uvstream;

struct acore__read_op;
struct acore__conn_op;
struct acore__shut_op;

/* A stream (stream.c; tcp.c and pipe.c connect it). */
struct acore_stream {
  acore__io io;                 /* first */
  acore__uvstream uv;
  uint8_t kind;                 /* ACORE__STREAM_* */
  bool reading;                 /* uv_read_start is in effect */
  bool eof;                     /* the read side met the end */
  bool read_done;               /* a read completed in this libuv read
                                   burst: read nothing ahead in it */
  bool shut;                    /* shutdown asked */
  int rerr;                     /* the read side's libuv error, or 0 */
  int werr;                     /* a write error no future took yet, or 0 */
  struct acore__read_op *rd;    /* the pending read, or NULL */
  char *keep;                   /* bytes read while no read waited (or
                                   left by a cancelled read_exactly) */
  size_t keep_cap, keep_off, keep_len; /* valid: keep[keep_off, keep_len) */
  acore__queue wwait;           /* write ops waiting for their bytes */
  size_t high_water;
  struct acore__conn_op *conn;  /* the pending connect, or NULL */
  uv_connect_t creq;
  struct acore__shut_op *sd;    /* the pending shutdown, or NULL */
  uv_shutdown_t sreq;
};

/* A listener (server.c; tcp.c and pipe.c bind it). */
struct acore_server {
  acore__io io;                 /* first */
  acore__uvstream uv;
  uint8_t kind;                 /* ACORE__STREAM_*: of what it accepts */
  bool held;                    /* uv_ref'd: an accept waits */
  acore__queue waiters;         /* accept ops, in order */
};

/* A new, unlistening server of `kind` (the handle initialised, not yet
 * bound). Loop thread, loop checked. ACORE_OK; ACORE_ENOMEM; libuv's. */
int acore__server_new(acore_loop_t *loop, int kind, acore_server_t **out);
/* Listen on the bound server. ACORE_OK or the acore code of the error. */
int acore__server_listen(acore_server_t *srv, int backlog);

/* A new, unconnected stream of `kind` on `loop` with one user reference:
 * its uv_tcp_t (uv_tcp_init) or uv_pipe_t (uv_pipe_init, ipc 0) is
 * initialised and the stream registered for loop close.
 * Returns ACORE_OK; ACORE_ENOMEM; the acore code of libuv's init error.
 * Loop thread, loop checked by the caller. */
int acore__stream_new(acore_loop_t *loop, int kind, acore_stream_t **out);

/* For child-process stdio (process.c): a stream made with
 * acore__stream_new(loop, ACORE__STREAM_PIPE, &s) is a fresh uv_pipe_t;
 * pass acore__stream_uv(s) as the uv_stdio_container_t's `data.stream`
 * with UV_CREATE_PIPE before uv_spawn(). After a successful spawn the
 * stream is connected: hand it out (the caller's reference) and read/write
 * it with the acore_stream_* calls. If the spawn fails, drop it with
 * acore_stream_close(s) then acore_stream_unref(s). Never uv_close() the
 * handle yourself: the stream closes it. */
uv_stream_t *acore__stream_uv(acore_stream_t *s);

/* The future result that hands out a stream: a pointer value whose
 * destructor drops the stream reference it carries
 * (acore_stream_from_future reads it). `s` passes to the value. */
void acore__stream_complete(acore_future_t *f, acore_stream_t *s);

/* The name of a TCP or pipe handle (`kind`), its own or its peer's, as
 * acore_stream_local_address() / _peer_address() give it. */
int acore__io_name(uv_handle_t *h, int kind, bool peer, char *host,
                   size_t cap, int *port);

/* A connect future on a new stream of `kind`: start(s, arg) calls
 * libuv's connect with &s->creq and acore__stream_on_connect, and
 * returns libuv's result (an error fails the future). */
int acore__stream_connect(acore_loop_t *loop, int kind,
                          int (*start)(acore_stream_t *s, void *arg),
                          void *arg, acore_future_t **out);
void acore__stream_on_connect(uv_connect_t *req, int status);

/* Complete the pending `f` with libuv error `uverr` met by `op`. */
void acore__io_fail(acore_future_t *f, int uverr, const char *op);

#endif /* ACORE_IO_H */
