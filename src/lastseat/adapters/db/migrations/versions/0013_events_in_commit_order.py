"""Seat events are numbered by their transaction, not under a per-flight lock (PostgreSQL).

An event's id was taken from a sequence while a per-flight lock was held until COMMIT, so
ids followed commit order and a reader of "id > last" could never skip a late commit; but
every hold and booking on a flight then waited for the previous one to commit. Now an
event's id is its transaction's id shifted left by 20 bits plus its place in that
transaction (`lastseat_event_id()`), and readers take only the ids below the oldest
transaction still running (`lastseat_events_settled_below()`, from `pg_snapshot_xmin`): no
transaction below that can still add an event, and every later one numbers its events
above it, so "id > last" skips nothing.
SQLite has one writer at a time and keeps numbering events by its rowid.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The transaction-local settings remember the last place given out in this
    # transaction (a rolled-back savepoint takes its rows and its settings back together).
    op.execute(
        """
        CREATE FUNCTION lastseat_event_id() RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE
          xact bigint := pg_current_xact_id()::text::bigint;
          place bigint := 0;
        BEGIN
          IF current_setting('lastseat.event_xact', true) = xact::text THEN
            place := current_setting('lastseat.event_place')::bigint + 1;
          END IF;
          IF place >= 1048576 THEN
            RAISE EXCEPTION 'one transaction appends at most 1048576 seat events';
          END IF;
          PERFORM set_config('lastseat.event_xact', xact::text, true),
                  set_config('lastseat.event_place', place::text, true);
          RETURN (xact << 20) + place;
        END
        $$
        """
    )
    # Every event with an id below this one is committed or never will be: the ids of the
    # oldest transaction still running (or of the next one to start) begin here.
    op.execute(
        "CREATE FUNCTION lastseat_events_settled_below() RETURNS bigint LANGUAGE sql STABLE"
        " AS 'SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20'"
    )
    # Ids already given out came from the sequence: every new one must be above them.
    op.execute(
        """
        DO $$
        BEGIN
          IF (SELECT coalesce(max(id), 0) FROM events) >= pg_current_xact_id()::text::bigint << 20
          THEN RAISE EXCEPTION 'events ids are past the transaction numbering; prune them first';
          END IF;
        END
        $$
        """
    )
    op.execute("ALTER TABLE events ALTER COLUMN id SET DEFAULT lastseat_event_id()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE events ALTER COLUMN id SET DEFAULT nextval('events_id_seq')")
    op.execute("SELECT setval('events_id_seq', greatest((SELECT max(id) FROM events), 1))")
    op.execute("DROP FUNCTION lastseat_events_settled_below()")
    op.execute("DROP FUNCTION lastseat_event_id()")
