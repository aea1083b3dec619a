"""A daemon thread with a stop signal: the shape of the server's background loops
(the in-process jobs on SQLite, the potentials' warmer on PostgreSQL)."""

from __future__ import annotations

import threading


class Background:
    """Runs ``_loop`` in a daemon thread named ``name``; ``_loop`` waits on
    ``self._stop`` between rounds so ``stop`` ends it promptly."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop and wait for the round in progress to end."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        raise NotImplementedError
