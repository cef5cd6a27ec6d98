"""Background-work tests: the shared fixtures (`celery_app`, `start_celery`) are in
tests/conftest.py."""
