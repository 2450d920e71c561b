/* SPDX-License-Identifier: MIT */
/*
 * pyac_comb.c - the combinators of acore/combinators.h for Python: sleep
 * and gather run in C; the Python layer (acore/_combinators.py) shapes
 * their results the way asyncio does.
 *
 * Design notes
 * - A gather's C future completes with no value; its Python wrapper keeps
 *   the children (the wrappers given, in input order) and builds the
 *   result list from them once, when first read.
 */
#include "pyac.h"

#include "acore/combinators.h"

/* _sleep(delay): a future done `delay` seconds from now (acore_sleep). */
PyObject *pyac_loop_sleep(PyLoop *loop, PyObject *arg) {
  double d = PyFloat_AsDouble(arg);
  acore_future_t *fut;
  int rc;

  if (d == -1.0 && PyErr_Occurred())
    return NULL;
  if (pyac_loop_check(loop) < 0)
    return NULL;
  rc = acore_sleep(loop->loop, d < 0 ? 0 : d, &fut);
  if (rc < 0)
    return pyac_raise(rc);
  return (PyObject *)pyac_future_wrap(loop, fut);
}

/* _gather(children: tuple of Futures of this loop, settle_all: bool) */
PyObject *pyac_loop_gather(PyLoop *loop, PyObject *args) {
  PyObject *children;
  int settle = 0, rc;
  Py_ssize_t i, n;
  acore_future_t **v, *fut;
  PyFuture *g;

  if (!PyArg_ParseTuple(args, "O!p:_gather", &PyTuple_Type, &children,
                        &settle) ||
      pyac_loop_check(loop) < 0)
    return NULL;
  n = PyTuple_GET_SIZE(children);
  v = PyMem_Malloc(sizeof(*v) * (size_t)(n ? n : 1));
  if (v == NULL)
    return PyErr_NoMemory();
  for (i = 0; i < n; i++) {
    PyObject *c = PyTuple_GET_ITEM(children, i);
    if (!PyacFuture_Check(c) || ((PyFuture *)c)->fut == NULL) {
      PyMem_Free(v);
      return PyErr_Format(PyExc_TypeError, "an acore future was expected");
    }
    v[i] = ((PyFuture *)c)->fut;
  }
  rc = acore_gather(loop->loop, v, (size_t)n,
                    settle ? ACORE_GATHER_SETTLE_ALL : 0, &fut);
  PyMem_Free(v);
  if (rc < 0)
    return rc == ACORE_EINVAL
               ? PyErr_Format(PyExc_ValueError,
                              "futures must belong to the same loop")
               : pyac_raise(rc);
  g = pyac_future_wrap(loop, fut);
  if (g != NULL) {
    g->extra = Py_NewRef(children);
    g->kind = settle ? PYAC_FUT_GATHER_SETTLED : PYAC_FUT_GATHER;
  }
  return (PyObject *)g;
}
