"""`celery -A celery_app.celery worker|beat|flower`: the Celery app of the one Flask app."""

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
