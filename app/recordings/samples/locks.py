"""Keeping a session's rows and chunks consistent for readers that use several statements.

Moving samples between rows and chunks (compaction, unfolding for a late write) happens in one
transaction under the session's row lock. A reader, though, lists a session's chunks and reads
its rows in separate statements; on PostgreSQL each statement of a READ COMMITTED transaction
sees its own snapshot, so a move committed in between could hide samples or show them twice.
Readers therefore hold a shared advisory lock on the session until their transaction ends, and
movers take it exclusively: a move waits for running readers, readers wait for a running move.
Pushes that do not touch chunks take neither. SQLite needs nothing: a transaction reads one
snapshot, and writers are serialised anyway.
"""

from __future__ import annotations

from sqlalchemy import text

from app.database import is_postgres
from app.extensions import db

# The first key of the two-key advisory lock: the sample store's namespace ("KS" as an int).
_NAMESPACE = 0x4B53

_SHARED = text("SELECT pg_advisory_xact_lock_shared(:namespace, :session)")
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:namespace, :session)")
_TRY_EXCLUSIVE = text("SELECT pg_try_advisory_xact_lock(:namespace, :session)")


def hold_for_reading(session_pk: int) -> None:
    """Until the transaction ends, no sample of the session moves between rows and chunks."""
    if is_postgres():
        db.session.execute(_SHARED, {"namespace": _NAMESPACE, "session": session_pk})


def hold_for_moving(session_pk: int) -> None:
    """Wait for the session's readers, then keep new ones out until the transaction ends."""
    if is_postgres():
        db.session.execute(_EXCLUSIVE, {"namespace": _NAMESPACE, "session": session_pk})


def try_hold_for_moving(session_pk: int) -> bool:
    """hold_for_moving() if no reader holds the session now; False instead of waiting.

    Compaction asks this way while it holds the session's row lock: waiting behind a long export
    would make the session's pushes wait too."""
    if not is_postgres():
        return True
    params = {"namespace": _NAMESPACE, "session": session_pk}
    return bool(db.session.execute(_TRY_EXCLUSIVE, params).scalar())
