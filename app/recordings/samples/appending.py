"""Append-only batches written straight as chunks, with no row per sample.

A phone records in time order, so nearly every large push brings, for each sensor type, only
samples later than any the session holds. Such a group needs neither the dedup index nor an
upsert: every key is new. It is encoded as one chunk (app/recordings/chunk_codec.py) in the
push's transaction, under the session's row lock that every writer holds, which makes the
"later than anything stored" test exact (the newest row and the newest chunk of each type are
read with the batch's sensor types, app/recordings/samples/fields.py).

Moving nothing between rows and chunks, such a write needs no movers' lock
(app/recordings/samples/locks.py): a reader sees the chunk whole or not at all, and no key is
in two places. Small groups stay rows (a phone's 100-record batches): a chunk per push of a few
samples would cost more than it saves, and compaction folds rows and small chunks into chunks
of CHUNK_SAMPLES later (app/recordings/samples/compaction.py).
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter

from app.recordings.chunk_layout import INT64_MIN
from app.recordings.samples.chunks import chunk_values, insert_chunks, to_micros


def split_appends(
    samples: list[dict],
    type_ids: dict[str, int],
    stored_until: dict[int, int],
    min_samples: int,
) -> tuple[dict[int, list[dict]], list[dict]]:
    """`(groups to write as chunks by sensor type id, samples left for the upsert)`.

    `samples` are sorted by (sensor_type, timestamp) and unique; `stored_until` holds the
    newest stored timestamp (row or chunk) per sensor type id. A sensor type's group becomes a
    chunk when it has at least `min_samples` samples, all later than that."""
    appends: dict[int, list[dict]] = {}
    rest: list[dict] = []
    for sensor_type, group in groupby(samples, itemgetter("sensor_type")):
        group = list(group)
        type_id = type_ids[sensor_type]
        if len(group) >= min_samples and group[0]["timestamp"] > stored_until.get(
            type_id, INT64_MIN
        ):
            appends[type_id] = group
        else:
            rest += group
    return appends, rest


def write_appends(user_id: int, session_pk: int, appends: dict[int, list[dict]], stamp) -> int:
    """Write each group as one chunk stamped `stamp`; returns how many samples were stored."""
    micros = to_micros(stamp)
    rows = [
        chunk_values(
            user_id,
            session_pk,
            type_id,
            [(sample["timestamp"], sample["data"], micros) for sample in group],
            # Compaction merges these small chunks, choosing encodings then.
            try_encodings=False,
        )
        for type_id, group in appends.items()
    ]
    insert_chunks(rows)
    return sum(len(group) for group in appends.values())
