/* SPDX-License-Identifier: MIT */
/*
 * pyac_io.c - fd readiness for the Python loop: add_reader, add_writer,
 * remove_reader, remove_writer (the private forms _add_reader ... are the
 * C methods; acore/_net.py adds the public ones), on acore's fd watchers.
 *
 * Design notes
 * - Each loop keeps a table indexed by fd (PyLoop.fdtab) of entries: one
 *   acore_fd_watcher_t per fd, whose interest set is the union of the
 *   reader and the writer, and the two Handles. An event reaches its Handle
 *   through the watcher's user data (the entry): no lookup per event.
 * - An entry with neither reader nor writer stays, paused (interest 0),
 *   so watching an fd again costs one interest change, not a new libuv
 *   handle. Adding interest checks the fd is still the same file
 *   (acore_fd_watcher_set_events): a closed fd or a reused number is
 *   detected there. Entries go at loop close (and GC clear).
 * - An entry is a plain C struct counted by `refs`: the table holds one,
 *   the watcher's user data one, a running callback one. Its ud_free may
 *   run with the GIL released (loop close): it touches no Python object;
 *   the Handles are cleared, with the GIL, before the table lets go.
 * - A Handle runs in the context captured at add time, as often as its fd
 *   is ready (asyncio's Handle, not one-shot); its exception goes to the
 *   loop's exception handler with the Handle. A cancelled Handle is
 *   removed when its fd is next ready (asyncio's selector loop does so).
 * - An error condition on the fd (ACORE_FD_ERROR) wakes both the reader
 *   and the writer, as asyncio's epoll selector does.
 * - libuv applies a new interest set at its next poll and aborts if the fd
 *   was closed meanwhile (asyncio registers at once and never sees that).
 *   So an entry whose interest changed is "fresh" until then: a uv_prepare
 *   handle, run just before the poll, checks each fresh fd is still the
 *   file it was (fstat: device and inode) and pauses the watcher of one
 *   that is not, whose callbacks then never run (as with asyncio's epoll,
 *   which drops a closed fd silently).
 */
#include "pyac.h"

#include "acore/fd.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

typedef struct pyac_fdent {
  int refs;
  int fd;
  PyLoop *loop;           /* borrowed: the table's owner */
  acore_fd_watcher_t *w;  /* a reference, or NULL */
  PyHandle *reader;       /* strong, or NULL */
  PyHandle *writer;
  dev_t dev;              /* the file's identity when interest changed */
  ino_t ino;
  struct pyac_fdent *fresh_next; /* in fdtab.fresh (holding a ref) */
  int fresh;
} pyac_fdent;

struct pyac_fdtab {
  pyac_fdent **tab;
  size_t cap;
  uv_prepare_t *prep;     /* checks the fresh entries; NULL if none made */
  pyac_fdent *fresh;      /* entries whose interest libuv has yet to apply */
};

static void ent_unref(void *ud) {
  pyac_fdent *e = ud;

  if (--e->refs == 0) {
    assert(e->reader == NULL && e->writer == NULL && e->w == NULL);
    free(e);
  }
}

/* Cancel the Handle in *slot (asyncio: a replaced or removed callback's
 * Handle is cancelled) and drop it. */
static void slot_clear(PyHandle **slot) {
  PyHandle *h = *slot;

  if (h == NULL)
    return;
  *slot = NULL;
  h->cancelled = 1;
  Py_CLEAR(h->fn);
  Py_CLEAR(h->args);
  Py_DECREF(h);
}

static unsigned ent_events(const pyac_fdent *e) {
  return (e->reader ? ACORE_FD_READABLE : 0u) |
         (e->writer ? ACORE_FD_WRITABLE : 0u);
}

/* ---- the fd argument -------------------------------------------------- */

