"""Apply and inspect Alembic migrations over the project's own async engine.

Alembic is loaded only to migrate. The readiness check every server answers reads the
head revision from the migration files and the database's from its `alembic_version`
table itself: Alembic, with Mako and Pygments, would cost every server some 5 MB.
tests/integration/test_service_flows.py compares both with Alembic's own answers.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _revision_names(path: Path) -> tuple[str, str | None]:
    """A migration file's `revision` and `down_revision` (one parent: no merges here)."""
    found: dict[str, str | None] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            value = node.value.value
            for target in node.targets:
                if isinstance(target, ast.Name) and (value is None or isinstance(value, str)):
                    found[target.id] = value
    revision = found["revision"]
    assert revision is not None, f"{path.name} names no revision"
    return revision, found["down_revision"]


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The one revision no other migration follows (None without migrations)."""
    pairs = [_revision_names(p) for p in sorted((MIGRATIONS / "versions").glob("*.py"))]
    followed = {down for _, down in pairs}
    heads = [revision for revision, _ in pairs if revision not in followed]
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have several heads: {heads}")
    return heads[0] if heads else None


async def upgrade(engine: AsyncEngine) -> None:
    from alembic import command

    def run(conn: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")

    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # A migration may rewrite a large table: the request-sized bounds do not apply.
            await conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            await conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
        await conn.run_sync(run)
    # Connections made before the schema had it could not register as seat event writers
    # (migration 0014; adapters/db/engine.py): the pool's next ones do.
    await engine.dispose()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None before the first migration)."""

    def read(conn: Connection) -> str | None:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    async with engine.connect() as conn:
        return await conn.run_sync(read)


async def is_current(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision()
