"""Jobs per second through the job queue (``docs/benchmarks.md``).

The jobs are webhook deliveries, each a whole unit of real work: the queue hands it
to a worker, which claims the delivery (one transaction), POSTs the signed body to a
receiver on 127.0.0.1 that answers 200 at once, and records the attempt (a second
transaction). On PostgreSQL, ``--workers`` ``matcher worker`` processes (each
running ``--concurrency`` jobs at once) are started and left to idle first, so their
start-up is not timed; then ``--jobs`` deliveries are deferred in one batch and the
clock runs until the database records the last one delivered. On SQLite the
in-process runner's round (``deliver_webhooks``) does the same deliveries, one after
another. Each repeat uses a fresh database (a new schema on PostgreSQL).

Run: ``python -m benchmarks.queue_jobs --database-url postgresql+psycopg://...
[--jobs 2000] [--workers 3] [--concurrency 4] [--repeat 3]``; with ``--sqlite``, the
in-process runner instead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, text
from sqlmodel import select

from matcher.jobs.queue import dispatch_webhooks, make_app
from matcher.jobs.webhooks import deliver_webhooks
from matcher.service import accounts, notifications, webhooks
from matcher.service.notifications import Kind, Notice
from matcher.store import tables as t
from matcher.store.crypto import RING, new_key
from matcher.store.engine import make_engine, session_scope, upgrade


def now() -> datetime:
    return datetime.now(UTC)


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return None


@contextmanager
def receiver() -> Iterator[str]:
    """A receiver on a free port of 127.0.0.1 that answers 200; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh, migrated schema on the PostgreSQL server; yields its URL."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def seed(engine: Engine, url: str, jobs: int) -> None:
    """A provider system with an endpoint at ``url`` and ``jobs`` notices to it."""
    at = now()
    with session_scope(engine) as s:
        s.add(t.Organization(id="org-bench", name="Bench"))
        made = accounts.create_account(
            s, username="bench", role="provider", password=None, subject_id="org-bench", now=at
        )
        webhooks.add(s, username="bench", url=url, by="bench", now=at, allow_http=True)
        for k in range(jobs):
            notice = Notice(Kind.REFERRAL_SENT, f"bench:{k}", f"/web/provider#referral-{k}")
            notifications.notify(s, [made.account_id], notice, at)


def delivered(engine: Engine) -> int:
    with session_scope(engine, read_only=True) as s:
        found = s.exec(select(func.count()).where(t.WebhookDelivery.status == "delivered")).one()
        return int(found)


def queue_run(base_url: str, jobs: int, workers: int, concurrency: int) -> float:
    """One repeat on PostgreSQL: seconds from the deferral to the last delivery."""
    with postgres_schema(base_url) as url, receiver() as hook:
        engine = make_engine(url)
        seed(engine, hook, jobs)
        command = [sys.executable, "-m", "matcher", "worker", "--concurrency", str(concurrency)]
        started = [
            subprocess.Popen(
                [*command, "--database-url", url],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        try:
            _wait_for_workers(engine, workers)
            queue = make_app(engine, now)

            async def dispatch() -> int:
                async with queue.open_async():
                    return await dispatch_webhooks(queue, engine, now)

            begun = time.perf_counter()
            asyncio.run(dispatch())
            while delivered(engine) < jobs:
                time.sleep(0.05)
            return time.perf_counter() - begun
        finally:
            for worker in started:
                worker.terminate()
            for worker in started:
                worker.wait(timeout=30)
            engine.dispose()


def _wait_for_workers(engine: Engine, workers: int) -> None:
    """Until every worker has registered with the queue (started, migrations done)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with engine.connect() as c:
            if (
                c.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one()
                >= workers
            ):
                return
        time.sleep(0.2)
    raise RuntimeError("the workers did not start within two minutes")


def sqlite_run(jobs: int) -> float:
    """One repeat on SQLite: seconds for the in-process runner's rounds to deliver all."""
    with tempfile.TemporaryDirectory() as tmp, receiver() as hook:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        seed(engine, hook, jobs)
        begun = time.perf_counter()
        while delivered(engine) < jobs:
            deliver_webhooks(engine, now)
        seconds = time.perf_counter() - begun
        engine.dispose()
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL URL (a server, not a schema)"
    )
    parser.add_argument("--sqlite", action="store_true", help="the in-process runner on SQLite")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # the benchmark's stores are thrown away, and so is their key (the workers inherit it)
    os.environ.setdefault("MATCHER_DATA_KEYS", new_key())
    if RING.multi is None:
        RING.configure([os.environ["MATCHER_DATA_KEYS"].split(",")[0]])
    if not args.sqlite and not args.database_url:
        parser.error("--database-url (PostgreSQL) or --sqlite")
    times = []
    for _ in range(args.repeat):
        if args.sqlite:
            times.append(sqlite_run(args.jobs))
        else:
            times.append(queue_run(args.database_url, args.jobs, args.workers, args.concurrency))
    median = statistics.median(times)
    where = (
        "sqlite in-process"
        if args.sqlite
        else f"postgresql, {args.workers} worker(s) x {args.concurrency}"
    )
    runs = ", ".join(f"{s:.2f}" for s in times)
    print(f"| {where} | {args.jobs:,} | {median:.2f} | {args.jobs / median:,.0f} | {runs} |")


if __name__ == "__main__":
    main()
