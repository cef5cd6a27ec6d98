"""Analyses that start by themselves: the push hook (broker up or down) and the sweep."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app import create_app
from app.analyses import scheduling
from app.extensions import db
from app.models import SessionAnalysis
from app.tasks.data_processing import analyze_session, sweep_unanalysed_sessions
from tests.payloads import END, xyz
from tests.tasks.data import age_session, push, session_pk

DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down_client(app, process_settings):
    """A client of an app whose broker cannot be reached (same database)."""
    down = create_app("testing", process_settings | {"CELERY_BROKER_URL": DEAD_BROKER})
    yield down.test_client()
    app.extensions["celery"].set_current()  # creating an app made its Celery the current one
    app.extensions["celery"].set_default()
    with down.app_context():
        db.engine.dispose()


def _rows(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(
                SessionAnalysis.recording_session_id,
                SessionAnalysis.kind,
                SessionAnalysis.status,
            ).order_by(SessionAnalysis.recording_session_id, SessionAnalysis.kind)
        ).all()


def test_a_push_that_closes_a_session_succeeds_quickly_when_the_broker_is_down(
    app, register, broker_down_client
):
    headers = register().headers
    clock = time.monotonic()
    body = push(broker_down_client, headers, "s", xyz("accelerometer", 50), end_time=END)
    elapsed = time.monotonic() - clock

    assert body["inserted"] == 50 and body["session_data_count"] == 50
    assert elapsed < 2.0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SessionAnalysis)) == 0


def test_requesting_an_analysis_when_the_broker_is_down_is_a_503(app, register, broker_down_client):
    headers = register().headers
    push(broker_down_client, headers, "s", xyz("accelerometer", 5), end_time=END)

    response = broker_down_client.post("/api/sessions/s/analysis", headers=headers)

    assert response.status_code == 503 and "unavailable" in response.json["error"]
    assert _rows(app) == []


def test_a_session_whose_analysis_request_got_a_503_is_caught_up_by_the_sweep(
    app, register, broker_down_client
):
    """Regression (found by tests/system/test_redis_outage.py): the failed request
    used to leave `failure` rows that made the sweep treat the session as analysed."""
    account = register()
    user, headers = account.user, account.headers
    push(broker_down_client, headers, "s", xyz("accelerometer", 5), end_time=END)
    response = broker_down_client.post("/api/sessions/s/analysis", headers=headers)
    assert response.status_code == 503
    pk = session_pk(app, user["id"], "s")
    age_session(app, pk, minutes=10)

    with app.app_context():
        assert [found for found, _ in scheduling.sessions_to_sweep()] == [pk]


def test_closing_a_session_publishes_its_analysis(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    push(client, headers, "s", xyz("accelerometer", 5))
    pk = session_pk(app, user["id"], "s")
    with app.test_request_context():
        assert scheduling.enqueue_after_close(pk) is not None
        app.config["ANALYSIS_ON_CLOSE"] = False
        try:
            assert scheduling.enqueue_after_close(pk) is None
        finally:
            app.config["ANALYSIS_ON_CLOSE"] = True


def test_the_sweep_enqueues_closed_sessions_never_analysed_once(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    account = register()
    other_user, other = account.user, account.headers
    for owner, sid, fields in [
        (headers, "closed", {"end_time": END}),
        (headers, "active", {}),
        (headers, "fresh", {"end_time": END}),
        (headers, "analysed", {"end_time": END}),
        (other, "closed", {"end_time": END}),
    ]:
        push(client, owner, sid, xyz("accelerometer", 5), **fields)
    pks = {sid: session_pk(app, user["id"], sid) for sid in ("closed", "active", "analysed")}
    other_closed = session_pk(app, other_user["id"], "closed")
    for pk in (*pks.values(), other_closed):
        age_session(app, pk, minutes=10)
    analyze_session.apply(args=[pks["analysed"]]).get()

    first = sweep_unanalysed_sessions()
    second = sweep_unanalysed_sessions()

    assert first == {"found": 2, "enqueued": 2, "resent": 0, "given_up": 0}
    assert second == {"found": 0, "enqueued": 0, "resent": 0, "given_up": 0}
    pending = [(pk, status) for pk, _kind, status in _rows(app) if status == "pending"]
    assert sorted({pk for pk, _ in pending}) == sorted([pks["closed"], other_closed])
    with app.app_context():
        task_id = db.session.scalar(
            select(SessionAnalysis.task_id).where(
                SessionAnalysis.recording_session_id == pks["closed"]
            )
        )
    analyze_session.apply(args=[pks["closed"]], kwargs={"only_if_stale": True}, task_id=task_id)
    assert {(kind, status) for pk, kind, status in _rows(app) if pk == pks["closed"]} == {
        ("analysis", "success"),
        ("anomalies", "success"),
        ("metrics", "success"),
    }


def test_a_swept_task_that_finds_results_up_to_date_leaves_no_pending_rows(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    push(client, headers, "s", xyz("accelerometer", 5), end_time=END)
    pk = session_pk(app, user["id"], "s")
    age_session(app, pk, minutes=10)
    assert sweep_unanalysed_sessions()["enqueued"] == 1
    with app.app_context():
        task_id = db.session.scalar(select(SessionAnalysis.task_id))
    analyze_session.apply(args=[pk], kwargs={"only_if_stale": True}).get()  # e.g. the push hook

    outcome = analyze_session.apply(
        args=[pk], kwargs={"only_if_stale": True}, task_id=task_id
    ).get()

    assert outcome["status"] == "skipped"
    assert [status for *_, status in _rows(app)] == ["success"] * 3


def _age_rows(app, task_id: str, **ago) -> None:
    stamp = datetime.now(UTC) - timedelta(**ago)
    with app.app_context():
        db.session.execute(
            update(SessionAnalysis)
            .where(SessionAnalysis.task_id == task_id)
            .values(updated_at=stamp, created_at=stamp)
        )
        db.session.commit()


def test_a_lost_task_is_published_again_under_its_own_id(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    push(client, headers, "s", xyz("accelerometer", 5))
    task_id = client.post("/api/sessions/s/analysis", json={"sensitivity": 2}, headers=headers)
    task_id = task_id.json["task_id"]
    _age_rows(app, task_id, hours=2)  # as if its message had been dropped

    assert sweep_unanalysed_sessions()["resent"] == 1
    assert sweep_unanalysed_sessions()["resent"] == 0  # waits again before the next resend
    analyze_session.apply(args=[session_pk(app, user["id"], "s"), 2.0], task_id=task_id).get()

    body = client.get(f"/api/tasks/{task_id}", headers=headers).json
    assert body["state"] == "SUCCESS" and len(body["results"]) == 3


def test_a_task_lost_for_a_day_is_given_up(app, client, register):
    headers = register().headers
    push(client, headers, "s", xyz("accelerometer", 5))
    task_id = client.post("/api/sessions/s/analysis", headers=headers).json["task_id"]
    _age_rows(app, task_id, days=2)

    assert sweep_unanalysed_sessions()["given_up"] == 1
    body = client.get(f"/api/tasks/{task_id}", headers=headers).json
    assert body["state"] == "FAILURE"
    assert body["results"]["analysis"]["error"] == "lost: the task never completed"
