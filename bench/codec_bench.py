"""Chunk codec benchmark (not a test): bytes per sample and throughput of
app/recordings/chunk_codec.py on a realistic one-hour recording (bench/realistic_session.py:
accelerometer, gyroscope and magnetometer at 100 Hz, GPS at 1 Hz; 1,083,600 samples).

    .venv/bin/python bench/codec_bench.py [--chunks 10000,50000,100000,0] [--level 3]
        [--seconds 3600] [--unquantised] [--repeat 3]

For each chunk size (0 = a sensor type's whole session in one chunk) every sensor type's
samples are cut into chunks of that many and encoded; then both decoders run over every chunk:
`iter_samples` (back to (timestamp, data) pairs) and `decode_table` (Arrow columns, as analysis
loads them). Before any figure is printed, every decoded sample is checked to serialise to the
same orjson bytes (keys sorted) as the sample given, and every Arrow column to hold the same
float64 bits: a wrong codec cannot produce a figure.

Printed per sensor type and overall: payload bytes per sample, JSON bytes per sample (orjson of
`{"timestamp", "data"}`, what a push carries) and that JSON compressed with zstd at the same
level, the ratio JSON / payload, and samples per CPU-second (this process's CPU time, best of
--repeat runs) for encoding and each decoder: CPU time, not wall time, so that other busy
processes on the machine do not count, and it is what capacity arithmetic needs.
`--unquantised` adds float32 noise below the sensors' resolution, so that values lie on no grid
and hardly repeat: the worst case for the codec. Target: well under 12 B/sample.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.recordings.chunk_codec import decode_table, encode_chunk, iter_samples  # noqa: E402
from app.recordings.chunk_layout import plan  # noqa: E402
from app.recordings.chunk_parquet import ROW_GROUP_ROWS, ZSTD_LEVEL  # noqa: E402
from bench.realistic_session import one_hour  # noqa: E402

TARGET_BYTES = 12.0
ALTERNATIVES = {
    "ipc": "Arrow IPC + zstd",
    "bss": "Parquet byte-stream-split floats only",
    "dictionary": "Parquet dictionary only",  # the timestamps delta-encoded in both
}
SORTED = orjson.OPT_SORT_KEYS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", default="10000,50000,100000,0", help="0 = whole session")
    parser.add_argument("--level", type=int, default=None, help="zstd level (codec default)")
    parser.add_argument("--seconds", type=int, default=3600, help="length of the recording")
    parser.add_argument("--unquantised", action="store_true", help="values on no grid")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs, best kept")
    args = parser.parse_args(argv)
    args.chunks = [int(n) for n in args.chunks.split(",")]
    if min(args.chunks) < 0 or args.seconds < 1 or args.repeat < 1:
        parser.error("--chunks must be >= 0, --seconds and --repeat positive")
    return args


def unquantised(corpus: dict[str, list], seed: int = 7) -> dict[str, list]:
    """The motion sensors' values plus float32 noise of a tenth of a µT / mm/s² / mrad/s."""
    rng = np.random.default_rng(seed)
    out = {}
    for sensor, samples in corpus.items():
        if sensor == "gps":
            out[sensor] = samples
            continue
        values = np.array([[d["x"], d["y"], d["z"]] for _, d in samples])
        values = (values + rng.normal(0, 1e-4, values.shape)).astype(np.float32)
        rows = values.astype(np.float64).tolist()
        out[sensor] = [
            (ts, {"x": x, "y": y, "z": z}) for (ts, _), (x, y, z) in zip(samples, rows, strict=True)
        ]
    return out


