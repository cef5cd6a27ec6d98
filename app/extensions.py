"""Flask extensions, created unbound here and bound in `create_app`.

This module imports nothing from the application, so every other module can import from it.
"""

from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from app.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
jwt = JWTManager()

# Limits come from configuration per route (app/web/protection.py); storage from
# RATELIMIT_STORAGE_URI (Redis in production, in-process memory on the embedded default).
limiter = Limiter(key_func=get_remote_address)
