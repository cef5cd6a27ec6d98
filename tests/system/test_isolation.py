"""Two users, each trying every endpoint on the other's sessions, tasks, uploads and exports:
always 404, never data — and nothing of the victim's changes."""

from __future__ import annotations

import itertools
import re

import orjson

from tests.app_protocol.app_uploads import FilePart, encode_form
from tests.audio import files
from tests.system.api_client import Api, multipart
from tests.system.phones import START_TIME, T0
from tests.tasks.processes import wait_for

END_TIME = "2025-11-13T02:23:20Z"
# Bodies a mutating request might need to get past validation to the ownership check.
BODIES = {"patch": {"notes": "taken over", "end_time": END_TIME}, "post": {"sensitivity": 2.0}}
SECRET = "victim-only-7f3a"
AUDIO = files.wav(0.5)
# Requests where another user's id names the caller's own new thing, not the victim's: the
# app's records for a session it has not uploaded yet create that session provisionally (ids
# are per user). They are checked below for leaving the victim's data alone.
OWN_NAMESPACE = {
    ("POST", "/api/app/sessions/{session_id}/sensor-data"),
    ("POST", "/api/app/sessions/{session_id}/audio"),
}
APP_ERROR = {"success", "code", "message", "details"}


def _samples(count: int) -> list[dict]:
    return [
        {
            "sensor_type": "accelerometer",
            "timestamp": T0 + 10 * i,
            "data": {"x": 0.5, "y": 0.25, "z": 9.81, "tag": SECRET},
        }
        for i in range(count)
    ]


def _owned_things(user: Api, prefix: str) -> dict[str, list[str]]:
    """A closed session (analysed), an open one, an upload: their ids by path parameter."""
    for session_id, extra in ((f"{prefix}-closed", {"end_time": END_TIME}), (f"{prefix}-open", {})):
        body = {
            "session": {"session_id": session_id, "start_time": START_TIME, "notes": SECRET}
            | extra,
            "sensor_data": _samples(200),
        }
        assert user.post("/api/sync/push", body).status == 200
    task = user.post(f"/api/sessions/{prefix}-closed/analysis")
    assert task.status == 202, task.body
    task_id = task.json()["task_id"]
    content = b"\n".join(orjson.dumps(s) for s in _samples(50)) + b"\n"
    session = orjson.dumps({"session_id": f"{prefix}-upload", "start_time": START_TIME}).decode()
    body, content_type = multipart({"session": session}, {"file": ("r.ndjson", content)})
    upload = user.request("POST", "/api/uploads", raw=body, headers={"Content-Type": content_type})
    assert upload.status == 202, upload.body
    upload_id = str(upload.json()["upload_id"])
    wait_for(
        lambda: user.get(f"/api/tasks/{task_id}").json()["state"] == "SUCCESS",
        60,
        "the victim's analysis",
    )
    wait_for(
        lambda: user.get(f"/api/uploads/{upload_id}").json()["state"] == "success",
        60,
        "the victim's upload",
    )
    return {
        "session_id": [f"{prefix}-closed", f"{prefix}-open", f"{prefix}-upload"],
        "task_id": [task_id, upload.json()["task_id"]],
        "upload_id": [upload_id],
        "audio_id": [_audio_recording(user, f"{prefix}-closed")],
    }


def _audio_recording(user: Api, session_id: str) -> str:
    """An audio recording of the session, uploaded as the app uploads one; its id."""
    body, content_type = encode_form(
        [("sessionId", session_id), ("file", FilePart(AUDIO, "secret.wav", "audio/m4a"))]
    )
    path = f"/api/app/sessions/{session_id}/audio"
    reply = user.request("POST", path, raw=body, headers={"Content-Type": content_type})
    assert reply.status == 201, reply.body[:300]
    return reply.json()["data"]["id"]


def _chunks_of_others_stay_theirs(alice: Api, bob: Api) -> None:
    """Bob naming Alice's resumable upload completes nothing of hers; his parts under the
    same name make an upload of his own; Alice's still completes with her bytes."""
    chunk = "/api/app/upload/chunk"
    meta = '{"sessionId": "a-closed", "dataType": "audio"}'
    for user, content in ((alice, AUDIO), (bob, b"bob's bytes")):
        parts = [("chunk", FilePart(content, "blob", "application/octet-stream"))]
        parts += [("uploadId", "shared-upload"), ("chunkNumber", "0"), ("totalChunks", "1")]
        body, content_type = encode_form([*parts, ("metadata", meta)])
        reply = user.request("POST", chunk, raw=body, headers={"Content-Type": content_type})
        assert reply.status == 200, reply.body[:300]
    refused = bob.post("/api/app/upload/complete", {"uploadId": "shared-upload"})
    assert refused.status == 400 and b"not audio" in refused.body  # his own bytes
    done = alice.post("/api/app/upload/complete", {"uploadId": "shared-upload"})
    assert done.status == 200, done.body[:300]
    assert alice.get(done.json()["data"]["url"]).body == AUDIO
    assert bob.get(done.json()["data"]["url"]).status == 404


