#!/usr/bin/env bash
# Run the web server, one Celery worker and the (single) Beat scheduler together in the
# foreground; Ctrl-C stops all three. Uses the same configuration (.env / environment) for all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-5000}"

stop() {
	trap - EXIT INT TERM
	kill $(jobs -p) 2>/dev/null || true
	wait
}
trap stop EXIT INT TERM
# Worker and Beat with the same flags as in production (see the two scripts).
./start_celery_worker.sh &
./start_celery_beat.sh &
echo "KooDTX sync server on http://127.0.0.1:${PORT} (health: /health)"
"$BIN/gunicorn" -c gunicorn_config.py --bind "0.0.0.0:${PORT}" --workers "${WEB_WORKERS:-2}" run:app &
# Whichever process ends first (or Ctrl-C) stops the other two.
wait -n
