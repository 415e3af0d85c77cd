"""The line below which seat events are settled is drawn by the event writers alone
(PostgreSQL).

Migration 0013 drew it at the oldest transaction still running anywhere on the server
(`pg_snapshot_xmin`): a session left idle in a transaction, in any database, held back
every live map until it ended. Every connection lastseat writes events through now holds
a shared session-level advisory lock (7348, 0), taken when it connects (adapters/db/
engine.py, through `lastseat_register_event_writer()`), so before any transaction on it
has an id. `lastseat_events_written_below()`
reads which of those connections are in a transaction with an id (`pg_locks`,
`pg_stat_activity.backend_xid`), and puts the line at the oldest of them, or at the next
transaction id if none: a writer that registered after that id was read takes a later
one, and any other session's transaction cannot add an event (an insert into `events`
from a session not registered so is refused). Where the app's role may not see its own
sessions' transaction ids, the line is drawn as 0013 drew it.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # VOLATILE: the next id is read first, by its own statement, then the writers; an xid
    # (32 bits) is widened to the 64-bit id it is short for, the most recent one below next.
    op.execute(
        """
        CREATE FUNCTION lastseat_events_written_below() RETURNS bigint
        LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
          next_xact bigint := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
          low bigint := next_xact & 4294967295;
          oldest bigint;
          hidden boolean;
        BEGIN
          SELECT min(next_xact - ((low - a.backend_xid::text::bigint + 4294967296) % 4294967296)),
                 coalesce(bool_or(a.state IS NULL), false)
            INTO oldest, hidden
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.classid = 7348 AND l.objid = 0
             AND l.objsubid = 2 AND l.granted
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND (a.backend_xid IS NOT NULL OR a.state IS NULL);
          IF hidden THEN
            RETURN lastseat_events_settled_below();
          END IF;
          RETURN least(coalesce(oldest, next_xact), next_xact) << 20;
        END
        $$
        """
    )

    # Registering: the lock, taken while this session's transaction has no id yet (one
    # taken later would let a reader pass the events of the id it already had), and a
    # session setting that says so.
    op.execute(
        """
        CREATE FUNCTION lastseat_register_event_writer() RETURNS void
        LANGUAGE plpgsql AS $$
        BEGIN
          IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
            RAISE EXCEPTION 'register as a seat event writer before the transaction writes'
              USING HINT = 'see migration 0014 (live maps could skip its events)';
          END IF;
          PERFORM pg_advisory_lock_shared(7348, 0);
          PERFORM set_config('lastseat.event_writer', 'registered', false);
        END
        $$
        """
    )
    # A writer that did not register so would be invisible to that line, and a reader
    # could pass its events before they commit: such an insert is refused, not trusted.
    op.execute(
        """
        CREATE FUNCTION lastseat_refuse_unregistered_writers() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF current_setting('lastseat.event_writer', true) IS DISTINCT FROM 'registered'
             OR NOT EXISTS (
               SELECT 1 FROM pg_locks
                WHERE locktype = 'advisory' AND classid = 7348 AND objid = 0
                  AND objsubid = 2 AND pid = pg_backend_pid() AND granted)
          THEN
            RAISE EXCEPTION 'seat events are written only by a session registered as an'
              ' event writer: SELECT lastseat_register_event_writer() first, outside a'
              ' transaction or before it writes'
              USING HINT = 'see migration 0014 (live maps could skip these events)';
          END IF;
          RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_by_registered_writers BEFORE INSERT ON events"
        " FOR EACH STATEMENT EXECUTE FUNCTION lastseat_refuse_unregistered_writers()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER events_by_registered_writers ON events")
    op.execute("DROP FUNCTION lastseat_refuse_unregistered_writers()")
    op.execute("DROP FUNCTION lastseat_register_event_writer()")
    op.execute("DROP FUNCTION lastseat_events_written_below()")
