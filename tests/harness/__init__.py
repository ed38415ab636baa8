"""Shared test harness: throwaway PostgreSQL and SeaweedFS S3 servers, free ports.

pytest fixtures live in `tests.harness.fixtures` (registered for every test folder by
``tests/conftest.py``); the plain functions here also serve benchmarks and scripts::

    with start_postgres() as pg, start_seaweedfs() as s3:
        ...  # pg.url, s3.url(), s3.client()
"""

from .ports import free_port, free_ports
from .postgres import PostgresServer, create_database, start_postgres
from .seaweedfs import SeaweedFSServer, start_seaweedfs

__all__ = [
    "PostgresServer",
    "SeaweedFSServer",
    "create_database",
    "free_port",
    "free_ports",
    "start_postgres",
    "start_seaweedfs",
]