def best_time(action: Callable[[], object], repeat: int) -> float:
    """CPU seconds of the fastest of `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        action()
        best = min(best, time.process_time() - started)
    return best


def verify(parts: list[list], payloads: list[bytes]) -> None:
    """Every sample and every analysis column back exactly, or the benchmark stops."""
    for part, payload in zip(parts, payloads, strict=True):
        decoded = list(iter_samples(payload))
        assert len(decoded) == len(part), "sample count differs"
        for given, back in zip(part, decoded, strict=True):
            if orjson.dumps(given, option=SORTED) != orjson.dumps(back, option=SORTED):
                raise AssertionError(f"sample differs: {given!r} != {back!r}")
        table = decode_table(payload)
        assert table["timestamp"].to_pylist() == [ts for ts, _ in part], "timestamps differ"
        for name in table.column_names[1:]:
            expected = np.array([data[name] for _, data in part], dtype=np.float64)
            stored = table[name].to_numpy()
            assert np.array_equal(stored.view(np.int64), expected.view(np.int64)), name


def measure(samples: list, chunk: int, level: int | None, repeat: int) -> dict:
    size = chunk or len(samples)
    parts = [samples[i : i + size] for i in range(0, len(samples), size)]
    options = {} if level is None else {"level": level}
    encoded = [encode_chunk(part, **options) for part in parts]
    payloads = [e.payload for e in encoded]
    verify(parts, payloads)
    json_texts = [orjson.dumps([{"timestamp": t, "data": d} for t, d in p]) for p in parts]
    zstd = pa.Codec("zstd", level or ZSTD_LEVEL)
    return {
        "samples": len(samples),
        "payload": sum(map(len, payloads)),
        "json": sum(map(len, json_texts)) - 2 * len(parts),  # without the brackets
        "json_zstd": sum(zstd.compress(text).size for text in json_texts),
        "encode": best_time(lambda: [encode_chunk(p, **options) for p in parts], repeat),
        # Consumed as a streaming reader does, not kept (keeping a million dicts alive makes
        # the garbage collector, not the codec, the cost).
        "dicts": best_time(lambda: [deque(iter_samples(p), maxlen=0) for p in payloads], repeat),
        "arrow": best_time(lambda: [decode_table(p) for p in payloads], repeat),
        "encodings": _encodings(payloads[0]),
        **{name: sum(sizes) for name, sizes in _alternatives(parts, level or ZSTD_LEVEL).items()},
    }


def _alternatives(parts: list[list], level: int) -> dict[str, list[int]]:
    """Sizes of the same typed columns written the other ways that were considered."""
    sizes: dict[str, list[int]] = {name: [] for name in ALTERNATIVES}
    for part in parts:
        layout = plan([data for _, data in part])
        columns = {"ts": pa.array([ts for ts, _ in part], pa.int64())}
        table = pa.table(columns | {f"c{i}": c.values for i, c in enumerate(layout.columns)})
        sink = pa.BufferOutputStream()
        options = ipc.IpcWriteOptions(compression=pa.Codec("zstd", level))
        with ipc.new_file(sink, table.schema, options=options) as writer:
            writer.write_table(table)
        sizes["ipc"].append(sink.tell())
        delta = {"ts": "DELTA_BINARY_PACKED"}
        split = delta | {
            name: "BYTE_STREAM_SPLIT" if pa.types.is_floating(table[name].type) else "PLAIN"
            for name in table.column_names[1:]
        }
        for name, extra in (
            ("bss", {"use_dictionary": False, "column_encoding": split}),
            ("dictionary", {"use_dictionary": table.column_names[1:], "column_encoding": delta}),
        ):
            sink = pa.BufferOutputStream()
            pq.write_table(
                table,
                sink,
                compression="zstd",
                compression_level=level,
                row_group_size=ROW_GROUP_ROWS,
                store_schema=False,
                **extra,
            )
            sizes[name].append(sink.tell())
    return sizes


def _encodings(payload: bytes) -> str:
    """The Parquet encoding the codec chose for each column of a payload's first row group."""
    metadata = pq.ParquetFile(pa.BufferReader(payload)).metadata
    chosen = []
    for i in range(metadata.num_columns):
        column = metadata.row_group(0).column(i)
        data = [e for e in column.encodings if e not in ("RLE", "PLAIN")] or ["PLAIN"]
        chosen.append(f"{column.path_in_schema}={data[-1]}")
    return " ".join(chosen)


def report_line(name: str, m: dict) -> str:
    n = m["samples"]
    return (
        f"{name:14s} {n:>9,} {m['payload'] / n:8.2f} {m['json'] / n:7.1f} "
        f"{m['json_zstd'] / n:9.2f} {m['json'] / m['payload']:6.1f}x "
        f"{n / m['encode']:>10,.0f} {n / m['dicts']:>10,.0f} {n / m['arrow']:>11,.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus = one_hour(args.seconds)
    if args.unquantised:
        corpus = unquantised(corpus)
    total_samples = sum(map(len, corpus.values()))
    print(f"corpus: {args.seconds} s, {total_samples:,} samples", end="")
    print(" (unquantised values)" if args.unquantised else " (values quantised as delivered)")
    worst = 0.0
    for chunk in args.chunks:
        print(f"\nchunks of {chunk:,} samples" if chunk else "\none chunk per sensor type")
        print(
            f"{'sensor type':14s} {'samples':>9} {'B/sample':>8} {'JSON B':>7} "
            f"{'JSON+zstd':>9} {'ratio':>7} {'encode/s':>10} {'dicts/s':>10} {'arrow/s':>11}"
        )
        results = {s: measure(v, chunk, args.level, args.repeat) for s, v in corpus.items()}
        for sensor, m in results.items():
            print(report_line(sensor, m))
        overall = {
            k: sum(m[k] for m in results.values()) for k in results["gps"] if k != "encodings"
        }
        print(report_line("all", overall))
        worst = max(worst, overall["payload"] / overall["samples"])
        for sensor, m in results.items():
            print(f"  {sensor}: {m['encodings']}")
        print(
            "  the same columns written otherwise, B/sample: "
            + ", ".join(
                f"{label} {overall[key] / total_samples:.2f}" for key, label in ALTERNATIVES.items()
            )
        )
    print(f"\nall samples verified exact; worst overall {worst:.2f} B/sample", end=" ")
    print(f"(target < {TARGET_BYTES:g}): {'met' if worst < TARGET_BYTES else 'MISSED'}")
    return 0 if worst < TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
