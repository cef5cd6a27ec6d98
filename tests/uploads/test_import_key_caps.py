"""A file import goes through the push path, so the caps on sample data keys apply to it too."""

from __future__ import annotations

from app.tasks.uploads import import_upload
from tests.payloads import T0
from tests.tasks.data import push
from tests.uploads.files import ndjson, post_upload


def _sample(timestamp: int, data: dict) -> dict:
    return {"sensor_type": "accelerometer", "timestamp": timestamp, "data": data}


def test_an_import_applies_the_key_caps_across_chunks_like_a_push(
    app, client, register, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_SESSION_SENSOR_KEYS", 8)
    monkeypatch.setitem(app.config, "UPLOAD_CHUNK_SAMPLES", 5)  # the cap spans three chunks
    headers = register().headers
    lines = [
        _sample(T0, {f"k{i}": i for i in range(65)}),  # too many keys
        _sample(T0 + 10, {"a" * 65: 1.0}),  # a key too long
        *[_sample(T0 + 100 + 10 * i, {f"w{i}": 1.0}) for i in range(12)],  # 8 fit, 4 do not
        _sample(T0 + 1000, {"w0": 2.0}),  # a known key: still taken
    ]
    body = post_upload(client, headers, ndjson(lines)).json
    import_upload.apply(args=[body["upload_id"]], task_id=body["task_id"]).get()
    shown = client.get(f"/api/uploads/{body['upload_id']}", headers=headers).json

    assert shown["state"] == "success"
    assert (shown["total_records"], shown["inserted"], shown["errors"]) == (15, 9, 6)
    assert shown["inserted"] + shown["updated"] + shown["duplicates"] + shown["errors"] == 15
    errors = {e["line"]: e["error"] for e in shown["error_details"]}
    assert list(errors) == [1, 2, 11, 12, 13, 14]
    assert errors[1] == "data: at most 64 keys per sample, this one has 65"
    assert errors[2] == "data: keys must be at most 64 characters long"
    assert errors[11].startswith('data: key "w8" would take accelerometer past the 8 ')

    pushed = push(client, headers, "pushed", lines)
    assert (pushed["inserted"], pushed["errors"]) == (9, 6)
    assert [e["index"] + 1 for e in pushed["error_details"]] == list(errors)
