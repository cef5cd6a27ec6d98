"""/metrics shows compaction: runs and samples moved (counted as they happen) and the backlog of
closed sessions still holding rows (read from the database at each scrape)."""

from __future__ import annotations

import math

from app import create_app
from app.tasks.samples import compact_session
from tests.conftest import settings_for_tests
from tests.payloads import END, xyz
from tests.tasks.data import age_session, push, session_pk

RUNS_MOVED = 'koodtx_compactions_total{result="moved"}'
RUNS_EMPTY = 'koodtx_compactions_total{result="nothing"}'
SAMPLES = "koodtx_compacted_samples_total"
STEPS = "koodtx_compaction_steps_total"
BACKLOG = "koodtx_compaction_backlog_sessions"
LAG = "koodtx_compaction_lag_seconds"


def _scrape(client) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    values = {}
    for line in response.get_data(as_text=True).splitlines():
        if line.startswith("koodtx_compact"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_metrics_count_compactions_and_read_the_backlog_at_scrape_time(app, client, register):
    account = register()
    push(client, account.headers, "closed", xyz("accelerometer", 300), end_time=END)
    push(client, account.headers, "open", xyz("gyroscope", 50))
    pk = session_pk(app, account.user["id"], "closed")
    age_session(app, pk, minutes=30)

    before = _scrape(client)
    assert before[BACKLOG] == 1  # the open session is not waiting for compaction
    assert 30 * 60 - 5 <= before[LAG] < 30 * 60 + 60

    with app.app_context():
        assert compact_session(pk)["samples"] == 300
        assert compact_session(pk)["samples"] == 0  # e.g. the sweep published it again
    after = _scrape(client)
    assert after[RUNS_MOVED] - before.get(RUNS_MOVED, 0) == 1
    assert after[RUNS_EMPTY] - before.get(RUNS_EMPTY, 0) == 1
    assert after[SAMPLES] - before.get(SAMPLES, 0) == 300
    assert after[STEPS] - before.get(STEPS, 0) == 1
    assert (after[BACKLOG], after[LAG]) == (0, 0)


def test_a_late_push_to_a_compacted_session_puts_it_back_in_the_backlog(app, client, register):
    account = register()
    push(client, account.headers, "late", xyz("accelerometer", 20), end_time=END)
    pk = session_pk(app, account.user["id"], "late")
    with app.app_context():
        compact_session(pk)
    assert _scrape(client)[BACKLOG] == 0

    later = xyz("accelerometer", 5, start=xyz("accelerometer", 21)[-1]["timestamp"])
    push(client, account.headers, "late", later, end_time=END)
    scraped = _scrape(client)
    assert scraped[BACKLOG] == 1
    assert 0 <= scraped[LAG] < 60  # it waits since the late push, not since it first closed


def test_metrics_still_answer_without_a_database_and_say_the_backlog_is_unknown(tmp_path):
    app = create_app(
        "testing",
        settings_for_tests()
        | {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/nothing.db"},
    )
    scraped = _scrape(app.test_client())
    assert math.isnan(scraped[BACKLOG]) and math.isnan(scraped[LAG])
