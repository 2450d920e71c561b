/* SPDX-License-Identifier: MIT */
/*
 * pyac_dns.c - loop.getaddrinfo / getnameinfo on acore's DNS
 * (acore/dns.h: acore_getaddrinfo_hints, acore_getnameinfo_flags), the C
 * half of acore/_net.py's getaddrinfo and getnameinfo.
 *
 * Design notes
 * - _getaddrinfo(loop, host, port, family, type, proto, flags) takes
 *   socket.getaddrinfo's arguments already converted as socket does
 *   (host and port bytes or None) and gives an acore.Future, or None when
 *   acore's resolver cannot take them (a family other than AF_UNSPEC,
 *   AF_INET, AF_INET6; an unknown type or flag): the caller then runs
 *   socket.getaddrinfo on the executor, as asyncio does. The OS's AF_*,
 *   SOCK_*, AI_* and NI_* values are mapped to acore's here, where the
 *   platform's headers are.
 * - _addrinfo_result(fut) gives socket.getaddrinfo's list (raw ints for
 *   family and type: acore/_net.py makes them enums as socket.py does);
 *   a failure raises socket.gaierror with the platform's EAI_* code and
 *   gai_strerror() text, from the failure's reason
 *   (acore_dns_error_reason), as socket.getaddrinfo does.
 * - _getnameinfo(loop, host, port, flags) / _nameinfo_result(fut): the
 *   same for socket.getnameinfo of a numeric (host, port).
 */
#include "pyac.h"

#include <netdb.h>
#include <sys/socket.h>

#include "acore/dns.h"

/* ---- the platform's values and acore's ------------------------------- */

static const int family_map[][2] = {
    {AF_UNSPEC, ACORE_AF_UNSPEC}, {AF_INET, ACORE_AF_INET},
    {AF_INET6, ACORE_AF_INET6}};
static const int type_map[][2] = {
    {0, ACORE_SOCK_ANY}, {SOCK_STREAM, ACORE_SOCK_STREAM},
    {SOCK_DGRAM, ACORE_SOCK_DGRAM}, {SOCK_RAW, ACORE_SOCK_RAW}};
static const int ai_map[][2] = {
    {AI_PASSIVE, ACORE_AI_PASSIVE},
    {AI_CANONNAME, ACORE_AI_CANONNAME},
    {AI_NUMERICHOST, ACORE_AI_NUMERICHOST},
    {AI_NUMERICSERV, ACORE_AI_NUMERICSERV},
    {AI_V4MAPPED, ACORE_AI_V4MAPPED},
    {AI_ALL, ACORE_AI_ALL},
    {AI_ADDRCONFIG, ACORE_AI_ADDRCONFIG}};
static const int ni_map[][2] = {
    {NI_NUMERICHOST, ACORE_NI_NUMERICHOST},
    {NI_NUMERICSERV, ACORE_NI_NUMERICSERV}, {NI_NOFQDN, ACORE_NI_NOFQDN},
    {NI_NAMEREQD, ACORE_NI_NAMEREQD},       {NI_DGRAM, ACORE_NI_DGRAM}};
static const int eai_map[][2] = {
    {EAI_NONAME, ACORE_EAI_NONAME},
#ifdef EAI_NODATA
    {EAI_NODATA, ACORE_EAI_NODATA},
#endif
#ifdef EAI_ADDRFAMILY
    {EAI_ADDRFAMILY, ACORE_EAI_ADDRFAMILY},
#endif
    {EAI_SERVICE, ACORE_EAI_SERVICE},   {EAI_SOCKTYPE, ACORE_EAI_SOCKTYPE},
    {EAI_FAMILY, ACORE_EAI_FAMILY},     {EAI_BADFLAGS, ACORE_EAI_BADFLAGS},
    {EAI_AGAIN, ACORE_EAI_AGAIN},       {EAI_FAIL, ACORE_EAI_FAIL},
    {EAI_MEMORY, ACORE_EAI_MEMORY},     {EAI_OVERFLOW, ACORE_EAI_OVERFLOW}};

#define MAP_N(m) (sizeof(m) / sizeof(m[0]))

