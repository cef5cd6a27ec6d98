"""Large reads stay flat in memory (regression: `yield_per` had held whole results)."""

import pytest
from sqlalchemy import text

from app.database import stream_rows


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


@pytest.mark.postgres
def test_stream_rows_reads_a_large_result_in_flat_memory(app):
    query = text("SELECT g, repeat('x', 200) FROM generate_series(1, 400000) AS g")
    with app.app_context():
        before, peak, count = _rss_kib(), 0, 0
        for rows in stream_rows(query, {}, 5000):
            assert len(rows) <= 5000
            count += len(rows)
            peak = max(peak, _rss_kib())
    assert count == 400_000
    assert peak - before < 40 * 1024  # the whole result would be well over 100 MiB
