"""Simulated phones that push and pull against the running server and remember exactly what
they sent, so the database can be checked afterwards — used by tests/system and bench/load.py.

The model:
- Users own two phones each. Every phone records its own session (three 3-axis sensors) and
  shares one session with the user's other phone: phone A writes `accelerometer` there,
  phone B writes `gyroscope`, and both write the same `light` samples (identical data), so
  the two devices race on the same keys.
- A batch carries `batch_min`…`batch_max` samples. About `repeat_ratio` of them are keys the
  phone sent in earlier batches (a retry, or a re-sync): half unchanged (→ duplicates), half
  with new data (→ updated, last write wins). A few keys appear twice within the batch (the
  later copy wins), and every third batch carries one invalid sample (→ errors).
- Only the phone that owns a sensor stream ever changes its data, and a phone's pushes are
  sequential, so the last data written for every key is known: the database must hold exactly
  the union of the keys sent, each with the data of its last write.
"""

from __future__ import annotations

import random
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.recordings.chunk_codec import iter_samples
from tests.payloads import push_body, sample
from tests.system.api_client import Api, percentile

T0 = 1_763_000_000_000  # 2025-11-13T02:13:20Z
STEP_MS = 10  # 100 Hz
LIGHT_STEP_MS = 1000  # 1 Hz
OWN_SENSORS = ("accelerometer", "gyroscope", "magnetometer")
START_TIME = "2025-11-13T02:13:20Z"


def sample_data(stream: str, timestamp: int, version: int) -> dict[str, Any]:
    """The data of one key at one version: deterministic, so it can be recomputed to check."""
    seed = (zlib.crc32(stream.encode()) ^ timestamp * 2654435761) & 0xFFFFFF
    return {"x": seed % 1000 / 100, "y": (seed >> 10) % 1000 / 100, "z": 9.81, "v": version}


@dataclass
class Stream:
    """One (session, sensor type) series of samples; `count` keys sent so far, contiguous."""

    session_id: str
    sensor_type: str
    step: int
    shared: bool = False
    count: int = 0
    versions: dict[int, int] = field(default_factory=dict)  # timestamp -> version (if > 0)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return f"{self.session_id}/{self.sensor_type}"

    def timestamp(self, index: int) -> int:
        return T0 + index * self.step

    def sample(self, timestamp: int, version: int | None = None) -> dict[str, Any]:
        if version is None:
            version = self.versions.get(timestamp, 0)
        return sample(timestamp, self.sensor_type, **sample_data(self.name, timestamp, version))


@dataclass
class Expectation:
    """What one push must report (given the server state the phone knows about)."""

    total: int
    errors: int
    updated: int
    own_new: int  # keys no one sent before: inserted
    shared_new: int  # shared keys this phone sends first: inserted here or by the partner

    def check(self, body: dict[str, Any], strict: bool = True) -> list[str]:
        counts = [body[k] for k in ("inserted", "updated", "duplicates", "errors")]
        problems = []
        if sum(counts) != body["total_records"] or body["total_records"] != self.total:
            problems.append(f"counts do not add up: {counts} vs {self.total}")
        if body["errors"] != self.errors:
            problems.append(f"errors {body['errors']} != {self.errors}")
        if strict:
            if body["updated"] != self.updated:
                problems.append(f"updated {body['updated']} != {self.updated}")
            if not self.own_new <= body["inserted"] <= self.own_new + self.shared_new:
                problems.append(
                    f"inserted {body['inserted']} not in "
                    f"[{self.own_new}, {self.own_new + self.shared_new}]"
                )
        elif body["inserted"] + body["updated"] > self.own_new + self.shared_new + self.updated:
            problems.append(f"a retry wrote more than it carried: {body}")
        return problems


