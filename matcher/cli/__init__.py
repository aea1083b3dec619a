"""The ``matcher`` command line: one module per command group, assembled in
:mod:`matcher.cli.app`; shared option types and helpers in :mod:`matcher.cli.common`."""

from matcher.cli.app import app, main

__all__ = ["app", "main"]
