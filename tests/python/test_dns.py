# SPDX-License-Identifier: MIT
"""test_dns.py - loop.getaddrinfo / getnameinfo on acore's DNS
(acore/dns.h, pyac_dns.c), differential against asyncio's (which runs
socket.getaddrinfo / getnameinfo on its executor): the same answers -
families, types, protocols, canonical names, sockaddrs, in the same order
- and the same errors (socket.gaierror with the same errno, TypeError,
OSError, UnicodeError) for the same arguments. Loopback names and numeric
hosts only; each system runs every case in one loop run."""

import asyncio
import socket
import unittest
from unittest import mock

import acore
from acore import _lowlevel
from pyac_testcase import DifferentialTestCase, LoopTestCase

S = socket
HOSTS = [None, "localhost", "127.0.0.1", "::1", b"127.0.0.1", "",
         "LocalHost", "a..b", "x" * 64, 1]
PORTS = [80, "80", b"80", None, "http", 0, "no-such-service", -1, 65536,
         1.5, 2 ** 70, True]
FAMILIES = [0, S.AF_INET, S.AF_INET6, S.AF_UNIX, 12345]
TYPES = [0, S.SOCK_STREAM, S.SOCK_DGRAM, S.SOCK_RAW, 99]
FLAGS = [0, S.AI_PASSIVE, S.AI_NUMERICHOST, S.AI_CANONNAME,
         S.AI_NUMERICSERV, S.AI_CANONNAME | S.AI_NUMERICHOST,
         S.AI_V4MAPPED | S.AI_ALL, 0x4000]


def outcome_of(exc):
    """What is compared of an exception: its type, errno and args."""
    return ("exc", type(exc).__name__, getattr(exc, "errno", None),
            exc.args)


async def attempt(coro):
    try:
        return ("ok", await coro)
    except Exception as exc:  # noqa: BLE001 - compared
        return outcome_of(exc)


def run_on(factory, main):
    loop = factory()
    try:
        return loop.run_until_complete(asyncio.wait_for(main(loop), 120))
    finally:
        loop.close()


def gai_cases():
    """(host, port, family, type, proto, flags) tuples: hosts x ports with
    the defaults; families x types x flags on two hosts; odd ones."""
    cases = [(h, p, 0, 0, 0, 0) for h in HOSTS for p in PORTS]
    cases += [(h, 80, f, t, 0, fl) for h in ("localhost", "127.0.0.1", None)
              for f in FAMILIES for t in TYPES for fl in FLAGS]
    cases += [("127.0.0.1", 80, 0, S.SOCK_STREAM, S.IPPROTO_TCP, 0),
              ("127.0.0.1", 80, 0, S.SOCK_STREAM, S.IPPROTO_UDP, 0),
              ("127.0.0.1", 80, 0, 0, S.IPPROTO_UDP, 0),
              ("127.0.0.1", 80, 0, 0, 300, 0),
              ("127.0.0.1", 80, "x", 0, 0, 0),
              ("127.0.0.1", 80, 0, 0, 0, 2 ** 40),
              ("127.0.0.1", 80, S.AF_INET, S.SOCK_STREAM, 0, True),
              (None, None, 0, 0, 0, 0),
              ("::ffff:127.0.0.1", 80, S.AF_INET6, 0, 0, 0),
              ("127.0.0.1", 80, S.AF_INET6, 0, 0, S.AI_V4MAPPED),
              ("127.0.0.1\0x", 80, 0, 0, 0, 0),
              ("127.0.0.1", "8\u20ac", 0, 0, 0, 0),
              ("127.0.0.1", "\udc80", 0, 0, 0, 0)]
    return cases


GNI_CASES = [
    (("127.0.0.1", 80), 0),
    (("127.0.0.1", 80), S.NI_NUMERICHOST | S.NI_NUMERICSERV),
    (("127.0.0.1", 53), S.NI_DGRAM),
    (("127.0.0.1", 0), S.NI_NAMEREQD),
    (("127.0.0.1", 80), S.NI_NOFQDN),
    (("::1", 80), 0),
    (("::1", 80, 0, 0), S.NI_NUMERICHOST),
    (("::1", 8080, 0, 0), 0),
    (("127.0.0.1", 80, 0, 0), 0),      # an IPv4 4-tuple: OSError
    (("::1", 80, 1, 0), 0),            # flowinfo: the executor's
    (("localhost", 80), 0),            # not numeric: gaierror
    (("127.1", 80), S.NI_NUMERICHOST),
    (("127.0.0.1", 70000), 0),
    (("127.0.0.1", "80"), 0),
    (("127.0.0.1",), 0),
    (["127.0.0.1", 80], 0),
    (("127.0.0.1", 80), 0x1000),
    (("127.0.0.1", 80), "x"),
    ((1, 80), 0),
]


