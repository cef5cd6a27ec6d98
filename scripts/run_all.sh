#!/usr/bin/env bash
# Run the web server, one Celery worker and the (single) Beat scheduler together in the
# foreground; Ctrl-C stops all three. Uses the same configuration (.env / environment) for all.
#
# gunicorn takes everything from gunicorn_config.py: it listens on 127.0.0.1:5000 unless
# GUNICORN_BIND says otherwise (e.g. GUNICORN_BIND=0.0.0.0:8000 make run), and without Redis it
# runs one process with threads, so the in-memory rate limits are counted once.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

stop() {
	trap - EXIT INT TERM
	kill $(jobs -p) 2>/dev/null || true
	wait
}
trap stop EXIT INT TERM
# Worker and Beat with the same flags as in production (see the two scripts).
./start_celery_worker.sh &
./start_celery_beat.sh &
"$BIN/gunicorn" -c gunicorn_config.py run:app &
# Whichever process ends first (or Ctrl-C) stops the other two.
wait -n
