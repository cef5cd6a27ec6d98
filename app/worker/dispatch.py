"""Publishing tasks by name from the web app, after the commit they depend on.

`ignore_result` keeps the request process from subscribing to a result channel per task
(Celery's Redis backend would otherwise do so); results live in our own tables.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)


def send(
    name: str,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    task_id: str | None = None,
    countdown: float | None = None,
) -> str:
    """Publish `name` once: no connection or publish retries, so a request never hangs on a
    dead broker (the pooled producer would retry the connection for a while)."""
    celery = current_app.extensions["celery"]
    with celery.connection_for_write(transport_options={"max_retries": 0}) as connection:
        result = celery.send_task(
            name,
            args=list(args),
            kwargs=kwargs or {},
            task_id=task_id,
            countdown=countdown,
            connection=connection,
            retry=False,
            ignore_result=True,
        )
    return result.id


def try_send(name: str, args: Sequence[Any] = (), **options: Any) -> str | None:
    """`send`, but a broker failure is logged and answered with None instead of raised."""
    try:
        return send(name, args, **options)
    except Exception:
        log.warning(
            "could not enqueue %s%r; a periodic sweep will retry", name, tuple(args), exc_info=True
        )
        return None
