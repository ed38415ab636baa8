"""Alembic environment: migrations are generated from and checked against SQLModel.metadata."""

from __future__ import annotations

import os
from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import e4t_registry.models  # noqa: F401  (registers every table on the metadata)
from e4t_registry.db import create_registry_engine
from e4t_registry.models.base import UTCDateTime

config = context.config
target_metadata = SQLModel.metadata


def _database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    url = url or os.environ.get("E4T_DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set E4T_DATABASE_URL")
    return url


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations must not import application types: render them as their plain SQL types.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _compare_type(
    _context: Any, _inspected: Any, metadata_column: sa.Column[Any], inspected_type: Any, _meta: Any
) -> bool | None:
    if isinstance(metadata_column.type, UTCDateTime):
        return not isinstance(inspected_type, sa.DateTime)
    return None


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
        compare_type=_compare_type,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_registry_engine(_database_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
