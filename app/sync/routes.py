"""/api/sync: push, pull, status."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request, stream_with_context
from flask_jwt_extended import get_jwt_identity, jwt_required

from app.api.json_body import read_json_body
from app.api.validation import parse_model
from app.extensions import limiter
from app.observability.metrics import record_pull, record_push
from app.protection import configured, user_or_ip
from app.sync import status as sync_status
from app.sync.pull import plan_pull, stream_pull
from app.sync.push import PushLimits, push
from app.sync.schemas import PullRequest, PushRequest

bp = Blueprint("sync", __name__, url_prefix="/api/sync")


def _user_id() -> int:
    return int(get_jwt_identity())


@bp.post("/push")
@limiter.limit(configured("PUSH_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def push_route():
    payload = read_json_body()
    limits = PushLimits(
        max_samples=current_app.config["MAX_SAMPLES_PER_PUSH"],
        max_error_details=current_app.config["MAX_ERROR_DETAILS"],
    )
    body = push(
        _user_id(),
        parse_model(PushRequest, payload),
        limits,
        check_numbers=g.get("json_lenient", False),
        body_bytes=request.content_length or 0,
    )
    record_push(body)
    return jsonify(body)


@bp.post("/pull")
@limiter.limit(configured("PULL_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def pull_route():
    pull = parse_model(PullRequest, read_json_body(required=False))
    page = plan_pull(_user_id(), pull)
    record_pull()
    return Response(stream_with_context(stream_pull(page, pull)), mimetype="application/json")


@bp.get("/status")
@jwt_required()
def status_route():
    return jsonify(sync_status.summary(_user_id()))