/* asyncio's _fileobj_to_fd: an int, or an object with fileno(). */
static int fd_of(PyObject *obj) {
  long fd;

  if (PyLong_Check(obj)) {
    fd = PyLong_AsLong(obj);
  } else {
    PyObject *r = PyObject_CallMethod(obj, "fileno", NULL);

    if (r == NULL || !PyLong_Check(r)) {
      Py_XDECREF(r);
      if (PyErr_Occurred() && !PyErr_ExceptionMatches(PyExc_AttributeError) &&
          !PyErr_ExceptionMatches(PyExc_TypeError) &&
          !PyErr_ExceptionMatches(PyExc_ValueError))
        return -1;
      PyErr_Clear();
      PyErr_Format(PyExc_ValueError, "Invalid file object: %R", obj);
      return -1;
    }
    fd = PyLong_AsLong(r);
    Py_DECREF(r);
  }
  if (fd == -1 && PyErr_Occurred())
    return -1;
  if (fd < 0 || fd > 0x7fffffffL) {
    PyErr_Format(PyExc_ValueError, "Invalid file descriptor: %ld", fd);
    return -1;
  }
  return (int)fd;
}

static PyObject *raise_fd(int rc, int fd) {
  int err = rc == ACORE_EBADF   ? EBADF
            : rc == ACORE_EPERM ? EPERM
            : rc == ACORE_ENOMEM ? ENOMEM
                                 : 0;

  if (err == 0)
    return pyac_raise(rc);
  errno = err;
  PyErr_SetFromErrno(PyExc_OSError);
  (void)fd;
  return NULL;
}

/* ---- fresh entries (see the design notes) ----------------------------- */

static void prep_free(uv_handle_t *h) { free(h); }

/* Before libuv's poll: pause the watchers of fresh fds that were closed. */
static void on_prepare(uv_prepare_t *h) {
  struct pyac_fdtab *t = h->data;
  pyac_fdent *e;
  struct stat st;

  uv_prepare_stop(h);
  while ((e = t->fresh) != NULL) {
    t->fresh = e->fresh_next;
    e->fresh_next = NULL;
    e->fresh = 0;
    if (e->w != NULL && acore_fd_watcher_events(e->w) != 0 &&
        (fstat(e->fd, &st) != 0 || st.st_dev != e->dev ||
         st.st_ino != e->ino))
      acore_fd_watcher_set_events(e->w, 0);
    ent_unref(e);
  }
}

/* e's interest just changed to a non-empty set: check it before the poll. */
static void mark_fresh(PyLoop *loop, pyac_fdent *e) {
  struct pyac_fdtab *t = loop->fdtab;
  struct stat st;

  if (fstat(e->fd, &st) != 0)
    return; /* the set_events just made found it open */
  e->dev = st.st_dev;
  e->ino = st.st_ino;
  if (e->fresh)
    return;
  if (t->prep == NULL) {
    uv_prepare_t *p = malloc(sizeof(*p));

    if (p == NULL || uv_prepare_init(acore_loop_uv(loop->loop), p) != 0) {
      free(p);
      return; /* unchecked, as before this guard existed */
    }
    p->data = t;
    uv_unref((uv_handle_t *)p);
    t->prep = p;
  }
  e->fresh = 1;
  e->refs++;
  e->fresh_next = t->fresh;
  t->fresh = e;
  uv_prepare_start(t->prep, on_prepare);
}

/* ---- the table -------------------------------------------------------- */

static pyac_fdent *tab_get(PyLoop *loop, int fd) {
  struct pyac_fdtab *t = loop->fdtab;

  return t != NULL && (size_t)fd < t->cap ? t->tab[fd] : NULL;
}

/* A new, empty entry for fd in the table (room made). NULL + MemoryError. */
static pyac_fdent *tab_add(PyLoop *loop, int fd) {
  struct pyac_fdtab *t = loop->fdtab;
  pyac_fdent *e;

  if (t == NULL && (t = loop->fdtab = calloc(1, sizeof(*t))) == NULL)
    return (pyac_fdent *)PyErr_NoMemory();
  if ((size_t)fd >= t->cap) {
    size_t cap = t->cap < 64 ? 64 : t->cap;
    pyac_fdent **tab;

    while (cap <= (size_t)fd)
      cap *= 2;
    if ((tab = realloc(t->tab, cap * sizeof(*tab))) == NULL)
      return (pyac_fdent *)PyErr_NoMemory();
    memset(tab + t->cap, 0, (cap - t->cap) * sizeof(*tab));
    t->tab = tab;
    t->cap = cap;
  }
  if ((e = calloc(1, sizeof(*e))) == NULL)
    return (pyac_fdent *)PyErr_NoMemory();
  e->refs = 1;
  e->fd = fd;
  e->loop = loop;
  t->tab[fd] = e;
  return e;
}

