"""The served app, Chromium and Playwright for the browser tests: one app and store per
test module, a fresh phone-sized browser profile per test.

Nothing is fetched from the internet. Screenshots go to a temporary folder, or to
``MATCHER_SCREENSHOTS`` when set (the README's pictures are made with
``MATCHER_SCREENSHOTS=docs/screenshots``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import BrowserContext, Playwright, sync_playwright
from sqlalchemy import Engine

from api.app import create_app
from tests.api.conftest import SETTINGS, START, Clock
from tests.dbs import engine_for
from tests.web.browser.kit import CHROMIUM, FLAGS, MOBILE
from tests.web.conftest import seed

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")
    collect_ignore_glob = ["test_*.py"]  # Debian's chromium is not installed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with engine_for("sqlite", tmp_path_factory.mktemp("browser")) as engine:
        seed(engine)
        yield engine


@pytest.fixture(scope="module")
def clock() -> Clock:
    """The served app's clock; a test that moves it puts it back."""
    return Clock(START)


@pytest.fixture(scope="module")
def base(store: Engine, clock: Clock) -> Iterator[str]:
    """The app on 127.0.0.1 over plain HTTP (development cookies: not ``Secure``)."""
    settings = SETTINGS.model_copy(update={"environment": "development"})
    app = create_app(settings, engine=store, clock=clock)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A fresh headless Chromium with an empty profile, phone-sized."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=FLAGS,
        viewport=MOBILE,
    )
    yield context
    context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("MATCHER_SCREENSHOTS") or tmp_path / "shots")
    target.mkdir(parents=True, exist_ok=True)
    return target
