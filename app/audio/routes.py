"""/api/sessions/<id>/audio/<audio_id>: download a session's audio recording (Range aware)."""

from __future__ import annotations

from flask import Blueprint, Response, send_file
from flask_jwt_extended import get_jwt_identity, jwt_required

from app.audio import service
from app.errors import NotFound
from app.recordings.ownership import owned_session
from app.web.openapi import operation
from app.web.schemas import ErrorOut

bp = Blueprint("audio", __name__, url_prefix="/api/sessions")

AUDIO_MEDIA_TYPES = ("audio/mp4", "audio/3gpp", "audio/aac", "audio/wav", "audio/ogg", "audio/mpeg")


@bp.get("/<session_id>/audio/<int:audio_id>")
@operation(
    "Download an audio recording of a session",
    tags=["sessions"],
    description="The file as received, with the media type of what it is (judged by its "
    "bytes). Supports HTTP Range requests (206, or 416 for a range outside the file) and "
    "conditional requests (ETag, Last-Modified: 304).",
    responses={200: None, 206: None, 304: None, 404: ErrorOut, 416: None},
    content_types={200: AUDIO_MEDIA_TYPES, 206: AUDIO_MEDIA_TYPES},
)
@jwt_required()
def download_audio(session_id: str, audio_id: int) -> Response:
    session = owned_session(int(get_jwt_identity()), session_id)
    recording = service.owned_recording(session, audio_id)
    path = service.file_path(recording)
    if not path.is_file():
        raise NotFound(f"The file of audio recording {audio_id} is missing")
    response = send_file(
        path,
        mimetype=recording.mime_type,
        as_attachment=False,
        download_name=f"{session_id}-{recording.id}.{recording.format}",
        conditional=True,
        etag=recording.sha256,
        last_modified=recording.created_at,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response
