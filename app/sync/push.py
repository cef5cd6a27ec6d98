"""A push: session metadata plus a batch of samples, applied in one transaction."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.analyses.scheduling import enqueue_after_close
from app.clock import utcnow
from app.errors import PayloadTooLarge
from app.extensions import db
from app.housekeeping.compaction import compact_after_close
from app.recordings.batches import dedupe_last_wins, store_batch
from app.recordings.sample_keys import KeyLimits
from app.recordings.sample_rules import split_samples
from app.recordings.samples.writing import UpsertCounts
from app.recordings.sync_log import push_log
from app.recordings.watermark import begin_stamped_write
from app.sync.schemas import PushRequest


@dataclass(frozen=True)
class PushLimits:
    max_samples: int
    max_error_details: int
    keys: KeyLimits = KeyLimits()

    @classmethod
    def from_config(cls, config: Any) -> PushLimits:
        return cls(
            config["MAX_SAMPLES_PER_PUSH"],
            config["MAX_ERROR_DETAILS"],
            KeyLimits.from_config(config),
        )


def push(
    user_id: int,
    request: PushRequest,
    limits: PushLimits,
    *,
    check_numbers: bool = False,
    body_bytes: int = 0,
    provisional: bool = False,
) -> dict[str, Any]:
    """Apply a push and return the response body (counts, sync log id).

    `provisional`: the samples may come before their session, which is then created
    provisionally (the app's protocol); the body then also says whether it still is.
    """
    clock = time.perf_counter()
    started_at = utcnow()
    raw = request.sensor_data
    indexed, errors = _checked(raw, limits, started_at, check_numbers)
    kept = dedupe_last_wins(indexed)
    samples = [sample for _, sample in kept]

    stamp = begin_stamped_write()
    stored = store_batch(
        user_id, request.session, samples, stamp, limits.keys.per_sensor, provisional=provisional
    )
    session, created, counts = stored.session, stored.created, stored.counts
    if stored.refused:
        errors += [{"index": kept[position][0], "error": e} for position, e in stored.refused]
        errors.sort(key=lambda error: error["index"])

    duplicates = len(indexed) - counts.inserted - counts.updated - len(stored.refused)
    details = _details(counts, samples, body_bytes, created, clock)
    log_id = _log(user_id, session.id, (len(raw), duplicates, len(errors)), details, started_at)
    body = {
        "message": "Sync completed with errors" if errors else "Sync completed successfully",
        "session_id": session.session_id,
        "total_records": len(raw),
        "inserted": counts.inserted,
        "updated": counts.updated,
        "duplicates": duplicates,
        "errors": len(errors),
        "error_details": errors[: limits.max_error_details],
        "sync_log_id": log_id,
        "session_data_count": session.data_count,
    }
    if provisional:
        body["provisional"] = session.provisional
    # A closed session is analysed after the commit (docs/tasks.md#enqueue-after-commit).
    analyse = not session.is_active and stored.changed
    session_pk = session.id
    db.session.commit()
    if analyse:
        enqueue_after_close(session_pk)
        compact_after_close(session_pk)
    return body


def _details(
    counts: UpsertCounts, samples: list[dict], body_bytes: int, created: bool, clock: float
) -> dict:
    """The push's own facts for its sync-log row (docs/sync.md#counts)."""
    return {
        "inserted": counts.inserted,
        "updated": counts.updated,
        "sensor_types": sorted({s["sensor_type"] for s in samples}),
        "bytes": body_bytes,
        "session_created": created,
        "duration_ms": round((time.perf_counter() - clock) * 1000, 3),
    }


def _checked(
    raw: list[Any], limits: PushLimits, now: datetime, check_numbers: bool
) -> tuple[list[tuple[int, dict]], list[dict[str, Any]]]:
    """The valid samples with their index, and the errors of the others (the cap first)."""
    if len(raw) > limits.max_samples:
        raise PayloadTooLarge(
            f"A push may carry at most {limits.max_samples} samples, this one has {len(raw)}"
        )
    return split_samples(raw, now, check_numbers=check_numbers, keys=limits.keys)


def _log(
    user_id: int, session_pk: int, counted: tuple[int, int, int], details: dict, started_at
) -> int:
    """Write the push's sync log row; its id (flushed, committed with the push)."""
    records, duplicates, errors = counted
    log = push_log(
        user_id,
        session_pk,
        records=records,
        duplicates=duplicates,
        errors=errors,
        details=details,
        started_at=started_at,
        completed_at=utcnow(),
    )
    db.session.add(log)
    db.session.flush()
    return log.id
