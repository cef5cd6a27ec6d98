"""`flask compact-samples`: move stored rows into chunks (docs/storage.md), e.g. after the
upgrade that introduced chunks. Pushes and pulls keep working meanwhile; each step of at most
STEP_ROWS rows commits on its own, so the command can be stopped and run again at any time:
sessions already compacted hold no rows and are skipped."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask

from app.clock import utcnow
from app.housekeeping.compaction import compact
from app.recordings.samples.compaction import sessions_to_compact


def register_sample_commands(app: Flask) -> None:
    @app.cli.command("compact-samples")
    @click.option(
        "--idle-minutes",
        type=click.IntRange(min=0),
        default=None,
        help="Also active sessions idle this long (default: COMPACTION_IDLE_MINUTES; 0: all).",
    )
    def compact_samples(idle_minutes: int | None) -> None:
        """Compact closed and idle sessions that still hold rows, one step per transaction."""
        minutes = app.config["COMPACTION_IDLE_MINUTES"] if idle_minutes is None else idle_minutes
        found = sessions_to_compact(utcnow() - timedelta(minutes=minutes))
        click.echo(f"{len(found)} sessions to compact")
        moved = 0
        with click.progressbar(found, label="Compacting", item_show_func=_label) as sessions:
            for session_pk in sessions:
                # Counted like the task; reaches /metrics through PROMETHEUS_MULTIPROC_DIR.
                moved += compact(session_pk)["samples"]
        click.echo(f"Moved {moved} samples into chunks")


def _label(session_pk: int | None) -> str | None:
    return None if session_pk is None else f"session {session_pk}"
