"""An uploaded file as decoded bytes and lines, with every size the sender controls capped.

Decompression stops with `TooLarge` past `max_bytes` of decoded data, and a line longer than
`max_line` is dropped as it is read, so neither a zip bomb nor one endless line can exhaust the
worker's memory.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
BLOCK = 1024 * 1024
_SPLIT_BLOCK = 256 * 1024


class TooLarge(Exception):
    """The decompressed file is larger than allowed."""


class _Capped(io.RawIOBase):
    """A binary stream that raises `TooLarge` once more than `limit` bytes were read."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self._stream, self._limit, self.total = stream, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._stream.readinto(buffer)
        self.total += count
        if self.total > self._limit:
            raise TooLarge(f"the decompressed file exceeds {self._limit} bytes")
        return count


def is_gzip(path: Path) -> bool:
    """Gzip is recognised by its magic bytes, whatever the file is called."""
    with open(path, "rb") as raw:
        return raw.read(2) == GZIP_MAGIC


def open_binary(path: Path, compressed: bool, max_bytes: int) -> io.BufferedReader:
    """The file's decoded bytes, buffered, capped at `max_bytes`."""
    raw: BinaryIO = gzip.open(path, "rb") if compressed else open(path, "rb")
    return io.BufferedReader(_Capped(raw, max_bytes), buffer_size=BLOCK)


def count_lines(path: Path, compressed: bool, max_bytes: int) -> int:
    """Lines of the decoded file (a pass over it that also enforces the size cap)."""
    lines, last = 0, b"\n"
    with open_binary(path, compressed, max_bytes) as stream:
        while block := stream.read(BLOCK):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


def lines(stream: io.BufferedReader, max_line: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line without its newline) for each line that is not blank; None for a
    line longer than `max_line` bytes, dropped as it is read, never held whole.

    Lines are split a block at a time in C: reading them one `readline` at a time cost about
    0.3 µs per line, and a few kilobytes of gzip hold millions of blank lines.
    """
    number, partial, overlong = 0, b"", False
    while block := stream.read(_SPLIT_BLOCK):
        pieces = block.split(b"\n")
        pieces[0] = partial + pieces[0]
        partial = pieces.pop()
        for piece in pieces:
            number += 1
            if overlong or len(piece) > max_line:
                overlong = False
                yield number, None
            elif piece and not piece.isspace():
                yield number, piece
        if len(partial) > max_line:
            partial, overlong = b"", True
    if overlong:
        yield number + 1, None
    elif partial and not partial.isspace():
        yield number + 1, partial


class Repeats:
    """Recognises a line equal to one of the last `window` distinct lines, by hash: a false
    match (about 1 in 2**64) only nudges the import's stop rule, never a count."""

    def __init__(self, window: int = 5000) -> None:
        self._seen: set[int] = set()
        self._window = window

    def __call__(self, line: bytes) -> bool:
        key = hash(line)
        if key in self._seen:
            return True
        if len(self._seen) >= self._window:
            self._seen.clear()
        self._seen.add(key)
        return False
