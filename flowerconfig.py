"""Flower's settings. `celery -A celery_app.celery flower` reads this file from the working
directory; the Supervisor and systemd files name it with `--conf`, so it cannot be skipped.

Flower listens on FLOWER_ADDRESS (127.0.0.1 unless set) and port FLOWER_PORT, and refuses to
start without FLOWER_BASIC_AUTH=user:password: it can revoke tasks and shows their arguments.
Values come from config.py (environment or .env), like every other setting.
"""

from config import config_for

_settings = config_for()
if not _settings.FLOWER_BASIC_AUTH:
    raise SystemExit(
        "Refusing to start Flower without FLOWER_BASIC_AUTH=user:password (environment or .env)"
    )
address = _settings.FLOWER_ADDRESS
port = _settings.FLOWER_PORT
basic_auth = _settings.FLOWER_BASIC_AUTH.split(",")
