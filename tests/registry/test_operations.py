"""Operations: idempotent creation by request id, progress, completion, stale detection."""

from __future__ import annotations

from datetime import timedelta

import pytest

from e4t_registry.errors import (
    FailedPreconditionError,
    IdempotencyConflictError,
    InvalidArgumentError,
    NotFoundError,
)
from e4t_registry.models import OperationStatus, utcnow
from e4t_registry.operations import OperationService
from tests.registry.conftest import ADMIN, RegistryBackend


def test_lifecycle_and_idempotency(backend: RegistryBackend) -> None:
    operations = backend.registry.operations
    tenant = backend.registry.tenants.create(name="acme", actor=ADMIN)
    op, created = operations.create(
        tenant.id,
        kind="create-concept",
        target="c/1",
        request_id="r-1",
        progress_total=10,
        actor=ADMIN,
    )
    again, created_again = operations.create(
        tenant.id, kind="create-concept", target="c/1", request_id="r-1", actor=ADMIN
    )
    assert created and not created_again and again.id == op.id
    with pytest.raises(IdempotencyConflictError):
        operations.create(tenant.id, kind="tune-domain", request_id="r-1", actor=ADMIN)

    operations.start(tenant.id, op.id)
    running = operations.report_progress(tenant.id, op.id, done=4)
    assert (running.status, running.progress_done, running.progress_total) == (
        OperationStatus.RUNNING,
        4,
        10,
    )
    with pytest.raises(InvalidArgumentError):
        operations.report_progress(tenant.id, op.id, done=11)

    done = operations.finish(tenant.id, op.id, result={"concept": "c/1"})
    assert done.status == OperationStatus.SUCCEEDED and done.progress_done == 10
    assert operations.get(tenant.id, op.id).result == {"concept": "c/1"}
    with pytest.raises(FailedPreconditionError):
        operations.finish(tenant.id, op.id, error={"code": "X"})


def test_request_ids_are_per_tenant(backend: RegistryBackend) -> None:
    registry = backend.registry
    acme = registry.tenants.create(name="acme", actor=ADMIN)
    globex = registry.tenants.create(name="globex", actor=ADMIN)
    a, _ = registry.operations.create(acme.id, kind="k", request_id="same", actor=ADMIN)
    b, created = registry.operations.create(globex.id, kind="k", request_id="same", actor=ADMIN)
    assert created and a.id != b.id
    with pytest.raises(NotFoundError):
        registry.operations.get(globex.id, a.id)


def test_stale_running_and_never_started_operations_fail(backend: RegistryBackend) -> None:
    tenant = backend.registry.tenants.create(name="acme", actor=ADMIN)
    live = backend.registry.operations
    stale_op, _ = live.create(tenant.id, kind="k", actor=ADMIN)
    pending_op, _ = live.create(tenant.id, kind="k", actor=ADMIN)
    live.start(tenant.id, stale_op.id)

    assert live.fail_stale(max_silence=timedelta(minutes=5)) == []
    later = OperationService(backend.engine, clock=lambda: utcnow() + timedelta(minutes=10))
    failed = later.fail_stale(max_silence=timedelta(minutes=5))

    # The running one went silent; the pending one's job never started (its gateway died).
    assert {op.id for op in failed} == {stale_op.id, pending_op.id}
    for operation_id in (stale_op.id, pending_op.id):
        after = live.get(tenant.id, operation_id)
        assert after.status == OperationStatus.FAILED and after.error is not None
    fresh, _ = live.create(tenant.id, kind="k", actor=ADMIN)
    assert live.fail_stale(max_silence=timedelta(minutes=5)) == []
    assert live.get(tenant.id, fresh.id).status == OperationStatus.PENDING
