"""``matcher serve`` as real worker processes: several workers act as one."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import pytest

from matcher.service import accounts, capacity
from matcher.settings import Settings
from matcher.store.engine import make_engine, session_scope
from tests.builders import make_need, make_participant, make_program, make_scenario_json
from tests.dbs import BACKENDS, fresh_database

CM = "cm-1"


@dataclass(frozen=True)
class Served:
    """A running server, a case manager's token for it, and its database."""

    base: str
    token: str
    url: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """A server on a fresh store: one program with 3 unused places, 20 participants."""
    backend = str(request.param)
    with fresh_database(backend, tmp_path) as url:
        scenario = make_scenario_json(
            [make_program(capacity={"open_slots": 5, "waitlist": 2})],
            [make_participant(id=f"x-{i}", needs=[make_need(id=f"x-{i}-1")]) for i in range(20)],
        )
        path = tmp_path / "scenario.json"
        path.write_text(json.dumps(scenario))
        env = {**os.environ, "MATCHER_DATABASE_URL": url}
        matcher = [sys.executable, "-m", "matcher"]
        subprocess.run(
            [*matcher, "import-scenario", str(path), "--case-manager", CM], env=env, check=True
        )
        engine = make_engine(url)
        with session_scope(engine) as session:
            who = accounts.create_account(
                session,
                username="cm",
                role="case_manager",
                password=None,
                subject_id=CM,
                now=datetime.now(UTC),
            )
        engine.dispose()
        token = accounts.issue_token(Settings(), who, datetime.now(UTC))[0]
        port = _free_port()
        workers = "2" if backend == "postgresql" else "1"
        server = subprocess.Popen(
            [*matcher, "serve", "--port", str(port), "--workers", workers], env=env
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                pytest.fail("the server did not start")
            yield Served(base, token, url)
        finally:
            server.terminate()
            server.wait(timeout=20)


def test_concurrent_holds_over_http_give_exactly_the_unused_places(served: Served) -> None:
    def hold(i: int) -> int:
        body = {"participant_id": f"x-{i}", "need_id": f"x-{i}-1", "program_id": "g-1"}
        auth = {"Authorization": f"Bearer {served.token}"}
        url = f"{served.base}/case-managers/{CM}/holds"
        response = httpx.post(url, json=body, headers=auth, timeout=30)
        return response.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(hold, range(20)))
    assert sorted(codes) == [201] * 3 + [409] * 17
    engine = make_engine(served.url)
    with session_scope(engine) as session:
        view = capacity.get_program(session, "org-1", "g-1", datetime.now(UTC))
    engine.dispose()
    assert (view.held, view.unused) == (3, 0)
