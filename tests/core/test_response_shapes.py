"""Every response carries exactly the fields its pydantic model documents.

Sessions, users, sync logs, analyses and uploads are serialised through their models; samples
are written as JSON text by `sample_fragments` (pull, data pages, NDJSON export) for speed, so
these tests hold that text to `SampleOut`.
"""

from __future__ import annotations

import orjson
from pydantic import BaseModel

from app.recordings.schemas import SampleOut, SessionMetaOut
from app.sessions.schemas import DataPageOut, SessionDetailOut, SessionListOut, StorageOut
from app.sync.schemas import PullOut, StatusOut
from tests.payloads import push_body, samples
from tests.sync.helpers import pull, push

PUSHED = (
    samples(20)
    + samples(3, "gps", step=1000)
    + [{"sensor_type": "light", "timestamp": 1_699_876_543_210, "data": {"lux": 3, "tag": "a,b"}}]
)


def _exactly(model: type[BaseModel], value: dict) -> None:
    """`value` validates against `model` and has no field the model does not document."""
    model.model_validate(value)
    assert set(value) == set(model.model_fields), model.__name__


def _every(model: type[BaseModel], values: list[dict]) -> None:
    assert values
    for value in values:
        _exactly(model, value)


def _stored(client, headers) -> None:
    push(client, headers, push_body("shape", PUSHED, notes="n", sample_rate=100))


def test_pull_sessions_and_samples_are_shaped_as_documented(client, auth_headers):
    _stored(client, auth_headers)
    body = pull(client, auth_headers, include_data=True)
    _exactly(PullOut, body)
    (session,) = body["sessions"]
    _exactly(SessionMetaOut, {k: v for k, v in session.items() if k != "sensor_data"})
    _every(SampleOut, session["sensor_data"])
    assert len(session["sensor_data"]) == len(PUSHED)
    without = pull(client, auth_headers, include_data=False)["sessions"][0]
    _exactly(SessionMetaOut, without)


def test_data_pages_and_ndjson_lines_are_samples_as_documented(client, auth_headers):
    _stored(client, auth_headers)
    page = client.get("/api/sessions/shape/data?limit=7", headers=auth_headers).json
    _exactly(DataPageOut, page)
    _every(SampleOut, page["samples"])
    export = client.get("/api/sessions/shape/export?format=ndjson", headers=auth_headers)
    lines = export.get_data().splitlines()
    assert len(lines) == len(PUSHED)
    _every(SampleOut, [orjson.loads(line) for line in lines])


def test_session_list_detail_and_status_are_shaped_as_documented(client, auth_headers):
    _stored(client, auth_headers)
    listing = client.get("/api/sessions", headers=auth_headers).json
    _exactly(SessionListOut, listing)
    _every(SessionMetaOut, listing["sessions"])
    detail = client.get("/api/sessions/shape", headers=auth_headers).json
    _exactly(SessionDetailOut, detail)
    _exactly(StorageOut, detail["storage"])
    status = client.get("/api/sync/status", headers=auth_headers).json
    _exactly(StatusOut, status)
