"""The session page shows what the session's samples take on disk, before and after compaction."""

from __future__ import annotations

import re

from app.dashboard.formatting import format_bytes
from app.housekeeping import compaction
from tests.dashboard.test_dashboard_pages import sign_in
from tests.payloads import END, xyz
from tests.tasks.data import push_in_batches, session_pk


def _figures(client, session_id: str) -> tuple[str, float]:
    """(stored bytes as shown, bytes per sample) of the session page."""
    page = client.get(f"/dashboard/sessions/{session_id}")
    assert page.status_code == 200
    stored = re.search(r'<dd id="stored-bytes"[^>]*>([^<]+)<', page.text).group(1).strip()
    per_sample = re.search(r'<dd id="bytes-per-sample">([^<]+)<', page.text).group(1)
    assert "<dt>Stored bytes</dt>" in page.text and "<dt>Bytes per sample</dt>" in page.text
    return stored, float(per_sample)


def test_the_session_page_shows_stored_bytes_and_bytes_per_sample(app, client, register):
    account = register("carol")
    app.config["APPEND_CHUNK_MIN_SAMPLES"] = 0  # rows first, as small batches are stored
    push_in_batches(client, account.headers, "run", xyz("accelerometer", 2000), end_time=END)
    assert sign_in(client, "carol").status_code == 302

    detail = client.get("/api/sessions/run", headers=account.headers).json["storage"]
    stored, per_sample = _figures(client, "run")
    assert stored == format_bytes(detail["bytes"])
    assert per_sample == round(detail["bytes_per_sample"], 1) > 0
    assert "0 chunks, 2,000 rows" in client.get("/dashboard/sessions/run").text

    with app.app_context():
        compaction.compact(session_pk(app, account.user["id"], "run"))
    compacted, compacted_per_sample = _figures(client, "run")
    assert compacted_per_sample < per_sample / 4
    assert "1 chunk, 0 rows" in client.get("/dashboard/sessions/run").text


def test_a_session_without_samples_shows_no_bytes_per_sample(client, register):
    account = register("dave")
    push_in_batches(client, account.headers, "empty", [])
    assert sign_in(client, "dave").status_code == 302
    page = client.get("/dashboard/sessions/empty").text
    assert re.search(r'<dd id="bytes-per-sample">—<', page)
    assert re.search(r'<dd id="stored-bytes"[^>]*>0 B ', page)


def test_byte_counts_read_in_binary_units():
    assert [format_bytes(n) for n in (0, 1023, 1024, 57_868, 3 * 1024**3, 5 * 1024**5)] == [
        "0 B",
        "1023 B",
        "1.0 KiB",
        "56.5 KiB",
        "3.0 GiB",
        "5120.0 TiB",
    ]
    assert format_bytes(None) == "—"
