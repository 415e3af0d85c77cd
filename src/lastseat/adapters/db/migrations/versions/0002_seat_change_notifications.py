"""Notify listeners when seat events are written (PostgreSQL).

Every app server LISTENs on `lastseat_seats` and drops its cached seat map of a flight
when a notification names it. The trigger fires in the writing transaction, and
PostgreSQL delivers the notification when (and only if) that transaction commits.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has one writer process; nothing to tell other processes
    op.execute(
        """
        CREATE FUNCTION lastseat_notify_seats() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('lastseat_seats', changed.flight_id::text)
            FROM (SELECT DISTINCT flight_id FROM inserted) AS changed;
          RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_notify_seats AFTER INSERT ON events"
        " REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT"
        " EXECUTE FUNCTION lastseat_notify_seats()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS events_notify_seats ON events")
    op.execute("DROP FUNCTION IF EXISTS lastseat_notify_seats()")