/* map[i][to] for map[i][!to] == v, or -1. */
static int map_one(const int (*map)[2], size_t n, int v, int to) {
  size_t i;

  for (i = 0; i < n; i++)
    if (map[i][!to] == v)
      return map[i][to];
  return -1;
}

/* acore's flags for the platform's `flags`, or -1 for an unknown bit. */
static int map_flags(const int (*map)[2], size_t n, int flags) {
  int out = 0;
  size_t i;

  for (i = 0; i < n; i++)
    if (flags & map[i][0]) {
      out |= map[i][1];
      flags &= ~map[i][0];
    }
  return flags == 0 ? out : -1;
}

/* ---- errors ---------------------------------------------------------- */

/* socket.gaierror(code, gai_strerror(code)) for the future's failure if
 * the resolver gave a reason, else the error as any acore failure. */
static PyObject *raise_failure(acore_future_t *fut) {
  acore_error_t *err = acore_future_error(fut);
  int reason = acore_dns_error_reason(err), eai = 0;
  PyObject *mod, *cls, *exc;
  size_t i;

  for (i = 0; i < MAP_N(eai_map) && reason != ACORE_EAI_NONE; i++)
    if (eai_map[i][1] == reason)
      eai = eai_map[i][0];
  if (eai == 0) { /* no reason (or none this platform has) */
    exc = pyac_exc_from_error(err);
    if (exc != NULL) {
      PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
      Py_DECREF(exc);
    }
    return NULL;
  }
  if ((mod = PyImport_ImportModule("socket")) == NULL)
    return NULL;
  cls = PyObject_GetAttrString(mod, "gaierror");
  Py_DECREF(mod);
  if (cls == NULL)
    return NULL;
  exc = PyObject_CallFunction(cls, "is", eai, gai_strerror(eai));
  if (exc != NULL) {
    PyErr_SetObject(cls, exc);
    Py_DECREF(exc);
  }
  Py_DECREF(cls);
  return NULL;
}

/* The future's failure raised, or 0 when it has a result. */
static int check_done(PyObject *futobj, acore_future_t **out) {
  acore_future_t *fut = pyac_c_future(futobj);

  if (fut == NULL)
    return -1;
  *out = fut;
  switch (acore_future_state(fut)) {
  case ACORE_FUTURE_RESULT:
    return 0;
  case ACORE_FUTURE_ERROR:
    raise_failure(fut);
    return -1;
  default: /* pending or cancelled: as the future itself says */
    Py_XDECREF(PyObject_CallMethod(futobj, "result", NULL));
    if (!PyErr_Occurred())
      PyErr_SetString(PyExc_RuntimeError, "the lookup has no result");
    return -1;
  }
}

/* ---- getaddrinfo ----------------------------------------------------- */

static const char *opt_bytes(PyObject *o) {
  return o == Py_None ? NULL : PyBytes_AsString(o);
}

/* _getaddrinfo(loop, host, port, family, type, proto, flags) */
static PyObject *dns_getaddrinfo(PyObject *m, PyObject *args) {
  PyObject *loop, *host, *port;
  int family, type, proto, flags, f, t, fl, rc;
  acore_future_t *fut;

  (void)m;
  if (!PyArg_ParseTuple(args, "O!OOiiii:_getaddrinfo", &PyacLoop_Type, &loop,
                        &host, &port, &family, &type, &proto, &flags))
    return NULL;
  if ((host != Py_None && !PyBytes_Check(host)) ||
      (port != Py_None && !PyBytes_Check(port))) {
    PyErr_SetString(PyExc_TypeError, "host and port: bytes or None");
    return NULL;
  }
  f = map_one(family_map, MAP_N(family_map), family, 1);
  t = map_one(type_map, MAP_N(type_map), type, 1);
  fl = map_flags(ai_map, MAP_N(ai_map), flags);
  if (f < 0 || t < 0 || fl < 0 || proto < 0 || proto > 255 ||
      (host == Py_None && port == Py_None))
    Py_RETURN_NONE; /* not for acore's resolver: the executor's */
  if (pyac_loop_check((PyLoop *)loop) < 0)
    return NULL;
  rc = acore_getaddrinfo_hints(((PyLoop *)loop)->loop, opt_bytes(host),
                               opt_bytes(port), f, t, proto, fl, &fut);
  if (rc < 0)
    return pyac_raise(rc);
  return (PyObject *)pyac_future_wrap((PyLoop *)loop, fut);
}

