"""What a file uploaded by the app becomes: an import of samples, or an audio recording.

Both the single upload and the completion of a resumable one end here and answer the app's
`UploadResponse {fileId, fileName, fileSize, mimeType, url, uploadedAt}`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app

from app.app_protocol.file_uploads import chunks, completion, sensor_files
from app.app_protocol.file_uploads.metadata import UploadMetadata
from app.audio import service as audio
from app.audio import storage
from app.errors import Conflict
from app.uploads import service as uploads

SENSOR_MEDIA_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv"}


def _ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def _audio_response(user_id: int, meta: UploadMetadata, stored, filename: str) -> dict:
    client = audio.ClientAudioMeta(meta.timestamp, meta.duration, meta.format)
    recording, _ = audio.add_recording(user_id, meta.sessionId, stored, filename, client)
    described = audio.app_recording_json(recording, meta.sessionId)
    return {"fileId": f"audio-{recording.id}"} | {
        key: described[key] for key in ("fileName", "fileSize", "mimeType", "url", "uploadedAt")
    }


def _sensor_response(user_id: int, meta: UploadMetadata, path: Path, filename: str) -> dict:
    upload = sensor_files.accept(user_id, path, filename, meta.sessionId)
    return {
        "fileId": f"import-{upload.id}",
        "fileName": upload.filename,
        "fileSize": upload.size_bytes,
        "mimeType": SENSOR_MEDIA_TYPES.get(upload.file_format, "application/octet-stream")
        if not upload.compressed
        else "application/gzip",
        "url": f"/api/uploads/{upload.id}",
        "uploadedAt": _ms(upload.created_at),
    }


def _sensor_folder(user_id: int) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / str(user_id)


def upload_file(
    user_id: int, meta: UploadMetadata, source: BinaryIO, filename: str
) -> dict[str, Any]:
    """One file in one request."""
    if meta.dataType == "audio":
        return _audio_response(user_id, meta, audio.receive(user_id, source), filename)
    uploads.check_quota(user_id)
    path = storage.new_path(_sensor_folder(user_id), ".upload")
    storage.save_stream(source, path, current_app.config["MAX_UPLOAD_BYTES"])
    return _sensor_response(user_id, meta, path, filename)


def complete_upload(user_id: int, upload_key: str) -> dict[str, Any]:
    """Join a resumable upload's parts and handle the file; a retry gets the same answer."""
    upload = completion.owned_upload(user_id, upload_key)
    if upload.state == chunks.COMPLETED:
        return upload.result
    missing = completion.missing_parts(upload)
    if missing:
        raise Conflict(
            f"{len(missing)} of {upload.total_chunks} parts have not arrived; send them first",
            {"missing_chunks": missing[:100], "total_chunks": upload.total_chunks},
        )
    if not upload.meta:
        raise Conflict("The upload's metadata (sent with chunk 0) has not arrived")
    meta = UploadMetadata.model_validate(upload.meta)
    completion.claim(upload)
    try:
        result = _handle_joined(user_id, upload, meta)
    except BaseException:
        completion.release(upload)
        raise
    completion.finish(upload, result)
    return result


def _handle_joined(user_id: int, upload, meta: UploadMetadata) -> dict[str, Any]:
    name = upload.upload_key  # the parts are blobs without a file name
    if meta.dataType == "audio":
        target = storage.new_path(audio.audio_folder() / str(user_id))
        stored = completion.assemble(upload, target, current_app.config["MAX_AUDIO_BYTES"])
        return _audio_response(user_id, meta, stored, name)
    uploads.check_quota(user_id)
    target = storage.new_path(_sensor_folder(user_id), ".upload")
    completion.assemble(upload, target, current_app.config["MAX_UPLOAD_BYTES"])
    return _sensor_response(user_id, meta, target, name)
