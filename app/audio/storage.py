"""Files on disk: copy a request's stream to a file with its SHA-256, never more than a cap."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from uuid import uuid4

from app.errors import PayloadTooLarge, ValidationFailed

log = logging.getLogger(__name__)

BLOCK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    path: Path
    size: int
    sha256: str


def new_path(folder: Path, suffix: str = ".part") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{uuid4().hex}{suffix}"


def _copy(source: BinaryIO, target: BinaryIO, max_bytes: int, digest, size: int = 0) -> int:
    """Append `source` to `target`; returns the total size written so far."""
    while block := source.read(BLOCK):
        size += len(block)
        if size > max_bytes:
            raise PayloadTooLarge(f"The file exceeds {max_bytes} bytes", {"max_bytes": max_bytes})
        digest.update(block)
        target.write(block)
    return size


def save_stream(
    source: BinaryIO, path: Path, max_bytes: int, allow_empty: bool = False
) -> StoredFile:
    """Write `source` to `path` block by block; 413 past `max_bytes`, 400 when empty (unless
    allowed: a part of a resumable upload). Nothing is left behind on failure."""
    digest = hashlib.sha256()
    try:
        with path.open("wb") as target:
            size = _copy(source, target, max_bytes, digest)
        if size == 0 and not allow_empty:
            raise ValidationFailed("The file is empty")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredFile(path, size, digest.hexdigest())


def concatenate(parts: Iterable[Path], path: Path, max_bytes: int) -> StoredFile:
    """Join `parts` in order into `path` (the assembled file of a resumable upload)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("wb") as target:
            for part in parts:
                with part.open("rb") as source:
                    size = _copy(source, target, max_bytes, digest, size)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredFile(path, size, digest.hexdigest())


def remove(paths: Iterable[Path]) -> int:
    """Delete files that may already be gone; returns how many were deleted."""
    removed = 0
    for path in paths:
        try:
            os.unlink(path)
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as error:  # left for the orphan sweep
            log.warning("could not delete %s: %s", path, error)
    return removed