/* Drop entry fd: its handles, its watcher, the table's reference. */
static void tab_drop(PyLoop *loop, int fd) {
  struct pyac_fdtab *t = loop->fdtab;
  pyac_fdent *e = t->tab[fd];

  t->tab[fd] = NULL;
  slot_clear(&e->reader);
  slot_clear(&e->writer);
  if (e->w != NULL) {
    acore_fd_watcher_t *w = e->w;

    e->w = NULL;
    acore_fd_watcher_close(w); /* ud_free: ent_unref */
    acore_fd_watcher_unref(w);
  }
  ent_unref(e);
}

void pyac_io_clear(PyLoop *loop) {
  struct pyac_fdtab *t = loop->fdtab;
  size_t i;

  if (t == NULL)
    return;
  for (i = 0; i < t->cap; i++)
    if (t->tab[i] != NULL)
      tab_drop(loop, (int)i);
  while (t->fresh != NULL) {
    pyac_fdent *e = t->fresh;

    t->fresh = e->fresh_next;
    ent_unref(e);
  }
  if (t->prep != NULL)
    uv_close((uv_handle_t *)t->prep, prep_free);
  loop->fdtab = NULL;
  free(t->tab);
  free(t);
}

int pyac_io_traverse(PyLoop *loop, visitproc visit, void *arg) {
  struct pyac_fdtab *t = loop->fdtab;
  size_t i;

  for (i = 0; t != NULL && i < t->cap; i++)
    if (t->tab[i] != NULL) {
      Py_VISIT(t->tab[i]->reader);
      Py_VISIT(t->tab[i]->writer);
    }
  return 0;
}

/* ---- events ----------------------------------------------------------- */

/* Run the Handle in *slot once (it stays registered). */
static void run_slot(pyac_fdent *e, PyHandle **slot) {
  PyHandle *h = *slot;
  PyObject *fn, *args, *ctx, *r;
  Py_ssize_t n;

  if (h->cancelled || h->fn == NULL) {
    slot_clear(slot);
    acore_fd_watcher_set_events(e->w, ent_events(e));
    return;
  }
  Py_INCREF(h);
  fn = Py_NewRef(h->fn);
  args = Py_XNewRef(h->args);
  n = args ? PyTuple_GET_SIZE(args) : 0;
  ctx = h->context ? pyac_ctx_enter(h->loop, h->context) : NULL;
  if (h->context == NULL || ctx != NULL) {
    r = PyObject_Vectorcall(fn, n ? &PyTuple_GET_ITEM(args, 0) : NULL,
                            (size_t)n, NULL);
    if (ctx != NULL)
      pyac_ctx_exit_keeping_error(h->loop, ctx);
  } else {
    r = NULL;
  }
  if (r == NULL) {
    int lent = h->fn == NULL; /* removed meanwhile: the report shows fn */

    if (lent)
      h->fn = fn;
    pyac_callback_error(h->loop, (PyObject *)h);
    if (lent && h->fn == fn)
      h->fn = NULL;
  }
  Py_XDECREF(r);
  Py_DECREF(fn);
  Py_XDECREF(args);
  Py_DECREF(h);
}

static void on_fd(acore_fd_watcher_t *w, int fd, unsigned events, void *ud) {
  pyac_fdent *e = ud;
  pyac_gil g = pyac_gil_enter();

  (void)w;
  (void)fd;
  e->refs++;
  if ((events & (ACORE_FD_READABLE | ACORE_FD_ERROR)) && e->reader != NULL)
    run_slot(e, &e->reader);
  if ((events & (ACORE_FD_WRITABLE | ACORE_FD_ERROR)) && e->writer != NULL &&
      e->w != NULL)
    run_slot(e, &e->writer);
  ent_unref(e);
  pyac_gil_leave(g);
}

