"""Adding an audio recording to a session (replay-safe), listing and finding recordings.

A recording is stored in three steps: the request's file is copied to a temporary name under
AUDIO_FOLDER (streamed, capped, hashed), its type is judged by its bytes, then one
transaction finds or creates the session and inserts the row unless the session already
holds the same bytes. Only then is the file renamed to its final name; a replay deletes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audio import sniff, storage
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import AudioRecording, RecordingSession
from app.recordings.last_write_wins import lock_or_create_provisional
from app.recordings.sample_rules import EARLIEST_TIMESTAMP_MS
from app.recordings.watermark import begin_stamped_write

# As the app protocol's times: anything later is a unit mistake (microseconds for ms).
LATEST_TIMESTAMP_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z, exclusive
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ClientAudioMeta:
    """What the app says about a recording; the file's own properties take precedence."""

    timestamp_ms: int | None = None  # the app takes Date.now() when the recording stops
    duration_seconds: float | None = None
    format: str | None = None
    sample_rate: int | None = None  # used only when the file does not tell
    channels: int | None = None


def audio_folder() -> Path:
    return Path(current_app.config["AUDIO_FOLDER"])


def file_path(recording: AudioRecording) -> Path:
    return audio_folder() / recording.stored_path


def receive(user_id: int, source: BinaryIO) -> storage.StoredFile:
    """Copy an uploaded file under AUDIO_FOLDER (temporary name), within MAX_AUDIO_BYTES."""
    path = storage.new_path(audio_folder() / str(user_id))
    return storage.save_stream(source, path, current_app.config["MAX_AUDIO_BYTES"])


def _started_at(meta: ClientAudioMeta, info: sniff.AudioInfo) -> datetime | None:
    if meta.timestamp_ms is None:
        return None
    if not EARLIEST_TIMESTAMP_MS <= meta.timestamp_ms < LATEST_TIMESTAMP_MS:
        raise ValidationFailed(
            "timestamp must be milliseconds since 1970-01-01 UTC between 2000 and 2100",
            {"timestamp": meta.timestamp_ms},
        )
    ended = datetime.fromtimestamp(meta.timestamp_ms / 1000, tz=UTC)
    duration = info.duration_seconds or meta.duration_seconds or 0.0
    return ended - timedelta(seconds=min(duration, 7 * 86_400))


def _existing(session_pk: int, sha256: str) -> AudioRecording | None:
    return db.session.scalar(
        select(AudioRecording).where(
            AudioRecording.recording_session_id == session_pk, AudioRecording.sha256 == sha256
        )
    )


def _insert(
    user_id: int, session_id: str, stored: storage.StoredFile, fields: dict[str, Any]
) -> tuple[AudioRecording, bool]:
    stamp = begin_stamped_write()
    start = fields["started_at"] or stamp
    session, _ = lock_or_create_provisional(user_id, session_id, start, stamp)
    if not session.has_audio:
        session.has_audio, session.updated_at = True, stamp  # pulled by the other devices
    found = _existing(session.id, stored.sha256)
    if found is not None:
        db.session.commit()
        return found, False
    recording = AudioRecording(
        user_id=user_id,
        recording_session_id=session.id,
        sha256=stored.sha256,
        size_bytes=stored.size,
        stored_path=f"{user_id}/{stored.sha256[:16]}-{stored.path.stem}.{fields['format']}",
        **fields,
    )
    db.session.add(recording)
    db.session.commit()
    return recording, True


def add_recording(
    user_id: int, session_id: str, stored: storage.StoredFile, filename: str, meta: ClientAudioMeta
) -> tuple[AudioRecording, bool]:
    """Make the received file a recording of the session (created provisionally when unknown).
    Returns (recording, created); the same bytes again return the first recording."""
    try:
        info = sniff.inspect(stored.path)
        fields = {
            "filename": _CONTROL.sub("", Path(filename).name)[:255] or "audio",
            "format": info.type.format,
            "mime_type": info.type.mime_type,
            "duration_seconds": info.duration_seconds or meta.duration_seconds,
            "sample_rate": info.sample_rate or meta.sample_rate,
            "channels": info.channels or meta.channels,
            "started_at": _started_at(meta, info),
            "client_timestamp_ms": meta.timestamp_ms,
            "client_format": (meta.format or None) and meta.format[:20],
        }
        try:
            recording, created = _insert(user_id, session_id, stored, fields)
        except IntegrityError:  # the same bytes sent twice at once: the other request won
            db.session.rollback()
            recording, created = _insert(user_id, session_id, stored, fields)
        if created:
            stored.path.rename(file_path(recording))
            return recording, True
    except BaseException:
        db.session.rollback()
        stored.path.unlink(missing_ok=True)
        raise
    stored.path.unlink(missing_ok=True)
    return recording, False


def recording_json(recording: AudioRecording, session_id: str) -> dict[str, Any]:
    """A recording as /api shows it (snake_case, ISO times)."""
    return {
        "id": recording.id,
        "filename": recording.filename,
        "format": recording.format,
        "mime_type": recording.mime_type,
        "size_bytes": recording.size_bytes,
        "sha256": recording.sha256,
        "duration_seconds": recording.duration_seconds,
        "sample_rate": recording.sample_rate,
        "channels": recording.channels,
        "started_at": recording.started_at,
        "created_at": recording.created_at,
        "url": f"/api/sessions/{session_id}/audio/{recording.id}",
    }


def recordings_of(session: RecordingSession) -> list[AudioRecording]:
    query = select(AudioRecording).where(AudioRecording.recording_session_id == session.id)
    return list(db.session.scalars(query.order_by(AudioRecording.started_at, AudioRecording.id)))


def audio_recordings_json(session: RecordingSession) -> list[dict[str, Any]]:
    """The session's recordings, for the session detail of either protocol."""
    return [recording_json(r, session.session_id) for r in recordings_of(session)]


def owned_recording(session: RecordingSession, audio_id: int) -> AudioRecording:
    """A recording of the caller's session; 404 otherwise."""
    recording = db.session.scalar(
        select(AudioRecording).where(
            AudioRecording.id == audio_id, AudioRecording.recording_session_id == session.id
        )
    )
    if recording is None:
        raise NotFound(f"Audio recording {audio_id} not found", {"audio_id": audio_id})
    return recording


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def app_recording_json(recording: AudioRecording, session_id: str) -> dict[str, Any]:
    """A recording as the app protocol shows it (camelCase, milliseconds, string ids)."""
    return {
        "id": str(recording.id),
        "sessionId": session_id,
        "fileName": recording.filename,
        "fileSize": recording.size_bytes,
        "mimeType": recording.mime_type,
        "format": recording.format,
        "checksum": recording.sha256,
        "duration": recording.duration_seconds,
        "sampleRate": recording.sample_rate,
        "channels": recording.channels,
        "startTime": _ms(recording.started_at),
        "timestamp": recording.client_timestamp_ms,
        "url": f"/api/sessions/{session_id}/audio/{recording.id}",
        "uploadedAt": _ms(recording.created_at),
    }


def app_audio_recordings_json(session: RecordingSession) -> list[dict[str, Any]]:
    """The session's recordings, for the app protocol's session detail."""
    return [app_recording_json(r, session.session_id) for r in recordings_of(session)]
