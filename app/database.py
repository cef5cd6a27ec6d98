"""Engine set-up per backend and how a write transaction begins.

SQLite: WAL (readers never block the writer), foreign keys on, a busy timeout, and explicit
`BEGIN` / `BEGIN IMMEDIATE` emitted by us (pysqlite's own transaction handling is turned off,
as the SQLAlchemy docs recommend) so a push can take the write lock up front.
"""

from __future__ import annotations

import select as socket_select
import time
from collections.abc import Iterator

from sqlalchemy import ColumnElement, Select, delete, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError

from app.extensions import db

_IMMEDIATE = "koodtx_immediate"


# A connection back from the pool within this many seconds was working a moment ago.
PING_AFTER_IDLE_SECONDS = 5.0


def configure_engine(engine: Engine) -> None:
    _ping_connections_that_sat_idle(engine)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection):
        immediate = connection.get_execution_options().get(_IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def dialect_name() -> str:
    return db.engine.dialect.name


def is_postgres() -> bool:
    return dialect_name() == "postgresql"


def dialect_insert(table):
    """`INSERT` of this backend's dialect, which has `on_conflict_do_nothing/_do_update`
    (spelled the same by PostgreSQL and SQLite)."""
    return (postgresql if is_postgres() else sqlite).insert(table)


def count_rows(query: Select) -> int:
    """How many rows `query` selects (it is counted as a subquery, so it may be any select)."""
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _ping_connections_that_sat_idle(engine: Engine) -> None:
    """Test a pooled connection before use when it sat idle (the database may have restarted
    meanwhile), as `pool_pre_ping` does, but skip the test for one used moments ago.

    A request checks a connection out about twice (its transaction is restarted before a
    write), so pinging every checkout cost two round trips of the eleven of a small push:
    measured 10 % of the app's upload throughput (bench/app_push_bench.py).

    A connection used moments ago is still checked without a round trip: when the server
    closed it (a restart terminates every backend, which then says so and closes the socket),
    the socket has something to read, while a live idle connection never does. Without that,
    each process's first request after a database restart failed with a 503. A connection that
    dies while busy, or whose server vanished without a word, is caught anyway: the request
    answers 503 and SQLAlchemy renews the pool.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        checked_in = record.info.get("checked_in")  # none yet: the connection is brand new
        if checked_in is None:
            return
        if time.monotonic() - checked_in < PING_AFTER_IDLE_SECONDS:
            if _closed_by_server(dbapi_connection):
                raise DisconnectionError("the database closed the connection while it was idle")
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as error:  # any failure: the pool reconnects (up to three tries)
            raise DisconnectionError(str(error)) from error


def _closed_by_server(dbapi_connection) -> bool:
    """Whether an idle connection's socket has something to read: the server's goodbye (or
    EOF). One non-blocking system call; SQLite connections have no socket."""
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return False
    try:
        readable, _, _ = socket_select.select([fileno()], [], [], 0)
    except (OSError, ValueError):  # already closed
        return True
    return bool(readable)


def begin_write_transaction() -> Connection:
    """End any open (read) transaction and start one that intends to write.

    On SQLite this takes the database's write lock immediately, so stamps taken inside the
    transaction are ordered like the commits (see app/recordings/watermark.py).
    """
    db.session.rollback()
    return db.session.connection(execution_options={_IMMEDIATE: True})


def stream_rows(statement, params: dict, chunk: int) -> Iterator[list]:
    """Rows of a large query in lists of `chunk`, through a server-side cursor (PostgreSQL),
    so memory stays flat however many rows there are.

    Plain `fetchmany` on a `stream_results` result: with `yield_per` + `partitions()`,
    SQLAlchemy 2.1 on psycopg2 was measured holding the whole result (+223 MB for 500k rows).
    """
    connection = db.session.connection().execution_options(
        stream_results=True, max_row_buffer=chunk
    )
    result = connection.execute(statement, params)
    while rows := result.fetchmany(chunk):
        yield rows


def delete_in_batches(model, condition: ColumnElement[bool], batch: int) -> tuple[int, int]:
    """Delete rows of `model` matching `condition`, `batch` at a time, each batch its own
    transaction so no statement holds locks for long. Returns (rows, transactions)."""
    total = batches = 0
    while True:
        begin_write_transaction()
        ids = select(model.id).where(condition).order_by(model.id).limit(batch)
        deleted = db.session.execute(delete(model).where(model.id.in_(ids))).rowcount
        db.session.commit()
        total, batches = total + deleted, batches + 1
        if deleted < batch:
            return total, batches
