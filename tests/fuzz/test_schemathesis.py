"""Schemathesis against the running server and its own OpenAPI document: every documented
operation, positive and negative data (`--mode all`), authenticated, with every check
(`--checks all`): no 5xx, responses as documented, schema-invalid requests refused and
schema-valid ones accepted — so the document says exactly what the server accepts. The seed is
fixed (FUZZ_SEED explores others, FUZZ_MAX_EXAMPLES more cases per operation, FUZZ_PATHS a
regular expression of the paths to fuzz)."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.server import ROOT, gunicorn

pytestmark = pytest.mark.slow

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
ARTIFACTS = ROOT / "artifacts"
MAX_EXAMPLES = "25"  # about 2 minutes per backend on 2 cores


def _register(base: str, username: str, password: str) -> None:
    body = json.dumps(
        {"username": username, "email": f"{username}@example.com", "password": password}
    ).encode()
    request = urllib.request.Request(
        base + "/api/auth/register", data=body, headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=10).read()


def test_schemathesis_finds_no_failures(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    with gunicorn(workers=2, log=tmp_path / "server.log") as base:
        _register(base, "fuzzer", "fuzz-password-1")
        result = subprocess.run(
            [
                SCHEMATHESIS,
                "run",
                base + "/api/openapi.json",
                "--checks",
                "all",
                "--mode",
                "all",
                "--max-examples",
                os.environ.get("FUZZ_MAX_EXAMPLES", MAX_EXAMPLES),
                "--seed",
                os.environ.get("FUZZ_SEED", "20251113"),
                "--workers",
                "1",  # hypothesis parses lambdas with `ast`, which is not thread-safe on 3.11
                "--request-timeout",
                "30",
                "--no-color",
                "--report",
                "junit",
                "--report-junit-path",
                str(ARTIFACTS / f"schemathesis-{tmp_path.name}.xml"),
                # FUZZ_PATHS narrows a run to some operations, e.g. "^/api/app/".
                *(
                    ["--include-path-regex", os.environ["FUZZ_PATHS"]]
                    if "FUZZ_PATHS" in os.environ
                    else []
                ),
            ],
            cwd=ROOT,
            env=os.environ
            | {
                "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
                "PYTHONPATH": str(ROOT),
                "FUZZ_BASE_URL": base,
                "FUZZ_USERNAME": "fuzzer",
                "FUZZ_PASSWORD": "fuzz-password-1",
            },
            capture_output=True,
            text=True,
            timeout=900,
        )
    output = result.stdout + result.stderr
    (ARTIFACTS / "schemathesis-output.txt").write_text(output)
    assert result.returncode == 0, output[-8000:]
    assert "No issues found" in output or "passed" in output.lower(), output[-3000:]
