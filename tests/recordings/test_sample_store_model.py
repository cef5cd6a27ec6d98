"""The sample store against a model: random pushes (in order, out of order, overlapping,
changed values, invalid samples), compactions at random points, late pushes, deletes and
retention — after each step every reader returns exactly what a dict of last writes holds, and
the push counts are those of the model and of a twin session that is never compacted."""

from __future__ import annotations

import itertools
import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from app.extensions import db
from app.models import RecordingSession, SampleChunk, SensorData
from app.recordings.samples.compaction import compact_session, compact_step
from app.recordings.samples.retention import delete_session_samples
from tests.payloads import BASE_TS, push_body
from tests.recordings.store_readers import data_pages, pulled
from tests.sync.helpers import push

TYPES = ("acc", "gyro")
_numbers = itertools.count()

# Values the row store keeps exactly on both backends (JSONB turns 1e300 into an integer and
# treats 5 and 5.0 as equal, so integral floats stay out of the float field).
floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(
    lambda f: f if f != int(f) else f + 0.25
)
datas = st.fixed_dictionaries(
    {},
    optional={
        "x": floats,
        "n": st.integers(-(2**63), 2**63 - 1),
        "s": st.text('ab,"é\n', max_size=4),
        "b": st.booleans(),
        "z": st.none(),
        "nest": st.fixed_dictionaries({"k": st.lists(st.integers(0, 3) | floats, max_size=2)}),
    },
)
samples = st.builds(
    lambda sensor, offset, data: {
        "sensor_type": sensor,
        "timestamp": BASE_TS + offset,
        "data": data,
    },
    st.sampled_from(TYPES),
    st.integers(0, 60),
    datas,
)
invalid = st.builds(lambda: {"sensor_type": "acc", "timestamp": 5, "data": {"x": 0.5}})
batches = st.lists(samples | invalid, min_size=1, max_size=25)


def exact(value) -> str:
    return json.dumps(value, sort_keys=True)


