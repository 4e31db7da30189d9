"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import Engine, inspect

from models import Base


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
