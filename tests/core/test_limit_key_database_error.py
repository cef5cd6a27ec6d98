"""A database connection lost under the per-user rate-limit key's user lookup: the request is
answered by the view (here: it reconnects and succeeds), never a 500 from a session left in
the failed transaction. Seen in tests/system/test_database_outage.py as a rare 500."""

import time

import pytest
from sqlalchemy import create_engine, event, text

from app.extensions import db, limiter
from tests.conftest import DATABASE_URL
from tests.payloads import push_body, samples

pytestmark = pytest.mark.postgres


def _terminate(pid: int) -> None:
    """Kill one PostgreSQL backend and wait until it is gone."""
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ):
            time.sleep(0.05)
    admin.dispose()


def test_connection_lost_under_the_limit_key_is_not_a_500(app, client, register):
    headers = register().headers
    killed = []

    def kill_the_first_user_lookup(conn, cursor, statement, *_args):
        if not killed and "FROM users" in statement:
            killed.append(cursor.connection.get_backend_pid())
            _terminate(killed[0])

    limiter.enabled = True
    limiter.reset()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", kill_the_first_user_lookup)
        try:
            response = client.post(
                "/api/sync/push", json=push_body(data=samples(3)), headers=headers
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", kill_the_first_user_lookup)
            limiter.enabled = False
    assert killed, "the user lookup never ran"
    assert response.status_code == 200, response.json
