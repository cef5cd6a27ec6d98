"""The replay's audio and upload steps (calls 7 and 11), in the app's order and shapes, and
the check through /api that the recordings, their bytes and the imported samples landed."""

from __future__ import annotations

import json

from app.tasks.uploads import import_upload
from tests.app_protocol.app_uploads import upload_audio, upload_file, upload_file_chunked
from tests.audio import files

UPLOAD_FIELDS = {"fileId", "fileName", "fileSize", "mimeType", "url", "uploadedAt"}


def step_audio(r, session_id: str, stopped_ms: int) -> None:
    """SyncManager's audio upload of a 30 s M4A recorded during the session; then the queue
    retries it (its answer was lost): still one recording."""
    recording = {
        "sessionId": session_id,
        "timestamp": stopped_ms,
        "duration": 30,
        "sampleRate": 44100,
        "channels": 1,
        "format": "m4a",
        "filePath": f"/data/user/0/com.koodtx/files/audio_{stopped_ms}.m4a",
    }
    data = files.mp4(30.0)
    response = upload_audio(r.manager, recording, data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["success"] is True  # all SyncManager reads
    got = body["data"]
    assert got["sessionId"] == session_id and got["mimeType"] == "audio/mp4"
    assert got["startTime"] == stopped_ms - 30_000 and got["duration"] == 30.0
    again = upload_audio(r.manager, recording, data)
    assert again.status_code == 200 and again.get_json()["data"]["id"] == got["id"]
    r.audio[got["id"]] = data


def run_import(client, token: str, url: str) -> None:
    """The worker's part: the import an upload queued, run as the worker runs it."""
    headers = {"Authorization": f"Bearer {token}"}
    upload = client.get(url, headers=headers).get_json()
    import_upload.apply(args=[upload["id"]], task_id=upload["task_id"]).get()
    state = client.get(url, headers=headers).get_json()
    assert (state["state"], state["inserted"], state["errors"]) == ("success", 40, 0), state


def step_upload_single(r, audio_session: str, sensor_session: str, first_ms: int) -> None:
    """uploadSensorData (a JSON array of the app's records) and uploadAudio (a WAV)."""
    records = [
        {
            "timestamp": first_ms + 10 * i,
            "sensorType": "gyroscope",
            "x": 0.2,
            "y": 0.0,
            "z": 0.1 * i,
            "latitude": None,
            "longitude": None,
            "altitude": None,
            "accuracy": None,
            "speed": None,
            "heading": None,
        }
        for i in range(40)
    ]
    sensor = upload_file(
        r.app,
        json.dumps(records).encode(),
        "sensor_data.json",
        "application/json",
        {"sessionId": sensor_session, "dataType": "sensor"},
    )
    assert sensor.status_code == 201, sensor.get_json()
    out = sensor.get_json()["data"]
    assert set(out) == UPLOAD_FIELDS and isinstance(out["uploadedAt"], int)
    run_import(r.app.client, r.app.tokens.access_token, out["url"])

    data = files.wav(1.5, rate=16000)
    meta = {"sessionId": audio_session, "dataType": "audio"}
    audio = upload_file(r.app, data, "note.wav", "audio/wav", meta)
    assert audio.status_code == 201, audio.get_json()
    out = audio.get_json()["data"]
    assert set(out) == UPLOAD_FIELDS and out["mimeType"] == "audio/wav"
    r.audio[out["fileId"].removeprefix("audio-")] = data


def step_upload_chunked(r, session_id: str) -> None:
    """uploadFileChunked of an 83 kB MP3 in 16 KiB parts (the app's default is 1 MiB; smaller
    parts give several of them here)."""
    data = files.mp3(200)
    meta = {"sessionId": session_id, "dataType": "audio"}
    parts, complete = upload_file_chunked(r.app, data, meta, chunk_size=16 * 1024)
    assert len(parts) == 6 and all(p.status_code == 200 for p in parts)
    assert complete.status_code == 200, complete.get_json()
    out = complete.get_json()["data"]
    assert set(out) == UPLOAD_FIELDS and out["fileSize"] == len(data)
    r.audio[out["fileId"].removeprefix("audio-")] = data


def check_uploads_through_api(r, client, headers, audio_session: str, sensor_session: str):
    """Every recording is listed with its bytes; the uploaded samples were imported."""
    detail = client.get(f"/api/sessions/{audio_session}", headers=headers).get_json()
    listed = {str(rec["id"]): rec for rec in detail["audio_recordings"]}
    assert set(listed) == set(r.audio)
    for audio_id, data in r.audio.items():
        assert client.get(listed[audio_id]["url"], headers=headers).data == data
    sensors = client.get(f"/api/sessions/{sensor_session}", headers=headers).get_json()
    counts = {s["sensor_type"]: s["count"] for s in sensors["sensors"]}
    assert counts["gyroscope"] == 20 + 40
