"""Engine construction: one place that knows the SQLite and PostgreSQL quirks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option that marks a connection as used for reads only (see `read_only_engine`).
READ_ONLY_OPTION = "e4t_read_only"


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


def read_only_engine(engine: Engine) -> Engine:
    """A view of `engine` for pure reads, cached on the engine.

    PostgreSQL: autocommit, so a read costs one round trip. SQLite: a deferred `BEGIN`, so
    readers neither take nor wait for the write lock (WAL gives them a snapshot).
    """
    cached: Engine | None = engine.__dict__.get("_e4t_read_only")
    if cached is None:
        options: dict[str, Any] = {READ_ONLY_OPTION: True}
        if engine.dialect.name != "sqlite":
            options["isolation_level"] = "AUTOCOMMIT"
        cached = engine.execution_options(**options)
        engine.__dict__["_e4t_read_only"] = cached
    return cached


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
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
