"""Alembic environment: migrates the connection that `lastseat.adapters.db.migrate` hands in."""

from __future__ import annotations

from alembic import context

from lastseat.adapters.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `lastseat db migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
