"""What compacts a session: its close (a delayed task), the Beat sweep over closed and idle
sessions, and `flask compact-samples`."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.housekeeping import compaction
from app.models import SampleChunk, SensorData
from app.tasks.samples import compact_session, sweep_compaction
from tests.payloads import END, xyz
from tests.tasks.data import age_session, push, session_pk


def _stored(app, pk: int) -> tuple[int, int]:
    """(rows, samples in chunks) of one session."""
    with app.app_context():
        rows = db.session.scalar(select(func.count()).where(SensorData.recording_session_id == pk))
        in_chunks = db.session.scalar(
            select(func.coalesce(func.sum(SampleChunk.sample_count), 0)).where(
                SampleChunk.recording_session_id == pk
            )
        )
        db.session.remove()
        return rows, in_chunks


def _sessions(app, client, register) -> dict[str, int]:
    account = register()
    headers, user_id = account.headers, account.user["id"]
    for sid, fields in [("closed", {"end_time": END}), ("idle", {}), ("busy", {})]:
        push(client, headers, sid, xyz("accelerometer", 20), **fields)
    pks = {sid: session_pk(app, user_id, sid) for sid in ("closed", "idle", "busy")}
    age_session(app, pks["idle"], minutes=180)
    return pks


def test_the_sweep_finds_closed_and_idle_sessions_with_rows(app, client, register):
    pks = _sessions(app, client, register)
    with app.app_context():
        assert compaction.sessions_to_compact(compaction.idle_cutoff()) == [
            pks["closed"],
            pks["idle"],
        ]
        compaction.compact(pks["closed"])
        assert compaction.sessions_to_compact(compaction.idle_cutoff()) == [pks["idle"]]
    with app.test_request_context():
        assert sweep_compaction() == {"found": 1, "enqueued": 1}


def test_the_task_compacts_a_session_and_a_second_run_finds_nothing(app, client, register):
    pks = _sessions(app, client, register)
    with app.app_context():
        assert compact_session(pks["closed"]) == {
            "session": pks["closed"],
            "samples": 20,
            "steps": 1,
            "chunks_merged": 0,
        }
        assert compact_session(pks["closed"])["samples"] == 0
    assert _stored(app, pks["closed"]) == (0, 20)
    assert _stored(app, pks["busy"]) == (20, 0)


def test_closing_a_session_publishes_its_compaction(app, client, register):
    pks = _sessions(app, client, register)
    with app.test_request_context():
        assert compaction.compact_after_close(pks["closed"]) is not None
        app.config["COMPACTION_ON_CLOSE"] = False
        try:
            assert compaction.compact_after_close(pks["closed"]) is None
        finally:
            app.config["COMPACTION_ON_CLOSE"] = True


def test_the_command_compacts_closed_and_idle_sessions_and_can_run_again(app, client, register):
    pks = _sessions(app, client, register)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["compact-samples"])
    assert result.exit_code == 0, result.output
    assert "2 sessions to compact" in result.output
    assert "Moved 40 samples into chunks" in result.output
    assert [_stored(app, pks[sid]) for sid in ("closed", "idle", "busy")] == [
        (0, 20),
        (0, 20),
        (20, 0),
    ]
    again = runner.invoke(args=["compact-samples"])
    assert "0 sessions to compact" in again.output
    everything = runner.invoke(args=["compact-samples", "--idle-minutes", "0"])
    assert "Moved 20 samples" in everything.output
    assert _stored(app, pks["busy"]) == (0, 20)
