"""Notify listeners when a user's sessions may have changed (PostgreSQL).

Every app server keeps signed-in tokens' users in memory (services/session_cache.py) and
LISTENs on `lastseat_sessions`: a notification names a user whose row or tokens were
updated or deleted (a sign-out, a password change that ends every session, a role
change), or says `all` when either table was truncated, and the servers drop what they
kept of it. Triggers, not the service's code, so that a change made by any writer, an
operator's SQL included, is heard. PostgreSQL delivers a notification when (and only if)
its transaction commits, once for each distinct payload however many rows it names.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

FUNCTIONS = {
    "lastseat_notify_user": "OLD.id::text",
    "lastseat_notify_token": "OLD.user_id::text",
    "lastseat_notify_sessions_all": "'all'",
}
TRIGGERS = (
    ("users_notify_sessions", "AFTER UPDATE OR DELETE ON users FOR EACH ROW", "user"),
    ("tokens_notify_sessions", "AFTER UPDATE OR DELETE ON tokens FOR EACH ROW", "token"),
    ("users_truncate_sessions", "AFTER TRUNCATE ON users FOR EACH STATEMENT", "sessions_all"),
    ("tokens_truncate_sessions", "AFTER TRUNCATE ON tokens FOR EACH STATEMENT", "sessions_all"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has one writer process; nothing to tell other processes
    for name, payload in FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN PERFORM pg_notify('lastseat_sessions', {payload}); RETURN NULL; END $$"
        )
    for trigger, when, function in TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} {when} EXECUTE FUNCTION lastseat_notify_{function}()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger, when, _ in TRIGGERS:
        table = when.split(" ON ")[1].split()[0]
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
