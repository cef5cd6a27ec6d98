"""System tests: the real processes on private PostgreSQL and Redis servers, driven over HTTP.

A plain `pytest` leaves this folder out (tests/conftest.py); `make test-system` (SYSTEM_TESTS=1)
or naming the folder runs it. A missing server binary fails the run instead of skipping it:
CI has them.
"""

from __future__ import annotations

import pytest

from tests.system.services import ServiceMissing
from tests.system.stack import SystemStack


@pytest.fixture(autouse=True)
def clean_state():
    """Replaces the suite's per-test truncation: system tests bring their own database and
    keep their data apart by user instead."""
    yield


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    """One running system for the whole session; fault tests leave it recovered."""
    try:
        stack = SystemStack(tmp_path_factory.mktemp("system")).start()
    except ServiceMissing as missing:
        pytest.fail(f"system tests need PostgreSQL and Redis binaries: {missing}", pytrace=False)
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture
def healthy_system(system):
    """The system, checked healthy before and after the test (a fault test must recover)."""
    system.wait_healthy()
    yield system
    system.wait_healthy()
