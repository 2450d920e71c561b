/* SPDX-License-Identifier: MIT */
/*
 * pyac_signal.c - acore._lowlevel.Signal: one acore signal handler
 * (acore/signal.h) calling a Python callable on the loop thread, the C half
 * of loop.add_signal_handler() (acore/_proc.py keeps asyncio's rules).
 *
 * Design notes
 * - The handler's user data is the tuple (loop, fn), one reference handed
 *   to C; acore frees it when the handler closes (close(), the wrapper's
 *   last reference, or loop close), so a closed loop holds nothing.
 * - fn(signum) runs in the loop's I/O phase with the GIL; its exception
 *   goes to the loop like a callback's (KeyboardInterrupt and SystemExit
 *   leave the runner).
 */
#include "pyac.h"

#include "acore/signal.h"

typedef struct PySignal {
  PyObject_HEAD
  acore_signal_t *sig; /* a reference, or NULL */
} PySignal;

static PyTypeObject PyacSignal_Type;

static void signal_fired(acore_signal_t *sig, int signum, void *ud) {
  PyObject *pair = ud, *fn = PyTuple_GET_ITEM(pair, 1), *r;
  PyLoop *loop = (PyLoop *)PyTuple_GET_ITEM(pair, 0);
  pyac_gil g = pyac_gil_enter();
  PyObject *num = PyLong_FromLong(signum);

  (void)sig;
  r = num ? PyObject_CallOneArg(fn, num) : NULL;
  Py_XDECREF(num);
  if (r == NULL)
    pyac_callback_error(loop, fn);
  Py_XDECREF(r);
  pyac_gil_leave(g);
}

static int signal_init(PySignal *self, PyObject *args, PyObject *kw) {
  PyObject *loop, *fn, *pair;
  int signum, rc;

  (void)kw;
  if (!PyArg_ParseTuple(args, "O!iO:Signal", &PyacLoop_Type, &loop, &signum,
                        &fn))
    return -1;
  if (self->sig != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "Signal already initialised");
    return -1;
  }
  if (pyac_loop_check((PyLoop *)loop) < 0)
    return -1;
  pair = PyTuple_Pack(2, loop, fn);
  if (pair == NULL)
    return -1;
  rc = acore_signal_new(((PyLoop *)loop)->loop, signum, signal_fired,
                        pyac_give(pair), pyac_obj_free, &self->sig);
  if (rc < 0) {
    pyac_raise(rc); /* the pair is freed already */
    return -1;
  }
  return 0;
}

static PyObject *signal_close(PySignal *self, PyObject *noarg) {
  int rc = ACORE_OK;

  (void)noarg;
  if (self->sig != NULL)
    rc = acore_signal_close(self->sig);
  return rc < 0 ? pyac_raise(rc) : Py_NewRef(Py_None);
}

static PyObject *signal_signum(PySignal *self, void *closure) {
  (void)closure;
  return PyLong_FromLong(acore_signal_signum(self->sig));
}

static void signal_dealloc(PySignal *self) {
  acore_signal_unref(self->sig); /* the last one closes it */
  self->sig = NULL;
  pyac_live--;
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef signal_methods[] = {
    {"close", (PyCFunction)signal_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef signal_getset[] = {
    {"signum", (getter)signal_signum, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject PyacSignal_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "acore.Signal",
    .tp_basicsize = sizeof(PySignal),
    .tp_dealloc = (destructor)signal_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Signal(loop, signum, fn): call fn(signum) on the loop for "
              "every delivery of signum until close() (acore/signal.h).",
    .tp_methods = signal_methods,
    .tp_getset = signal_getset,
    .tp_init = (initproc)signal_init,
    .tp_new = pyac_counted_new,
};

int pyac_signal_init(PyObject *m) {
  if (PyType_Ready(&PyacSignal_Type) < 0)
    return -1;
  return PyModule_AddObjectRef(m, "Signal", (PyObject *)&PyacSignal_Type);
}
