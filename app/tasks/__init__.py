"""Celery tasks. Each is a thin shell around service or analysis code."""
