"""One application per test session; every test starts from empty tables.

Tests run on SQLite by default and on PostgreSQL when ``KIM_TEST_DATABASE_URL`` is set.
The schema comes from the migrations, as in production. The app commits for real
(stale-edit and constraint checks happen at commit), so each test ends by emptying the
tables rather than by rolling back.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.extensions import db
from app.factory import create_app
from models import Base
from tests.factories import PASSWORD, World, build_world


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("KIM_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'kim-test.db'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        _drop_everything()
        upgrade(directory=str(Path(app.root_path).parent / "migrations"))
    yield app
    with app.app_context():
        _drop_everything()
        db.engine.dispose()


def _drop_everything() -> None:
    if db.engine.dialect.name == "postgresql":
        # A streamed download a test never read to its end can hold its transaction open
        # until garbage collection; collect it first, and never let it block the drop.
        gc.collect()
        db.engine.dispose()
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        db.engine.dispose()
    Base.metadata.drop_all(db.engine)
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def engine(app: Flask) -> Engine:
    with app.app_context():
        return db.engine


@pytest.fixture(autouse=True)
def _empty_tables(engine: Engine) -> Iterator[None]:
    yield
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session of the test's own, apart from the one the requests use."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
