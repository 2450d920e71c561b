/* SPDX-License-Identifier: MIT */
/*
 * pyac_graph.c - the await graph seen from Python: a task's creation site
 * ("where", made from its coroutine's code when a dump asks), the C
 * dump of a loop (acore_loop_dump_string), and the two reads the Python
 * half (acore/_graph.py) builds asyncio 3.14's call graph from: a task's
 * name, id, site and state, and the tasks that await a future.
 *
 * Design notes
 * - The site is "<co_filename>:<co_firstlineno> in <qualname>()", made once
 *   per code object and kept in a small direct-mapped cache (strong
 *   references to the code and the qualname, so an address is never reused
 *   under a live entry).
 * - C never stores it: every Python loop sets the where callback
 *   (pyac_task_where, acore_loop_set_where_fn), which C calls for each
 *   Python task a dump prints - Python's loop.dump(), and the dumps C
 *   writes alone (the dump signal, acore-ps, stuck-task reports). Every
 *   unfinished task still has its coroutine, so the site is the one it was
 *   created at. Handing it to C at create_task instead cost two
 *   allocations per task (+951 instructions per task on W2, 7,140 ->
 *   8,091); asked for lazily it costs nothing until a dump.
 * - The reads allocate Python objects only: a C task (a task no Python
 *   wrapper drives) comes back as a new acore.Future on its C future.
 */
#include "pyac.h"

#include <stdio.h>
#include <string.h>

/* ---- creation sites -------------------------------------------------------- */

#define WHERE_SLOTS 64 /* a power of two */

typedef struct where_slot {
  PyObject *code;     /* strong, or NULL */
  PyObject *qualname; /* strong */
  char *where;        /* PyMem_Malloc'd */
} where_slot;

static where_slot where_cache[WHERE_SLOTS];

/* The coroutine's code and qualname as new references, or 0 (none: not a
 * native coroutine, e.g. sleep(0)'s C awaitable). Clears any exception. */
static int coro_code(PyObject *coro, PyObject **code, PyObject **qualname) {
  static PyObject *str_code, *str_qualname;

  if (!PyCoro_CheckExact(coro))
    return 0;
#if PY_VERSION_HEX < 0x030C0000
  *code = Py_NewRef((PyObject *)((PyCoroObject *)coro)->cr_code);
  *qualname = Py_NewRef(((PyCoroObject *)coro)->cr_qualname);
  (void)str_code;
  (void)str_qualname;
#else
  if (str_code == NULL &&
      ((str_code = PyUnicode_InternFromString("cr_code")) == NULL ||
       (str_qualname = PyUnicode_InternFromString("__qualname__")) == NULL)) {
    PyErr_Clear();
    return 0;
  }
  *code = PyObject_GetAttr(coro, str_code);
  *qualname = *code ? PyObject_GetAttr(coro, str_qualname) : NULL;
#endif
  if (*qualname == NULL || !PyCode_Check(*code) || !PyUnicode_Check(*qualname)) {
    PyErr_Clear();
    Py_CLEAR(*code);
    Py_CLEAR(*qualname);
    return 0;
  }
  return 1;
}

/* "file:line in qualname()" for `code`, PyMem_Malloc'd; NULL (cleared). */
static char *where_format(PyObject *code, PyObject *qualname) {
  PyCodeObject *co = (PyCodeObject *)code;
  const char *file = PyUnicode_AsUTF8(co->co_filename);
  const char *name = PyUnicode_AsUTF8(qualname);
  char *s;
  int len;

  if (file == NULL || name == NULL) {
    PyErr_Clear();
    return NULL;
  }
  len = snprintf(NULL, 0, "%s:%d in %s()", file, co->co_firstlineno, name);
  if (len < 0 || (s = PyMem_Malloc((size_t)len + 1)) == NULL)
    return NULL;
  snprintf(s, (size_t)len + 1, "%s:%d in %s()", file, co->co_firstlineno, name);
  return s;
}

