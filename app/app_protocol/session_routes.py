"""/api/app/sessions: SyncManager's session and sensor-data uploads, and `src/api/sessions.ts`."""

from __future__ import annotations

from flask import g, request
from flask_jwt_extended import jwt_required

from app.app_protocol import samples, sessions
from app.app_protocol.blueprint import BODY_ERRORS, app_operation, bp, user_id
from app.app_protocol.envelope import AppErrorOut, ok, paginated
from app.app_protocol.out_models import (
    AppDeletedOut,
    AppSessionListOut,
    SensorDataOut,
    SessionDetailEnvelopeOut,
    SessionEnvelopeOut,
)
from app.app_protocol.schemas import (
    AppSessionListQuery,
    SensorDataIn,
    SessionPatchIn,
    SessionWriteIn,
)
from app.extensions import limiter
from app.observability.metrics import record_push
from app.validation import parse_model
from app.web.protection import configured, user_or_ip
from app.web.request_body import read_json_body

NOT_FOUND = {404: AppErrorOut}


@bp.post("/sessions")
@app_operation(
    "Upload a session (SyncManager, with its sessionId) or create one (sessions.ts)",
    description="With `sessionId`: created or updated under the push's last-write-wins rules "
    "(fields left out keep their values; a new session needs startTime). Without: the server "
    "chooses the id and the start time. endTime must not be before startTime (400).",
    body=SessionWriteIn,
    body_example={
        "sessionId": "6f1c2a9e-0b7d-4f5e-9a51-1d2c3b4a5f60",
        "startTime": 1699876543210,
        "endTime": None,
        "enabledSensors": ["accelerometer", "gps"],
        "sampleRate": 100,
        "notes": "Morning walk",
        "isActive": True,
    },
    responses={200: SessionEnvelopeOut, 201: SessionEnvelopeOut},
)
@limiter.limit(configured("PUSH_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def write_session():
    incoming = parse_model(SessionWriteIn, read_json_body())
    body, created = sessions.write_session(
        user_id(), incoming.sessionId, incoming, must_exist=False
    )
    return ok(body, 201 if created else 200)


@bp.get("/sessions")
@app_operation(
    "The caller's sessions, one page (PaginatedResponse)",
    query=AppSessionListQuery,
    responses={200: AppSessionListOut},
    errors=(400, 429, 503),
)
@jwt_required()
def list_sessions():
    query = parse_model(AppSessionListQuery, request.args.to_dict())
    items, total = sessions.list_sessions(user_id(), query)
    return paginated(items, total, query.page, query.limit)


@bp.get("/sessions/<session_id>")
@app_operation(
    "One session, with its audio recordings",
    responses={200: SessionDetailEnvelopeOut, **NOT_FOUND},
    errors=(429, 503),
)
@jwt_required()
def get_session(session_id: str):
    return ok(sessions.get_session(user_id(), session_id))


@bp.patch("/sessions/<session_id>")
@app_operation(
    "Update endTime, metadata, notes or isActive (last write wins)",
    description="endTime must not be before the session's startTime (400).",
    body=SessionPatchIn,
    body_example={"endTime": 1699880143210, "metadata": {"activity": "walk"}},
    responses={200: SessionEnvelopeOut, **NOT_FOUND},
)
@jwt_required()
def update_session(session_id: str):
    incoming = parse_model(SessionPatchIn, read_json_body())
    body, _ = sessions.write_session(user_id(), session_id, incoming, must_exist=True)
    return ok(body)


@bp.delete("/sessions/<session_id>")
@app_operation(
    "Delete a session and its samples; other devices' pulls report it deleted",
    responses={200: AppDeletedOut, **NOT_FOUND},
    errors=(429, 503),
)
@jwt_required()
def delete_session(session_id: str):
    deleted_at = sessions.delete_session(user_id(), session_id)
    return ok({"id": session_id, "deleted": True, "deletedAt": deleted_at})


@bp.post("/sessions/<session_id>/sensor-data")
@app_operation(
    "Upload a batch of the app's sensor records (SyncManager)",
    description="Stored as /api/sync/push stores samples: de-duplicated by (session, "
    "sensorType, timestamp), changed data replaces stored data, invalid records are skipped "
    "and reported in `errorDetails`. A session not uploaded yet is created provisionally, "
    "starting at the first sample. The body may be gzip- or deflate-compressed.",
    body=SensorDataIn,
    body_example={
        "data": [
            {
                "timestamp": 1699876543210,
                "sensorType": "accelerometer",
                "x": 0.1,
                "y": 0.2,
                "z": 9.8,
                "latitude": None,
                "longitude": None,
                "altitude": None,
                "accuracy": None,
                "speed": None,
                "heading": None,
            }
        ]
    },
    responses={200: SensorDataOut},
    errors=(*BODY_ERRORS, 404),
)
@limiter.limit(configured("PUSH_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def upload_sensor_data(session_id: str):
    incoming = parse_model(SensorDataIn, read_json_body())
    result = samples.store_records(
        user_id(),
        session_id,
        incoming.data,
        check_numbers=g.get("json_lenient", False),
        body_bytes=request.content_length or 0,
    )
    record_push(result)  # the same counters as /api/sync/push (the keys are the same)
    return ok(result)
