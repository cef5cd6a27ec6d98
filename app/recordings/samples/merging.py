"""The merge rule of the sample store: one sensor type's rows and chunk samples, interleaved.

Chunks of one sensor type never overlap and no row lies inside a chunk's span (compaction and
unfolding keep it so), so the samples in timestamp order are the rows and the chunks' samples
merged by timestamp: no key appears twice, nothing needs deduplicating. Callers hold the
readers' lock (app/recordings/samples/locks.py) so that rows and chunks come from one state.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import chain, islice
from operator import itemgetter

from app.recordings.samples.chunks import (
    changed_since,
    chunk_samples,
    data_text,
    list_chunks,
    to_micros,
)


def chunk_texts(
    session_pk: int,
    type_id: int,
    start: int | None = None,
    end: int | None = None,
    since: datetime | None = None,
) -> Iterator[tuple[int, str]] | None:
    """`(timestamp, data JSON text)` of the sensor type's chunk samples with start <= timestamp
    < end (and stamped at or after `since`), in order; None when no chunk is involved."""
    chunks = list_chunks(session_pk, type_id, start, None if end is None else end - 1)
    if since is not None:
        chunks = [chunk for chunk in chunks if chunk.max_updated_at >= since]
    if not chunks:
        return None
    if since is None:
        samples = (chunk_samples(chunk.id, start, end) for chunk in chunks)
    else:
        micros = to_micros(since)
        samples = (changed_since(chunk.id, micros) for chunk in chunks)
    return ((ts, data_text(data)) for ts, data in chain.from_iterable(samples))


def interleave(rows: Iterable[tuple], chunked: Iterator[tuple[int, str]] | None) -> Iterable[tuple]:
    """Rows `(timestamp, text)` and chunk samples, both sorted by timestamp, as one sorted
    stream (the rows alone, untouched, when no chunk is involved)."""
    if chunked is None:
        return rows
    return heapq.merge(rows, chunked, key=itemgetter(0))


def batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
