"""When sessions are compacted (rows → chunks, app/recordings/samples/compaction.py): after a
session closes, by a periodic sweep over closed and idle sessions, and by `flask
compact-samples` for the rows stored before chunks existed.

After a close the task is published with a delay (COMPACTION_DELAY_SECONDS) so that the last
batches of a phone's upload settle first; a batch that still arrives into compacted time only
costs unfolding a chunk. Compacting a session twice does nothing the second time, so the sweep
may publish a session whose task is still queued.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app

from app.clock import utcnow
from app.recordings.samples.compaction import compact_session, sessions_to_compact
from app.worker import dispatch
from app.worker.task_names import COMPACT_SESSION

SWEEP_LIMIT = 500


def compact_after_close(session_pk: int) -> str | None:
    """Publish the compaction of a session that just closed; never raises (the request that
    closed it has committed and must succeed)."""
    config = current_app.config
    if not config["COMPACTION_ON_CLOSE"]:
        return None
    return dispatch.try_send(
        COMPACT_SESSION, [session_pk], countdown=config["COMPACTION_DELAY_SECONDS"]
    )


def idle_cutoff():
    return utcnow() - timedelta(minutes=current_app.config["COMPACTION_IDLE_MINUTES"])


def sweep(limit: int = SWEEP_LIMIT) -> dict[str, Any]:
    """Publish the compaction of every closed or idle session that still holds rows."""
    found = sessions_to_compact(idle_cutoff(), limit=limit)
    enqueued = 0
    for session_pk in found:
        if dispatch.try_send(COMPACT_SESSION, [session_pk]) is None:
            break  # the broker is down; the next sweep tries again
        enqueued += 1
    return {"found": len(found), "enqueued": enqueued}


def compact(session_pk: int) -> dict[str, Any]:
    done = compact_session(session_pk)
    return {"session": session_pk, "samples": done.samples, "steps": done.steps}
