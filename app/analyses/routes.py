"""/api/sessions/<session_id>/analysis, /api/tasks/<task_id>, /api/stats."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_jwt_extended import get_jwt_identity, jwt_required
from pydantic import BaseModel, ConfigDict, Field

from app.analyses import service, statistics, task_status
from app.api.json_body import read_json_body
from app.api.validation import parse_model

bp = Blueprint("analyses", __name__, url_prefix="/api")


class AnalysisRequest(BaseModel):
    """Optional body of POST …/analysis."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    sensitivity: float = Field(default=3.0, gt=0, le=100, strict=False)


def _user_id() -> int:
    return int(get_jwt_identity())


@bp.post("/sessions/<session_id>/analysis")
@jwt_required()
def start_analysis(session_id: str) -> tuple[Response, int]:
    body = parse_model(AnalysisRequest, read_json_body(required=False))
    return jsonify(service.request_analysis(_user_id(), session_id, body.sensitivity)), 202


@bp.get("/sessions/<session_id>/analysis")
@jwt_required()
def session_analysis(session_id: str) -> Response:
    return jsonify(service.latest_results(_user_id(), session_id))


@bp.get("/tasks/<task_id>")
@jwt_required()
def task(task_id: str) -> Response:
    return jsonify(task_status.task_status(_user_id(), task_id))


@bp.get("/stats")
@jwt_required()
def stats() -> Response:
    start, end = statistics.parse_period(
        request.args.get("start_date"), request.args.get("end_date")
    )
    return jsonify(statistics.user_statistics(_user_id(), start, end))
