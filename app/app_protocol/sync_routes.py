"""/api/app/sync: the calls of `src/api/sync.ts` that SyncService makes."""

from __future__ import annotations

from flask import g
from flask_jwt_extended import jwt_required

from app.app_protocol import sync
from app.app_protocol.blueprint import app_operation, bp, user_id
from app.app_protocol.envelope import ok
from app.app_protocol.out_models import AppPullOut, AppPushOut, AppStatsOut
from app.app_protocol.schemas import PullIn, PushIn
from app.extensions import limiter
from app.observability.metrics import record_pull
from app.validation import parse_model
from app.web.protection import configured, user_or_ip
from app.web.request_body import read_json_body


@bp.post("/sync/push")
@app_operation(
    "Push SyncItems: sessions, metadata and sensor records, item by item",
    description="`session` items carry the session as POST /sessions does (sessionId, or the "
    "item's localId); `metadata` items update notes/metadata of an existing session; "
    "`sensor_data` items carry `data.records` (the app's flat records) and `data.sessionId`. "
    "Any other item fails with a reason, not the request. Replaying a batch changes nothing.",
    body=PushIn,
    body_example={
        "items": [
            {
                "id": "q-1",
                "type": "session",
                "localId": "6f1c2a9e-0b7d-4f5e-9a51-1d2c3b4a5f60",
                "status": "pending",
                "priority": 1,
                "createdAt": 1699876543210,
                "updatedAt": 1699876543210,
                "data": {"startTime": 1699876543210, "endTime": None, "isActive": True},
            }
        ]
    },
    responses={200: AppPushOut},
)
@limiter.limit(configured("PUSH_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def push():
    request = parse_model(PushIn, read_json_body())
    return ok(sync.push_items(user_id(), request, check_numbers=g.get("json_lenient", False)))


@bp.post("/sync/pull")
@app_operation(
    "Sessions changed since lastSyncTimestamp (ms; 0 = everything)",
    description="Deleted sessions are items with `data.deleted: true`. Pull again from "
    "`nextTimestamp` while `hasMore`; a change committed while a pull runs is in the next one.",
    body=PullIn,
    body_required=False,
    body_example={"lastSyncTimestamp": 0, "types": ["session", "metadata"]},
    responses={200: AppPullOut},
)
@limiter.limit(configured("PULL_RATE_LIMIT"), key_func=user_or_ip)
@jwt_required()
def pull():
    request = parse_model(PullIn, read_json_body(required=False))
    body = sync.pull(user_id(), request)
    record_pull()
    return ok(body)


@bp.get("/sync/stats")
@app_operation("Sync statistics from the sync log", responses={200: AppStatsOut}, errors=(429, 503))
@jwt_required()
def stats():
    return ok(sync.stats(user_id()))