class SampleStoreModel(RuleBasedStateMachine):
    def __init__(self, app, client, headers):
        super().__init__()
        self.app, self.client, self.headers = app, client, headers
        self.model: dict[tuple[str, int], dict] = {}
        self.received = 0

    @initialize()
    def new_sessions(self):
        n = next(_numbers)
        self.packed, self.plain = f"packed-{n}", f"plain-{n}"
        self.model, self.received = {}, 0

    def _pk(self, session_id: str) -> int:
        return db.session.query(RecordingSession.id).filter_by(session_id=session_id).scalar()

    @rule(batch=batches)
    def push_batch(self, batch):
        self._push(batch)

    def _push(self, batch):
        expected = self._apply(batch)
        # The packed session takes append-only groups of 3 or more straight as chunks; the
        # plain one only ever holds rows.
        for session_id, appends in ((self.packed, 3), (self.plain, 0)):
            self.app.config["APPEND_CHUNK_MIN_SAMPLES"] = appends
            body = push(self.client, self.headers, push_body(session_id, batch))
            counts = {k: body[k] for k in ("inserted", "updated", "duplicates", "errors")}
            assert counts == expected, (session_id, counts, expected)

    def _apply(self, batch) -> dict:
        valid = [s for s in batch if s["timestamp"] >= BASE_TS]
        last = {(s["sensor_type"], s["timestamp"]): s["data"] for s in valid}
        inserted = sum(key not in self.model for key in last)
        updated = sum(
            key in self.model and exact(self.model[key]) != exact(d) for key, d in last.items()
        )
        self.model.update(last)
        self.received += inserted
        return {
            "inserted": inserted,
            "updated": updated,
            "duplicates": len(valid) - inserted - updated,
            "errors": len(batch) - len(valid),
        }

    @rule(start=st.integers(0, 60), count=st.integers(1, 30), sensor=st.sampled_from(TYPES))
    def push_in_order(self, start, count, sensor):
        """A phone's ordinary batch: consecutive timestamps, new values."""
        batch = [
            {"sensor_type": sensor, "timestamp": BASE_TS + start + i, "data": {"x": i + 0.5}}
            for i in range(count)
        ]
        self._push(batch)

    @rule(step_rows=st.integers(1, 40), chunk_samples=st.integers(1, 30))
    def compact(self, step_rows, chunk_samples):
        with self.app.app_context():
            compact_session(self._pk(self.packed), step_rows=step_rows, chunk_samples=chunk_samples)
            db.session.remove()

    @rule(step_rows=st.integers(1, 40), chunk_samples=st.integers(1, 30))
    def compact_partly(self, step_rows, chunk_samples):
        with self.app.app_context():
            pk = self._pk(self.packed)
            if pk is not None:
                compact_step(pk, step_rows=step_rows, chunk_samples=chunk_samples)
            db.session.remove()

    @rule()
    def retention(self):
        with self.app.app_context():
            for session_id in (self.packed, self.plain):
                pk = self._pk(session_id)
                if pk is not None:
                    delete_session_samples(pk, 7)
            db.session.remove()
        self.model = {}

    @rule()
    def delete_and_start_again(self):
        for session_id in (self.packed, self.plain):
            response = self.client.delete(f"/api/sessions/{session_id}", headers=self.headers)
            assert response.status_code in (200, 404)
        self.new_sessions()

    @invariant()
    def readers_match_the_model(self):
        if not self.model and not self._exists():
            return
        ordered = sorted(self.model.items())
        as_rows = [{"sensor_type": t, "timestamp": ts, "data": d} for (t, ts), d in ordered]
        got = {
            (s["sensor_type"], s["timestamp"]): s["data"]
            for s in pulled(self.client, self.headers, self.packed)
        }
        assert exact(sorted(got.items())) == exact(ordered)
        pages = data_pages(self.client, self.headers, self.packed, limit=6)
        flat = [s for page in pages for s in page]
        assert exact(flat) == exact(as_rows)
        for sensor in TYPES:
            typed = [s for s in as_rows if s["sensor_type"] == sensor]
            pages = data_pages(
                self.client,
                self.headers,
                self.packed,
                f"&sensor_type={sensor}&start={BASE_TS + 10}&end={BASE_TS + 50}",
                limit=4,
            )
            window = [s for s in typed if BASE_TS + 10 <= s["timestamp"] < BASE_TS + 50]
            assert exact([s for page in pages for s in page]) == exact(window)
        detail = self.client.get(f"/api/sessions/{self.packed}", headers=self.headers).json
        summary = {}
        for (sensor, ts), _ in ordered:
            entry = summary.setdefault(
                sensor, {"sensor_type": sensor, "count": 0, "first_timestamp": ts}
            )
            entry["count"] += 1
            entry["last_timestamp"] = ts
        assert detail["sensors"] == list(summary.values())
        assert detail["data_count"] == self.received

    @invariant()
    def rows_and_chunks_never_overlap(self):
        with self.app.app_context():
            pk = self._pk(self.packed)
            if pk is None:
                db.session.remove()
                return
            chunks = (
                db.session.query(
                    SampleChunk.sensor_type_id,
                    SampleChunk.first_timestamp,
                    SampleChunk.last_timestamp,
                )
                .filter_by(recording_session_id=pk)
                .order_by(SampleChunk.sensor_type_id, SampleChunk.first_timestamp)
                .all()
            )
            rows = (
                db.session.query(SensorData.sensor_type_id, SensorData.timestamp)
                .filter_by(recording_session_id=pk)
                .all()
            )
            db.session.remove()
        for (type_a, _, last_a), (type_b, first_b, _) in itertools.pairwise(chunks):
            assert type_a != type_b or last_a < first_b
        for type_id, ts in rows:
            assert not any(t == type_id and first <= ts <= last for t, first, last in chunks)

    def _exists(self) -> bool:
        with self.app.app_context():
            found = self._pk(self.packed) is not None
            db.session.remove()
        return found


def test_every_reader_matches_a_model_of_last_writes(app, client, auth_headers):
    run_state_machine_as_test(
        lambda: SampleStoreModel(app, client, auth_headers),
        settings=settings(
            max_examples=40,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
