#!/usr/bin/env bash
# The Beat scheduler with the web app's configuration. Run exactly ONE Beat per deployment:
# two would send every periodic task twice. The pid file refuses a second Beat on this host.
set -euo pipefail
cd "$(dirname "$0")"
BIN="${VIRTUAL_ENV:-$PWD/.venv}/bin"
mkdir -p instance

exec "$BIN/celery" -A celery_app.celery beat \
	--loglevel="${CELERY_LOG_LEVEL:-INFO}" \
	--schedule="${CELERY_BEAT_SCHEDULE:-instance/celerybeat-schedule}" \
	--pidfile="${CELERY_BEAT_PIDFILE:-instance/celerybeat.pid}" \
	"$@"