const char *pyac_coro_where(PyObject *coro) {
  PyObject *code, *qualname;
  where_slot *e;
  char *s;

  if (!coro_code(coro, &code, &qualname))
    return NULL;
  e = &where_cache[((uintptr_t)code >> 4) & (WHERE_SLOTS - 1)];
  if (e->code == code && e->qualname == qualname) {
    Py_DECREF(code);
    Py_DECREF(qualname);
    return e->where;
  }
  if ((s = where_format(code, qualname)) == NULL) {
    Py_DECREF(code);
    Py_DECREF(qualname);
    return NULL;
  }
  Py_XSETREF(e->code, code); /* the references move into the slot */
  Py_XSETREF(e->qualname, qualname);
  PyMem_Free(e->where);
  e->where = s;
  return s;
}

/* ---- the dump ----------------------------------------------------------------- */

/* _loop_dump(loop, flags): the C dump as a str. */
static PyObject *mod_loop_dump(PyObject *m, PyObject *args) {
  PyObject *loop, *r;
  unsigned flags;
  char *out = NULL;
  int rc;

  (void)m;
  if (!PyArg_ParseTuple(args, "O!I:_loop_dump", &PyacLoop_Type, &loop, &flags))
    return NULL;
  if (pyac_loop_check((PyLoop *)loop) < 0)
    return NULL;
  rc = acore_loop_dump_string(((PyLoop *)loop)->loop, flags, &out);
  if (rc < 0)
    return pyac_raise(rc);
  r = PyUnicode_DecodeUTF8(out, (Py_ssize_t)strlen(out), "replace");
  acore_free(out);
  return r;
}

/* ---- reads for acore/_graph.py ------------------------------------------------ */

/* The C future of `o` (an acore.Future or Task), borrowed, if its loop is
 * open; NULL + exception otherwise. */
static acore_future_t *graph_future(PyObject *o) {
  acore_future_t *fut = pyac_c_future(o);

  if (fut == NULL || pyac_loop_check(((PyFuture *)o)->loop) < 0)
    return NULL;
  return fut;
}

/* _task_info(fut): (name, id, where or None, state) of a task's future
 * (state: acore's ACORE_TASK_STATE_*), or None for a plain future. */
static PyObject *mod_task_info(PyObject *m, PyObject *o) {
  acore_future_t *fut = graph_future(o);
  acore_task_t *t;
  char small[64], *buf = small;
  const char *where;
  PyObject *r;
  int len;

  (void)m;
  if (fut == NULL)
    return NULL;
  if ((t = acore_task_from_future(fut)) == NULL)
    Py_RETURN_NONE;
  if ((len = acore_task_name(t, small, sizeof(small))) < 0)
    return pyac_raise(len);
  if ((size_t)len >= sizeof(small)) {
    if ((buf = PyMem_Malloc((size_t)len + 1)) == NULL)
      return PyErr_NoMemory();
    acore_task_name(t, buf, (size_t)len + 1);
  }
  where = acore_task_where(t); /* a C task's; a Python task's is asked */
  if (where == NULL && PyacTask_Check(o) && ((PyTask *)o)->coro != NULL)
    where = pyac_coro_where(((PyTask *)o)->coro);
  r = Py_BuildValue("(s#Kzi)", buf, (Py_ssize_t)len,
                    (unsigned long long)acore_task_id(t), where,
                    acore_task_state(t));
  if (buf != small)
    PyMem_Free(buf);
  return r;
}

/* The Python object for task future `f` of `loop`: its Task if Python
 * drives it, else a new acore.Future on it (takes a new reference). */
static PyObject *task_object(PyLoop *loop, acore_future_t *f) {
  PyTask *t;

  for (t = loop->tasks; t != NULL; t = t->next)
    if (t->base.fut == f)
      return Py_NewRef((PyObject *)t);
  return (PyObject *)pyac_future_wrap(loop, acore_future_ref(f));
}