class DnsDifferentialTest(DifferentialTestCase):
    bound = 120.0

    def test_getaddrinfo_same_answers(self):
        cases = gai_cases()

        async def main(loop):
            out = []
            for h, p, f, t, pr, fl in cases:
                out.append(await attempt(loop.getaddrinfo(
                    h, p, family=f, type=t, proto=pr, flags=fl)))
            return out
        got, ref = (run_on(f, main) for f in (acore.Loop,
                                              asyncio.new_event_loop))
        self.assertGreater(len(cases), 300)
        for case, a, b in zip(cases, got, ref):
            with self.subTest(case=case):
                self.assertEqual(a, b)
        kinds = {r[0] for r in got}
        self.assertEqual(kinds, {"ok", "exc"})  # both kinds were compared
        errnos = {r[2] for r in got if r[0] == "exc" and r[1] == "gaierror"}
        self.assertTrue({S.EAI_NONAME, S.EAI_SERVICE} <= errnos, errnos)

    def test_getaddrinfo_enums(self):
        async def main(loop):
            infos = await loop.getaddrinfo("127.0.0.1", 80,
                                           type=S.SOCK_STREAM)
            return [(type(f), type(t), f, t) for f, t, *_ in infos]
        self.assertEqual(self.each(main)[0][:2],
                         (S.AddressFamily, S.SocketKind))

    def test_getnameinfo_same_answers(self):
        async def main(loop):
            return [await attempt(loop.getnameinfo(sa, fl))
                    for sa, fl in GNI_CASES]
        got = self.each(main)
        self.assertEqual(got[1], ("ok", ("127.0.0.1", "80")))


class DnsNativeTest(LoopTestCase):
    """acore's resolver answers: the executor is not used for the usual
    arguments (socket's functions fail if called)."""

    def test_no_executor_for_usual_arguments(self):
        boom = mock.Mock(side_effect=AssertionError("executor used"))

        async def main():
            with mock.patch("socket.getaddrinfo", boom), \
                    mock.patch("socket.getnameinfo", boom):
                a = await self.loop.getaddrinfo("localhost", 80,
                                                type=S.SOCK_STREAM)
                b = await self.loop.getaddrinfo(
                    None, "8080", family=S.AF_INET, flags=S.AI_PASSIVE)
                c = await self.loop.getnameinfo(("127.0.0.1", 80),
                                                S.NI_NUMERICSERV)
                with self.assertRaises(socket.gaierror) as cm:
                    await self.loop.getaddrinfo("localhost", 80,
                                                flags=S.AI_NUMERICHOST)
            return a, b, c, cm.exception.errno
        a, b, c, err = self.run_co(main())
        self.assertIn((S.AF_INET, S.SOCK_STREAM, 6, "",
                       ("127.0.0.1", 80)), a)
        self.assertEqual(b[0][4], ("0.0.0.0", 8080))
        self.assertEqual(c[1], "80")
        self.assertEqual(err, S.EAI_NONAME)
        boom.assert_not_called()

    def test_odd_arguments_go_to_the_executor(self):
        self.assertIsNone(_lowlevel._getaddrinfo(
            self.loop, b"x", None, S.AF_UNIX, 0, 0, 0))
        self.assertIsNone(_lowlevel._getaddrinfo(
            self.loop, b"x", None, 0, 99, 0, 0))
        self.assertIsNone(_lowlevel._getaddrinfo(
            self.loop, b"x", None, 0, 0, 0, 0x4000))
        self.assertIsNone(_lowlevel._getnameinfo(
            self.loop, "localhost", 80, 0))

    def test_cancel_a_lookup(self):
        async def main():
            t = asyncio.ensure_future(self.loop.getaddrinfo("localhost", 80))
            await asyncio.sleep(0)
            t.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await t
            many = [asyncio.ensure_future(self.loop.getaddrinfo(
                "localhost", p)) for p in range(20)]
            for m in many[::2]:
                m.cancel()
            res = await asyncio.gather(*many, return_exceptions=True)
            return [type(r) for r in res]
        kinds = self.run_co(main())
        self.assertEqual(kinds[::2],
                         [asyncio.CancelledError] * 10)
        self.assertEqual(kinds[1::2], [list] * 10)

    def test_lookup_pending_at_close(self):
        fut = _lowlevel._getaddrinfo(self.loop, b"localhost", None, 0, 0, 0,
                                     0)
        self.loop.close()
        self.assertTrue(fut.cancelled())
        del fut


if __name__ == "__main__":
    unittest.main()
