"""Session-scoped server fixtures; each server starts on first use and is killed by pid at exit.

- ``postgres_server`` / ``postgres_url``: throwaway PostgreSQL, URL
  ``postgresql+psycopg://test@127.0.0.1:PORT/postgres``.
- ``fresh_postgres_url``: a new, empty database on that server for one test.
- ``s3_server``: SeaweedFS S3 with bucket ``s3_server.bucket`` created (see `SeaweedFSServer`).
- ``ray_runtime``: one local Ray instance for the session (see `ray_runtime.py`).
- ``serve_runtime``: Ray Serve on that instance.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from .postgres import PostgresServer, create_database, start_postgres
from .ray_runtime import ray_runtime, serve_runtime
from .seaweedfs import SeaweedFSServer, start_seaweedfs

__all__ = [
    "ray_runtime",
    "serve_runtime",
]  # re-exported so pytest registers it with the other fixtures


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's throwaway PostgreSQL server."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL of the session server's ``postgres`` database."""
    return postgres_server.url


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> str:
    """SQLAlchemy URL of a new empty database, unique to the requesting test."""
    return create_database(postgres_url, f"test_{uuid.uuid4().hex}")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[SeaweedFSServer]:
    """The session's throwaway SeaweedFS S3 server, bucket created and writable."""
    server = start_seaweedfs()
    try:
        yield server
    finally:
        server.stop()