typedef struct walk {
  PyLoop *loop;
  PyObject *out;      /* list of task objects */
  acore_future_t **seen;
  size_t nseen, cap;
} walk;

/* 1 if `f` was met before (else it is noted), -1 out of memory. */
static int walk_seen(walk *w, acore_future_t *f) {
  size_t i;

  for (i = 0; i < w->nseen; i++)
    if (w->seen[i] == f)
      return 1;
  if (w->nseen == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 16;
    acore_future_t **s = PyMem_Realloc(w->seen, cap * sizeof(*s));
    if (s == NULL)
      return -1;
    w->seen = s;
    w->cap = cap;
  }
  w->seen[w->nseen++] = f;
  return 0;
}

/* Add to w->out the tasks that await `fut`, directly or through the
 * composite futures (a gather, a wait) that have it as a child. */
static int walk_awaiters(walk *w, acore_future_t *fut, int depth) {
  acore_future_t *small[16], **a = small;
  size_t n = 0, i;
  int rc = acore_future_awaiters(fut, a, 16, &n);

  if (rc == ACORE_OK && n > 16) {
    for (i = 0; i < 16; i++)
      acore_future_unref(small[i]);
    if ((a = PyMem_Malloc(n * sizeof(*a))) == NULL) {
      PyErr_NoMemory();
      return -1;
    }
    rc = acore_future_awaiters(fut, a, n, &n); /* nothing ran meanwhile */
  }
  if (rc < 0) {
    if (a != small)
      PyMem_Free(a);
    pyac_raise(rc);
    return -1;
  }
  for (i = 0; i < n; i++) {
    int seen = rc < 0 ? 1 : walk_seen(w, a[i]);
    PyObject *o;

    if (seen < 0) {
      PyErr_NoMemory();
      rc = -1;
    } else if (seen == 0 && acore_task_from_future(a[i]) != NULL) {
      o = task_object(w->loop, a[i]);
      if (o == NULL || PyList_Append(w->out, o) < 0)
        rc = -1;
      Py_XDECREF(o);
    } else if (seen == 0 && depth < 64 && walk_awaiters(w, a[i], depth + 1) < 0) {
      rc = -1;
    }
    acore_future_unref(a[i]);
  }
  if (a != small)
    PyMem_Free(a);
  return rc < 0 ? -1 : 0;
}

/* _awaiters(fut): the tasks awaiting `fut` (through combinators too), each
 * once: a Python task's Task, a C task's future as a new acore.Future. */
static PyObject *mod_awaiters(PyObject *m, PyObject *o) {
  acore_future_t *fut = graph_future(o);
  walk w = {NULL, NULL, NULL, 0, 0};

  (void)m;
  if (fut == NULL)
    return NULL;
  w.loop = ((PyFuture *)o)->loop;
  if ((w.out = PyList_New(0)) == NULL)
    return NULL;
  if (walk_seen(&w, fut) < 0) {
    PyErr_NoMemory();
    Py_CLEAR(w.out);
  } else if (walk_awaiters(&w, fut, 0) < 0) {
    Py_CLEAR(w.out);
  }
  PyMem_Free(w.seen);
  return w.out;
}

static PyMethodDef graph_methods[] = {
    {"_loop_dump", mod_loop_dump, METH_VARARGS,
     "_loop_dump(loop, flags): the loop's await graph (acore_loop_dump)."},
    {"_task_info", mod_task_info, METH_O,
     "_task_info(fut): (name, id, where, state) of a task, or None."},
    {"_awaiters", mod_awaiters, METH_O,
     "_awaiters(fut): the tasks that await fut (through combinators)."},
    {NULL, NULL, 0, NULL}};

int pyac_graph_init(PyObject *m) {
  return PyModule_AddFunctions(m, graph_methods);
}
