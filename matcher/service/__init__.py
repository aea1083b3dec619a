"""Use cases as plain functions over a session, shared by the API, the CLI and notebooks.

Each function does one user's task inside the caller's transaction (see
``matcher.store.engine.session_scope``), takes the current time as an argument (so
tests control the clock) and raises ``matcher.service.errors`` exceptions, which the
API turns into problem details and the CLI into exit code 2.
"""
