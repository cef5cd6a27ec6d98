"""A Celery worker SIGKILLed in the middle of an analysis requested over HTTP: the task is
delivered again and its result stored once (rows keyed by task id and kind)."""

from __future__ import annotations

import os
import signal

import pytest

from tests.system.phones import START_TIME, T0
from tests.tasks.processes import wait_for

# Only the whole-worker case needs this: unacknowledged Redis messages come back after the
# visibility timeout (3600 s in production, docs/celery.md), shortened here to keep it quick.
FAST_REDELIVERY = {
    "CELERY_OVERRIDES": {
        "broker_transport_options": {
            "visibility_timeout": 2,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        }
    }
}


@pytest.fixture
def gated(system, tmp_path):
    """Replace the system's worker by one that holds the first delivery of every analysis
    until the test is done with it (tests/tasks/worker_app.py); restore it afterwards."""
    system.stop_worker()
    started = []

    def start(name: str, overrides: dict | None = None, gate: bool = True):
        env = {"KOODTX_TEST_GATE": str(tmp_path)} if gate else None
        process = system.start_worker(env=env, overrides=overrides, name=name)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
    system.start_worker()


def _held_analysis(system, gated, gate_dir, name: str):
    worker = gated("crash-first")
    user = system.api().register(name)
    samples = [
        {
            "sensor_type": "accelerometer",
            "timestamp": T0 + 10 * i,
            "data": {"x": 0.0, "y": 0.0, "z": 50.0 if i == 150 else 9.81},
        }
        for i in range(300)
    ]
    body = {
        "session": {"session_id": "ride", "start_time": START_TIME, "sample_rate": 100},
        "sensor_data": samples,
    }
    assert user.post("/api/sync/push", body).status == 200
    asked = user.post("/api/sessions/ride/analysis")
    assert asked.status == 202, asked.body
    task_id = asked.json()["task_id"]
    marker = gate_dir / f"{task_id}.started"
    wait_for(marker.exists, 60, "the analysis to start", worker)
    assert user.get(f"/api/tasks/{task_id}").json()["state"] == "STARTED"
    return worker, user, task_id, int(marker.read_text())


def _stored_once(system, user, task_id: str) -> None:
    def done():
        return user.get(f"/api/tasks/{task_id}").json()["state"] == "SUCCESS"

    wait_for(done, 60, "the redelivered analysis to succeed")
    rows = system.query(
        "SELECT kind, status, attempts FROM session_analyses WHERE task_id = %s ORDER BY kind",
        (task_id,),
    )
    assert rows == [
        ("analysis", "success", 2),
        ("anomalies", "success", 2),
        ("metrics", "success", 2),
    ]
    shown = user.get("/api/sessions/ride/analysis").json()
    anomalies = shown["analyses"]["anomalies"]["result"]["sensors"]["accelerometer"]
    assert anomalies["anomaly_timestamps"] == [T0 + 1500]
    assert shown["in_progress"] == []


def test_a_pool_process_killed_mid_analysis_is_redelivered_and_stored_once(
    healthy_system, gated, tmp_path
):
    worker, user, task_id, child = _held_analysis(healthy_system, gated, tmp_path, "crashpool")

    os.kill(child, signal.SIGKILL)  # as the OOM killer would: production settings throughout

    _stored_once(healthy_system, user, task_id)
    assert "WorkerLostError" in worker.output()


def test_a_whole_worker_killed_mid_analysis_comes_back_on_another_worker(
    healthy_system, gated, tmp_path
):
    first, user, task_id, _ = _held_analysis(healthy_system, gated, tmp_path, "crashworker")

    first.kill(signal.SIGKILL)  # main process and pool: nothing is acknowledged
    first.popen.wait(10)
    gated("crash-second", overrides=FAST_REDELIVERY, gate=False)

    _stored_once(healthy_system, user, task_id)