/* One entry: (family, type, proto, canonname, sockaddr). */
static PyObject *entry_tuple(const acore_addrinfo_t *ai, size_t i) {
  char host[ACORE_ADDRESS_MAX];
  int port, family, type, proto;
  unsigned flow, scope;
  const char *canon = acore_addrinfo_canonname(ai, i);
  PyObject *sa;

  if (acore_addrinfo_get(ai, i, host, sizeof(host), &port, &family) < 0 ||
      acore_addrinfo_entry(ai, i, &type, &proto, &flow, &scope) < 0)
    return pyac_raise(ACORE_EINVAL);
  if (family == ACORE_AF_INET6)
    sa = Py_BuildValue("(siII)", host, port, flow, scope);
  else
    sa = Py_BuildValue("(si)", host, port);
  if (sa == NULL)
    return NULL;
  return Py_BuildValue("(iiisN)", map_one(family_map, MAP_N(family_map),
                                          family, 0),
                       map_one(type_map, MAP_N(type_map), type, 0), proto,
                       canon != NULL ? canon : "", sa);
}

/* _addrinfo_result(fut) -> list, or socket.gaierror */
static PyObject *dns_addrinfo_result(PyObject *m, PyObject *futobj) {
  const acore_addrinfo_t *ai;
  acore_future_t *fut;
  PyObject *list;
  size_t i, n;

  (void)m;
  if (check_done(futobj, &fut) < 0)
    return NULL;
  if (acore_addrinfo_from_future(fut, &ai) < 0)
    return pyac_raise(ACORE_ETYPE);
  n = acore_addrinfo_count(ai);
  if ((list = PyList_New((Py_ssize_t)n)) == NULL)
    return NULL;
  for (i = 0; i < n; i++) {
    PyObject *e = entry_tuple(ai, i);

    if (e == NULL) {
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, (Py_ssize_t)i, e);
  }
  return list;
}

/* ---- getnameinfo ----------------------------------------------------- */

/* _getnameinfo(loop, host, port, flags) */
static PyObject *dns_getnameinfo(PyObject *m, PyObject *args) {
  PyObject *loop;
  const char *host;
  int port, flags, fl, rc;
  acore_future_t *fut;

  (void)m;
  if (!PyArg_ParseTuple(args, "O!sii:_getnameinfo", &PyacLoop_Type, &loop,
                        &host, &port, &flags))
    return NULL;
  if ((fl = map_flags(ni_map, MAP_N(ni_map), flags)) < 0)
    Py_RETURN_NONE;
  if (pyac_loop_check((PyLoop *)loop) < 0)
    return NULL;
  rc = acore_getnameinfo_flags(((PyLoop *)loop)->loop, host, port, fl, &fut);
  if (rc == ACORE_EINVAL)
    Py_RETURN_NONE; /* not a numeric address acore parses */
  if (rc < 0)
    return pyac_raise(rc);
  return (PyObject *)pyac_future_wrap((PyLoop *)loop, fut);
}

/* _nameinfo_result(fut) -> (host, service), or socket.gaierror */
static PyObject *dns_nameinfo_result(PyObject *m, PyObject *futobj) {
  const char *host, *service;
  acore_future_t *fut;

  (void)m;
  if (check_done(futobj, &fut) < 0)
    return NULL;
  if (acore_nameinfo_from_future(fut, &host, &service) < 0)
    return pyac_raise(ACORE_ETYPE);
  return Py_BuildValue("(ss)", host, service);
}

static PyMethodDef dns_functions[] = {
    {"_getaddrinfo", dns_getaddrinfo, METH_VARARGS, NULL},
    {"_addrinfo_result", dns_addrinfo_result, METH_O, NULL},
    {"_getnameinfo", dns_getnameinfo, METH_VARARGS, NULL},
    {"_nameinfo_result", dns_nameinfo_result, METH_O, NULL},
    {NULL, NULL, 0, NULL}};

int pyac_dns_init(PyObject *m) {
  return PyModule_AddFunctions(m, dns_functions);
}
