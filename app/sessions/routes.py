"""/api/sessions: browse, inspect, edit and delete the caller's recording sessions."""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter

from flask import Blueprint, Response, jsonify, request
from flask_jwt_extended import jwt_required

from app.analyses import charts
from app.errors import NotFound
from app.extensions import limiter
from app.recordings.cursors import decode_sample_cursor
from app.recordings.ownership import owned_session
from app.recordings.samples.reading import SampleRange, page_of_samples
from app.recordings.schemas import sample_fragments
from app.sessions import coverage, service
from app.sessions.schemas import (
    CoverageOut,
    DataPageOut,
    DeletedOut,
    SeriesOut,
    SeriesQuery,
    SessionDataQuery,
    SessionDetailOut,
    SessionListOut,
    SessionListQuery,
    SessionMetaOut,
    SessionPatch,
    TrackOut,
    TrackQuery,
)
from app.validation import parse_model
from app.web.identity import current_user_id
from app.web.json_codec import dumps_bytes
from app.web.openapi import operation
from app.web.protection import configured, user_or_ip
from app.web.request_body import read_json_body
from app.web.schemas import ErrorOut

bp = Blueprint("sessions", __name__, url_prefix="/api/sessions")
NOT_FOUND = {404: ErrorOut}
# Chart series and the GPS track reduce a sensor's samples in the database: one budget for both.
chart_limit = limiter.shared_limit(configured("SERIES_RATE_LIMIT"), "series", key_func=user_or_ip)


def _query(model):
    return parse_model(model, request.args.to_dict())


@bp.get("")
@operation(
    "List the caller's sessions",
    tags=["sessions"],
    description="Filters: start_time in [start, end); sessions holding samples of sensor_type; "
    "active; q = case-insensitive text in the notes. Sorted by start_time (order).",
    query=SessionListQuery,
    responses={200: SessionListOut, 400: ErrorOut},
)
@jwt_required()
def list_sessions():
    return jsonify(service.list_sessions(current_user_id(), _query(SessionListQuery)))


@bp.get("/<session_id>")
@operation(
    "A session with a per-sensor summary (count, first and last timestamp) and its storage",
    tags=["sessions"],
    responses={200: SessionDetailOut, **NOT_FOUND},
)
@jwt_required()
def show_session(session_id: str):
    return jsonify(service.session_detail(current_user_id(), session_id))


@bp.patch("/<session_id>")
@operation(
    "Edit notes, end_time or is_active (last write wins, pulled by other devices)",
    tags=["sessions"],
    description="end_time must not be before the session's start_time (400 otherwise).",
    body=SessionPatch,
    body_example={"notes": "Evening run", "end_time": "2025-11-13T01:00:00Z"},
    responses={200: SessionMetaOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, **NOT_FOUND},
)
@jwt_required()
def edit_session(session_id: str):
    patch = parse_model(SessionPatch, read_json_body())
    return jsonify(service.update_session(current_user_id(), session_id, patch))


@bp.delete("/<session_id>")
@operation(
    "Delete a session and its samples; other devices learn of it on their next pull",
    tags=["sessions"],
    description="Pushing the same session_id again later creates a new session.",
    responses={200: DeletedOut, **NOT_FOUND},
)
@jwt_required()
def delete_session(session_id: str):
    deleted_at = service.delete_session(current_user_id(), session_id)
    body = {"message": "Session deleted", "session_id": session_id, "deleted_at": deleted_at}
    return jsonify(body)


@bp.get("/<session_id>/coverage")
@operation(
    "Per-sensor coverage: counts, first/last timestamp and gaps",
    tags=["sessions"],
    description="A gap is two consecutive samples more than twice the nominal interval apart: "
    "the declared one (1000 / sample_rate), or the sensor's most common interval when longer.",
    responses={200: CoverageOut, **NOT_FOUND},
)
@jwt_required()
def session_coverage(session_id: str):
    return jsonify(coverage.session_coverage(current_user_id(), session_id))


@bp.get("/<session_id>/data")
@operation(
    "A page of samples in (sensor_type, timestamp) order, with a keyset cursor",
    tags=["sessions"],
    description="start/end bound the sample timestamp (ms since epoch) as [start, end).",
    query=SessionDataQuery,
    responses={200: DataPageOut, 400: ErrorOut, 429: ErrorOut, **NOT_FOUND},
)
@limiter.limit(configured("DATA_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def session_data(session_id: str):
    query = _query(SessionDataQuery)
    session = owned_session(current_user_id(), session_id)
    after = decode_sample_cursor(query.cursor) if query.cursor else None
    wanted = SampleRange(query.sensor_type, query.start, query.end, after)
    rows, next_cursor = page_of_samples(session.id, wanted, query.limit)
    samples = ",".join(
        fragment
        for name, group in groupby(rows, key=itemgetter(0))
        for fragment in sample_fragments(name, (row[1:] for row in group))
    )
    head = dumps_bytes({"session_id": session.session_id, "next_cursor": next_cursor})
    body = head[:-1] + b',"samples":[' + samples.encode() + b"]}"
    return Response(body, mimetype="application/json")


@bp.get("/<session_id>/series")
@operation(
    "One sensor's samples reduced for a chart (min/max per time bucket)",
    tags=["sessions"],
    description="At most `points` points per field: the window is cut into points/2 equal time "
    "buckets and each gives its minimum and its maximum, so spikes stay visible. Series no "
    "longer than `points` come back unchanged.",
    query=SeriesQuery,
    responses={200: SeriesOut, 400: ErrorOut, 429: ErrorOut, **NOT_FOUND},
)
@chart_limit
@jwt_required()
def session_series(session_id: str):
    query = _query(SeriesQuery)
    session = owned_session(current_user_id(), session_id)
    body = charts.sensor_series(session, query.sensor_type, query.points, query.start, query.end)
    if body is None:
        raise NotFound(f"Session {session_id!r} has no {query.sensor_type!r} samples")
    return jsonify({"session_id": session.session_id, "sensor_type": query.sensor_type} | body)


@bp.get("/<session_id>/track")
@operation(
    "The session's GPS track, thinned for drawing, with its full length",
    tags=["sessions"],
    description="Distance is summed over every valid fix; at most `points` fixes are returned.",
    query=TrackQuery,
    responses={200: TrackOut, 400: ErrorOut, 429: ErrorOut, **NOT_FOUND},
)
@chart_limit
@jwt_required()
def session_track(session_id: str):
    query = _query(TrackQuery)
    session = owned_session(current_user_id(), session_id)
    return jsonify({"session_id": session.session_id} | charts.gps_track(session.id, query.points))
