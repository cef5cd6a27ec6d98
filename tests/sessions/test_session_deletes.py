"""Deleting a session: samples gone, a tombstone for the user's other devices, retention."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from app.clock import utcnow
from app.extensions import db
from app.models import SensorData, SessionTombstone
from app.recordings.tombstones import purge_tombstones
from app.worker import task_names
from tests.payloads import push_body, samples
from tests.sync.helpers import pull, push


def test_delete_removes_samples_and_reaches_another_devices_delta_pull(app, client, register):
    phone = register().headers
    stranger = register().headers
    push(client, phone, push_body("gone", samples(10)))
    push(client, phone, push_body("kept", samples(1)))
    push(client, stranger, push_body("gone", samples(1)))
    tablet_mark = pull(client, phone, include_data=False)["server_timestamp"]

    response = client.delete("/api/sessions/gone", headers=phone)
    assert response.status_code == 200, response.json
    assert client.get("/api/sessions/gone", headers=phone).status_code == 404

    delta = pull(client, phone, last_sync_time=tablet_mark, include_data=False)
    assert delta["deleted_session_ids"] == ["gone"]
    assert delta["full_resync_required"] is False
    assert delta["sessions"] == []
    full = pull(client, phone, include_data=False)
    assert full["deleted_session_ids"] == ["gone"]
    assert pull(client, stranger, include_data=False)["deleted_session_ids"] == []
    assert [s["session_id"] for s in pull(client, stranger)["sessions"]] == ["gone"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SensorData)) == 2


def test_pushing_a_deleted_session_again_creates_a_new_one(client, auth_headers):
    push(client, auth_headers, push_body("again", samples(3)))
    client.delete("/api/sessions/again", headers=auth_headers)
    mark = pull(client, auth_headers, include_data=False)["server_timestamp"]
    body = push(client, auth_headers, push_body("again", samples(3)))
    assert (body["inserted"], body["session_data_count"]) == (3, 3)
    delta = pull(client, auth_headers, last_sync_time=mark, include_data=False)
    assert [s["session_id"] for s in delta["sessions"]] == ["again"]
    assert delta["deleted_session_ids"] == []  # the live session supersedes its tombstone


def test_purge_drops_old_tombstones_and_old_syncs_need_a_full_resync(app, client, auth_headers):
    push(client, auth_headers, push_body("old", samples(1)))
    push(client, auth_headers, push_body("new", samples(1)))
    client.delete("/api/sessions/old", headers=auth_headers)
    client.delete("/api/sessions/new", headers=auth_headers)
    with app.app_context():
        db.session.execute(
            update(SessionTombstone)
            .where(SessionTombstone.session_id == "old")
            .values(deleted_at=utcnow() - timedelta(days=91))
        )
        db.session.commit()
        assert purge_tombstones(90) == 1
    stale = (utcnow() - timedelta(days=100)).isoformat()
    recent = (utcnow() - timedelta(days=10)).isoformat()
    old_sync = pull(client, auth_headers, last_sync_time=stale, include_data=False)
    assert old_sync["full_resync_required"] is True
    assert old_sync["deleted_session_ids"] == ["new"]
    assert pull(client, auth_headers, last_sync_time=recent)["full_resync_required"] is False


def test_the_purge_task_uses_the_configured_retention(app, client, auth_headers):
    from app.tasks.maintenance import purge_old_tombstones

    push(client, auth_headers, push_body("aged", samples(1)))
    client.delete("/api/sessions/aged", headers=auth_headers)
    with app.app_context():
        db.session.execute(
            update(SessionTombstone).values(deleted_at=utcnow() - timedelta(days=40))
        )
        db.session.commit()
        assert purge_old_tombstones.run() == {"deleted": 0, "retention_days": 90}
        assert purge_old_tombstones.run(30) == {"deleted": 1, "retention_days": 30}


def test_closing_a_session_by_patch_enqueues_its_analysis_and_compaction(client, auth_headers):
    from celery import signals

    push(client, auth_headers, push_body("open", samples(20)))
    published = []

    def capture(sender=None, **_kwargs):
        published.append(sender)

    signals.before_task_publish.connect(capture, weak=False)
    try:
        response = client.patch(
            "/api/sessions/open", json={"end_time": "2025-11-13T01:00:00Z"}, headers=auth_headers
        )
    finally:
        signals.before_task_publish.disconnect(capture)
    assert response.status_code == 200 and response.json["is_active"] is False
    assert published == [task_names.ANALYZE_SESSION, task_names.COMPACT_SESSION]
