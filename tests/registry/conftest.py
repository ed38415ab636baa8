"""Registry test fixtures: the same suite runs on SQLite + a local directory and on
PostgreSQL + S3 (SeaweedFS), each test against a freshly migrated database and empty store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import Engine, make_url

from e4t_registry.blobs import BlobStore, LocalBlobStore
from e4t_registry.db import create_registry_engine
from e4t_registry.migrate import upgrade_database
from e4t_registry.models import Domain, Tenant
from e4t_registry.registry import Registry
from tests.harness.postgres import create_database

ADMIN = "test:admin"


@dataclass
class RegistryBackend:
    """A migrated database and an empty blob store, plus raw access for direct checks."""

    name: str
    url: str
    engine: Engine
    blobs: BlobStore
    registry: Registry

    def blob_keys(self) -> set[str]:
        return {info.key for info in self.blobs.list("")}

    def all_rows(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table, read with plain SQL (no ORM)."""
        with self.engine.connect() as connection:
            return {
                table: [
                    dict(row._mapping)
                    for row in connection.execute(sa.text(f"SELECT * FROM {table}"))
                ]
                for table in sa.inspect(connection).get_table_names()
            }


def _sqlite_backend(tmp_path: Path) -> RegistryBackend:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade_database(url)
    engine = create_registry_engine(url)
    blobs = LocalBlobStore(tmp_path / "blobs")
    return RegistryBackend("sqlite", url, engine, blobs, Registry(engine, blobs))


@pytest.fixture(scope="session")
def migrated_template_url(postgres_url: str) -> str:
    """A migrated database that per-test databases are cloned from (faster than migrating)."""
    url = create_database(postgres_url, f"reg_template_{uuid.uuid4().hex[:8]}")
    upgrade_database(url)
    return url


def _clone_database(template_url: str, name: str) -> str:
    template = make_url(template_url)
    with psycopg.connect(
        host=template.host,
        port=template.port,
        user=template.username,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(str(template.database))
            )
        )
    return template.set(database=name).render_as_string(hide_password=False)


def _postgres_backend(request: pytest.FixtureRequest) -> RegistryBackend:
    template_url: str = request.getfixturevalue("migrated_template_url")
    s3_server = request.getfixturevalue("s3_server")
    url = _clone_database(template_url, f"reg_{uuid.uuid4().hex}")
    engine = create_registry_engine(url, pool_size=10)
    bucket = f"reg-{uuid.uuid4().hex[:20]}"
    s3_server.create_bucket(bucket)
    blobs = s3_server.store(bucket=bucket)
    return RegistryBackend("postgres", url, engine, blobs, Registry(engine, blobs))


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.s3])]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RegistryBackend]:
    """The registry on each backend in turn."""
    made = _sqlite_backend(tmp_path) if request.param == "sqlite" else _postgres_backend(request)
    try:
        yield made
    finally:
        made.engine.dispose()


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Iterator[RegistryBackend]:
    """The registry on SQLite + a local directory only (for tests that are backend-neutral)."""
    made = _sqlite_backend(tmp_path)
    try:
        yield made
    finally:
        made.engine.dispose()


@dataclass
class TenantWorld:
    """One tenant with a domain, a registered domain model version and a consented subject."""

    tenant: Tenant
    domain: Domain
    domain_version_id: uuid.UUID
    subject_id: uuid.UUID
    consent_id: uuid.UUID


def make_world(registry: Registry, name: str) -> TenantWorld:
    tenant = registry.tenants.create(name=name, actor=ADMIN)
    domain = registry.domains.create(tenant.id, name="faces", class_word="face", actor=ADMIN)
    version = registry.domains.register_version(
        tenant.id,
        domain.id,
        artifact=b"domain-weights-" + name.encode(),
        base_model_ref="tiny-sd",
        actor=ADMIN,
    )
    consent = registry.consent.grant(
        tenant.id, subject_external_id="user-1", notice_version="v1", method="checkbox", actor=ADMIN
    )
    return TenantWorld(tenant, domain, version.id, consent.subject_id, consent.id)


@pytest.fixture
def world(backend: RegistryBackend) -> TenantWorld:
    return make_world(backend.registry, "acme")
