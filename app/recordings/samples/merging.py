"""The merge rule of the sample store: one sensor type's rows and chunk samples, interleaved.

Chunks of one sensor type never overlap and no row lies inside a chunk's span (compaction and
unfolding keep it so), so the samples in timestamp order are the rows and the chunks' samples
merged by timestamp: no key appears twice, nothing needs deduplicating. Callers hold the
readers' lock (app/recordings/samples/locks.py) so that rows and chunks come from one state.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from operator import itemgetter

from app.recordings.samples.chunks import ChunkInfo, chunk_samples, data_text, list_chunks


def chunk_texts(
    session_pk: int, type_id: int, start: int | None = None, end: int | None = None
) -> Iterator[tuple[int, str]] | None:
    """`(timestamp, data JSON text)` of the sensor type's chunk samples with start <= timestamp
    < end, in order; None when no chunk is involved."""
    chunks = list_chunks(session_pk, type_id, start, None if end is None else end - 1)
    if not chunks:
        return None
    samples = (chunk_samples(chunk.id, start, end) for chunk in chunks)
    return ((ts, data_text(data)) for ts, data in chain.from_iterable(samples))


def runs(
    row_batches: Iterable[Sequence[tuple]], chunks: Sequence[ChunkInfo]
) -> Iterator[Sequence[tuple] | ChunkInfo]:
    """One sensor type's rows (in batches sorted by timestamp, as a cursor gives them) and its
    chunks (sorted, not overlapping) in timestamp order: runs of rows, cut where a chunk comes
    in between, and the chunks themselves. No row lies inside a chunk's span, so a chunk goes
    before the first row at or after its first timestamp; nothing is decoded here."""
    pending = deque(chunks)
    for rows in row_batches:
        start = 0
        while pending and start < len(rows):
            cut = bisect_left(rows, pending[0].first_timestamp, start, key=itemgetter(0))
            if cut == len(rows):
                break
            if cut > start:
                yield rows[start:cut]
            yield pending.popleft()
            start = cut
        if start < len(rows):
            yield rows[start:] if start else rows
    yield from pending


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
