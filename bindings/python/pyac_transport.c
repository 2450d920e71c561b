/* SPDX-License-Identifier: MIT */
/*
 * pyac_transport.c - acore._lowlevel.SocketTransportBase: the hot paths of
 * the stream socket transport (acore/_transport.py derives from it): the
 * readiness callback that reads and hands the bytes to the protocol
 * (_read_ready, also for a BufferedProtocol), write() and is_closing(),
 * in C.
 *
 * Design notes
 * - The transport's state that these paths read is C fields exposed as the
 *   attributes the Python half uses (_protocol, _buffer, _fd, _conn_lost,
 *   _closing, _eof_written, _sendfile_busy, _buffered): the Python code
 *   reads and assigns them as before; C reads them without a lookup.
 * - Reading: recv(2) into one 256 KiB buffer (the GIL is held from the
 *   recv to the copy, so one buffer serves every loop and thread), then
 *   data_received(bytes); a BufferedProtocol: get_buffer(-1), recv into
 *   it, buffer_updated(n). End of file and errors go to the Python half
 *   (_read_eof, _fatal_error with asyncio's messages).
 * - Writing: with nothing buffered, send(2) at once; what the kernel does
 *   not take, a write while data waits, and a write after the connection
 *   was lost go to the Python half (_queue_rest, _queue, _write_lost).
 * - EINTR: retried after running the signal handlers (PEP 475, as
 *   socket.recv_into and socket.send do); a handler's exception
 *   propagates.
 */
#include "pyac.h"

#include <errno.h>
#include <structmember.h>
#include <sys/socket.h>

#define READ_MAX (256 * 1024)

typedef struct {
  PyObject_HEAD
  PyObject *extra;    /* asyncio.BaseTransport's one slot, _extra */
  PyObject *protocol; /* _protocol */
  PyObject *buffer;   /* _buffer: a bytearray of what waits to be sent */
  int fd;             /* _fd */
  int conn_lost;      /* _conn_lost */
  char closing;       /* _closing */
  char eof_written;   /* _eof_written */
  char sendfile_busy; /* _sendfile_busy */
  char buffered;      /* _buffered: the protocol is a BufferedProtocol */
} PyTransportBase;

static unsigned char rbuf[READ_MAX];

/* ---- helpers ------------------------------------------------------------ */

static int is_exit(void) {
  return PyErr_ExceptionMatches(PyExc_SystemExit) ||
         PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
}

/* The pending exception, normalized, with its traceback; cleared. */
static PyObject *take_error(void) {
  PyObject *t, *v, *tb;

  PyErr_Fetch(&t, &v, &tb);
  PyErr_NormalizeException(&t, &v, &tb);
  if (tb != NULL && v != NULL)
    PyException_SetTraceback(v, tb);
  Py_XDECREF(t);
  Py_XDECREF(tb);
  return v;
}

/* self._fatal_error(<the pending exception>, msg), unless the exception
 * is SystemExit or KeyboardInterrupt (then NULL: it propagates). */
static PyObject *fatal(PyTransportBase *self, const char *msg) {
  PyObject *exc, *r;

  if (is_exit())
    return NULL;
  if ((exc = take_error()) == NULL)
    return NULL;
  r = PyObject_CallMethod((PyObject *)self, "_fatal_error", "Os", exc, msg);
  Py_DECREF(exc);
  return r;
}

static PyObject *call0(PyTransportBase *self, const char *name) {
  PyObject *n = PyUnicode_InternFromString(name), *r;

  if (n == NULL)
    return NULL;
  r = PyObject_CallMethodNoArgs((PyObject *)self, n);
  Py_DECREF(n);
  return r;
}

/* ---- reading ------------------------------------------------------------ */

static PyObject *str_data_received;

/* self._protocol.<name>(arg), the protocol held for the call (it may
 * replace itself meanwhile); NULL + exception when it fails or there is
 * no protocol. `arg`: borrowed. */
