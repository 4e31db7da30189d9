"""Unbound extensions; ``create_app`` binds them to an application."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

db = SQLAlchemy()  # the schema is models.Base.metadata; migrations/env.py names it
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
