"""The session page in a real browser shows what the session takes on disk: stored bytes and
bytes per sample, the same figures as the API's session detail, after compaction."""

from __future__ import annotations

from app.dashboard.formatting import format_bytes
from app.housekeeping import compaction
from tests.browser.sign_in import sign_in
from tests.payloads import END, xyz
from tests.server import gunicorn
from tests.tasks.data import push_in_batches, session_pk

PASSWORD = "correct-horse-1"


def test_the_session_page_shows_stored_bytes_and_bytes_per_sample(
    app, client, register, offline_page, tmp_path
):
    account = register("keeper", password=PASSWORD)
    push_in_batches(client, account.headers, "stored", xyz("accelerometer", 3000), end_time=END)
    with app.app_context():
        compaction.compact(session_pk(app, account.user["id"], "stored"))
    storage = client.get("/api/sessions/stored", headers=account.headers).json["storage"]
    assert (storage["chunks"], storage["rows"]) == (1, 0)

    page = offline_page
    with gunicorn(workers=1, log=tmp_path / "server.log") as base:
        sign_in(page, base, "keeper", PASSWORD)
        page.goto(base + "/dashboard/sessions/stored")
        stored = page.locator("#stored-bytes").inner_text()
        per_sample = page.locator("#bytes-per-sample").inner_text()
        labels = page.locator("dl.meta dt").all_inner_texts()

    assert "Stored bytes" in labels and "Bytes per sample" in labels
    assert stored.startswith(format_bytes(storage["bytes"]))
    assert "1 chunk, 0 rows" in stored
    assert float(per_sample) == round(storage["bytes_per_sample"], 1)
    assert page.refused == []