static PyObject *call_protocol(PyTransportBase *self, PyObject *name,
                               PyObject *arg) {
  PyObject *args[2], *r;

  if (self->protocol == NULL) {
    PyErr_SetString(PyExc_AttributeError, "the transport has no protocol");
    return NULL;
  }
  args[0] = Py_NewRef(self->protocol);
  args[1] = arg;
  r = PyObject_VectorcallMethod(name, args, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                NULL);
  Py_DECREF(args[0]);
  return r;
}

/* A read's last step: protocol.<name>(arg), whose result is dropped;
 * its failure is the transport's fatal error `what`. Steals `arg`
 * (NULL: its own creation failed). */
static PyObject *tell_protocol(PyTransportBase *self, PyObject *name,
                               PyObject *arg, const char *what) {
  PyObject *r;

  if (arg == NULL)
    return NULL;
  r = call_protocol(self, name, arg);
  Py_DECREF(arg);
  if (r == NULL)
    return fatal(self, what);
  Py_DECREF(r);
  Py_RETURN_NONE;
}

/* The protocol's data_received(data); its error: _fatal_error. */
static PyObject *deliver(PyTransportBase *self, Py_ssize_t n) {
  return tell_protocol(self, str_data_received,
                       PyBytes_FromStringAndSize((const char *)rbuf, n),
                       "Fatal error: protocol.data_received() call failed.");
}

/* recv(2) into buf: bytes read (0: end of file), RECV_AGAIN (would
 * block), RECV_ERROR (the OSError set) or RECV_SIGNAL (a signal handler's
 * exception set). */
enum { RECV_AGAIN = -1, RECV_ERROR = -2, RECV_SIGNAL = -3 };

static Py_ssize_t recv_some(int fd, void *buf, size_t len) {
  ssize_t n;

  for (;;) {
    n = recv(fd, buf, len, 0);
    if (n >= 0)
      return (Py_ssize_t)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return RECV_AGAIN;
    if (errno != EINTR) {
      PyErr_SetFromErrno(PyExc_OSError);
      return RECV_ERROR;
    }
    if (PyErr_CheckSignals() < 0)
      return RECV_SIGNAL;
  }
}

static const char READ_FAILED[] = "Fatal read error on socket transport";

/* After recv_some: end of file, an error, or nothing to do (NULL for a
 * signal handler's exception; else None or the Python half's result). */
static PyObject *read_outcome(PyTransportBase *self, Py_ssize_t n) {
  if (n == 0)
    return call0(self, "_read_eof");
  if (n == RECV_SIGNAL)
    return NULL;
  if (n == RECV_ERROR)
    return fatal(self, READ_FAILED);
  Py_RETURN_NONE;
}

static PyObject *str_get_buffer, *str_buffer_updated;

/* A BufferedProtocol's read: get_buffer(-1), recv into it,
 * buffer_updated(n); each failure as asyncio reports it. */
static PyObject *read_buffered(PyTransportBase *self) {
  PyObject *buf, *num;
  Py_buffer view;
  Py_ssize_t n = 0;

  if ((num = PyLong_FromLong(-1)) == NULL)
    return NULL;
  buf = call_protocol(self, str_get_buffer, num);
  Py_DECREF(num);
  if (buf != NULL && (n = PyObject_Length(buf)) <= 0) {
    if (n == 0)
      PyErr_SetString(PyExc_RuntimeError,
                      "get_buffer() returned an empty buffer");
    Py_CLEAR(buf);
  }
  if (buf == NULL)
    return fatal(self, "Fatal error: protocol.get_buffer() call failed.");
  if (PyObject_GetBuffer(buf, &view, PyBUF_WRITABLE) < 0) {
    /* socket.recv_into's own error for it */
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError,
                 "recv_into() argument 'buffer' must be read-write "
                 "bytes-like object, not %.200s",
                 Py_TYPE(buf)->tp_name);
    Py_DECREF(buf);
    return fatal(self, READ_FAILED);
  }
  n = recv_some(self->fd, view.buf, (size_t)view.len);
  PyBuffer_Release(&view);
  Py_DECREF(buf);
  if (n <= 0)
    return read_outcome(self, n);
  return tell_protocol(self, str_buffer_updated, PyLong_FromSsize_t(n),
                       "Fatal error: protocol.buffer_updated() call failed.");
}

