"""Retry policy shared by the tasks that touch the database.

A transient database failure (connection lost, SQLite busy) is retried with exponential
backoff; anything else fails the task at once. Retries and redeliveries of one task id are
also counted in its own rows (`attempts`), and the data-heavy tasks stop after
`MAX_TASK_DELIVERIES`, so a poison task cannot loop forever.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

DB_RETRY: dict = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 4,
}
