"""Integers of any length in a push: read the way orjson reads them, never a 500.

Python refuses `int()` of more than 4,300 digits; orjson reads an integer beyond 64 bits as a
float and one beyond the double range as an error. The fallback parser (used when a document
holds NaN, Infinity or such an integer) must give every sample the same answer as orjson would.
"""

from __future__ import annotations

from tests.payloads import BASE_TS
from tests.sync.helpers import stored_samples

HUGE = "7" * 5000  # beyond Python's int() digit limit and the double range


def _raw_push(client, headers, *samples: str, session_id: str = "big"):
    raw = (
        '{"session": {"session_id": "' + session_id + '", "start_time": "2025-11-13T00:00:00Z"}'
        ', "sensor_data": [' + ", ".join(samples) + "]}"
    )
    return client.post("/api/sync/push", data=raw, headers=headers, content_type="application/json")


def _sample(timestamp: str, data: str) -> str:
    return '{"sensor_type": "light", "timestamp": ' + timestamp + ', "data": ' + data + "}"


def test_an_integer_of_thousands_of_digits_skips_only_its_sample(client, auth_headers):
    response = _raw_push(
        client,
        auth_headers,
        _sample(str(BASE_TS), '{"lux": ' + HUGE + "}"),
        _sample(HUGE, '{"lux": 1}'),
        _sample(str(BASE_TS + 1), '{"lux": -' + HUGE + "}"),
        _sample(str(BASE_TS + 2), '{"lux": 2}'),
    )

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.json
    assert (body["inserted"], body["errors"]) == (1, 3)
    assert [d["index"] for d in body["error_details"]] == [0, 1, 2]
    assert "timestamp" in body["error_details"][1]["error"]
    assert stored_samples(client, auth_headers, "big") == {("light", BASE_TS + 2): {"lux": 2}}


def test_integers_beyond_64_bits_are_floats_whichever_parser_reads_them(client, auth_headers):
    big = str(10**30)
    fast = _raw_push(client, auth_headers, _sample(str(BASE_TS), '{"v": ' + big + "}"))
    # NaN elsewhere in the document sends it through the fallback parser.
    lenient = _raw_push(
        client,
        auth_headers,
        _sample(str(BASE_TS), '{"v": ' + big + "}"),
        _sample(str(BASE_TS + 1), '{"v": NaN}'),
        session_id="lenient",
    )

    assert fast.json["inserted"] == lenient.json["inserted"] == 1
    assert stored_samples(client, auth_headers, "big") == {("light", BASE_TS): {"v": 1e30}}
    assert stored_samples(client, auth_headers, "lenient") == {("light", BASE_TS): {"v": 1e30}}


def test_an_endless_integer_in_a_request_field_is_400(client, auth_headers):
    for path, raw in (
        ("/api/sync/pull", '{"page_size": ' + HUGE + "}"),
        ("/api/sync/pull", '{"page": NaN, "page_size": ' + HUGE + "}"),
        ("/api/sync/push", '{"session": {"session_id": "x", "sample_rate": ' + HUGE + "}}"),
    ):
        response = client.post(
            path, data=raw, headers=auth_headers, content_type="application/json"
        )
        assert response.status_code == 400 and response.is_json, (path, response.status_code)
