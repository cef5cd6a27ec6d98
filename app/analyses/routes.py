"""/api/sessions/<session_id>/analysis, /api/tasks/<task_id>, /api/stats."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_jwt_extended import jwt_required

from app.analyses import service, statistics, task_status
from app.analyses.schemas import (
    AnalysisRequest,
    AnalysisStartedOut,
    SessionAnalysesOut,
    StatsOut,
    StatsQuery,
    TaskOut,
)
from app.extensions import limiter
from app.validation import parse_model
from app.web.identity import current_user_id
from app.web.openapi import operation
from app.web.protection import configured, user_or_ip
from app.web.request_body import read_json_body
from app.web.schemas import ErrorOut

bp = Blueprint("analyses", __name__, url_prefix="/api")


@bp.post("/sessions/<session_id>/analysis")
@operation(
    "Analyse a session in the background (statistics, metrics, anomalies)",
    tags=["analysis"],
    description="When the session's data and the parameters are unchanged since an earlier "
    "run that finished (200) or is still queued or running (202), that run is returned "
    "(`reused`) instead of starting another. Runs that failed are not reused.",
    body=AnalysisRequest,
    body_required=False,
    responses={
        200: AnalysisStartedOut,
        202: AnalysisStartedOut,
        400: ErrorOut,
        404: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        429: ErrorOut,
        503: ErrorOut,
    },
)
@limiter.shared_limit(configured("ANALYSIS_RATE_LIMIT"), "analysis", key_func=user_or_ip)
@jwt_required()
def start_analysis(session_id: str) -> tuple[Response, int]:
    body = parse_model(AnalysisRequest, read_json_body(required=False))
    run = service.request_analysis(current_user_id(), session_id, body.sensitivity)
    return jsonify(run), 200 if run["state"] == "SUCCESS" else 202


@bp.get("/sessions/<session_id>/analysis")
@operation(
    "The latest analysis results of a session, per kind",
    tags=["analysis"],
    responses={200: SessionAnalysesOut, 404: ErrorOut},
)
@jwt_required()
def session_analysis(session_id: str) -> Response:
    return jsonify(service.latest_results(current_user_id(), session_id))


@bp.get("/tasks/<task_id>")
@operation(
    "State and result of one of the caller's tasks",
    tags=["analysis"],
    responses={200: TaskOut, 404: ErrorOut},
)
@jwt_required()
def task(task_id: str) -> Response:
    return jsonify(task_status.task_status(current_user_id(), task_id))


@bp.get("/stats")
@operation(
    "The caller's statistics for a date range",
    tags=["analysis"],
    description="Sessions started in [start, end). start_date must not be after end_date "
    "(400); the same date twice is that one day, the same date-time twice an empty period.",
    query=StatsQuery,
    responses={200: StatsOut, 400: ErrorOut},
)
@jwt_required()
def stats() -> Response:
    start, end = statistics.parse_period(
        request.args.get("start_date"), request.args.get("end_date")
    )
    return jsonify(statistics.user_statistics(current_user_id(), start, end))
