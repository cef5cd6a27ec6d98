"""POST …/analysis returns the earlier run when the session's data and the parameters have not
changed since it finished or was queued, instead of queuing the same work again."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select, text, update

from app.analyses import store
from app.analyses.jobs import KINDS
from app.extensions import db
from app.models import RecordingSession, SessionAnalysis
from app.tasks.data_processing import analyze_session
from tests.conftest import IS_POSTGRES
from tests.payloads import END, T0, xyz
from tests.tasks.data import push, session_pk


def _start(client, headers, session_id="ride", **body):
    return client.post(f"/api/sessions/{session_id}/analysis", json=body, headers=headers)


def _run_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(func.distinct(SessionAnalysis.task_id))))


def _owner(app, register, client):
    account = register()
    user, headers = account.user, account.headers
    push(client, headers, "ride", xyz("accelerometer", 200), end_time=END, sample_rate=100)
    return headers, session_pk(app, user["id"], "ride")


def test_an_unchanged_session_gets_its_finished_run_back(app, client, register):
    headers, pk = _owner(app, register, client)
    first = _start(client, headers)
    assert first.status_code == 202 and first.json["reused"] is False
    analyze_session.apply(args=[pk, 3.0], task_id=first.json["task_id"]).get()

    again = [_start(client, headers) for _ in range(5)]

    assert {r.status_code for r in again} == {200}
    assert {(r.json["task_id"], r.json["state"], r.json["reused"]) for r in again} == {
        (first.json["task_id"], "SUCCESS", True)
    }
    assert _run_count(app) == 1


def test_a_queued_run_is_returned_while_it_waits(app, client, register):
    headers, _ = _owner(app, register, client)
    first = _start(client, headers, sensitivity=2.5).json

    again = _start(client, headers, sensitivity=2.5)

    assert again.status_code == 202
    assert again.json | {"reused": False} == first
    assert _run_count(app) == 1


def test_new_data_or_other_parameters_start_a_new_run(app, client, register):
    headers, pk = _owner(app, register, client)
    first = _start(client, headers).json["task_id"]
    analyze_session.apply(args=[pk, 3.0], task_id=first).get()

    other_sensitivity = _start(client, headers, sensitivity=4.0)
    push(client, headers, "ride", xyz("accelerometer", 200))  # the same samples: no change
    unchanged = _start(client, headers)
    push(client, headers, "ride", xyz("gyroscope", 1, start=T0 + 999))  # one new sample
    changed = _start(client, headers)

    assert other_sensitivity.status_code == 202 and other_sensitivity.json["task_id"] != first
    assert unchanged.status_code == 200 and unchanged.json["task_id"] == first
    assert changed.status_code == 202 and changed.json["reused"] is False
    assert changed.json["task_id"] not in (first, other_sensitivity.json["task_id"])


def test_a_failed_run_is_not_reused(app, client, register):
    headers, _ = _owner(app, register, client)
    failed = _start(client, headers).json["task_id"]
    with app.app_context():
        rows = db.session.scalars(
            select(SessionAnalysis.id).where(SessionAnalysis.task_id == failed)
        ).all()
        store.mark_failed(list(rows), "RuntimeError: out of memory")

    again = _start(client, headers)

    assert again.status_code == 202 and again.json["task_id"] != failed
    assert again.json["reused"] is False


def test_a_run_the_sweep_queued_counts_as_the_default_parameters(app, client, register):
    headers, pk = _owner(app, register, client)
    with app.app_context():
        stamp = db.session.get(RecordingSession, pk).updated_at
        store.create_pending(pk, KINDS, "queued-by-the-sweep", {}, stamp)

    assert _start(client, headers).json["task_id"] == "queued-by-the-sweep"
    assert _start(client, headers, sensitivity=5.0).json["task_id"] != "queued-by-the-sweep"


def test_a_run_of_another_users_session_is_never_returned(app, client, register):
    headers, _ = _owner(app, register, client)
    stranger = register().headers
    push(client, stranger, "ride", xyz("accelerometer", 200), end_time=END, sample_rate=100)
    mine = _start(client, headers).json["task_id"]

    theirs = _start(client, stranger)

    assert theirs.status_code == 202 and theirs.json["task_id"] != mine


def _hold_session_lock(app, pk: int):
    """A transaction holding the session row, as a push does while it writes."""
    connection = db.engine.connect()
    if IS_POSTGRES:
        transaction = connection.begin()
        connection.execute(
            text("SELECT id FROM recording_sessions WHERE id = :pk FOR UPDATE"), {"pk": pk}
        )
    else:
        connection = connection.execution_options(koodtx_immediate=True)
        transaction = connection.begin()  # BEGIN IMMEDIATE: the database's write lock
        connection.execute(
            update(RecordingSession).where(RecordingSession.id == pk).values(notes="busy")
        )
    return connection, transaction


def _waiting_on_locks(app) -> int:
    with app.app_context():
        count = db.session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        db.session.rollback()
        return count


def test_identical_requests_sent_together_queue_one_run(app, register, client):
    headers, pk = _owner(app, register, client)
    with app.app_context():
        connection, transaction = _hold_session_lock(app, pk)
    replies: list = []

    def request() -> None:
        replies.append(_start(app.test_client(), headers))

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    if IS_POSTGRES:  # wait until every request is blocked behind the held row
        deadline = time.monotonic() + 20
        while _waiting_on_locks(app) < len(threads) and time.monotonic() < deadline:
            time.sleep(0.05)
    else:  # SQLite cannot show waiters: give the requests time to reach the write lock
        time.sleep(1.0)
    transaction.rollback()
    connection.close()
    for thread in threads:
        thread.join(30)

    assert sorted(r.status_code for r in replies) == [202] * len(threads)
    assert len({r.json["task_id"] for r in replies}) == 1
    assert sorted(r.json["reused"] for r in replies) == [False] + [True] * (len(threads) - 1)
    assert _run_count(app) == 1
