"""/api/app: the audio upload of SyncManager and the file uploads of src/api/upload.ts."""

from __future__ import annotations

import re

from flask import current_app, request
from flask_jwt_extended import jwt_required
from werkzeug.datastructures import FileStorage

from app.app_protocol.blueprint import BODY_ERRORS, app_operation, bp, user_id
from app.app_protocol.envelope import ok
from app.app_protocol.file_uploads import chunks, handling
from app.app_protocol.file_uploads.metadata import parse_metadata
from app.app_protocol.upload_models import (
    AppAudioForm,
    AppAudioOut,
    AppChunkForm,
    AppChunkOut,
    AppCompleteIn,
    AppUploadForm,
    AppUploadOut,
    AudioFieldsIn,
    ChunkFieldsIn,
)
from app.audio import service as audio
from app.errors import NotFound, UnsupportedMediaType, ValidationFailed
from app.extensions import limiter
from app.recordings.schemas import SESSION_ID_PATTERN
from app.validation import parse_model
from app.web.protection import configured, user_or_ip
from app.web.request_body import read_json_body

SESSION_ID = re.compile(SESSION_ID_PATTERN)
FORM_OVERHEAD_BYTES = 1024 * 1024  # multipart framing and the text parts
SENSOR_FILE_TYPES = ("application/x-ndjson", "text/csv", "application/gzip")
AUDIO_TYPES = {"file": ("audio/mp4", "audio/m4a")}  # what SyncManager says; not believed


def _multipart(max_file_bytes: int) -> None:
    """Allow the file before the body is parsed; 415 unless the body is multipart."""
    request.max_content_length = max_file_bytes + FORM_OVERHEAD_BYTES
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(
            "Send this as multipart/form-data", {"content_type": request.content_type}
        )


def _file(name: str) -> FileStorage:
    file = request.files.get(name)
    if file is None:
        raise ValidationFailed(f"The form part {name!r} (the file) is required")
    return file


@bp.post("/sessions/<session_id>/audio")
@app_operation(
    "Upload an audio recording of a session (SyncManager's audio upload)",
    description="Multipart: sessionId, timestamp (ms, when the recording stopped), duration "
    "(s), sampleRate, channels, format, file. The file's type is judged by its bytes "
    "(MP4/M4A, 3GP, AAC, WAV, Ogg Opus/Vorbis, MP3), at most MAX_AUDIO_BYTES. The same file "
    "again answers 200 with the recording it already is; a session not known yet is created "
    "provisionally, starting when the recording started.",
    form=AppAudioForm,
    form_media_types=AUDIO_TYPES,
    responses={200: AppAudioOut, 201: AppAudioOut},
    errors=(*BODY_ERRORS, 404),
)
@limiter.limit(configured("AUDIO_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def upload_audio(session_id: str):
    if not SESSION_ID.fullmatch(session_id):  # as /api: a path that names no possible session
        raise NotFound(f"Session {session_id!r} not found", {"session_id": session_id})
    _multipart(current_app.config["MAX_AUDIO_BYTES"])
    file = _file("file")
    fields = parse_model(AudioFieldsIn, request.form.to_dict())
    if fields.sessionId is not None and fields.sessionId != session_id:
        raise ValidationFailed("sessionId in the form differs from the session in the path")
    meta = audio.ClientAudioMeta(
        fields.timestamp, fields.duration, fields.format, fields.sampleRate, fields.channels
    )
    stored = audio.receive(user_id(), file.stream)
    recording, created = audio.add_recording(
        user_id(), session_id, stored, file.filename or "", meta
    )
    return ok(audio.app_recording_json(recording, session_id), 201 if created else 200)


@bp.post("/upload")
@app_operation(
    "Upload a file (src/api/upload.ts uploadFile, uploadSensorData, uploadAudio)",
    description="Multipart: file, metadata (JSON {sessionId, dataType}). A sensor file (the "
    "app's records as a JSON array or NDJSON, or the NDJSON/CSV of /api/uploads) is imported "
    "in the background (`url` follows the import); an audio file becomes a recording as with "
    "the audio call (`url` downloads it).",
    form=AppUploadForm,
    form_media_types={"file": (*SENSOR_FILE_TYPES, "audio/mp4")},
    responses={201: AppUploadOut},
)
@limiter.limit(configured("UPLOAD_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def upload_file():
    _multipart(chunks.max_assembled_bytes())
    file = _file("file")
    meta = parse_metadata(request.form.get("metadata"))
    return ok(handling.upload_file(user_id(), meta, file.stream, file.filename or ""), 201)


@bp.post("/upload/chunk")
@app_operation(
    "Send one part of a resumable upload (uploadFileChunked)",
    description="Multipart: chunk, uploadId (chosen by the app), chunkNumber (from 0), "
    "totalChunks, and metadata with chunk 0. A part sent again replaces the earlier one. At "
    "most CHUNKED_UPLOAD_MAX_CHUNKS parts, CHUNKED_UPLOAD_MAX_PENDING unfinished uploads per "
    "user (429); an upload expires CHUNKED_UPLOAD_EXPIRY_HOURS after its last part.",
    form=AppChunkForm,
    responses={200: AppChunkOut},
    errors=(*BODY_ERRORS, 409),
)
@limiter.limit(configured("CHUNK_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def upload_chunk():
    _multipart(current_app.config["MAX_CONTENT_LENGTH"])
    part = _file("chunk")
    fields = parse_model(ChunkFieldsIn, request.form.to_dict())
    meta = parse_metadata(fields.metadata) if fields.metadata is not None else None
    chunk = chunks.ChunkIn(fields.uploadId, fields.chunkNumber, fields.totalChunks, meta)
    return ok(chunks.receive_chunk(user_id(), chunk, part.stream))


@bp.post("/upload/complete")
@app_operation(
    "Finish a resumable upload: join its parts and handle the file as /upload does",
    description="409 naming the missing parts when some have not arrived, or when chunk 0 "
    "brought no metadata; 400 when the joined file is not what its metadata says (as for "
    "/upload). Completing again answers the same as the first time (until the upload "
    "expires).",
    body=AppCompleteIn,
    body_example={"uploadId": "upload-1763000000000-k3j9x0abc"},
    responses={200: AppUploadOut},
    errors=(*BODY_ERRORS, 404, 409),
)
@limiter.limit(configured("UPLOAD_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def complete_upload():
    upload_key = parse_model(AppCompleteIn, read_json_body()).uploadId
    return ok(handling.complete_upload(user_id(), upload_key))
