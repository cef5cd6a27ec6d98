"""When sessions are compacted (rows → chunks, app/recordings/samples/compaction.py): after a
session closes, by a periodic sweep over closed and idle sessions, and by `flask
compact-samples` for the rows stored before chunks existed.

After a close the task is published with a delay (COMPACTION_DELAY_SECONDS) so that the last
batches of a phone's upload settle first; a batch that still arrives into compacted time only
costs unfolding a chunk. Compacting a session twice does nothing the second time, so the sweep
may publish a session whose task is still queued.

Every run is counted on /metrics (koodtx_compactions_total, koodtx_compacted_samples_total), and
each scrape of /metrics reads the backlog from the database (`report_backlog`).
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app.clock import utcnow
from app.extensions import db
from app.observability.metrics import record_compaction, record_compaction_backlog
from app.recordings.samples.backlog import compaction_backlog
from app.recordings.samples.compaction import compact_session, sessions_to_compact
from app.worker import dispatch
from app.worker.task_names import COMPACT_SESSION

SWEEP_LIMIT = 500

log = logging.getLogger(__name__)


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
    record_compaction(done.samples, done.steps)
    return {
        "session": session_pk,
        "samples": done.samples,
        "steps": done.steps,
        "chunks_merged": done.merged,
    }


def report_backlog() -> None:
    """Set the backlog gauges from the database, when /metrics is scraped.

    Read at scrape time rather than set by the sweep: the sweep runs in a Celery worker, whose
    gauge would reach /metrics only through a PROMETHEUS_MULTIPROC_DIR shared with the web
    processes (not across hosts), and would stop changing when Beat or the worker stops, which
    is exactly when the lag matters. The query is one aggregate over closed sessions.
    """
    try:
        backlog = compaction_backlog()
        db.session.rollback()  # a read: end the transaction, release nothing else
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("compaction backlog not read: the database did not answer", exc_info=True)
        # Unknown, not zero: a stale or zero value would hide exactly this situation.
        record_compaction_backlog(math.nan, math.nan)
        return
    lag = 0.0
    if backlog.oldest_change is not None:
        lag = max((utcnow() - backlog.oldest_change).total_seconds(), 0.0)
    record_compaction_backlog(backlog.sessions, lag)
