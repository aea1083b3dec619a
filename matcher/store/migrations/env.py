"""Alembic environment: migrations run on the connection ``matcher db upgrade`` gives."""

from alembic import context
from sqlmodel import SQLModel

import matcher.store.tables  # noqa: F401  (registers the tables on the metadata)
from matcher.store.engine import ours

target_metadata = SQLModel.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through matcher.store.engine.upgrade")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=ours,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
