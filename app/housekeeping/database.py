"""VACUUM / ANALYZE and table statistics, per backend.

PostgreSQL: `VACUUM (ANALYZE)` per application table on an autocommit connection (VACUUM
cannot run in a transaction), then `pg_stat_user_tables` plus relation sizes.
SQLite: `ANALYZE` + `PRAGMA optimize`, a `VACUUM` only when over a fifth of the file is free
pages (it rewrites the whole file), and a WAL checkpoint.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import bindparam, func, select, text

from app.clock import iso_utc
from app.database import is_postgres
from app.extensions import db

VACUUM_FREE_RATIO = 0.2

_PG_STATS = text(
    """
    SELECT relname, n_live_tup, n_dead_tup, last_vacuum, last_autovacuum, last_analyze,
           last_autoanalyze, pg_total_relation_size(relid), pg_relation_size(relid),
           pg_indexes_size(relid)
    FROM pg_stat_user_tables WHERE relname IN :names ORDER BY relname
    """
).bindparams(bindparam("names", expanding=True))


def table_names() -> list[str]:
    """The application's tables (from the models, so new tables are included)."""
    return [table.name for table in db.metadata.sorted_tables]


def _pg_statistics() -> dict[str, dict[str, Any]]:
    rows = db.session.execute(_PG_STATS, {"names": table_names()}).all()
    db.session.rollback()
    return {
        row[0]: {
            "live_rows": row[1],
            "dead_rows": row[2],
            "last_vacuum": iso_utc(max(filter(None, (row[3], row[4])), default=None)),
            "last_analyze": iso_utc(max(filter(None, (row[5], row[6])), default=None)),
            "total_bytes": row[7],
            "table_bytes": row[8],
            "index_bytes": row[9],
        }
        for row in rows
    }


def _sqlite_statistics() -> dict[str, dict[str, Any]]:
    connection = db.session.connection()
    try:
        sizes = dict(connection.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")))
    except Exception:  # dbstat is an optional SQLite build feature
        sizes = {}
    stats = {}
    for name in table_names():
        rows = connection.execute(select(func.count()).select_from(text(name))).scalar_one()
        stats[name] = {"live_rows": rows, "total_bytes": sizes.get(name)}
    db.session.rollback()
    return stats


def table_statistics() -> dict[str, dict[str, Any]]:
    """Rows and sizes per application table (PostgreSQL row counts are its estimates)."""
    return _pg_statistics() if is_postgres() else _sqlite_statistics()


def _vacuum_postgres() -> dict[str, float]:
    timings = {}
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in table_names():
            started = time.perf_counter()
            connection.execute(text(f'VACUUM (ANALYZE) "{name}"'))
            timings[name] = round(time.perf_counter() - started, 3)
    return timings


def _optimize_sqlite() -> dict[str, Any]:
    raw = db.engine.raw_connection()  # autocommit at the driver level (see app/database.py)
    try:
        cursor = raw.cursor()
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA optimize")
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        free = cursor.execute("PRAGMA freelist_count").fetchone()[0]
        vacuumed = False
        if pages and free / pages > VACUUM_FREE_RATIO:
            try:
                cursor.execute("VACUUM")
                vacuumed = True
            except sqlite3.OperationalError:  # busy: another connection is reading
                vacuumed = False
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
        return {"pages": pages, "free_pages": free, "vacuumed": vacuumed}
    finally:
        raw.close()


def optimize() -> dict[str, Any]:
    """Reclaim space and refresh planner statistics; returns what was done and table stats."""
    db.session.rollback()
    if is_postgres():
        done: dict[str, Any] = {"backend": "postgresql", "vacuum_seconds": _vacuum_postgres()}
    else:
        done = {"backend": "sqlite", **_optimize_sqlite()}
    return {**done, "tables": table_statistics()}
