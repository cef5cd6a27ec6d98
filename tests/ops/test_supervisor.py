"""supervisor.conf as shipped: supervisord starts web, worker, beat and Flower, all RUNNING, in
production mode; Flower on this machine only and behind basic auth. The systemd units agree."""

import base64
import configparser
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.server import (
    ROOT,
    control_socket,
    free_port,
    listening_addresses,
    server_environment,
)

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
PROGRAMS = ("web", "worker", "beat", "flower")


def _ctl(env, *args) -> str:
    return subprocess.run(
        [str(BIN / "supervisorctl"), "-c", str(ROOT / "supervisor.conf"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def _states(env) -> dict[str, str]:
    """{program: state} from `supervisorctl status` ("koodtx:web  RUNNING  pid 1, ...")."""
    states = {}
    for line in _ctl(env, "status").splitlines():
        parts = line.split()
        if len(parts) >= 2 and ":" in parts[0]:
            states[parts[0].split(":")[1]] = parts[1]
    return states


def _supervise(tmp_path, **extra: str) -> dict[str, str]:
    web_port = free_port()
    env = server_environment(
        KOODTX_HOME=str(ROOT),
        KOODTX_RUN=str(tmp_path),
        GUNICORN_BIND=f"127.0.0.1:{web_port}",
        GUNICORN_CONTROL_SOCKET=control_socket(web_port),
        GUNICORN_WORKERS="1",
        FLOWER_PORT=str(free_port()),
        FLOWER_ADDRESS="",  # the default, whatever a developer's .env says
        APP_ENV="development",  # as a .env might say: supervisor.conf must override it
        SECRET_KEYS_FILE=str(tmp_path / "secret_keys.json"),
        **extra,
    )
    subprocess.run(
        [str(BIN / "supervisord"), "-c", str(ROOT / "supervisor.conf")],
        env=env,
        check=True,
        timeout=30,
    )
    return env


def _wait_for(env, wanted: dict[str, str], timeout: float = 90) -> dict[str, str]:
    deadline, states = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        states = _states(env)
        if all(states.get(name) == state for name, state in wanted.items()):
            break
        time.sleep(1)
    return states


def _shutdown(env, tmp_path) -> None:
    _ctl(env, "shutdown")
    for log in tmp_path.glob("*.log"):
        print(log.name, log.read_text(errors="replace")[-2000:])


def _get(url: str, auth: str | None = None) -> int:
    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def test_supervisor_runs_every_program_in_production_with_flower_local_and_locked(tmp_path):
    password = secrets.token_urlsafe(24)
    env = _supervise(
        tmp_path,
        SECRET_KEY=secrets.token_urlsafe(48),
        JWT_SECRET_KEY=secrets.token_urlsafe(48),
        FLOWER_BASIC_AUTH=f"admin:{password}",
    )
    try:
        states = _wait_for(env, dict.fromkeys(PROGRAMS, "RUNNING"))
        assert states == dict.fromkeys(PROGRAMS, "RUNNING"), states
        time.sleep(3)  # still running a moment later: nothing crash-looping
        assert _states(env) == dict.fromkeys(PROGRAMS, "RUNNING"), _ctl(env, "status")
        deadline, health = time.monotonic() + 60, None
        while time.monotonic() < deadline and health != 200:  # RUNNING comes before listening
            try:
                health = _get(f"http://{env['GUNICORN_BIND']}/health")
            except urllib.error.URLError:
                time.sleep(0.5)
        assert health == 200
        flower_port = int(env["FLOWER_PORT"])
        flower_pid = int(_ctl(env, "pid", "koodtx:flower").strip())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ours = {entry for entry in listening_addresses(flower_pid) if entry[1] == flower_port}
            if ours:
                break
            time.sleep(0.5)
        assert ours == {("127.0.0.1", flower_port)}
        flower = f"http://127.0.0.1:{flower_port}/"
        assert _get(flower) == 401
        assert _get(flower, f"admin:{password}x") == 401
        assert _get(flower, f"admin:{password}") == 200
    finally:
        _shutdown(env, tmp_path)


def test_supervisor_programs_refuse_to_start_without_secrets(tmp_path):
    """APP_ENV=production comes from supervisor.conf (the environment says development): no
    keys are generated, every program refuses to start and says why."""
    env = _supervise(tmp_path, SECRET_KEY="", JWT_SECRET_KEY="")
    refusal = "Refusing to start in production: SECRET_KEY is not set"
    logs = [tmp_path / f"{name}.log" for name in PROGRAMS]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not all(
            log.exists() and refusal in log.read_text() for log in logs
        ):
            time.sleep(1)
        for log in logs:
            assert refusal in log.read_text(), log.name
        with pytest.raises(urllib.error.URLError):
            _get(f"http://{env['GUNICORN_BIND']}/health")
    finally:
        _shutdown(env, tmp_path)
    assert not (tmp_path / "secret_keys.json").exists()


def test_flower_refuses_to_start_without_basic_auth():
    """flowerconfig.py, which supervisor.conf and the systemd unit both name with --conf."""
    result = subprocess.run(
        [str(BIN / "celery"), "-A", "celery_app.celery", "flower"]
        + [f"--conf={ROOT / 'flowerconfig.py'}", f"--port={free_port()}"],
        cwd=ROOT,
        env=server_environment(FLOWER_BASIC_AUTH=""),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Refusing to start Flower without FLOWER_BASIC_AUTH" in result.stderr


@pytest.mark.parametrize("unit", sorted((ROOT / "deploy" / "systemd").glob("*.service")))
def test_every_systemd_unit_runs_in_production(unit: Path):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    text = unit.read_text()
    parser.read_string(text)
    environment = [
        line.removeprefix("Environment=")
        for line in text.splitlines()
        if line.startswith("Environment=")
    ]
    assert "APP_ENV=production" in environment
    # an EnvironmentFile (.env) would override Environment= and could undo it
    assert not parser.has_option("Service", "EnvironmentFile")
    if "flower" in unit.name:
        assert "--conf=/srv/koodtx/flowerconfig.py" in parser.get("Service", "ExecStart")
