"""A webhook receiver for tests: a small HTTP server on 127.0.0.1 that checks every
request's signature with ``standardwebhooks``' own ``Webhook.verify`` and answers
with the statuses it is told to (200 once they run out)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    """What the receiver got: each verified body with its headers, and how many
    requests failed verification."""

    secret: str = ""
    answers: list[int] = field(default_factory=list)
    verified: list[tuple[dict[str, str], Any]] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)  # webhook-id of every signed request
    unverified: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        with self.lock:
            return [headers["webhook-id"] for headers, _ in self.verified]


def _handler(received: Received) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with received.lock:
                received.requests += 1
                answer = received.answers.pop(0) if received.answers else 200
                try:
                    payload = Webhook(received.secret).verify(raw, headers)
                except WebhookVerificationError:
                    received.unverified += 1
                    answer = 400
                else:
                    received.seen.append(headers["webhook-id"])
                    if answer < 300:
                        received.verified.append((headers, payload))
            self.send_response(answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return None

    return Handler


@contextmanager
def receiver(received: Received) -> Iterator[str]:
    """Serve ``received`` on a free port of 127.0.0.1; yields the URL to register."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(received))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()
