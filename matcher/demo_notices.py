"""What the demo's users are told: after each step of ``matcher demo``, the new
notices in each account's inbox (read over the API, as the pages do), and, when
``MATCHER_SMTP_URL`` is set, the e-mails sent to the accounts' example.org
addresses by the same job a deployment runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from matcher.service.notifications import LABELS, Kind

DOMAIN = "example.org"


def address(username: str) -> str:
    """A demo account's e-mail address."""
    return f"{username}@{DOMAIN}"


class Notices:
    """Shows each account's notices once, as they arrive."""

    def __init__(self, client: Any, engine: Any, say: Callable[[str], None]) -> None:
        self.client = client
        self.engine = engine
        self.say = say
        self.seen: set[int] = set()

    def show(self, tokens: dict[str, str], now: datetime) -> None:
        """Print the notices that arrived since the last call, per account, then mail
        the ones due (when SMTP is configured)."""
        from matcher.jobs.mail import deliver_mail

        for username, token in sorted(tokens.items()):
            inbox = self.client.get(
                "/me/notifications", headers={"Authorization": f"Bearer {token}"}
            ).json()
            new = [n for n in reversed(inbox["items"]) if n["id"] not in self.seen]
            self.seen.update(n["id"] for n in new)
            for n in new:
                who = f" · {n['pseudonym']}" if n["pseudonym"] else ""
                self.say(f"   inbox of {username}: {LABELS[Kind(n['kind'])]}{who} -> {n['link']}")
        mailed = deliver_mail(self.engine, lambda: now)
        if mailed:
            self.say(f"   e-mailed {mailed} of them to the accounts' {DOMAIN} addresses")