/* ---- add / remove ----------------------------------------------------- */

/* Watch e->fd for `events` (made or changed). 0, or -1 + exception. */
static int ent_watch(PyLoop *loop, pyac_fdent *e, unsigned events) {
  int rc;

  if (e->w == NULL) {
    e->refs++; /* the watcher's */
    rc = acore_fd_watcher_new(loop->loop, e->fd, events, on_fd, e, ent_unref,
                              &e->w);
    if (rc != ACORE_OK)
      e->w = NULL;
  } else if (acore_fd_watcher_events(e->w) == events) {
    return 0;
  } else {
    rc = acore_fd_watcher_set_events(e->w, events);
  }
  if (rc == ACORE_OK) {
    if (events != 0)
      mark_fresh(loop, e);
    return 0;
  }
  raise_fd(rc, e->fd);
  return -1;
}

static PyObject *io_add(PyLoop *loop, PyObject *const *args, Py_ssize_t nargs,
                        int writer) {
  pyac_fdent *e;
  PyHandle *h, **slot;
  int fd;

  if (nargs < 2)
    return PyErr_Format(PyExc_TypeError,
                        "%s() takes the fd and the callback at least",
                        writer ? "add_writer" : "add_reader");
  if (pyac_loop_check(loop) < 0 || (fd = fd_of(args[0])) < 0)
    return NULL;
  h = pyac_handle_new(&PyacHandle_Type, loop, args[1], args + 2, nargs - 2,
                      NULL);
  if (h == NULL)
    return NULL;
  if ((e = tab_get(loop, fd)) == NULL && (e = tab_add(loop, fd)) == NULL)
    goto fail;
  if (ent_watch(loop, e, ent_events(e) | (writer ? ACORE_FD_WRITABLE
                                                  : ACORE_FD_READABLE)) < 0) {
    if (e->w == NULL && e->reader == NULL && e->writer == NULL)
      tab_drop(loop, fd);
    goto fail;
  }
  slot = writer ? &e->writer : &e->reader;
  slot_clear(slot);
  *slot = (PyHandle *)Py_NewRef(h);
  return (PyObject *)h;

fail:
  Py_DECREF(h);
  return NULL;
}

static PyObject *io_remove(PyLoop *loop, PyObject *fdobj, int writer) {
  pyac_fdent *e;
  PyHandle **slot;
  int fd;

  if (loop->loop == NULL || acore_loop_is_closed(loop->loop) == 1)
    Py_RETURN_FALSE;
  if ((fd = fd_of(fdobj)) < 0)
    return NULL;
  e = tab_get(loop, fd);
  slot = e == NULL ? NULL : writer ? &e->writer : &e->reader;
  if (slot == NULL || *slot == NULL)
    Py_RETURN_FALSE;
  slot_clear(slot);
  if (e->w != NULL &&
      acore_fd_watcher_set_events(e->w, ent_events(e)) == ACORE_OK &&
      ent_events(e) != 0)
    mark_fresh(loop, e);
  Py_RETURN_TRUE;
}

PyObject *pyac_loop_add_reader(PyLoop *loop, PyObject *const *args,
                               Py_ssize_t nargs) {
  return io_add(loop, args, nargs, 0);
}

PyObject *pyac_loop_add_writer(PyLoop *loop, PyObject *const *args,
                               Py_ssize_t nargs) {
  return io_add(loop, args, nargs, 1);
}

PyObject *pyac_loop_remove_reader(PyLoop *loop, PyObject *fd) {
  return io_remove(loop, fd, 0);
}

PyObject *pyac_loop_remove_writer(PyLoop *loop, PyObject *fd) {
  return io_remove(loop, fd, 1);
}

/* _fd_watched(fd): (has a reader, has a writer), for tests. */
PyObject *pyac_loop_fd_watched(PyLoop *loop, PyObject *fdobj) {
  int fd = fd_of(fdobj);
  pyac_fdent *e;

  if (fd < 0)
    return NULL;
  e = tab_get(loop, fd);
  return Py_BuildValue("(OO)", e && e->reader ? Py_True : Py_False,
                       e && e->writer ? Py_True : Py_False);
}
