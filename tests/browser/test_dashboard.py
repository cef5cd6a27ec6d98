"""The dashboard in a real browser, against gunicorn and a Celery worker, with no internet.

One walk through the product on the seeded demo data, whose walk is long enough to hold
1,000,000 samples: sign in, list, open the walk (its load time is measured and written to
artifacts/dashboard-timing.json), charts and GPS track drawn, re-run the analysis and see its
results, download the CSV, statistics and sync log, delete the other session, sign out.
Screenshots of every page go to artifacts/.
"""

from __future__ import annotations

import csv
import json

import pytest

from app.cli.demo import demo_sessions, seed_demo
from tests.browser.conftest import ARTIFACTS
from tests.browser.sign_in import sign_in
from tests.server import gunicorn
from tests.tasks.processes import worker_args

pytestmark = pytest.mark.slow

PASSWORD = "demo-password"
WALK_MINUTES = 84  # accelerometer + gyroscope at 100 Hz and GPS at 1 Hz: 1,013,040 samples
SERIES_POINTS = 2000


def _seed(app, monkeypatch) -> int:
    """The demo sessions, without the analysis a closing push enqueues: the walkthrough's own
    re-run must be the one the page waits for (an automatic one finishing first, as on a slow
    machine, would leave nothing running to wait for)."""
    monkeypatch.setitem(app.config, "ANALYSIS_ON_CLOSE", False)
    with app.app_context():
        sessions = demo_sessions(WALK_MINUTES)
        seed_demo(PASSWORD, sessions)
    monkeypatch.undo()
    return len(sessions[0].samples)


def _wait_charts(page, timeout: float = 60_000) -> int:
    page.wait_for_selector("body[data-charts-ready=true]", timeout=timeout)
    return int(page.evaluate("document.body.dataset.chartsMs"))


@pytest.fixture
def worker(start_celery):
    return start_celery(worker_args("dashboard"), name="dashboard")


def test_dashboard_walkthrough_on_a_million_sample_session(
    app, worker, offline_page, tmp_path, monkeypatch
):
    walk_samples = _seed(app, monkeypatch)
    assert walk_samples >= 1_000_000
    page = offline_page
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )

    with gunicorn(workers=4, log=tmp_path / "server.log") as base:
        sign_in(page, base, "demo", PASSWORD)
        assert page.locator("#sessions tbody tr").count() == 2
        page.screenshot(path=str(ARTIFACTS / "dashboard-sessions.png"), full_page=True)

        # Cold: plotly.js is not cached yet. Then warm: a reload.
        page.click("text=demo-walk")
        cold_ms = _wait_charts(page)
        page.reload()
        warm_ms = _wait_charts(page)
        timing = {"samples": walk_samples, "cold_ms": cold_ms, "warm_ms": warm_ms}
        (ARTIFACTS / "dashboard-timing.json").write_text(json.dumps(timing))
        print(f"\nsession page with {walk_samples:,} samples: charts drawn in {timing}")

        charts = page.locator("[data-series-url]")
        assert charts.count() == 3  # accelerometer, gps, gyroscope
        for index in range(3):
            chart = charts.nth(index)
            assert 0 < int(chart.get_attribute("data-points")) <= SERIES_POINTS
            assert chart.locator("g.trace.scatter path.js-line").count() >= 1
        assert int(page.locator("#track").get_attribute("data-fixes")) > 100
        assert page.locator("#track g.trace.scatter path.js-line").count() == 1
        assert "km" in page.locator("#track-distance").inner_text()
        page.wait_for_selector("body[data-coverage-ready=true]", timeout=30_000)
        assert page.locator("#coverage-table tbody tr").count() == 3

        # Re-run the analysis: the page polls and reloads itself when the worker is done.
        page.click("#rerun")
        page.wait_for_selector("#analysis-running")
        page.wait_for_selector("#statistics", timeout=120_000)
        _wait_charts(page)
        assert "accelerometer" in page.locator("#quality").inner_text()
        anomalies = page.locator("[data-sensor=accelerometer] .legendtext", has_text="anomaly")
        assert anomalies.count() == 1  # the demo walk's kerb steps are marked
        page.wait_for_selector("body[data-coverage-ready=true]", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "dashboard-session.png"), full_page=True)

        with page.expect_download(timeout=120_000) as download_info:
            page.click("text=Export CSV")
        csv_path = tmp_path / "walk.csv"
        download_info.value.save_as(csv_path)
        with open(csv_path, newline="") as csv_file:
            reader = csv.reader(csv_file)
            header = next(reader)
            rows = sum(1 for _ in reader)
        assert header[:2] == ["sensor_type", "timestamp"] and {"x", "latitude"} <= set(header)
        assert rows == walk_samples

        page.click("nav >> text=Statistics")
        _wait_charts(page)
        assert page.locator(".chart.small .main-svg").count() >= 4
        page.screenshot(path=str(ARTIFACTS / "dashboard-statistics.png"), full_page=True)

        page.click("nav >> text=Sync log")
        assert page.locator("#sync-log tbody tr.success").count() >= 10
        page.screenshot(path=str(ARTIFACTS / "dashboard-sync-log.png"), full_page=True)

        page.goto(base + "/dashboard/sessions/demo-table/delete")
        page.click("#confirm-delete")
        page.wait_for_selector("#sessions")
        assert "demo-table deleted" in page.inner_text("main")
        assert page.locator("#sessions tbody tr").count() == 1

        page.click("text=Sign out")
        page.wait_for_selector("input[name=username]")
        page.goto(base + "/dashboard/sessions")
        assert "/dashboard/login" in page.url

    assert page.refused == [], f"the page tried to reach the internet: {page.refused}"
    assert problems == [], problems
