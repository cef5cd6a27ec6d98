"""Through real `celery worker` processes: enqueue through the API, read the stored result;
workers killed mid-task; Beat feeding a worker. `task_always_eager` is never used."""

from __future__ import annotations

import os
import signal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import RecordingSession, SessionAnalysis
from app.worker import task_names
from tests.payloads import END, T0, xyz
from tests.tasks.data import age_session, push, session_pk
from tests.tasks.processes import wait_for
from tests.uploads.files import gz, ndjson, post_upload

pytestmark = pytest.mark.slow

FAST_REDELIVERY = {
    "broker_transport_options": {
        "visibility_timeout": 2,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
}


def _spiky(count: int = 300) -> list[dict]:
    data = xyz("accelerometer", count)
    data[count // 2]["data"] = {"x": 0.0, "y": 0.0, "z": 50.0}
    return data


def _state(client, headers, task_id: str) -> str:
    return client.get(f"/api/tasks/{task_id}", headers=headers).json["state"]


def _rows(app, **where) -> list[tuple]:
    with app.app_context():
        conditions = [getattr(SessionAnalysis, k) == v for k, v in where.items()]
        return db.session.execute(
            select(SessionAnalysis.kind, SessionAnalysis.status, SessionAnalysis.attempts)
            .where(*conditions)
            .order_by(SessionAnalysis.kind)
        ).all()


def _runs_what_the_api_enqueues(app, client, register, start_celery, broker_prefix: str):
    assert app.config["CELERY_BROKER_URL"].startswith(broker_prefix)
    app.config["ANALYSIS_DELAY_SECONDS"] = 0
    try:
        worker = start_celery(overrides={"ANALYSIS_DELAY_SECONDS": 0})
        worker.wait_for_output("ready.")
        account = register()
        user, headers = account.user, account.headers
        push(client, headers, "requested", _spiky(), sample_rate=100)  # still active: no hook
        task_id = client.post("/api/sessions/requested/analysis", headers=headers).json["task_id"]
        push(client, headers, "closed", xyz("gyroscope", 50), end_time=END)  # the push hook
        upload = post_upload(client, headers, gz(ndjson(xyz("gravity", 500))), "g.ndjson.gz").json

        wait_for(lambda: _state(client, headers, task_id) == "SUCCESS", 30, "analysis", worker)
        body = client.get("/api/sessions/requested/analysis", headers=headers).json
        anomalies = body["analyses"]["anomalies"]["result"]["sensors"]["accelerometer"]
        assert anomalies["anomaly_timestamps"] == [T0 + 150 * 10]
        assert body["analyses"]["metrics"]["result"]["sample_count"] == 300
        closed = session_pk(app, user["id"], "closed")

        def hook_done() -> bool:
            rows = _rows(app, recording_session_id=closed)
            return len(rows) == 3 and {status for _, status, _ in rows} == {"success"}

        wait_for(hook_done, 30, "the analysis the push hook enqueued", worker)
        wait_for(
            lambda: _state(client, headers, upload["task_id"]) == "SUCCESS", 30, "upload", worker
        )
        shown = client.get(f"/api/uploads/{upload['upload_id']}", headers=headers).json
        assert (shown["inserted"], shown["errors"]) == (500, 0)
    finally:
        app.config["ANALYSIS_DELAY_SECONDS"] = 30


@pytest.mark.redis
def test_a_worker_on_redis_runs_what_the_api_enqueues(app, client, register, start_celery):
    _runs_what_the_api_enqueues(app, client, register, start_celery, "redis://")


def test_a_worker_on_the_embedded_broker_runs_what_the_api_enqueues(
    app, client, register, start_celery
):
    if not app.config["CELERY_BROKER_URL"].startswith("sqla+"):
        pytest.skip("the embedded SQLAlchemy broker is what the SQLite run uses")
    _runs_what_the_api_enqueues(app, client, register, start_celery, "sqla+")


def _held_analysis(app, client, register, start_celery, gate):
    """A worker holding the first delivery of an API-requested analysis."""
    # worker_lost_wait: how long the pool waits for a result of a dead process (10 s default).
    overrides = {"CELERY_OVERRIDES": {"worker_lost_wait": 0.5}}
    worker = start_celery(overrides=overrides, env={"KOODTX_TEST_GATE": str(gate)}, name="first")
    worker.wait_for_output("ready.")
    headers = register().headers
    push(client, headers, "ride", _spiky(), sample_rate=100)
    task_id = client.post("/api/sessions/ride/analysis", headers=headers).json["task_id"]
    marker = gate / f"{task_id}.started"
    wait_for(marker.exists, 30, "the task to start", worker)
    assert {(status, attempts) for _, status, attempts in _rows(app, task_id=task_id)} == {
        ("started", 1)
    }
    return worker, headers, task_id, int(marker.read_text())


def test_a_task_whose_pool_process_dies_is_redelivered_and_stored_once(
    app, client, register, start_celery, tmp_path
):
    worker, headers, task_id, child = _held_analysis(app, client, register, start_celery, tmp_path)

    os.kill(child, signal.SIGKILL)  # the pool process, as the OOM killer would

    wait_for(lambda: _state(client, headers, task_id) == "SUCCESS", 30, "redelivery", worker)
    assert _rows(app, task_id=task_id) == [
        ("analysis", "success", 2),
        ("anomalies", "success", 2),
        ("metrics", "success", 2),
    ]
    assert "WorkerLostError" in worker.output()


@pytest.mark.redis
def test_a_task_whose_whole_worker_is_killed_comes_back_to_another_worker(
    app, client, register, start_celery, tmp_path
):
    first, headers, task_id, _ = _held_analysis(app, client, register, start_celery, tmp_path)

    first.kill(signal.SIGKILL)  # main process and pool: nothing gets acknowledged
    first.popen.wait(10)
    second = start_celery(overrides={"CELERY_OVERRIDES": FAST_REDELIVERY}, name="second")

    wait_for(lambda: _state(client, headers, task_id) == "SUCCESS", 30, "redelivery", second)
    assert _rows(app, task_id=task_id) == [
        ("analysis", "success", 2),
        ("anomalies", "success", 2),
        ("metrics", "success", 2),
    ]


def test_beat_sends_due_tasks_to_a_worker(app, client, register, start_celery, tmp_path):
    account = register()
    user, headers = account.user, account.headers
    push(client, headers, "forgotten", xyz("gyroscope", 20))
    pk = session_pk(app, user["id"], "forgotten")
    age_session(app, pk, hours=30)
    schedule = {
        "close-forgotten-sessions": {
            "task": task_names.CLEANUP_FAILED_SESSIONS,
            "schedule": 1.0,
            "args": [24],
        }
    }
    overrides = {"CELERY_OVERRIDES": {"beat_schedule": schedule}}
    worker = start_celery(overrides=overrides)
    beat = start_celery(
        ["beat", "--loglevel=INFO", f"--schedule={tmp_path / 'schedule'}", "--max-interval=1"],
        overrides=overrides,
        name="beat",
    )

    def closed() -> bool:
        with app.app_context():
            return (
                db.session.scalar(
                    select(RecordingSession.is_active).where(RecordingSession.id == pk)
                )
                is False
            )

    wait_for(closed, 30, "the scheduled cleanup", worker)
    assert "Sending due task close-forgotten-sessions" in beat.output()
    assert "cleanup_failed_sessions" in worker.output()
