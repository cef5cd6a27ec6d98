"""Through a real `celery worker`: a burst of identical analysis requests is analysed once, and
an upload with an endless integer is imported (the cell a line error) and its file deleted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import SessionAnalysis, Upload
from tests.payloads import T0, xyz
from tests.tasks.data import push
from tests.tasks.processes import wait_for
from tests.uploads.files import csv_file, gz, meta, post_upload

pytestmark = pytest.mark.slow


def _state(client, headers, task_id: str) -> str:
    return client.get(f"/api/tasks/{task_id}", headers=headers).json["state"]


def test_a_burst_of_identical_analysis_requests_is_analysed_once(
    app, client, register, start_celery
):
    worker = start_celery()
    worker.wait_for_output("ready.")
    headers = register().headers
    push(client, headers, "ride", xyz("accelerometer", 500), sample_rate=100)  # active: no hook

    burst = [client.post("/api/sessions/ride/analysis", headers=headers) for _ in range(40)]
    task_ids = {reply.json["task_id"] for reply in burst}
    assert len(task_ids) == 1 and burst[0].status_code == 202
    assert {reply.status_code for reply in burst} <= {200, 202}  # 200 once it has finished
    (task_id,) = task_ids
    wait_for(lambda: _state(client, headers, task_id) == "SUCCESS", 30, "the analysis", worker)

    later = client.post("/api/sessions/ride/analysis", headers=headers)

    assert later.status_code == 200 and later.json["task_id"] == task_id
    succeeded = re.compile(r"analyze_session\[([0-9a-f-]+)\] succeeded")
    # The worker logs a task after it returned, a moment after its rows say SUCCESS.
    wait_for(lambda: succeeded.search(worker.output()), 30, "the task's log line", worker)
    assert succeeded.findall(worker.output()) == [task_id]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SessionAnalysis)) == 3


def test_a_worker_imports_a_csv_with_an_endless_integer_and_deletes_the_file(
    app, client, register, start_celery
):
    worker = start_celery()
    worker.wait_for_output("ready.")
    headers = register().headers
    rows = [f"gyroscope,{T0 + 10 * i},{'9' * 5000 if i == 3 else i},0,1" for i in range(50)]
    body = post_upload(client, headers, gz(csv_file(rows)), "r.csv.gz", session=meta()).json
    with app.app_context():
        path = Path(db.session.get(Upload, body["upload_id"]).stored_path)
    assert path.is_file()

    wait_for(lambda: _state(client, headers, body["task_id"]) == "SUCCESS", 30, "import", worker)

    shown = client.get(f"/api/uploads/{body['upload_id']}", headers=headers).json
    assert (shown["inserted"], shown["errors"]) == (49, 1)
    assert shown["error_details"][0]["line"] == 4
    assert not path.exists()
