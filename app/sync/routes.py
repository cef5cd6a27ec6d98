"""/api/sync: push, pull, status."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request, stream_with_context
from flask_jwt_extended import jwt_required

from app.extensions import limiter
from app.observability.metrics import record_pull, record_push
from app.sync import status as sync_status
from app.sync.pull import plan_pull, stream_pull
from app.sync.push import PushLimits, push
from app.sync.schemas import PullOut, PullRequest, PushOut, PushRequest, StatusOut
from app.validation import parse_model
from app.web.identity import current_user_id
from app.web.openapi import operation
from app.web.protection import configured, user_or_ip
from app.web.request_body import read_json_body
from app.web.schemas import ErrorOut

PUSH_EXAMPLE = {
    "session": {
        "session_id": "6f1c2a9e-0b7d-4f5e-9a51-1d2c3b4a5f60",
        "start_time": "2025-11-13T00:00:00Z",
        "end_time": "2025-11-13T01:00:00Z",
        "enabled_sensors": ["accelerometer", "gps"],
        "sample_rate": 100,
        "notes": "Morning workout",
        "is_active": False,
    },
    "sensor_data": [
        {
            "sensor_type": "accelerometer",
            "timestamp": 1699876543210,
            "data": {"x": 0.1, "y": 0.2, "z": 9.8},
        }
    ],
}

bp = Blueprint("sync", __name__, url_prefix="/api/sync")


@bp.post("/push")
@operation(
    "Push a session and a batch of samples",
    tags=["sync"],
    description="Samples are de-duplicated by (session, sensor_type, timestamp); changed data "
    "replaces stored data (last write wins); invalid samples are skipped and reported. "
    "The body may be gzip- or deflate-compressed (Content-Encoding). Session fields left out "
    "keep their stored values; the first push of a session must carry start_time, and "
    "end_time must not be before start_time, sent or stored (400 otherwise).",
    body=PushRequest,
    body_example=PUSH_EXAMPLE,
    responses={
        200: PushOut,
        400: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        429: ErrorOut,
        503: ErrorOut,
    },
)
@limiter.limit(configured("PUSH_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def push_route():
    payload = read_json_body()
    body = push(
        current_user_id(),
        parse_model(PushRequest, payload),
        PushLimits.from_config(current_app.config),
        check_numbers=g.get("json_lenient", False),
        body_bytes=request.content_length or 0,
    )
    record_push(body)
    return jsonify(body)


@bp.post("/pull")
@operation(
    "Pull sessions changed since the last sync (streamed)",
    tags=["sync"],
    body=PullRequest,
    body_required=False,
    body_example={
        "last_sync_time": "2025-11-13T00:00:00Z",
        "page": 1,
        "page_size": 50,
        "include_data": True,
    },
    responses={
        200: PullOut,
        400: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        429: ErrorOut,
        503: ErrorOut,
    },
)
@limiter.limit(configured("PULL_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def pull_route():
    pull = parse_model(PullRequest, read_json_body(required=False))
    page = plan_pull(current_user_id(), pull)
    record_pull()
    return Response(stream_with_context(stream_pull(page, pull)), mimetype="application/json")


@bp.get("/status")
@operation("Sync overview of the signed-in user", tags=["sync"], responses={200: StatusOut})
@jwt_required()
def status_route():
    return jsonify(sync_status.summary(current_user_id()))
