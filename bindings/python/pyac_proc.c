/* SPDX-License-Identifier: MIT */
/*
 * pyac_proc.c - acore._lowlevel.Process: one child process of acore
 * (acore/process.h), the C half of loop.subprocess_exec() (acore/_proc.py
 * builds asyncio's transport on it).
 *
 * Design notes
 * - Process(loop, argv, env, cwd, stdio[, flags]) spawns at once: argv a
 *   list of bytes, env a list of b"NAME=value" or None, cwd bytes or None,
 *   stdio three (mode, fd) pairs (ACORE_STDIO_*), flags ACORE_PROCESS_*.
 *   A spawn error raises OSError with the errno the acore code stands
 *   for, as subprocess.Popen does.
 * - The wrapper holds one reference to the C process; its dealloc (or
 *   close()) kills a child that still runs, as acore_process_close does.
 */
#include "pyac.h"

#include <errno.h>
#include <string.h>

#include "acore/process.h"

typedef struct PyProcess {
  PyObject_HEAD
  acore_process_t *p; /* a reference, or NULL */
  PyLoop *loop;       /* strong, or NULL */
} PyProcess;

static PyTypeObject PyacProcess_Type;

/* The errno an acore code of the I/O and process ranges stands for. */
static int errno_for(int rc) {
  static const struct { int code, err; } map[] = {
      {ACORE_ENOENT, ENOENT},   {ACORE_EACCES, EACCES},
      {ACORE_EPERM, EPERM},     {ACORE_EMFILE, EMFILE},
      {ACORE_ENOTDIR, ENOTDIR}, {ACORE_EISDIR, EISDIR},
      {ACORE_EBADF, EBADF},     {ACORE_ENOSPC, ENOSPC},
      {ACORE_EEXIST, EEXIST},   {ACORE_ESRCH, ESRCH},
      {ACORE_ECHILD, ECHILD},   {ACORE_ENOTSUP, ENOTSUP},
  };
  size_t i;

  for (i = 0; i < sizeof map / sizeof map[0]; i++)
    if (map[i].code == rc)
      return map[i].err;
  return 0;
}

/* OSError(errno, strerror, filename) for `rc`, or acore's mapping. */
static PyObject *raise_os(int rc, PyObject *filename) {
  int e = errno_for(rc);
  PyObject *exc;

  if (e == 0)
    return pyac_raise(rc);
  exc = PyObject_CallFunction(PyExc_OSError, "isO", e, strerror(e),
                              filename ? filename : Py_None);
  if (exc != NULL) {
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
  }
  return NULL;
}

/* A NULL-terminated array of the bytes in `seq` (borrowed pointers into
 * the list's items), or NULL + exception. Free with PyMem_Free. */
static const char **cstrings(PyObject *seq) {
  Py_ssize_t i, n = PyList_Size(seq);
  const char **v;

  if (n < 0)
    return NULL;
  v = PyMem_Calloc((size_t)n + 1, sizeof *v);
  if (v == NULL) {
    PyErr_NoMemory();
    return NULL;
  }
  for (i = 0; i < n; i++) {
    v[i] = PyBytes_AsString(PyList_GET_ITEM(seq, i));
    if (v[i] == NULL || strlen(v[i]) != (size_t)PyBytes_GET_SIZE(
                                             PyList_GET_ITEM(seq, i))) {
      if (v[i] != NULL)
        PyErr_SetString(PyExc_ValueError, "embedded null byte");
      PyMem_Free(v);
      return NULL;
    }
  }
  return v;
}

static int set_stdio(acore_process_options_t *o, PyObject *stdio) {
  int i, mode, fd, rc;

  if (!PyTuple_Check(stdio) || PyTuple_GET_SIZE(stdio) != 3) {
    PyErr_SetString(PyExc_TypeError, "stdio must be 3 (mode, fd) pairs");
    return -1;
  }
  for (i = 0; i < 3; i++) {
    if (!PyArg_ParseTuple(PyTuple_GET_ITEM(stdio, i), "ii", &mode, &fd))
      return -1;
    rc = acore_process_options_set_stdio(o, i, mode, fd);
    if (rc < 0) {
      pyac_raise(rc);
      return -1;
    }
  }
  return 0;
}

/* Fill `o` from the Python arguments: 0, or -1 + exception. */
static int set_options(acore_process_options_t *o, PyObject *argv,
                       PyObject *env, PyObject *cwd, PyObject *stdio) {
  const char **v = cstrings(argv), **e = NULL;
  int rc = ACORE_OK;

  if (v == NULL)
    return -1;
  if (env != Py_None && (e = cstrings(env)) == NULL) {
    PyMem_Free(v);
    return -1;
  }
  if (v[0] == NULL) {
    PyErr_SetString(PyExc_ValueError, "empty argv");
    rc = ACORE_EINVAL;
  }
  if (rc == ACORE_OK && (rc = acore_process_options_set_args(o, v)) < 0)
    pyac_raise(rc);
  if (rc == ACORE_OK && (rc = acore_process_options_set_env(o, e)) < 0)
    pyac_raise(rc);
  if (rc == ACORE_OK && cwd != Py_None &&
      (rc = acore_process_options_set_cwd(o, PyBytes_AsString(cwd))) < 0)
    pyac_raise(rc);
  PyMem_Free(v);
  PyMem_Free(e);
  if (rc < 0)
    return -1;
  return set_stdio(o, stdio);
}

