#!/usr/bin/env bash
# A Celery worker with the web app's configuration (config.py reads .env and the environment,
# so DATABASE_URL / CELERY_BROKER_URL / REDIS_URL are the server's). Extra arguments are passed
# to `celery worker`, e.g. `./start_celery_worker.sh --concurrency=8 -Q celery`.
set -euo pipefail
cd "$(dirname "$0")"
BIN="${VIRTUAL_ENV:-$PWD/.venv}/bin"

# --max-memory-per-child: recycle a pool process that grew past ~1.5 GB (a huge analysis);
# acks_late + reject_on_worker_lost put its task back if it is killed for that.
exec "$BIN/celery" -A celery_app.celery worker \
	--loglevel="${CELERY_LOG_LEVEL:-INFO}" \
	--concurrency="${CELERY_CONCURRENCY:-2}" \
	--hostname="${CELERY_HOSTNAME:-worker@%h}" \
	--max-memory-per-child="${CELERY_MAX_MEMORY_KB:-1500000}" \
	"$@"
