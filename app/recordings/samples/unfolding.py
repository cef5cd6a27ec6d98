"""Late writes into compacted time: the chunks a batch reaches into go back to rows first.

A push or import whose per-sensor-type span [first, last] meets a chunk's span turns that
chunk's samples back into rows, each with its own change stamp, and deletes the chunk; then
the ordinary upsert runs unchanged, so dedup, last-write-wins and the counts are exactly those
of the row store. A later compaction folds the rows in again. Runs under the session's row
lock, which every writer holds (app/recordings/last_write_wins.py).

A batch that only repeats chunk samples exactly — a phone retrying a push whose answer it
lost — unfolds nothing: decoding the chunks it meets shows its samples are duplicates.
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter

import orjson

from app.recordings.chunk_layout import INT64_MIN
from app.recordings.samples.chunks import (
    chunk_samples,
    chunks_meeting,
    delete_chunks,
    from_micros,
    stamped_samples,
)
from app.recordings.samples.locks import hold_for_moving
from app.recordings.samples.writing import restore_samples


def unfold_for_batch(
    user_id: int,
    session_pk: int,
    samples: list[dict],
    type_ids: dict[str, int],
    chunked_until: dict[int, int],
) -> list[dict]:
    """Unfold the chunks the batch's spans meet (`samples` sorted by (sensor_type, timestamp);
    `chunked_until`: the end of the session's last chunk per sensor type id, from the read
    that admitted the batch). Returns the samples left to upsert.

    A sensor type whose samples all repeat chunk samples exactly (a phone's retry of a batch
    that became a chunk) unfolds nothing: its samples are duplicates, left out of the upsert.
    """
    spans: dict[int, tuple[int, int]] = {}
    for sample in samples:
        type_id = type_ids[sample["sensor_type"]]
        low = spans[type_id][0] if type_id in spans else sample["timestamp"]
        spans[type_id] = (low, sample["timestamp"])
    # Usually nothing to look at: no chunks yet (an open session), or a batch after them.
    reaching = {t: span for t, span in spans.items() if span[0] <= chunked_until.get(t, INT64_MIN)}
    if not reaching:
        return samples
    met: dict[int, list] = {}
    for chunk in chunks_meeting(session_pk, reaching):
        met.setdefault(chunk.sensor_type_id, []).append(chunk)
    left: list[dict] = []
    unfold: list = []
    for sensor_type, group in groupby(samples, itemgetter("sensor_type")):
        group = list(group)
        chunks = met.get(type_ids[sensor_type], [])
        if chunks and _repeats(chunks, group):
            continue
        unfold += chunks
        left += group
    unfold_chunks(user_id, session_pk, unfold)
    return left


def _repeats(chunks: list, group: list[dict]) -> bool:
    """Whether every sample of `group` is in `chunks` with exactly the same data (the same
    JSON: 5 is not 5.0 here, unlike in the database's comparison, which then decides)."""
    stored = {}
    for chunk in chunks:
        stored.update(chunk_samples(chunk.id, group[0]["timestamp"], group[-1]["timestamp"] + 1))
    if len(stored) < len(group):
        return False
    try:
        return all(
            sample["timestamp"] in stored
            and _exact(stored[sample["timestamp"]]) == _exact(sample["data"])
            for sample in group
        )
    except TypeError:  # an int beyond 64 bits: let the upsert compare
        return False


def _exact(data: dict) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def unfold_chunks(user_id: int, session_pk: int, chunks: list) -> None:
    """Turn `chunks` (ChunkInfo) back into rows with their stamps, in the caller's transaction."""
    if not chunks:
        return
    hold_for_moving(session_pk)
    for chunk in chunks:
        samples = [(ts, data, from_micros(us)) for ts, data, us in stamped_samples(chunk.id)]
        restore_samples(session_pk, chunk.sensor_type_id, samples, user_id=user_id)
    delete_chunks([chunk.id for chunk in chunks])
