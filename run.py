"""WSGI entry point: `flask --app run run`, `python run.py`, `gunicorn -c gunicorn_config.py run:app`."""

from app import create_app

app = create_app()

if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
