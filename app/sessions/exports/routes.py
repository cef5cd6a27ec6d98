"""GET /api/sessions/<session_id>/export: a session as a streamed CSV, NDJSON or Parquet file."""

from __future__ import annotations

from flask import Blueprint, Response, request, stream_with_context
from flask_jwt_extended import jwt_required

from app.extensions import limiter
from app.sessions.exports.schemas import ExportQuery
from app.sessions.exports.service import prepare_export
from app.validation import parse_model
from app.web.identity import current_user_id
from app.web.openapi import operation
from app.web.protection import configured, user_or_ip
from app.web.schemas import ErrorOut

bp = Blueprint("exports", __name__, url_prefix="/api/sessions")

_FILE = {"type": "string", "format": "binary"}


@bp.get("/<session_id>/export")
@operation(
    "Download a session as CSV, NDJSON or Parquet (streamed)",
    tags=["sessions"],
    description="Content-Type is text/csv (one column per data field), application/x-ndjson "
    "(one sample per line) or application/vnd.apache.parquet, by `format`. CSV and Parquet take "
    "at most MAX_SESSION_SENSOR_KEYS (default 256) data fields as columns. When a session holds "
    "more (data stored before that cap, or several sensor types), the fields registered first "
    "are kept (of data stored before the cap, the most used) and the `X-Omitted-Fields` header "
    "says how many were left out. NDJSON keeps every sample's data whole.",
    query=ExportQuery,
    responses={200: _FILE, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    content_types={200: ("text/csv", "application/x-ndjson", "application/vnd.apache.parquet")},
)
@limiter.limit(configured("EXPORT_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def export_session(session_id: str):
    query = parse_model(ExportQuery, request.args.to_dict())
    export = prepare_export(current_user_id(), session_id, query.format, query.sensor_type)
    body = (chunk for chunk, _ in export.chunks if chunk)
    response = Response(stream_with_context(body), mimetype=export.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    if export.omitted_fields:
        response.headers["X-Omitted-Fields"] = str(export.omitted_fields)
    return response
