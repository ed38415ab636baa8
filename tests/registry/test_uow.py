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