static int process_init(PyProcess *self, PyObject *args, PyObject *kw) {
  PyObject *loop, *argv, *env, *cwd, *stdio;
  acore_process_options_t *o;
  unsigned flags = 0;
  int rc;

  (void)kw;
  if (!PyArg_ParseTuple(args, "O!O!OOO|I:Process", &PyacLoop_Type, &loop,
                        &PyList_Type, &argv, &env, &cwd, &stdio, &flags))
    return -1;
  if (self->p != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "Process already started");
    return -1;
  }
  if (pyac_loop_check((PyLoop *)loop) < 0)
    return -1;
  if (acore_process_options_new(&o) < 0) {
    PyErr_NoMemory();
    return -1;
  }
  if (set_options(o, argv, env, cwd, stdio) < 0 ||
      ((rc = acore_process_options_set_flags(o, flags)) < 0 &&
       pyac_raise(rc) == NULL)) {
    acore_process_options_free(o);
    return -1;
  }
  rc = acore_process_spawn(((PyLoop *)loop)->loop, o, &self->p);
  acore_process_options_free(o);
  if (rc < 0) {
    raise_os(rc, NULL); /* acore/_proc.py names the file */
    return -1;
  }
  self->loop = (PyLoop *)Py_NewRef(loop);
  return 0;
}

static int process_check(PyProcess *self) {
  if (self->p != NULL)
    return 0;
  pyac_raise(ACORE_ECLOSED);
  return -1;
}

/* wait(): an acore.Future of the returncode. */
static PyObject *process_wait(PyProcess *self, PyObject *noarg) {
  acore_future_t *fut;
  int rc;

  (void)noarg;
  if (process_check(self) < 0)
    return NULL;
  if (self->loop == NULL)
    return pyac_raise(ACORE_ECLOSED);
  rc = acore_process_wait(self->p, &fut);
  if (rc < 0)
    return pyac_raise(rc);
  return (PyObject *)pyac_future_wrap(self->loop, fut);
}

/* returncode(): the returncode, or None while the child runs. */
static PyObject *process_returncode(PyProcess *self, PyObject *noarg) {
  int code, rc;

  (void)noarg;
  if (process_check(self) < 0)
    return NULL;
  rc = acore_process_returncode(self->p, &code);
  if (rc == ACORE_EINVALIDSTATE)
    Py_RETURN_NONE;
  return rc < 0 ? pyac_raise(rc) : PyLong_FromLong(code);
}

/* kill(signum): ProcessLookupError once the child has exited. */
static PyObject *process_kill(PyProcess *self, PyObject *arg) {
  long signum = PyLong_AsLong(arg);
  int rc;

  if (signum == -1 && PyErr_Occurred())
    return NULL;
  if (process_check(self) < 0)
    return NULL;
  if (signum < 0 || signum > 1000) {
    PyErr_Format(PyExc_ValueError, "invalid signal number %ld", signum);
    return NULL;
  }
  rc = acore_process_kill(self->p, (int)signum);
  if (rc == ACORE_EINVAL)
    return PyErr_Format(PyExc_ValueError, "invalid signal number %ld", signum);
  return rc < 0 ? raise_os(rc, NULL) : Py_NewRef(Py_None);
}

static PyObject *process_close(PyProcess *self, PyObject *noarg) {
  int rc = ACORE_OK;

  (void)noarg;
  if (self->p != NULL)
    rc = acore_process_close(self->p);
  return rc < 0 ? pyac_raise(rc) : Py_NewRef(Py_None);
}

static PyObject *process_pid(PyProcess *self, void *closure) {
  (void)closure;
  return PyLong_FromLong(acore_process_pid(self->p));
}

static int process_traverse(PyProcess *self, visitproc visit, void *arg) {
  Py_VISIT(self->loop);
  return 0;
}

static int process_clear(PyProcess *self) {
  Py_CLEAR(self->loop);
  return 0;
}

static void process_dealloc(PyProcess *self) {
  PyObject_GC_UnTrack(self);
  acore_process_unref(self->p); /* the last one closes it */
  self->p = NULL;
  Py_CLEAR(self->loop);
  pyac_live--;
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef process_methods[] = {
    {"wait", (PyCFunction)process_wait, METH_NOARGS, NULL},
    {"returncode", (PyCFunction)process_returncode, METH_NOARGS, NULL},
    {"kill", (PyCFunction)process_kill, METH_O, NULL},
    {"close", (PyCFunction)process_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef process_getset[] = {
    {"pid", (getter)process_pid, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject PyacProcess_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore.Process",
    .tp_basicsize = sizeof(PyProcess),
    .tp_dealloc = (destructor)process_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Process(loop, argv, env, cwd, stdio): a child spawned by "
              "acore (acore/process.h).",
    .tp_traverse = (traverseproc)process_traverse,
    .tp_clear = (inquiry)process_clear,
    .tp_methods = process_methods,
    .tp_getset = process_getset,
    .tp_init = (initproc)process_init,
    .tp_new = pyac_counted_new,
};

int pyac_proc_init(PyObject *m) {
  if (PyType_Ready(&PyacProcess_Type) < 0 ||
      PyModule_AddIntConstant(m, "STDIO_INHERIT", ACORE_STDIO_INHERIT) < 0 ||
      PyModule_AddIntConstant(m, "STDIO_IGNORE", ACORE_STDIO_IGNORE) < 0 ||
      PyModule_AddIntConstant(m, "STDIO_FD", ACORE_STDIO_FD) < 0 ||
      PyModule_AddIntConstant(m, "PROCESS_NEW_SESSION",
                              ACORE_PROCESS_NEW_SESSION) < 0)
    return -1;
  return PyModule_AddObjectRef(m, "Process", (PyObject *)&PyacProcess_Type);
}