static PyObject *tb_read_ready(PyTransportBase *self, PyObject *noarg) {
  Py_ssize_t n;

  (void)noarg;
  if (self->conn_lost)
    Py_RETURN_NONE;
  if (self->buffered)
    return read_buffered(self);
  n = recv_some(self->fd, rbuf, sizeof(rbuf));
  if (n <= 0)
    return read_outcome(self, n);
  return deliver(self, n);
}

/* ---- writing ------------------------------------------------------------ */

/* send(2) of the whole buffer at most: bytes sent (0: would block), or -1
 * with an exception set (a signal handler's, or the OSError). */
static Py_ssize_t send_some(int fd, const void *buf, size_t len) {
  ssize_t n;

  for (;;) {
    n = send(fd, buf, len, 0);
    if (n >= 0)
      return (Py_ssize_t)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return 0;
    if (errno != EINTR) {
      PyErr_SetFromErrno(PyExc_OSError);
      return -1;
    }
    if (PyErr_CheckSignals() < 0)
      return -2;
  }
}

static PyObject *write_checks(PyTransportBase *self, PyObject *data) {
  if (!PyBytes_Check(data) && !PyByteArray_Check(data) &&
      !PyMemoryView_Check(data)) {
    PyObject *name = PyObject_GetAttrString((PyObject *)Py_TYPE(data),
                                            "__name__");

    if (name != NULL) {
      PyErr_Format(PyExc_TypeError,
                   "data argument must be a bytes-like object, not %R", name);
      Py_DECREF(name);
    }
    return NULL;
  }
  if (self->eof_written) {
    PyErr_SetString(PyExc_RuntimeError, "Cannot call write() after write_eof()");
    return NULL;
  }
  if (self->sendfile_busy) {
    PyErr_SetString(PyExc_RuntimeError,
                    "unable to write; sendfile is in progress");
    return NULL;
  }
  return Py_None; /* borrowed: the checks passed */
}

static PyObject *tb_write(PyTransportBase *self, PyObject *data) {
  Py_buffer view;
  Py_ssize_t n, len;

  if (write_checks(self, data) == NULL || (len = PyObject_Length(data)) < 0)
    return NULL;
  if (len == 0)
    Py_RETURN_NONE;
  if (self->conn_lost)
    return call0(self, "_write_lost");
  if (self->buffer == NULL || !PyByteArray_Check(self->buffer) ||
      PyByteArray_GET_SIZE(self->buffer) != 0)
    return PyObject_CallMethod((PyObject *)self, "_queue", "O", data);
  if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
    return fatal(self, "Fatal write error on socket transport");
  n = send_some(self->fd, view.buf, (size_t)view.len);
  if (n == view.len || n < 0) {
    PyBuffer_Release(&view);
    if (n == -2)
      return NULL;
    if (n < 0)
      return fatal(self, "Fatal write error on socket transport");
    Py_RETURN_NONE;
  }
  PyBuffer_Release(&view);
  return PyObject_CallMethod((PyObject *)self, "_queue_rest", "On", data, n);
}

static PyObject *tb_is_closing(PyTransportBase *self, PyObject *noarg) {
  (void)noarg;
  return PyBool_FromLong(self->closing);
}

/* ---- the type ----------------------------------------------------------- */

static int tb_traverse(PyTransportBase *self, visitproc visit, void *arg) {
  Py_VISIT(Py_TYPE(self));
  Py_VISIT(self->extra);
  Py_VISIT(self->protocol);
  Py_VISIT(self->buffer);
  return 0;
}

static int tb_clear(PyTransportBase *self) {
  Py_CLEAR(self->extra);
  Py_CLEAR(self->protocol);
  Py_CLEAR(self->buffer);
  return 0;
}

