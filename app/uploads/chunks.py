"""One chunk of an upload stored exactly like a push, together with its checkpoint.

The chunk goes through the push path: the same validation (`split_samples`), in-batch dedup
(`dedupe_last_wins`) and `store_batch` (session creation, last-write-wins, set-based upsert)
under a change stamp from `begin_stamped_write()`, so delta pulls see it. Its counts and the
new `lines_processed` commit in the same transaction as its samples: that is the checkpoint a
redelivered or continued import resumes from, and a chunk only commits when the checkpoint it
started from is still the stored one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.models import Upload
from app.models.upload import RUNNING
from app.recordings.batches import dedupe_last_wins, store_batch
from app.recordings.sample_keys import KeyLimits
from app.recordings.sample_rules import split_samples
from app.recordings.schemas import SessionIn
from app.recordings.watermark import begin_stamped_write
from app.uploads import readers


@dataclass(frozen=True)
class ImportJob:
    """The plain facts of an upload a run needs (no ORM object across transactions)."""

    upload_id: int
    user_id: int
    path: Path
    file_format: str
    compressed: bool
    session: SessionIn
    max_decoded: int = 0  # ImportSettings.decoded_limit of the file


def batched(records: Iterable[readers.Record], count: int, max_bytes: int) -> Iterator[list]:
    """Lists of at most `count` records and about `max_bytes` of lines: a chunk of long lines
    must not hold gigabytes in the worker."""
    batch, size = [], 0
    for record in records:
        batch.append(record)
        size += record.size
        if len(batch) >= count or size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def lock_upload(upload_id: int) -> Upload | None:
    return db.session.scalar(
        select(Upload)
        .where(Upload.id == upload_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _split(
    chunk: list[readers.Record], keys: KeyLimits
) -> tuple[list[tuple[int, dict]], int, list[dict]]:
    """Valid `(line, sample)` (deduplicated, last wins), how many were valid, errors by line."""
    good = [record for record in chunk if record.error is None]
    indexed, problems = split_samples(
        [record.value for record in good],
        utcnow(),
        check_numbers=any(r.lenient for r in good),
        keys=keys,
    )
    errors = [{"line": r.number, "error": r.error} for r in chunk if r.error is not None]
    errors += [{"line": good[p["index"]].number, "error": p["error"]} for p in problems]
    kept = [(good[index].number, sample) for index, sample in dedupe_last_wins(indexed)]
    return kept, len(indexed), errors


def apply_chunk(
    job: ImportJob,
    chunk: list[readers.Record],
    position: int,
    max_details: int,
    keys: KeyLimits | None = None,
) -> bool:
    """Store one chunk like a push and advance the checkpoint; False if another run moved it."""
    keys = keys or KeyLimits()
    kept, valid, errors = _split(chunk, keys)
    stamp = begin_stamped_write()
    upload = lock_upload(job.upload_id)
    if upload is None or upload.state != RUNNING or upload.lines_processed != position:
        db.session.rollback()
        return False
    samples = [sample for _, sample in kept]
    stored = store_batch(job.user_id, job.session, samples, stamp, keys.per_sensor)
    counts = stored.counts
    errors += [{"line": kept[p][0], "error": error} for p, error in stored.refused]
    errors.sort(key=lambda error: error["line"])

    upload.recording_session_id = stored.session.id
    upload.lines_processed = chunk[-1].number if chunk else position
    upload.total_records += len(chunk)
    upload.inserted += counts.inserted
    upload.updated += counts.updated
    upload.duplicates += valid - counts.inserted - counts.updated - len(stored.refused)
    upload.errors += len(errors)
    room = max_details - len(upload.error_details)
    if errors and room > 0:
        upload.error_details = [*upload.error_details, *errors[:room]]
    upload.attempts = 1  # progress: only runs that make none count towards the cap
    upload.updated_at = utcnow()
    db.session.commit()
    return True
