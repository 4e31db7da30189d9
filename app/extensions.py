"""Unbound extensions; ``create_app`` binds them to an application."""

from typing import Any

import click
from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect


class DeferredMigrate:
    """Flask-Migrate, bound when first used: Alembic (some 11 MiB with Mako) is loaded by
    the ``flask db`` commands and the tests' ``upgrade``, never by a web worker.

    ``init_app`` leaves a stand-in under ``app.extensions["migrate"]``; the first attribute
    asked of it (``directory``, ``db``, … as Flask-Migrate's functions and
    ``migrations/env.py`` ask) binds the real ``Migrate`` with the same arguments, which
    then replaces the stand-in.
    """

    def init_app(self, app: Flask, db: SQLAlchemy, **options: Any) -> None:
        app.extensions["migrate"] = _UnboundMigrateConfig(app, db, options)
        app.cli.add_command(_DeferredDbCommands("db"))


class _DeferredDbCommands(click.Command):
    """``flask db …``: Flask-Migrate's command group, loaded when the command runs."""

    def __init__(self, name: str) -> None:
        super().__init__(name, help="Perform database migrations.")

    @staticmethod
    def _group() -> click.Command:
        from flask_migrate.cli import db as db_commands  # noqa: PLC0415 - see DeferredMigrate

        return db_commands

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        return self._group().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        return self._group().invoke(ctx)


class _UnboundMigrateConfig:
    def __init__(self, app: Flask, db: SQLAlchemy, options: dict[str, Any]) -> None:
        self._binding = (app, db, options)

    def __getattr__(self, name: str) -> Any:
        if name == "_binding":
            raise AttributeError(name)
        from flask_migrate import Migrate  # noqa: PLC0415 - see DeferredMigrate

        app, db, options = self._binding
        Migrate(app, db, **options)
        return getattr(app.extensions["migrate"], name)


db = SQLAlchemy()  # the schema is models.Base.metadata; migrations/env.py names it
migrate = DeferredMigrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
