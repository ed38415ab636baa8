"""The harness's throwaway PostgreSQL: reachable through SQLAlchemy + psycopg 3, isolated."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.harness import start_postgres

pytestmark = pytest.mark.postgres


def test_postgres_url_answers_queries(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            user = connection.execute(sa.text("SELECT current_user")).scalar_one()
            port = connection.execute(sa.text("SHOW port")).scalar_one()
            fsync = connection.execute(sa.text("SHOW fsync")).scalar_one()
    finally:
        engine.dispose()

    assert user == "test"
    assert port != "5432"
    assert fsync == "off"
    assert engine.dialect.driver == "psycopg"


def test_fresh_database_is_separate(fresh_postgres_url: str, postgres_url: str) -> None:
    fresh = sa.create_engine(fresh_postgres_url)
    shared = sa.create_engine(postgres_url)
    try:
        with fresh.begin() as connection:
            connection.execute(sa.text("CREATE TABLE only_here (id int)"))
        with shared.connect() as connection:
            tables = connection.execute(
                sa.text("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'")
            ).scalar_one()
    finally:
        fresh.dispose()
        shared.dispose()

    assert tables == 0


def test_stop_ends_the_server_process_and_removes_its_files() -> None:
    server = start_postgres()
    pid, workdir = server.pid, server.workdir

    server.stop()

    assert not is_running(pid)
    assert not workdir.exists()


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (an exited one awaiting its reaper does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")
