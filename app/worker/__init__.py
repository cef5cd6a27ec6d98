"""Celery plumbing: the app binding, publishing by name, retry policy, the Beat schedule and
the one table of task names."""
