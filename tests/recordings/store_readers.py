"""Everything the readers of the sample store answer about one session, through the API: the
tests compare it before and after compaction."""

from __future__ import annotations

import io

import orjson
import pyarrow.parquet as pq

from app.extensions import db
from app.models import RecordingSession, SampleChunk, SensorData
from app.recordings.samples.compaction import compact_session
from tests.sync.helpers import pull


def session_pk(session_id: str) -> int:
    return db.session.query(RecordingSession.id).filter_by(session_id=session_id).scalar()


def compact(app, session_id: str, **sizes) -> None:
    with app.app_context():
        compact_session(session_pk(session_id), **sizes)
        db.session.remove()


def stored_counts(app) -> tuple[int, int]:
    """(rows, samples in chunks) over all sessions."""
    with app.app_context():
        rows = db.session.query(SensorData).count()
        in_chunks = sum(c for (c,) in db.session.query(SampleChunk.sample_count))
        db.session.remove()
        return rows, in_chunks


def _get(client, headers, url: str):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    return response


def data_pages(client, headers, session_id: str, query: str = "", limit: int = 7) -> list:
    """Every page of /data (sample lists), walking the cursor."""
    pages, cursor = [], None
    while True:
        url = f"/api/sessions/{session_id}/data?limit={limit}{query}"
        if cursor:
            url += f"&cursor={cursor}"
        body = orjson.loads(_get(client, headers, url).get_data())
        pages.append(body["samples"] if "samples" in body else body)
        cursor = body.get("next_cursor")
        if not cursor:
            return pages


def pulled(client, headers, session_id: str, **body) -> list:
    (session,) = pull(client, headers, session_ids=[session_id], **body)["sessions"]
    return session["sensor_data"]


def answers(client, headers, session_id: str, sensor_types: list[str]) -> dict:
    """What every reader of the session returns."""
    base = f"/api/sessions/{session_id}"
    detail = _get(client, headers, base).json
    found = {
        "pull": pulled(client, headers, session_id),
        "pages": data_pages(client, headers, session_id),
        "detail": {key: detail[key] for key in ("sensors", "data_count")},
        "coverage": _get(client, headers, f"{base}/coverage").json,
        "ndjson": [
            orjson.loads(x)
            for x in _get(client, headers, f"{base}/export?format=ndjson").get_data().splitlines()
        ],
        "csv": _get(client, headers, f"{base}/export?format=csv").get_data(as_text=True),
        "parquet": pq.read_table(
            io.BytesIO(_get(client, headers, f"{base}/export?format=parquet").get_data())
        ).to_pylist(),
        "track": _get(client, headers, f"{base}/track").json,
    }
    for name in sensor_types:
        # A window keeps the whole-session cache (app/analyses/charts.py) out of the way.
        series = f"{base}/series?sensor_type={name}&start=0"
        found[f"series {name}"] = _get(client, headers, series).json
        found[f"series {name} small"] = _get(client, headers, f"{series}&points=10").json
        found[f"series {name} window"] = _get(
            client, headers, f"{series}&points=10&start=1699876543300&end=1699876600004"
        ).json
        found[f"pages {name}"] = data_pages(
            client, headers, session_id, f"&sensor_type={name}", limit=5
        )
    return found
