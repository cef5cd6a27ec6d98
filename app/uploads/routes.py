"""/api/uploads: send a long recording as one file; follow its import."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask_jwt_extended import jwt_required

from app.errors import UnsupportedMediaType
from app.extensions import limiter
from app.uploads import service
from app.uploads.schemas import UploadAcceptedOut, UploadForm, UploadOut
from app.uploads.states import upload_json
from app.web.identity import current_user_id
from app.web.openapi import operation
from app.web.protection import configured, user_or_ip
from app.web.schemas import ErrorOut

bp = Blueprint("uploads", __name__, url_prefix="/api/uploads")


FILE_MEDIA_TYPES = ("application/x-ndjson", "text/csv", "application/gzip")
FORM_OVERHEAD_BYTES = 1024 * 1024  # multipart framing and the session field


@bp.post("")
@operation(
    "Import a long recording from a file (NDJSON or CSV, optionally gzip) in the background",
    tags=["uploads"],
    description="The session part is validated like a push's session: start_time is required "
    "when the session is new, end_time must not be before start_time. The file must be NDJSON "
    "(one sample per line) or CSV with a header naming sensor_type and timestamp; `format`, "
    "when given, says which (400 when the file does not fit it). Per user, at most "
    "UPLOAD_MAX_PENDING imports may wait or run at once (429) and the files kept (waiting, or "
    "after a failed import) may hold at most UPLOAD_QUOTA_BYTES (413). A file is deleted once "
    "its import succeeded.",
    form=UploadForm,
    form_media_types={"file": FILE_MEDIA_TYPES},
    responses={
        202: UploadAcceptedOut,
        400: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        429: ErrorOut,
    },
)
@limiter.limit(configured("UPLOAD_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def create_upload() -> tuple[Response, int]:
    # Uploads may be far larger than other requests (MAX_CONTENT_LENGTH); set before parsing.
    request.max_content_length = current_app.config["MAX_UPLOAD_BYTES"] + FORM_OVERHEAD_BYTES
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(
            "Content-Type must be multipart/form-data", {"content_type": request.content_type}
        )
    service.check_quota(current_user_id())
    upload = service.accept_upload(
        current_user_id(),
        request.files.get("file"),
        request.form.get("session"),
        request.form.get("format"),
    )
    body = {
        "upload_id": upload.id,
        "task_id": upload.task_id,
        "state": upload.state,
        "status_url": f"/api/uploads/{upload.id}",
    }
    return jsonify(body), 202


@bp.get("/<int:upload_id>")
@operation(
    "State and counts of an upload's import",
    tags=["uploads"],
    responses={200: UploadOut, 404: ErrorOut},
)
@jwt_required()
def show_upload(upload_id: int) -> Response:
    return jsonify(upload_json(service.owned_upload(current_user_id(), upload_id)))
