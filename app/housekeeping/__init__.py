"""Keeping the data bounded: retention of old rows, upload files, database maintenance and the
operators' report. Called by the Celery tasks in app/tasks/file_cleanup.py."""
