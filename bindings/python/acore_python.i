/* SPDX-License-Identifier: MIT */
/*
 * acore_python.i - the Python extension module acore._lowlevel: the raw C
 * API wrapped by SWIG (acore.i with Python's typemaps), plus the
 * hand-written types of the hot path (pyac_*.c: LoopBase, Future, Task,
 * Handle) added at initialisation. The idiomatic layer is acore/__init__.py.
 */
%module(package="acore") lowlevel

%{
#include "pyac.h"
%}

%include "pytypemaps.i"
%include "../acore.i"

%init %{
  if (pyac_init(m) < 0)
    return NULL;
%}
