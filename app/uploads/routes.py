"""/api/uploads: send a long recording as one file; follow its import."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask_jwt_extended import get_jwt_identity, jwt_required
from pydantic import BaseModel, ConfigDict

from app.api.openapi import operation
from app.api.schemas import ErrorOut
from app.errors import UnsupportedMediaType
from app.extensions import limiter
from app.protection import configured, user_or_ip
from app.uploads import service
from app.uploads.states import upload_json

bp = Blueprint("uploads", __name__, url_prefix="/api/uploads")


class UploadAcceptedOut(BaseModel):
    upload_id: int
    task_id: str | None
    state: str
    status_url: str


class UploadOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    task_id: str | None
    state: str


FORM_OVERHEAD_BYTES = 1024 * 1024  # multipart framing and the session field


def _user_id() -> int:
    return int(get_jwt_identity())


@bp.post("")
@operation(
    "Import a long recording from a file (NDJSON or CSV, optionally gzip) in the background",
    tags=["uploads"],
    form={
        "type": "object",
        "required": ["file", "session"],
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "session": {"type": "string", "description": "The push's `session` object as JSON"},
            "format": {"type": "string", "enum": ["ndjson", "csv"]},
        },
    },
    description="Per user, at most UPLOAD_MAX_PENDING imports may wait or run at once (429) "
    "and the files kept (waiting, or after a failed import) may hold at most "
    "UPLOAD_QUOTA_BYTES (413). A file is deleted once its import succeeded.",
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
    service.check_quota(_user_id())
    upload = service.accept_upload(
        _user_id(),
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
    return jsonify(upload_json(service.owned_upload(_user_id(), upload_id)))
