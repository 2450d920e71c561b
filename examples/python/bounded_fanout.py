#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""1,000 calls to a real server on 127.0.0.1 (started here) with at most
N in flight: a semaphore bounds the fan-out, the blocking socket calls run
on an executor."""

import socket
import socketserver
import threading

import acore

N_CALLS = 1000
IN_FLIGHT = 8


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request.recv(64)
        self.request.sendall(b"ok " + data)


def remote_call(port, i):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(str(i).encode())
        return s.recv(64).decode()


async def main(port):
    loop = acore.get_running_loop()
    sem = acore.Semaphore(IN_FLIGHT)
    gauge = [0, 0]

    async def call(i):
        async with sem:
            gauge[0] += 1
            gauge[1] = max(gauge[1], gauge[0])
            try:
                return await loop.run_in_executor(ex, remote_call, port, i)
            finally:
                gauge[0] -= 1

    # acore.bounded_map(fn, items, limit) packages this same pattern.
    with acore.Executor(max_workers=IN_FLIGHT) as ex:
        replies = await acore.gather(*[call(i) for i in range(N_CALLS)])
    assert replies == [f"ok {i}" for i in range(N_CALLS)]
    print(f"{len(replies)} calls, at most {gauge[1]} in flight")
    assert gauge[1] <= IN_FLIGHT


if __name__ == "__main__":
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        acore.run(main(server.server_address[1]))
        server.shutdown()
