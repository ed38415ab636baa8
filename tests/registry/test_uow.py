"""The unit of work commits only on commit(); anything else rolls back everything."""

from __future__ import annotations

import pytest

from e4t_registry.errors import AlreadyExistsError
from e4t_registry.models import Tenant
from e4t_registry.uow import UnitOfWork
from tests.registry.conftest import ADMIN, RegistryBackend


class Boom(RuntimeError):
    pass


def test_exception_rolls_back_rows_and_audit(backend: RegistryBackend) -> None:
    with pytest.raises(Boom), UnitOfWork(backend.engine) as uow:
        uow.tenants.add(Tenant(name="acme"))
        uow.audit.append(actor=ADMIN, action="tenant.create")
        raise Boom

    with UnitOfWork(backend.engine) as uow:  # leaving without commit also discards
        uow.tenants.add(Tenant(name="globex"))

    rows = backend.all_rows()
    assert rows["tenant"] == [] and rows["audit_event"] == []
    assert backend.registry.verify_audit().ok


def test_duplicate_is_typed_and_keeps_the_transaction_usable(backend: RegistryBackend) -> None:
    backend.registry.tenants.create(name="acme", actor=ADMIN)
    with UnitOfWork(backend.engine) as uow:
        with pytest.raises(AlreadyExistsError):
            uow.tenants.add(Tenant(name="acme"))
        uow.tenants.add(Tenant(name="globex"))
        uow.commit()
    assert sorted(t["name"] for t in backend.all_rows()["tenant"]) == ["acme", "globex"]


def test_reads_do_not_wait_for_a_writer_on_sqlite(sqlite_backend: RegistryBackend) -> None:
    registry = sqlite_backend.registry
    tenant = registry.tenants.create(name="acme", actor=ADMIN)
    with UnitOfWork(sqlite_backend.engine) as writer:
        writer.tenants.add(Tenant(name="globex"))  # holds SQLite's write lock until the end
        # A read-only unit of work sees the last committed state instead of queueing.
        assert [t.name for t in registry.tenants.list().items] == ["acme"]
        assert registry.tenants.get(tenant.id).name == "acme"
        writer.commit()


def test_read_only_unit_of_work_cannot_commit(backend: RegistryBackend) -> None:
    with UnitOfWork(backend.engine, read_only=True) as uow, pytest.raises(RuntimeError):
        uow.commit()
