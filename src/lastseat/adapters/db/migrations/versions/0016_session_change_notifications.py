"""Notify listeners when a user's sessions may have changed (PostgreSQL).

Every app server keeps signed-in tokens' users in memory (services/session_cache.py) and
LISTENs on `lastseat_sessions`: a notification names a user whose row or tokens were
updated or deleted (a sign-out, a password change that ends every session, a role
change), or says `all` when either table was truncated, and the servers drop what they
kept of it. Triggers, not the service's code, so that a change made by any writer, an
operator's SQL included, is heard. PostgreSQL delivers a notification when (and only if)
its transaction commits, once for each distinct payload however many rows it names.
A migration that rewrites or rebuilds either table later should end with
`NOTIFY lastseat_sessions, 'all'` (the feed notices a rebuilt table within its ping, but a
notification is at once).

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


def _table(when: str) -> str:
    return when.split(" ON ")[1].split()[0]


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
        # ALWAYS: also in a session with session_replication_role = replica (a logical
        # replication apply worker, pg_restore --disable-triggers, some ETL tools), whose
        # changes would otherwise go unheard. The change feed checks it (change_feed.py).
        op.execute(f"ALTER TABLE {_table(when)} ENABLE ALWAYS TRIGGER {trigger}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger, when, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {_table(when)}")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
