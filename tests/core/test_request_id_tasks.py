"""A request's id travels with the Celery tasks that request enqueues, so one id follows the
work into the worker logs."""

from celery import signals

from tests.payloads import push_body, samples
from tests.sync.helpers import push


def test_request_id_travels_into_the_tasks_a_request_enqueues(client, auth_headers):
    push(client, auth_headers, push_body("traced", data=samples(50)))
    published = []

    def capture(headers=None, **_kwargs):
        published.append((headers or {}).get("request_id"))

    signals.before_task_publish.connect(capture, weak=False)
    try:
        response = client.post(
            "/api/sessions/traced/analysis",
            json={},
            headers={**auth_headers, "X-Request-ID": "trace-42"},
        )
    finally:
        signals.before_task_publish.disconnect(capture)
    assert response.status_code == 202, response.json
    assert published and set(published) == {"trace-42"}
