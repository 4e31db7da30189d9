"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Engine, inspect, select

from app.extensions import db
from app.factory import create_app
from models import Base
from models.statistics.generation import ANY, EPOCH, statistics_generation
from tests.databases import database_of_its_own


def test_migrated_schema_has_no_difference_from_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migrated_indexes_include_the_columns_the_models_include(engine: Engine) -> None:
    """Alembic's comparison leaves out an index's INCLUDE columns (PostgreSQL's only)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("INCLUDE columns are PostgreSQL's")
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        migrated = {
            index["name"]: index["dialect_options"].get("postgresql_include", [])
            for index in inspector.get_indexes(table.name)
        }
        for index in table.indexes:
            declared = list(index.dialect_options["postgresql"]["include"] or [])
            assert migrated[index.name] == declared, index.name


def test_migrations_create_every_model_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_test_database_is_at_the_single_migration_head(app: Flask, engine: Engine) -> None:
    migrations = Path(app.root_path).parent / "migrations"
    config = Config(str(migrations / "alembic.ini"))
    config.set_main_option("script_location", str(migrations))
    heads = ScriptDirectory.from_config(config).get_heads()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert len(heads) == 1
    assert set(current) == set(heads)


@pytest.mark.commits
def test_a_migration_that_ran_has_every_kept_figure_counted_again(
    app: Flask, tmp_path: Path
) -> None:
    """A migration writes past the app's session and replaces no token of what it
    writes: the epoch is replaced whenever one ran, up or down. An upgrade with nothing
    to run (a deployment's every start) keeps what was counted."""
    directory = str(Path(app.root_path).parent / "migrations")
    for url in database_of_its_own(tmp_path, "epoch"):
        other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": url})
        with other.app_context():
            upgrade(directory=directory)
            at_head = _epoch_token()
            upgrade(directory=directory)
            assert _epoch_token() == at_head
            downgrade(directory=directory, revision="-1")
            one_down = _epoch_token()
            upgrade(directory=directory)
            assert len({at_head, one_down, _epoch_token()}) == 3
            db.engine.dispose()


def _epoch_token() -> int:
    with db.engine.connect() as connection:
        return connection.execute(
            select(statistics_generation.c.token).where(
                statistics_generation.c.organisation_id == ANY,
                statistics_generation.c.table_name == EPOCH,
            )
        ).scalar_one()


@pytest.mark.commits
def test_after_a_migration_that_ran_sqlite_checks_foreign_keys_again(
    app: Flask, tmp_path: Path
) -> None:
    """The migrations turn SQLite's foreign keys off while they copy tables and on again
    after: a connection the app takes from its pool afterwards checks them (the suite's
    own connections too, which migrate in this process)."""
    directory = str(Path(app.root_path).parent / "migrations")
    for url in database_of_its_own(tmp_path, "keys"):
        other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": url})
        with other.app_context():
            if db.engine.dialect.name != "sqlite":
                pytest.skip("foreign keys are a connection's setting on SQLite alone")
            upgrade(directory=directory)
            assert _checks_foreign_keys()
            downgrade(directory=directory, revision="-1")
            assert _checks_foreign_keys()
            upgrade(directory=directory)
            assert _checks_foreign_keys()
            db.engine.dispose()


def _checks_foreign_keys() -> bool:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
