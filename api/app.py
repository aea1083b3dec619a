"""The FastAPI application: ``create_app()`` wires the store, the routers and the errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import anyio
from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy import Engine

from api import problems, web
from api.audit import AuditLog, AuditSink
from api.credentials import CredentialCache
from api.deps import Ctx, utc_now
from api.limits import BodyLimit
from api.routers import (
    admin,
    audit,
    auth,
    case_managers,
    fund,
    funders,
    hsds,
    me,
    providers,
    referrers,
    webhooks,
)
from api.schemas import Health
from api.text_guard import TextGuard, document_text_rules
from matcher.jobs import queued
from matcher.jobs.local import InProcess
from matcher.service.potentials import Warmer
from matcher.settings import Settings, check_secrets, get_settings
from matcher.store.engine import make_engine, ping

DESCRIPTION = """Matches LEAD participants' needs only to unused places or places bought
with LEAD funds, so that nobody already waiting is bumped. Errors are RFC 9457
problem details naming the field and the rule."""


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> FastAPI:
    """An app over ``engine`` (or one made from ``settings.database_url``)."""
    settings = settings or get_settings()
    check_secrets(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Fewer threads than the default 40: past a few, threads only queue on the GIL
        # and the database, and each holds a pooled connection.
        to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        # On SQLite the server runs the periodic jobs itself; on PostgreSQL
        # ``matcher worker`` processes do, so API workers never sweep.
        jobs = None
        if settings.sweep_seconds > 0 and not queued(app.state.engine):
            jobs = InProcess(app.state.engine, app.state.clock, settings.sweep_seconds)
            jobs.start()
        warmer = None
        if settings.sweep_seconds > 0 and queued(app.state.engine):
            warmer = Warmer(app.state.engine, app.state.clock)
            warmer.start()
        try:
            async with anyio.create_task_group() as background:
                if app.state.audit.batching:
                    background.start_soon(app.state.audit.run)
                try:
                    yield
                finally:
                    background.cancel_scope.cancel()
        finally:
            if jobs is not None:
                await to_thread.run_sync(jobs.stop)
            if warmer is not None:
                await to_thread.run_sync(warmer.stop)
        await to_thread.run_sync(app.state.audit.flush)

    app = FastAPI(title="LEAD matcher", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.clock = clock
    app.state.audit = AuditSink(app.state.engine, settings.audit_flush_seconds)
    app.state.credentials = CredentialCache(settings.auth_cache_seconds)
    app.add_middleware(TextGuard)  # innermost: its refusals are audited like any other
    app.add_middleware(AuditLog)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    problems.install(app)  # last: its middleware is the outermost
    app.include_router(auth.router)
    app.include_router(me.router)
    app.include_router(providers.router)
    app.include_router(case_managers.router)
    app.include_router(funders.router)
    app.include_router(fund.router)
    app.include_router(referrers.router)
    app.include_router(admin.router)
    app.include_router(audit.router)
    app.include_router(hsds.router)
    app.include_router(webhooks.router)
    web.install(app)
    describe = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_text_rules(describe())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/health", response_model=Health, tags=["everyone"])
    def health(ctx: Ctx) -> Health:
        """The service and its database answer."""
        ping(ctx.engine)
        return Health(status="ok", database="ok")

    return app
