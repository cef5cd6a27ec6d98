"""`celery -A tests.tasks.worker_app worker|beat` for processes started by tests.

The app is built with the settings of the test that started the process (JSON in
`KOODTX_TEST_SETTINGS`, from `tests/conftest.settings_for_tests()`), so it uses the same database
and broker. With `KOODTX_TEST_GATE` (a directory), the first delivery of an analysis task
writes `<task_id>.started` (holding the process id) and waits until `release` exists there;
later deliveries pass, so a test can kill a worker mid-task deterministically.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from app import create_app
from app.analyses.events import analysis_started

flask_app = create_app("testing", json.loads(os.environ["KOODTX_TEST_SETTINGS"]))
celery = flask_app.extensions["celery"]

_GATE = os.environ.get("KOODTX_TEST_GATE")


@analysis_started.connect
def _hold_first_delivery(_sender, *, task_id=None, attempts=1, **_kwargs) -> None:
    if not _GATE or attempts > 1:
        return
    gate = Path(_GATE)
    (gate / f"{task_id}.started").write_text(str(os.getpid()))
    while not (gate / "release").exists():
        time.sleep(0.05)
