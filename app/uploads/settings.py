"""The limits that keep one import bounded, read from the app's configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.recordings.sample_keys import KeyLimits
from app.uploads import decoding

MAX_LINE_BYTES = 1024 * 1024
CHUNK_BYTES = 16 * 1024 * 1024  # of lines per chunk, so at least 16 of the longest lines
TIME_BUDGET_SECONDS = 120.0  # then the task hands over to a continuation (hard limit: 300 s)


@dataclass(frozen=True)
class ImportSettings:
    """Chunk size and the limits that keep one import bounded."""

    chunk_samples: int = 5000
    chunk_bytes: int = CHUNK_BYTES
    max_bytes: int = 2 * 1024**3
    max_ratio: int = 200
    max_line: int = MAX_LINE_BYTES
    max_error_details: int = 100
    max_invalid_lines: int = 10_000
    max_attempts: int = 5
    time_budget_s: float = TIME_BUDGET_SECONDS
    keys: KeyLimits = KeyLimits()

    @classmethod
    def from_config(cls, config: Any) -> ImportSettings:
        return cls(
            chunk_samples=config["UPLOAD_CHUNK_SAMPLES"],
            max_bytes=config["MAX_UPLOAD_DECOMPRESSED_BYTES"],
            max_ratio=config["MAX_UPLOAD_COMPRESSION_RATIO"],
            max_error_details=config["MAX_ERROR_DETAILS"],
            max_invalid_lines=config["UPLOAD_MAX_INVALID_LINES"],
            max_attempts=config["MAX_TASK_DELIVERIES"],
            keys=KeyLimits.from_config(config),
        )

    def mostly_invalid(self, invalid: int, lines: int) -> str | None:
        """Why an import should stop: more than `max_invalid_lines` of the lines read so far
        are invalid, blank or repeated, and more than half. Such a file is not a recording,
        and its lines cost the worker while a gzip file holds millions in a few kilobytes."""
        if invalid <= self.max_invalid_lines or invalid * 2 <= lines:
            return None
        return (
            f"Stopped after {invalid} invalid, blank or repeated lines of the first {lines} "
            f"(more than half, and more than {self.max_invalid_lines}): is this a recording?"
        )

    def decoded_limit(self, path: Path, compressed: bool) -> int:
        """Bytes the file may decode to: `max_bytes`, and for gzip at most `max_ratio` times
        its own size. Sensor recordings inflate far less; a bomb is refused after reading
        only a bounded multiple of what was sent (the first pass, count_lines, finds it)."""
        if not compressed:
            return self.max_bytes
        return min(self.max_bytes, self.max_ratio * path.stat().st_size)

    def too_large(self, error: decoding.TooLarge, compressed: bool) -> str:
        limits = f"at most {self.max_bytes} bytes"
        if compressed:
            limits += f", and at most {self.max_ratio} times its compressed size"
        return f"The file is too large: {error} ({limits})"
