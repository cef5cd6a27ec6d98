"""Housekeeping of the auth and tombstone tables."""

from celery import shared_task
from flask import current_app

from app.auth import revocation
from app.recordings.tombstones import purge_tombstones
from app.worker import task_names as names


@shared_task(name=names.PURGE_EXPIRED_REVOCATIONS)
def purge_expired_revocations() -> dict:
    """Revoked ids of tokens past their expiry protect nothing; drop them."""
    return {"deleted": revocation.purge_expired()}


@shared_task(name=names.PURGE_OLD_TOMBSTONES)
def purge_old_tombstones(days: int | None = None) -> dict:
    """Tombstones past the retention horizon; pulls older than it get full_resync_required."""
    days = days if days is not None else current_app.config["TOMBSTONE_RETENTION_DAYS"]
    return {"deleted": purge_tombstones(days), "retention_days": days}
