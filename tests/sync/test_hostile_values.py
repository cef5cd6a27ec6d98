"""Values found by the system tests' hostile-input run that used to be a 500."""

from __future__ import annotations

import orjson
import pytest

from tests.conftest import IS_POSTGRES
from tests.payloads import BASE_TS, push_body
from tests.sync.helpers import push, stored_samples


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def _sample(sensor_type: str, data_json: str) -> str:
    return (
        '{"sensor_type": "'
        + sensor_type
        + '", "timestamp": '
        + str(BASE_TS)
        + (', "data": ' + data_json + "}")
    )


def _raw_push(client, headers, sample_json: str, session_id: str = "s"):
    """A push of `sample_json` (raw JSON text) and one valid sample."""
    raw = (
        '{"session": {"session_id": "' + session_id + '", "start_time": "2025-11-13T00:00:00Z"}'
        ', "sensor_data": [' + sample_json + ", " + _sample("gyroscope", '{"x": 1}') + "]}"
    )
    return client.post("/api/sync/push", data=raw, headers=headers, content_type="application/json")


@pytest.mark.parametrize("depth", [300, 1000])
def test_sample_data_nested_deeper_than_the_serialiser_takes_is_skipped(
    client, auth_headers, depth
):
    sample = _sample("accelerometer", '{"x": ' + _nested(depth) + "}")
    response = _raw_push(client, auth_headers, sample)

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.json
    assert (body["inserted"], body["errors"]) == (1, 1)
    assert body["error_details"] == [{"index": 0, "error": body["error_details"][0]["error"]}]
    assert "nested" in body["error_details"][0]["error"]
    assert list(stored_samples(client, auth_headers, "s")) == [("gyroscope", BASE_TS)]


def test_nesting_within_the_serialiser_limit_is_stored(client, auth_headers):
    sample = _sample("accelerometer", '{"x": ' + _nested(100) + "}")
    assert _raw_push(client, auth_headers, sample).json["inserted"] == 2
    stored = stored_samples(client, auth_headers, "s")
    assert stored[("accelerometer", BASE_TS)] == orjson.loads('{"x": ' + _nested(100) + "}")


@pytest.mark.parametrize(
    "data", [{"s": "a\u0000b"}, {"a\u0000": 1}, {"list": [[{"deep": "\u0000"}]]}]
)
def test_sample_data_holding_nul_is_skipped(client, auth_headers, data):
    sample = {"sensor_type": "accelerometer", "timestamp": BASE_TS, "data": data}
    ok = {"sensor_type": "gyroscope", "timestamp": BASE_TS, "data": {"text": "\\u0000 is fine"}}
    body = push(client, auth_headers, push_body("s", [sample, ok]))

    assert (body["inserted"], body["errors"]) == (1, 1)
    assert body["error_details"] == [{"index": 0, "error": "data: text must not contain U+0000"}]
    assert stored_samples(client, auth_headers, "s") == {("gyroscope", BASE_TS): ok["data"]}


def test_notes_holding_nul_are_400(client, auth_headers):
    push(client, auth_headers, push_body("s", notes="a\u0000b"), expected=400)
    push(client, auth_headers, push_body("s", notes="fine"))
    response = client.patch("/api/sessions/s", json={"notes": "x\u0000"}, headers=auth_headers)
    assert response.status_code == 400


@pytest.mark.skipif(not IS_POSTGRES, reason="only PostgreSQL refuses NUL in text")
def test_nul_in_a_field_without_its_own_check_is_400_not_500(client):
    response = client.post("/api/auth/login", json={"username": "a\u0000", "password": "x"})
    assert response.status_code == 400
    assert "NUL" in response.json["error"]
