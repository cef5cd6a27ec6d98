"""Task objects called here must run in the test app (see `celery_app`)."""

import pytest


@pytest.fixture(autouse=True)
def _test_app_celery(celery_app):
    return celery_app
