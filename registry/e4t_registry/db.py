"""Engine construction: one place that knows the SQLite and PostgreSQL quirks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_registry_engine(url: str, **engine_kwargs: Any) -> Engine:
    """Create an engine for the registry database at `url`.

    SQLite gets foreign keys, WAL and `BEGIN IMMEDIATE` transactions: every unit of work takes
    the write lock up front, so concurrent writers queue on the busy timeout instead of failing
    with a lock-upgrade error halfway through (and audit appends form one chain).
    """
    engine = sa.create_engine(url, **engine_kwargs)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            # The embedded default lives under E4T_HOME, which may not exist on first start.
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
