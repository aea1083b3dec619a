"""A lean open-loop HTTP/1.1 load generator on asyncio streams.

On a 2-core machine the load generator shares the CPU with the server and the
database, so it must cost little per request: requests are written by hand on
keep-alive connections and only the status line, ``Content-Length`` and (when asked)
the JSON body are read. Requests are due at fixed times whatever the server does;
latency counts from the due time, so a slow answer is never hidden by delaying the
next request (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """A response's status and, when the caller wants it, its parsed JSON body."""

    status: int
    body: Any = None


class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.host = host

    async def request(
        self, method: str, path: str, body: Any = None, *, parse: bool = False, token: str = ""
    ) -> Reply:
        data = b"" if body is None else json.dumps(body).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(data)}\r\n"
            + ("Content-Type: application/json\r\n" if body is not None else "")
            + (f"Authorization: Bearer {token}\r\n" if token else "")
            + "\r\n"
        )
        self.writer.write(head.encode() + data)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        payload = await self.reader.readexactly(length) if length else b""
        return Reply(status, json.loads(payload) if parse and payload else None)


@dataclass
class Pool:
    """Connections handed out one request at a time, opened as needed."""

    host: str
    port: int
    idle: list[Connection] = field(default_factory=list)

    async def get(self) -> Connection:
        if self.idle:
            return self.idle.pop()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return Connection(reader, writer, f"{self.host}:{self.port}")

    def put(self, connection: Connection) -> None:
        self.idle.append(connection)

    def close(self) -> None:
        for c in self.idle:
            c.writer.close()


Call = Callable[[Pool, int], Awaitable[bool]]


async def open_loop(
    host: str, port: int, rate: float, seconds: float, call: Call
) -> tuple[list[float], int, float]:
    """Start ``call(pool, i)`` at ``rate`` per second for ``seconds``; returns latencies
    (ms from due time), the number of failed calls and the achieved rate."""
    pool = Pool(host, port)
    latencies: list[float] = []
    errors = 0

    async def one(i: int, due: float) -> None:
        nonlocal errors
        try:
            ok = await call(pool, i)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            ok = False
        latencies.append((time.perf_counter() - due) * 1000)
        errors += 0 if ok else 1

    start = time.perf_counter()
    tasks = []
    for i in range(int(rate * seconds)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    pool.close()
    return latencies, errors, len(latencies) / elapsed


async def send(
    pool: Pool, method: str, path: str, body: Any = None, *, parse: bool = False, token: str = ""
) -> Reply:
    """One request on a pooled connection (a broken connection is dropped, not reused)."""
    connection = await pool.get()
    reply = await connection.request(method, path, body, parse=parse, token=token)
    pool.put(connection)
    return reply