def _attacks(api: Api, victim: dict[str, list[str]]):
    """Every (method, path) of the API with a parameter, filled with the victim's ids."""
    spec = api.get("/api/openapi.json").json()
    for path, operations in spec["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        if not names:
            continue
        assert set(names) <= set(victim), f"no victim ids for {path}: extend the test"
        for values in itertools.product(*(victim[name] for name in names)):
            filled = path
            for name, value in zip(names, values, strict=True):
                filled = filled.replace("{" + name + "}", value)
            for method, operation in operations.items():
                if (method.upper(), path) in OWN_NAMESPACE:
                    continue
                required = _required_query(operation)
                for query in ("", "format=csv", "format=ndjson", "format=parquet"):
                    if query and not filled.endswith("/export"):
                        continue
                    joined = "&".join(q for q in (required, query) if q)
                    url = f"{filled}?{joined}" if joined else filled
                    yield method.upper(), url, BODIES.get(method)


def _required_query(operation: dict) -> str:
    """Valid values for required query parameters, so validation lets the request through to
    the ownership check."""
    values = []
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("required"):
            schema = parameter.get("schema", {})
            value = "accelerometer" if "sensor" in parameter["name"] else "1"
            if schema.get("enum"):
                value = schema["enum"][0]
            values.append(f"{parameter['name']}={value}")
    return "&".join(values)


def test_two_users_never_see_or_touch_each_others_data(healthy_system):
    system = healthy_system
    alice = system.api().register("isoalice")
    bob = system.api().register("isobob")
    alices = _owned_things(alice, "a")
    bobs = _owned_things(bob, "b")
    before = alice.post("/api/sync/pull", {}).body

    tried = 0
    for attacker, victim in ((bob, alices), (alice, bobs)):
        for method, path, body in _attacks(attacker, victim):
            reply = attacker.request(method, path, body)
            tried += 1
            assert reply.status == 404, (method, path, reply.status, reply.body[:300])
            shape = APP_ERROR if path.startswith("/api/app/") else {"error", "details"}
            assert reply.is_json and set(reply.json()) <= shape, reply.body[:300]
            assert SECRET.encode() not in reply.body
    assert tried > 30

    # Listing, pulling, status and stats show only the caller's own things.
    for path in ("/api/sessions", "/api/sync/status", "/api/stats", "/api/app/sessions"):
        shown = bob.get(path)
        assert shown.status == 200 and b"a-closed" not in shown.body and b"a-open" not in shown.body
    pulled = bob.post("/api/sync/pull", {"session_ids": alices["session_id"]}).json()
    assert pulled["sessions"] == [] and pulled["total"] == 0
    # The same session id pushed by the other user is a different session.
    body = {
        "session": {"session_id": "a-closed", "start_time": START_TIME},
        "sensor_data": _samples(3)[:1],
    }
    mine = bob.post("/api/sync/push", body).json()
    assert (mine["inserted"], mine["session_data_count"]) == (1, 1)
    record = {"timestamp": T0 + 5, "sensorType": "accelerometer", "x": 1.0}
    path = "/api/app/sessions/a-open/sensor-data"
    assert bob.post(path, {"data": [record]}).json()["data"]["sessionDataCount"] == 1
    app_pull = bob.post("/api/app/sync/pull", {"lastSyncTimestamp": 0}).json()["data"]
    bobs_own = {item["id"]: item["data"] for item in app_pull["items"]}
    assert bobs_own["a-open"]["notes"] is None and bobs_own["a-open"]["dataCount"] == 1
    assert bobs_own["a-closed"]["notes"] is None
    _chunks_of_others_stay_theirs(alice, bob)
    # Alice's data did not change (and nothing of Bob's appeared in it).
    after = alice.post("/api/sync/pull", {}).json()
    assert _without_volatile(after) == _without_volatile(orjson.loads(before))
    assert alice.get("/api/sessions/a-closed").json()["notes"] == SECRET


def _without_volatile(page: dict) -> list:
    return sorted(
        (s["session_id"], s["notes"], s["data_count"], len(s["sensor_data"]), s["updated_at"])
        for s in page["sessions"]
    )