@dataclass
class Stats:
    push_latencies: list[float] = field(default_factory=list)
    pull_latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    samples_sent: int = 0  # in accepted pushes
    inserted: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)
    outage_replies: list[tuple[int, str, bool]] = field(default_factory=list)  # status, type, json
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self, seconds: float) -> dict[str, Any]:
        pushes = self.push_latencies
        return {
            "pushes": len(pushes),
            "pulls": len(self.pull_latencies),
            "samples_pushed": self.samples_sent,
            "samples_per_second": round(self.samples_sent / seconds) if seconds else 0,
            "push_p50_ms": round(percentile(pushes, 0.50) * 1000, 1),
            "push_p95_ms": round(percentile(pushes, 0.95) * 1000, 1),
            "push_p99_ms": round(percentile(pushes, 0.99) * 1000, 1),
            "push_max_ms": round(max(pushes, default=0) * 1000, 1),
            "pull_p50_ms": round(percentile(self.pull_latencies, 0.50) * 1000, 1),
            "pull_p99_ms": round(percentile(self.pull_latencies, 0.99) * 1000, 1),
            "statuses": dict(self.statuses),
            "retries": self.retries,
        }


class Phone:
    def __init__(self, user: str, api: Api, own: Stream, shared: list[Stream], rng: random.Random):
        self.user = user
        self.api = api
        self.own_session = own.session_id
        self.streams = {
            own.session_id: [own] + [Stream(own.session_id, s, STEP_MS) for s in OWN_SENSORS[1:]],
        }
        self.streams[shared[0].session_id] = shared  # [this phone's sensor, shared light]
        self.rng = rng
        self.last_sync: str | None = None

    def all_streams(self) -> list[Stream]:
        return [stream for streams in self.streams.values() for stream in streams]

    def next_batch(self, size: int, repeat_ratio: float) -> tuple[dict, Expectation, Callable]:
        """A push body, what it must report, and `commit()` to call once it was accepted."""
        session_id = self.rng.choice(list(self.streams))
        streams = self.streams[session_id]
        owned = [s for s in streams if not s.shared]
        repeats = int(size * repeat_ratio)
        fresh = size - repeats
        samples: list[dict] = []
        own_new = shared_new = updated = 0
        advances: list[tuple[Stream, int]] = []
        mutations: list[tuple[Stream, int, int]] = []
        # New keys: mostly the phone's own 100 Hz streams; the shared light stream at 1 Hz.
        for stream in streams:
            if stream.shared:
                n = max(1, fresh // 100)
            else:
                n = fresh // len(owned)
            with stream.lock:
                start = stream.count
            samples.extend(stream.sample(stream.timestamp(i), 0) for i in range(start, start + n))
            advances.append((stream, start + n))
            if stream.shared:
                shared_new += n
            else:
                own_new += n
        # Repeats of earlier keys of owned streams: half identical, half changed.
        for stream in owned:
            known = stream.count
            n = min(repeats // len(owned), known)
            if n <= 0:
                continue
            first = self.rng.randrange(0, known - n + 1)
            for i in range(first, first + n):
                ts = stream.timestamp(i)
                if self.rng.random() < 0.5:
                    version = stream.versions.get(ts, 0) + 1
                    samples.append(stream.sample(ts, version))
                    mutations.append((stream, ts, version))
                    updated += 1
                else:
                    samples.append(stream.sample(ts))
        # The same key twice in one batch: the later copy wins, the earlier one is a duplicate.
        self.rng.shuffle(samples)
        for _ in range(max(1, len(samples) // 200)):
            original = self.rng.choice(samples)
            stale = dict(original, data=dict(original["data"], v=-1))
            samples.insert(samples.index(original), stale)
        errors = 0
        if self.rng.random() < 1 / 3:
            samples.append(sample(T0, "Not A Type", x=1))
            errors = 1
        sensors = sorted({s.sensor_type for s in streams})
        body = push_body(
            session_id, samples, start_time=START_TIME, enabled_sensors=sensors, sample_rate=100
        )
        expectation = Expectation(len(samples), errors, updated, own_new, shared_new)

        def commit() -> None:
            for stream, count in advances:
                with stream.lock:
                    stream.count = max(stream.count, count)
            for stream, ts, version in mutations:
                stream.versions[ts] = version

        return body, expectation, commit

    def pull(self, stats: Stats, include_data: bool) -> None:
        body: dict[str, Any] = {"page_size": 100, "include_data": include_data}
        if self.last_sync:
            body["last_sync_time"] = self.last_sync
        if include_data:
            body["session_ids"] = [self.own_session]
        reply = self.api.post("/api/sync/pull", body)
        with stats.lock:
            stats.statuses[reply.status] += 1
            stats.pull_latencies.append(reply.elapsed)
        if reply.status != 200:
            with stats.lock:
                stats.outage_replies.append(
                    (reply.status, reply.headers.get("content-type", ""), reply.is_json)
                )
            return
        try:
            page = reply.json()
        except orjson.JSONDecodeError:
            # A streamed pull whose database went away mid-response ends early: the status
            # line was already sent. The client sees invalid JSON and pulls again.
            with stats.lock:
                stats.statuses["truncated pull"] += 1
            return
        mine = set(self.streams)
        for session in page["sessions"]:
            if session["session_id"] not in mine and not session["session_id"].startswith(
                f"{self.user}-"
            ):
                with stats.lock:
                    stats.problems.append(f"{self.user} pulled {session['session_id']}")
        self.last_sync = page["server_timestamp"]


def build_phones(api: Api, users: int, prefix: str, seed: int = 7) -> list[Phone]:
    """`users` users with two phones each (registered through the API)."""
    phones = []
    for u in range(users):
        name = f"{prefix}{u}"
        signed_in = api.register(name)
        shared_session = f"{name}-shared"
        light = Stream(shared_session, "light", LIGHT_STEP_MS, shared=True)
        for device, sensor in enumerate(("accelerometer", "gyroscope")):
            own = Stream(f"{name}-phone{device}", "accelerometer", STEP_MS)
            shared = [Stream(shared_session, sensor, STEP_MS), light]
            rng = random.Random(seed * 1000 + u * 2 + device)
            phones.append(Phone(name, signed_in, own, shared, rng))
    return phones


@dataclass
class LoadPlan:
    seconds: float = 60
    batch_min: int = 500
    batch_max: int = 5000
    repeat_ratio: float = 0.2
    think_seconds: tuple[float, float] = (0.5, 1.5)  # pause between a phone's requests
    pull_every: int = 4  # every n-th request of a phone is a pull
    retry: bool = False  # retry failed pushes (503 / connection errors) until accepted
    retry_pause: float = 0.5


def run_phone(phone: Phone, plan: LoadPlan, stats: Stats, stop: threading.Event) -> None:
    rng = phone.rng
    n = 0
    # Phones do not start in lockstep: without this offset all of them push at the same
    # instant once, a burst real traffic never has (it alone set the p99 of short runs).
    stop.wait(rng.uniform(0, plan.think_seconds[1]))
    while not stop.is_set():
        n += 1
        try:
            if plan.pull_every and n % plan.pull_every == 0:
                phone.pull(stats, include_data=n % (plan.pull_every * 2) == 0)
            else:
                size = rng.randint(plan.batch_min, plan.batch_max)
                push_until_accepted(phone, size, plan, stats, stop)
        except OSError as error:  # a connection failure outside a push: count, go on
            with stats.lock:
                stats.statuses[f"connection error: {type(error).__name__}"] += 1
        stop.wait(rng.uniform(*plan.think_seconds))


def push_until_accepted(
    phone: Phone, size: int, plan: LoadPlan, stats: Stats, stop: threading.Event
) -> None:
    body, expectation, commit = phone.next_batch(size, plan.repeat_ratio)
    payload = orjson.dumps(body)
    attempt = 0
    while True:
        attempt += 1
        try:
            reply = phone.api.post(
                "/api/sync/push", raw=payload, headers={"Content-Type": "application/json"}
            )
        except OSError as error:
            reply = None
            failure = f"connection error: {type(error).__name__}"
        with stats.lock:
            if reply is not None:
                stats.statuses[reply.status] += 1
                if reply.status == 200:
                    stats.push_latencies.append(reply.elapsed)
            else:
                stats.statuses[failure] += 1
        if reply is not None and reply.status == 200:
            result = reply.json()
            problems = expectation.check(result, strict=attempt == 1)
            commit()
            with stats.lock:
                stats.samples_sent += expectation.total
                stats.inserted += result["inserted"]
                stats.updated += result["updated"]
                stats.problems.extend(f"{phone.user}: {p}" for p in problems)
            return
        if reply is not None:
            kind = reply.headers.get("content-type", "")
            with stats.lock:
                stats.outage_replies.append((reply.status, kind, reply.is_json))
        if not plan.retry or stop.is_set() and attempt > 50:
            if reply is not None:
                with stats.lock:
                    stats.problems.append(
                        f"{phone.user}: push answered {reply.status}: {reply.body[:200]!r}"
                    )
            # The batch may or may not be stored: remember its keys as sent, so the
            # final check can only pass if it was (a lost batch shows up there).
            commit()
            return
        with stats.lock:
            stats.retries += 1
        time.sleep(plan.retry_pause)


def run_load(phones: list[Phone], plan: LoadPlan, during: Callable[[], None] | None = None):
    """Run every phone in its own thread for `plan.seconds`; `during` runs in this thread
    meanwhile (a fault to inject). Returns (stats, elapsed seconds)."""
    stats = Stats()
    stop = threading.Event()
    threads = [
        threading.Thread(target=run_phone, args=(phone, plan, stats, stop), daemon=True)
        for phone in phones
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    try:
        if during is not None:
            during()
        remaining = plan.seconds - (time.perf_counter() - started)
        if remaining > 0:
            stop.wait(remaining)
    finally:
        stop.set()
        for thread in threads:
            thread.join(300)
    return stats, time.perf_counter() - started


def expected_rows(phones: list[Phone]) -> dict[str, Stream]:
    """Every stream once (the shared light stream is held by both phones of a user)."""
    streams: dict[str, Stream] = {}
    for phone in phones:
        for stream in phone.all_streams():
            streams.setdefault(f"{phone.user}:{stream.name}", stream)
    return streams


_STORED_ROWS = """
    SELECT u.username, s.session_id, t.name, d.timestamp, d.data
    FROM sensor_data d
    JOIN recording_sessions s ON s.id = d.recording_session_id
    JOIN users u ON u.id = s.user_id
    JOIN sensor_types t ON t.id = d.sensor_type_id
    WHERE u.username = ANY(%s)
"""
_STORED_CHUNKS = """
    SELECT u.username, s.session_id, t.name, c.payload
    FROM sample_chunks c
    JOIN recording_sessions s ON s.id = c.recording_session_id
    JOIN users u ON u.id = s.user_id
    JOIN sensor_types t ON t.id = c.sensor_type_id
    WHERE u.username = ANY(%s)
"""


def stored_samples(connection, users: list[str]) -> list[tuple[str, str, str, int, Any]]:
    """`(username, session_id, sensor, timestamp, data)` of every sample the users have stored,
    as rows or in chunks (decoded with the server's codec), sorted."""
    with connection.cursor() as cursor:
        cursor.execute(_STORED_ROWS, (users,))
        found = list(cursor.fetchall())
        cursor.execute(_STORED_CHUNKS, (users,))
        for username, session_id, sensor, payload in cursor:
            found += [(username, session_id, sensor, ts, d) for ts, d in iter_samples(payload)]
    return sorted(found, key=lambda stored: stored[:4])


def verify_database(connection, phones: list[Phone]) -> dict[str, int]:
    """Compare every stored sample of the phones' users with what they sent: same keys,
    each with its last-written data. Returns counts; raises AssertionError on a mismatch."""
    streams = expected_rows(phones)
    users = sorted({phone.user for phone in phones})
    problems: list[str] = []
    rows = 0
    current = None
    index = 0
    for username, session_id, sensor, timestamp, data in stored_samples(connection, users):
        rows += 1
        key = f"{username}:{session_id}/{sensor}"
        if key != current:
            if current is not None and index != streams[current].count:
                problems.append(f"{current}: {index} rows, {streams[current].count} sent")
            current, index = key, 0
            if key not in streams:
                problems.append(f"unexpected stream {key}")
                break
        stream = streams[key]
        if timestamp != stream.timestamp(index):
            problems.append(f"{key}: row {index} has {timestamp}, not {stream.timestamp(index)}")
            break
        expected = stream.sample(timestamp)["data"]
        if data != expected:
            problems.append(f"{key}@{timestamp}: stored {data}, last written {expected}")
            if len(problems) > 20:
                break
        index += 1
    if current is not None and not problems and index != streams[current].count:
        problems.append(f"{current}: {index} rows, {streams[current].count} sent")
    seen_streams = {k for k in streams if streams[k].count}
    expected_total = sum(stream.count for stream in streams.values())
    if not problems and rows != expected_total:
        problems.append(f"{rows} rows stored, {expected_total} distinct keys sent ({seen_streams})")
    connection.rollback()
    assert not problems, "\n".join(problems[:20])
    return {"rows": rows, "streams": len(seen_streams)}
