"""Housekeeping of the auth tables."""

from celery import shared_task

from app.auth import revocation


@shared_task(name="app.tasks.maintenance.purge_expired_revocations")
def purge_expired_revocations() -> dict:
    """Revoked ids of tokens past their expiry protect nothing; drop them."""
    return {"deleted": revocation.purge_expired()}