static void tb_dealloc(PyTransportBase *self) {
  PyTypeObject *tp = Py_TYPE(self);

  PyObject_GC_UnTrack(self);
  tb_clear(self);
  tp->tp_free((PyObject *)self);
  Py_DECREF(tp); /* a heap type (derived from asyncio's Transport) */
}

static PyMethodDef tb_methods[] = {
    {"_read_ready", (PyCFunction)tb_read_ready, METH_NOARGS,
     "the socket is readable: read, hand the bytes to the protocol"},
    {"write", (PyCFunction)tb_write, METH_O,
     "write bytes (sent now when nothing waits; else buffered)"},
    {"is_closing", (PyCFunction)tb_is_closing, METH_NOARGS,
     "True once close() or abort() was called, or the connection lost"},
    {NULL, NULL, 0, NULL}};

static PyMemberDef tb_members[] = {
    {"_protocol", T_OBJECT, offsetof(PyTransportBase, protocol), 0, NULL},
    {"_buffer", T_OBJECT, offsetof(PyTransportBase, buffer), 0, NULL},
    {"_fd", T_INT, offsetof(PyTransportBase, fd), 0, NULL},
    {"_conn_lost", T_INT, offsetof(PyTransportBase, conn_lost), 0, NULL},
    {"_closing", T_BOOL, offsetof(PyTransportBase, closing), 0, NULL},
    {"_eof_written", T_BOOL, offsetof(PyTransportBase, eof_written), 0, NULL},
    {"_sendfile_busy", T_BOOL, offsetof(PyTransportBase, sendfile_busy), 0,
     NULL},
    {"_buffered", T_BOOL, offsetof(PyTransportBase, buffered), 0, NULL},
    {NULL, 0, 0, 0, NULL}};

static PyType_Slot tb_slots[] = {
    {Py_tp_dealloc, (void *)tb_dealloc},
    {Py_tp_traverse, (void *)tb_traverse},
    {Py_tp_clear, (void *)tb_clear},
    {Py_tp_methods, tb_methods},
    {Py_tp_members, tb_members},
    {Py_tp_doc, "The C half of acore's stream socket transport "
                "(acore/_transport.py: SocketTransport derives from it)."},
    {0, NULL}};

static PyType_Spec tb_spec = {
    .name = "acore.SocketTransportBase",
    .basicsize = sizeof(PyTransportBase),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = tb_slots,
};

/* The type derives from asyncio.transports.Transport (isinstance checks
 * hold), whose instances are an object and its one slot, _extra: the
 * C fields follow that slot. */
int pyac_transport_init(PyObject *m) {
  PyObject *mod, *base, *type;
  int rc;

  if (str_data_received == NULL &&
      ((str_data_received = PyUnicode_InternFromString("data_received")) ==
           NULL ||
       (str_get_buffer = PyUnicode_InternFromString("get_buffer")) == NULL ||
       (str_buffer_updated = PyUnicode_InternFromString("buffer_updated")) ==
           NULL))
    return -1;
  if ((mod = PyImport_ImportModule("asyncio.transports")) == NULL)
    return -1;
  base = PyObject_GetAttrString(mod, "Transport");
  Py_DECREF(mod);
  if (base == NULL)
    return -1;
  if (!PyType_Check(base) ||
      ((PyTypeObject *)base)->tp_basicsize !=
          (Py_ssize_t)offsetof(PyTransportBase, protocol) ||
      ((PyTypeObject *)base)->tp_dictoffset != 0) {
    Py_DECREF(base);
    PyErr_SetString(PyExc_ImportError,
                    "asyncio.transports.Transport's layout is not the "
                    "object and its _extra slot");
    return -1;
  }
  type = PyType_FromSpecWithBases(&tb_spec, base);
  Py_DECREF(base);
  if (type == NULL)
    return -1;
  rc = PyModule_AddObjectRef(m, "SocketTransportBase", type);
  Py_DECREF(type);
  return rc;
}
