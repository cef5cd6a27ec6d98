"""Per-user upload quotas (imports open, bytes kept) and what happens to a file after import."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import Upload
from app.uploads.importer import ImportSettings, run_import
from tests.payloads import xyz
from tests.uploads.files import gz, meta, ndjson, post_upload


def _files(app) -> set[Path]:
    return {p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()}


def _uploads(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Upload.user_id == user_id))


def _import(app, upload_id: int, **settings) -> dict:
    with app.app_context():
        return run_import(upload_id, ImportSettings(**settings))


def _row(app, upload_id: int) -> Upload:
    with app.app_context():
        upload = db.session.get(Upload, upload_id)
        db.session.expunge(upload)
        return upload


def test_uploads_beyond_the_pending_quota_are_429_and_not_stored(
    app, client, register, monkeypatch
):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_PENDING", 3)
    account = register()
    user, headers = account.user, account.headers
    other = register().headers
    content = ndjson(xyz("gyroscope", 20))
    accepted = [post_upload(client, headers, content, session=meta(f"s{i}")) for i in range(3)]
    files = _files(app)

    refused = post_upload(client, headers, content, session=meta("s3"))

    assert [r.status_code for r in accepted] == [202] * 3
    assert refused.status_code == 429 and refused.is_json
    assert "3 uploads waiting" in refused.json["error"] and "at most 3" in refused.json["error"]
    assert refused.json["details"] == {"pending_uploads": 3, "max_pending_uploads": 3}
    assert int(refused.headers["Retry-After"]) > 0
    assert _files(app) == files and _uploads(app, user["id"]) == 3
    assert post_upload(client, other, content).status_code == 202  # a quota of each user's own

    _import(app, accepted[0].json["upload_id"])  # one finishes: room for one more
    assert post_upload(client, headers, content, session=meta("s4")).status_code == 202


def test_uploads_beyond_the_stored_bytes_quota_are_413_and_not_stored(
    app, client, register, monkeypatch
):
    account = register()
    user, headers = account.user, account.headers
    content = gz(ndjson(xyz("gyroscope", 200)))
    monkeypatch.setitem(app.config, "UPLOAD_QUOTA_BYTES", int(len(content) * 2.5))
    first = post_upload(client, headers, content, "a.ndjson.gz", session=meta("a"))
    second = post_upload(client, headers, content, "b.ndjson.gz", session=meta("b"))
    files = _files(app)

    refused = post_upload(client, headers, content, "c.ndjson.gz", session=meta("c"))

    assert (first.status_code, second.status_code) == (202, 202)
    assert refused.status_code == 413
    assert f"quota of {int(len(content) * 2.5)} bytes" in refused.json["error"]
    assert refused.json["details"]["stored_bytes"] == 2 * len(content)
    assert _files(app) == files and _uploads(app, user["id"]) == 2


def test_a_user_at_the_quota_is_refused_before_the_file_is_read(app, client, register, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_PENDING", 1)
    headers = register().headers
    assert post_upload(client, headers, ndjson(xyz("gyroscope", 5))).status_code == 202
    # Without the form field the view would answer 400 once it parsed the body.
    refused = post_upload(client, headers, ndjson(xyz("gyroscope", 5)), session=False)
    assert refused.status_code == 429


def test_a_successful_import_deletes_its_file_and_frees_the_quota(
    app, client, register, monkeypatch
):
    content = gz(ndjson(xyz("gyroscope", 100)))
    monkeypatch.setitem(app.config, "UPLOAD_QUOTA_BYTES", len(content) + 10)
    headers = register().headers
    upload_id = post_upload(client, headers, content, "g.ndjson.gz").json["upload_id"]
    stored = Path(_row(app, upload_id).stored_path)
    assert stored.is_file()
    assert post_upload(client, headers, content, "again.ndjson.gz").status_code == 413

    assert _import(app, upload_id)["state"] == "success"

    upload = _row(app, upload_id)
    assert not stored.exists() and upload.file_deleted_at is not None
    assert upload.inserted == 100
    assert post_upload(client, headers, content, "again.ndjson.gz").status_code == 202


def test_a_failed_import_keeps_its_file_for_diagnosis_and_it_counts(
    app, client, register, monkeypatch
):
    content = gz(ndjson(xyz("gyroscope", 2000)))
    monkeypatch.setitem(app.config, "UPLOAD_QUOTA_BYTES", len(content) + 10)
    headers = register().headers
    upload_id = post_upload(client, headers, content, "g.ndjson.gz").json["upload_id"]

    assert _import(app, upload_id, max_bytes=1000)["state"] == "failed"

    upload = _row(app, upload_id)
    assert Path(upload.stored_path).is_file() and upload.file_deleted_at is None
    refused = post_upload(client, headers, content, "again.ndjson.gz")
    assert refused.status_code == 413 and "failed import" in refused.json["error"]


def test_uploads_sent_together_cannot_exceed_the_pending_quota(app, client, register, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_PENDING", 2)
    account = register()
    user, headers = account.user, account.headers
    content = ndjson(xyz("gyroscope", 50))
    replies: list = []
    barrier = threading.Barrier(6)
    files = _files(app)

    def upload(number: int) -> None:
        barrier.wait()
        replies.append(post_upload(app.test_client(), headers, content, session=meta(f"s{number}")))

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(r.status_code for r in replies) == [202, 202, 429, 429, 429, 429]
    assert _uploads(app, user["id"]) == 2
    assert len(_files(app) - files) == 2
