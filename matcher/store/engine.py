"""Engines and sessions: SQLite (file, WAL, immediate transactions) or PostgreSQL.

On SQLite every transaction starts with ``BEGIN IMMEDIATE``: the writer lock is
taken at the start, so two requests for the last place cannot both read "one left".
On PostgreSQL the service locks the program's capacity row (``SELECT ... FOR UPDATE``)
for the same effect. Both keep nothing that another worker process needs in memory.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

MIGRATIONS = Path(__file__).with_name("migrations")
READ_ONLY = "matcher_read_only"
_HOLDS_WRITER = "matcher_holds_writer_lock"


# Enough pooled connections for the API's worker threads: a connection opened beyond
# the pool is closed again after one use, and opening one costs more than a request.
# A statement's parameters (pseudonyms, places, preferences) never appear in an error's
# text or a log line: ``hide_parameters``.
POOL: dict[str, Any] = {"pool_size": 20, "max_overflow": 20, "hide_parameters": True}


def ensure_keys() -> None:
    """Configure the data keys from the settings unless they already are."""
    from matcher.settings import data_keys, get_settings
    from matcher.store.crypto import RING

    if RING.multi is None:
        RING.configure(data_keys(get_settings()))


def ping(engine: Engine) -> None:
    """Ask the database a trivial question read-only (raises if it does not answer)."""
    with engine.execution_options(**{READ_ONLY: True}).connect() as connection:
        connection.exec_driver_sql("SELECT 1")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the locking behaviour the ledger relies on."""
    ensure_keys()
    parsed = make_url(url)
    kwargs = {**POOL, **kwargs}
    if parsed.get_backend_name() != "sqlite":
        server = create_engine(url, pool_pre_ping=True, **kwargs)

        @event.listens_for(server, "begin")
        def _read_only(connection: Any) -> None:
            if connection.get_execution_options().get(READ_ONLY):
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")

        return server
    if parsed.database in (None, "", ":memory:"):
        raise ValueError("SQLite needs a file: concurrent sessions must share one database")
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # Writers in this process queue on a lock instead of in SQLite's busy handler, which
    # sleeps in steps of up to 100 ms; writers in other processes still meet the busy
    # handler. Read-only units of work (``READ_ONLY``) start a deferred transaction
    # and run beside writers, as WAL allows.
    writer = threading.RLock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN DEFERRED")
            return
        writer.acquire()
        connection.info[_HOLDS_WRITER] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection.info)
            raise

    def _release(info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS_WRITER, False):
            with contextlib.suppress(RuntimeError):  # released from another thread
                writer.release()

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        _release(connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        _release(connection.info)

    @event.listens_for(engine, "reset")
    def _on_reset(_dbapi_connection: Any, record: Any, _state: Any) -> None:
        _release(record.info)  # a connection returned to the pool mid-transaction

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_connection: Any, record: Any) -> None:
        _release(record.info)

    return engine


def ours(name: str | None, _type: str, _parents: object) -> bool:
    """Whether a database object is the matcher's own (for comparing the schema with
    the tables): the job queue's ``procrastinate_*`` objects are not."""
    return not (name or "").startswith("procrastinate_")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (``matcher db upgrade``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a column by copying its table; with foreign keys on, dropping
            # the old copy fails. The check is off only while migrating, outside any
            # transaction (SQLite ignores the pragma inside one), and the keys are
            # verified before the migration commits.
            _pragma(connection, "PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise RuntimeError(f"a migration broke a foreign key: {tuple(broken)}")
        finally:
            if sqlite:
                _pragma(connection, "PRAGMA foreign_keys=ON")


def _pragma(connection: Connection, statement: str) -> None:
    """Run a pragma on the driver's connection, outside SQLAlchemy's transaction."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    cursor.execute(statement)
    cursor.close()


def head_revision() -> str:
    """The newest migration this code ships."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error.
    ``read_only`` lets SQLite run it beside writers (it must not write)."""
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
