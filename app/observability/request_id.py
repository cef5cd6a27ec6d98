"""A request id on every request, log line and task.

Taken from `X-Request-ID` when the caller (or a proxy) sends a sane one, generated otherwise,
returned in the response, and carried into Celery tasks as a message header, so one id
follows a push from the HTTP log to the analysis it triggered.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from celery import signals
from flask import Flask, g, request

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record (None outside requests and tasks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


def init_request_id(app: Flask) -> None:
    @app.before_request
    def _assign():
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if _VALID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_id_token = current_request_id.set(g.request_id)

    @app.after_request
    def _answer(response):
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response

    @app.teardown_request
    def _forget(_error):
        token = g.pop("request_id_token", None)
        if token is not None:
            current_request_id.reset(token)


@signals.before_task_publish.connect
def _send_request_id(headers=None, **_kwargs):
    request_id = current_request_id.get()
    if headers is not None and request_id:
        headers["request_id"] = request_id


@signals.task_prerun.connect
def _receive_request_id(task=None, **_kwargs):
    request_id = getattr(task.request, "request_id", None) if task else None
    current_request_id.set(request_id)


@signals.task_postrun.connect
def _clear_request_id(**_kwargs):
    current_request_id.set(None)
