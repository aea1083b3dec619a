"""A real SMTP server for tests (``aiosmtpd`` on 127.0.0.1): the ``smtp`` fixture."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from matcher.settings import get_settings


class Inbox:
    """An SMTP handler that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, _server: object, _session: object, envelope: object) -> str:  # noqa: N802
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))  # type: ignore[attr-defined]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("MATCHER_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("MATCHER_MAIL_FROM", "matcher@example.org")
    monkeypatch.setenv("MATCHER_PUBLIC_URL", "https://matcher.example.org")
    get_settings.cache_clear()
    try:
        yield inbox, port
    finally:
        controller.stop()
        get_settings.cache_clear()
