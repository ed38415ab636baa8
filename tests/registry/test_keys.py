"""API keys: shown once, stored only as a hash, verified by lookup id, revocable."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from e4t_registry.errors import AuthenticationError, InvalidArgumentError, NotFoundError
from e4t_registry.keys import ApiKeyService, bootstrap_admin_key
from e4t_registry.models import Scope, utcnow
from tests.registry.conftest import ADMIN, RegistryBackend


def test_created_key_verifies_to_its_tenant_and_scopes(backend: RegistryBackend) -> None:
    registry = backend.registry
    tenant = registry.tenants.create(name="acme", actor=ADMIN)
    created = registry.keys.create(tenant_id=tenant.id, scopes=["app", "mlops"], actor=ADMIN)

    principal = registry.keys.verify(created.secret)

    assert principal.tenant_id == tenant.id
    assert principal.key_id == created.key.id
    assert principal.scopes == {Scope.APP, Scope.MLOPS}
    assert created.secret.startswith(f"e4t_{created.key.lookup_id}_")


def test_revoked_unknown_and_malformed_keys_never_verify(backend: RegistryBackend) -> None:
    registry = backend.registry
    tenant = registry.tenants.create(name="acme", actor=ADMIN)
    created = registry.keys.create(tenant_id=tenant.id, scopes=["app"], actor=ADMIN)
    other = registry.keys.create(tenant_id=tenant.id, scopes=["app"], actor=ADMIN)
    registry.keys.revoke(tenant_id=tenant.id, key_id=created.key.id, actor=ADMIN)

    lookup = created.key.lookup_id
    for secret in (
        created.secret,  # revoked
        f"e4t_{lookup}_" + "x" * 43,  # right lookup id, wrong random part
        f"e4t_{'0' * 16}_" + "x" * 43,  # unknown lookup id
        other.secret[:-1],  # truncated
        "not-a-key",
        "",
    ):
        with pytest.raises(AuthenticationError):
            registry.keys.verify(secret)
    assert registry.keys.verify(other.secret).key_id == other.key.id


def test_revoking_another_tenants_key_is_not_found(backend: RegistryBackend) -> None:
    registry = backend.registry
    acme = registry.tenants.create(name="acme", actor=ADMIN)
    globex = registry.tenants.create(name="globex", actor=ADMIN)
    key = registry.keys.create(tenant_id=acme.id, scopes=["app"], actor=ADMIN)

    with pytest.raises(NotFoundError):
        registry.keys.revoke(tenant_id=globex.id, key_id=key.key.id, actor=ADMIN)
    assert registry.keys.verify(key.secret).tenant_id == acme.id


def test_secret_never_reaches_the_database(backend: RegistryBackend) -> None:
    registry = backend.registry
    tenant = registry.tenants.create(name="acme", actor=ADMIN)
    created = registry.keys.create(tenant_id=tenant.id, scopes=["tenant-admin"], actor=ADMIN)
    registry.keys.verify(created.secret)
    random_part = created.secret.split("_", 2)[2]

    dump = json.dumps(backend.all_rows(), default=str)

    assert created.key.lookup_id in dump  # the dump really holds the key row
    assert random_part not in dump
    assert created.secret not in dump


def test_verify_records_last_use(backend: RegistryBackend) -> None:
    tenant = backend.registry.tenants.create(name="acme", actor=ADMIN)
    later = utcnow() + timedelta(hours=1)
    keys = ApiKeyService(backend.engine, clock=lambda: later)
    created = keys.create(tenant_id=tenant.id, scopes=["app"], actor=ADMIN)
    assert created.key.last_used_at is None

    keys.verify(created.secret)

    listed = keys.list(tenant_id=tenant.id).items
    assert [key.last_used_at for key in listed] == [later]


def test_scope_rules(sqlite_backend: RegistryBackend) -> None:
    registry = sqlite_backend.registry
    tenant = registry.tenants.create(name="acme", actor=ADMIN)
    with pytest.raises(InvalidArgumentError):
        registry.keys.create(tenant_id=tenant.id, scopes=["root"], actor=ADMIN)
    with pytest.raises(InvalidArgumentError):
        registry.keys.create(tenant_id=tenant.id, scopes=["platform-admin"], actor=ADMIN)
    with pytest.raises(InvalidArgumentError):
        registry.keys.create(tenant_id=None, scopes=["app"], actor=ADMIN)
    with pytest.raises(InvalidArgumentError):
        registry.keys.create(tenant_id=tenant.id, scopes=[], actor=ADMIN)
    with pytest.raises(NotFoundError):
        registry.keys.create(tenant_id=uuid.uuid4(), scopes=["app"], actor=ADMIN)


def test_bootstrap_admin_key_once(sqlite_backend: RegistryBackend) -> None:
    secret = bootstrap_admin_key(sqlite_backend.engine)
    assert secret is not None
    principal = sqlite_backend.registry.keys.verify(secret)
    assert principal.tenant_id is None
    assert principal.scopes == {Scope.PLATFORM_ADMIN}
    assert bootstrap_admin_key(sqlite_backend.engine) is None


def test_servers_starting_together_bootstrap_one_admin_key(backend: RegistryBackend) -> None:
    start = threading.Barrier(6)
    secrets: list[str | None] = []

    def boot() -> None:
        start.wait()
        secrets.append(bootstrap_admin_key(backend.engine))

    threads = [threading.Thread(target=boot) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    created = [secret for secret in secrets if secret is not None]
    assert len(secrets) == 6 and len(created) == 1
    with backend.engine.connect() as connection:
        keys = connection.execute(sa.text("SELECT count(*) FROM api_key")).scalar_one()
    assert keys == 1
    assert backend.registry.verify_audit().ok
