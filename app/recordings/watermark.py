"""Change stamps and the pull watermark: how delta pulls never miss a change.

Every write that a pull must deliver (a pushed sample, an edited session) is stamped with a
*change stamp*, and a pull answers with `server_timestamp`, a *watermark*. The next pull asks
for rows stamped `>= watermark`. That is safe exactly when

    every row stamped below the watermark was committed before the pull read its data,

so that the pull already delivered it. A plain `now()` breaks this: it is the transaction's
*start*, and a long push commits after a pull that ran in between, with stamps below that
pull's `now()`. So:

PostgreSQL
  - A writer first takes a transaction id (`pg_current_xact_id()`), which makes it visible in
    `pg_stat_activity.backend_xid`, and only then reads `clock_timestamp()` as its stamp.
  - A pull reads `clock_timestamp()` (t0), then the oldest `xact_start` of all other backends
    holding a transaction id (tx), and uses `min(t0, tx)` as the watermark; its data queries
    run afterwards, each in a snapshot taken later (READ COMMITTED).
  - Any writer whose stamp is below that minimum either committed before the pull's
    `pg_stat_activity` read (so the data queries see it), or was running with an xid then —
    but then the watermark is at most its `xact_start`, which is at most its stamp. A writer
    that takes its xid after the read stamps after t0. Either way nothing is missed; a change
    may be delivered twice, which clients tolerate (they upsert).
  - The database role must see other sessions' `xact_start` (same role, or
    `pg_read_all_stats`), which holds for one application role.

SQLite
  - Writers are serialised by the database lock; a push takes it up front (`BEGIN IMMEDIATE`)
    and stamps after. A pull takes the same lock for an instant to read the clock, so no write
    is in flight at that moment: everything stamped earlier is already committed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from app.database import begin_write_transaction, is_postgres
from app.extensions import db

_OLDEST_WRITER = text(
    """
    SELECT min(xact_start) FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL
      AND pid <> pg_backend_pid()
      AND datname = current_database()
    """
)


# One round trip, in a fixed order: the materialised CTE takes the transaction id before the
# outer query's projection reads the clock.
_STAMP_AFTER_XID = text(
    "WITH xid AS MATERIALIZED (SELECT pg_current_xact_id()) SELECT clock_timestamp() FROM xid"
)


def begin_stamped_write() -> datetime:
    """Start the write transaction of a push and return its change stamp."""
    connection = begin_write_transaction()
    if is_postgres():
        return connection.execute(_STAMP_AFTER_XID).scalar_one()
    return datetime.now(UTC)


def pull_watermark() -> datetime:
    """A time below the stamp of every change not yet visible to this request's next query."""
    if is_postgres():
        db.session.rollback()  # the data queries must start after this point
        connection = db.session.connection()
        started = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
        oldest_writer = connection.execute(_OLDEST_WRITER).scalar_one()
        db.session.commit()
        return min(started, oldest_writer) if oldest_writer else started
    begin_write_transaction()
    watermark = datetime.now(UTC)
    db.session.rollback()
    return watermark
