"""Migrations build the schema on empty databases, match the models, and step down cleanly."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from e4t_registry.migrate import check_database, downgrade_database, upgrade_database
from tests.harness.postgres import create_database


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns(table)}


def _audit_triggers(engine: sa.Engine) -> set[str]:
    if engine.dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    with engine.connect() as connection:
        names = set(connection.execute(sa.text(query)).scalars())
    return {name for name in names if name.startswith("audit_event_")}


def _assert_migrations_round_trip(url: str) -> None:
    upgrade_database(url)
    check_database(url)  # raises if the models and the migrated schema differ
    engine = sa.create_engine(url)
    try:
        assert {"concept", "idempotency_record"} <= set(sa.inspect(engine).get_table_names())
        assert _audit_triggers(engine)
        downgrade_database(url, "-1")  # the newest revision only: 0004
        assert "idempotency_record" not in sa.inspect(engine).get_table_names()
        assert _audit_triggers(engine)
        downgrade_database(url, "-1")  # 0003
        assert _audit_triggers(engine) == set()
        downgrade_database(url, "0001")
        assert "state" not in _columns(engine, "tenant")
        assert "concept_id" not in _columns(engine, "source_image")
        upgrade_database(url)
        check_database(url)
        downgrade_database(url, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade_database(url)
        with engine.connect() as connection:
            head = connection.execute(sa.text("SELECT seq, hash FROM audit_chain_head")).one()
        assert head == (0, "0" * 64)
    finally:
        engine.dispose()


def test_sqlite_migrations(tmp_path: Path) -> None:
    _assert_migrations_round_trip(f"sqlite:///{tmp_path / 'empty.db'}")


@pytest.mark.postgres
def test_postgres_migrations(postgres_url: str) -> None:
    _assert_migrations_round_trip(create_database(postgres_url, f"mig_{uuid.uuid4().hex}"))
