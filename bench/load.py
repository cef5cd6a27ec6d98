"""Load benchmark: simulated phones against the whole running system, with verification.

    .venv/bin/python bench/load.py [--clients 32] [--batch 1000] [--seconds 60]
        [--think 0.5 1.5] [--pull-every 4] [--repeat-ratio 0.2] [--no-verify]

The same phones as tests/system/test_load_verified.py (tests/system/phones.py), with larger
numbers: users with two phones each push batches to their own session and to one session
shared with their other phone (20 % of each batch repeats earlier keys, half of those with
changed data), pull every few requests, and pause `--think` seconds (uniform) between requests
as phones do. `--think 0 0` makes every client push back to back (a saturation test).

Everything runs on private servers started for the run (tests/system/stack.py): a PostgreSQL
cluster and a Redis on free loopback ports, gunicorn with gunicorn_config.py (its default
worker count), a Celery worker and Beat. Afterwards every stored sample is compared with what
the phones sent (unless `--no-verify`), and the push and pull latency percentiles, throughput
and status counts are printed. The reliability target (docs/RELIABILITY.md#figures) on a
2-core machine: push p99 < 250 ms for 1,000-sample batches at 32 concurrent clients.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.system.phones import LoadPlan, build_phones, run_load, verify_database  # noqa: E402
from tests.system.stack import SystemStack  # noqa: E402

TARGET_P99_MS = 250


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="phones (an even number)")
    parser.add_argument("--batch", type=int, default=1000, help="samples per push")
    parser.add_argument("--batch-max", type=int, default=None, help="vary batches up to this")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"))
    parser.add_argument("--pull-every", type=int, default=4, help="0: no pulls")
    parser.add_argument("--repeat-ratio", type=float, default=0.2)
    parser.add_argument("--gunicorn-workers", type=int, default=None)
    parser.add_argument("--no-verify", action="store_true")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for gunicorn (e.g. RATELIMIT_ENABLED=false)",
    )
    args = parser.parse_args(argv)
    if args.clients < 2 or args.clients % 2:
        parser.error("--clients must be an even number (two phones per user)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    extra_env = dict(item.split("=", 1) for item in args.env)
    stack = SystemStack(extra_env=extra_env).start(gunicorn_workers=args.gunicorn_workers)
    try:
        phones = build_phones(stack.api(), args.clients // 2, "bench")
        plan = LoadPlan(
            seconds=args.seconds,
            batch_min=args.batch,
            batch_max=args.batch_max or args.batch,
            repeat_ratio=args.repeat_ratio,
            think_seconds=tuple(args.think),
            pull_every=args.pull_every,
        )
        stats, elapsed = run_load(phones, plan)
        summary = stats.summary(elapsed)
        summary["load_average_after"] = round(os.getloadavg()[0], 2)
        print(json.dumps(summary, indent=2))
        failures = [s for s in stats.statuses if s != 200]
        if not args.no_verify:
            started = time.perf_counter()
            connection = stack.db(autocommit=False)
            try:
                stored = verify_database(connection, phones)
            finally:
                connection.close()
            print(
                f"verified {stored['rows']} stored samples in {stored['streams']} streams "
                f"({time.perf_counter() - started:.1f} s): exactly what was sent"
            )
        if stats.problems:
            print("\n".join(stats.problems[:20]))
        met = summary["push_p99_ms"] < TARGET_P99_MS
        print(
            f"push p99 {summary['push_p99_ms']} ms "
            f"({'meets' if met else 'MISSES'} the < {TARGET_P99_MS} ms target)"
        )
        return 0 if not failures and not stats.problems else 1
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main())
