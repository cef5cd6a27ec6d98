"""/api/docs renders in a real browser with no internet, and lists the operations."""

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.server import gunicorn

pytestmark = pytest.mark.slow


def test_swagger_ui_renders_offline_and_expands_push(offline_page, tmp_path):
    page = offline_page
    with gunicorn(workers=1, log=tmp_path / "server.log") as base:
        page.goto(base + "/api/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        summaries = page.locator(".opblock-summary-path").all_inner_texts()
        for path in ("/api/sync/push", "/api/sync/pull", "/api/auth/login", "/health"):
            assert any(path in text for text in summaries), summaries
        push = page.locator(".opblock-post", has_text="/api/sync/push").first
        push.locator(".opblock-summary").click()
        push.locator(".opblock-body").wait_for(timeout=10_000)
        body_text = push.inner_text()
        assert "Push a session and a batch of samples" in body_text
        assert "200" in body_text and "413" in body_text
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
    assert page.refused == [], f"the page tried to reach the internet: {page.refused}"
