"""The session page plays a session's audio in a real browser, placed on the session's time
axis: the player loads the file (through the cookie sign-in, with Range requests), the
charts shade the recording's span, and a line follows the playback position."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from tests.audio import files
from tests.audio.helpers import add_recording
from tests.browser.conftest import ARTIFACTS
from tests.browser.sign_in import sign_in
from tests.payloads import push_body
from tests.server import gunicorn

START_MS = 1_763_000_000_000  # the session's start; samples every 10 ms for 10 s
STOP_MS = START_MS + 5_000  # the app stamps a recording when it stops: 2 s long → starts at 3 s


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _until(page, expression: str, timeout: float = 10.0):
    """Poll `expression` in the page until it is truthy (the page's CSP forbids the string
    evaluation of `wait_for_function`)."""
    deadline = time.monotonic() + timeout
    while not (value := page.evaluate(expression)):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)
    return value


def _prepare(app, client, register) -> None:
    registered = register("listener", password="correct-horse-1")
    user, headers = registered.user, registered.headers
    samples = [
        {
            "sensor_type": "accelerometer",
            "timestamp": START_MS + i * 10,
            "data": {"x": i % 7, "y": 0.0, "z": 9.8},
        }
        for i in range(1000)
    ]
    body = push_body("walk-with-audio", samples, start_time=_iso(START_MS))
    assert client.post("/api/sync/push", json=body, headers=headers).status_code == 200
    add_recording(
        app, user["id"], "walk-with-audio", files.wav(2.0, rate=8000), timestamp_ms=STOP_MS
    )


def test_the_session_page_plays_audio_on_the_time_axis(
    app, client, register, offline_page, tmp_path
):
    _prepare(app, client, register)
    page = offline_page
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    with gunicorn(workers=1, log=tmp_path / "server.log") as base:
        sign_in(page, base, "listener", "correct-horse-1")
        page.goto(base + "/dashboard/sessions/walk-with-audio")
        page.wait_for_selector("body[data-charts-ready=true]", timeout=60_000)

        assert page.locator("#audio audio").count() == 1
        assert page.locator(".audio-offset").inner_text() == "3 s"
        _until(page, "document.querySelector('#audio audio').readyState >= 1")
        assert abs(page.evaluate("document.querySelector('#audio audio').duration") - 2.0) < 0.01

        shapes = page.evaluate(
            "document.querySelector('[data-series-url]').layout.shapes"
            ".map((s) => [s.type, new Date(s.x0).getTime(), new Date(s.x1).getTime()])"
        )
        assert shapes == [["rect", START_MS + 3000, START_MS + 5000]]

        page.evaluate("document.querySelector('#audio audio').currentTime = 1.5")
        _until(page, f"document.body.dataset.playheadMs === '{START_MS + 4500}'")
        kinds = page.evaluate(
            "document.querySelector('[data-series-url]').layout.shapes.map((s) => s.type)"
        )
        assert kinds == ["rect", "line"]
        page.screenshot(path=str(ARTIFACTS / "dashboard-session-audio.png"), full_page=True)
    assert problems == []
