"""Load with verification: 32 phones for 60 s against gunicorn + PostgreSQL, then the database
is compared key by key with what they sent."""

from __future__ import annotations

import json
import os

from tests.system.phones import LoadPlan, build_phones, run_load, verify_database

PHONES = 32
SECONDS = float(os.environ.get("SYSTEM_LOAD_SECONDS", 60))


def test_32_phones_for_60_seconds_store_exactly_what_they_sent(healthy_system):
    system = healthy_system
    phones = build_phones(system.api(), PHONES // 2, "load")
    plan = LoadPlan(seconds=SECONDS)

    stats, elapsed = run_load(phones, plan)

    summary = stats.summary(elapsed)
    print("\nload test:", json.dumps(summary))
    assert not [s for s in stats.statuses if not isinstance(s, int) or s >= 500], stats.statuses
    assert set(stats.statuses) == {200}, stats.statuses
    assert not stats.problems, "\n".join(stats.problems[:20])
    assert summary["pushes"] >= PHONES  # every phone got work done
    assert summary["pulls"] >= PHONES

    connection = system.db(autocommit=False)
    try:
        stored = verify_database(connection, phones)
    finally:
        connection.close()
    # Every key was inserted by exactly one response; every change reported as an update.
    assert stats.inserted == stored["rows"]
    print("verified:", stored, "inserted:", stats.inserted, "updated:", stats.updated)
