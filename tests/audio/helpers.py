"""Adding recordings through the service, as the app routes do."""

from __future__ import annotations

import io

from app.audio import service


def add_recording(app, user_id: int, session_id: str, data: bytes, **meta):
    """(recording id, created) after storing `data` as a recording of the session."""
    with app.app_context():
        stored = service.receive(user_id, io.BytesIO(data))
        recording, created = service.add_recording(
            user_id, session_id, stored, "rec.m4a", service.ClientAudioMeta(**meta)
        )
        return recording.id, created
