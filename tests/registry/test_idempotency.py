"""Durable idempotency records: round trip, first writer wins, prune, scoping."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from e4t_registry.idempotency import IdempotencyService, RememberedCall
from e4t_registry.models import PLATFORM_SCOPE
from tests.registry.conftest import RegistryBackend, TenantWorld, make_world

METHOD = "/e4t.v1.ApiKeyService/CreateApiKey"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_remember_then_find(backend: RegistryBackend, world: TenantWorld) -> None:
    service = backend.registry.idempotency
    scope = str(world.tenant.id)
    assert service.find(scope, METHOD, "req-1") is None
    stored = service.remember(scope, METHOD, "req-1", _digest("a"), b"\x00response\xff")
    found = service.find(scope, METHOD, "req-1")
    assert found is not None
    assert (found.id, found.fingerprint, found.response) == (
        stored.id,
        _digest("a"),
        b"\x00response\xff",
    )
    assert found.created_at.tzinfo is not None
    assert service.find(scope, "/e4t.v1.ConsentService/GrantConsent", "req-1") is None
    assert service.find(scope, METHOD, "req-2") is None


def test_second_insert_returns_the_first_record(
    backend: RegistryBackend, world: TenantWorld
) -> None:
    service = backend.registry.idempotency
    scope = str(world.tenant.id)
    first = service.remember(scope, METHOD, "req-1", _digest("a"), b"first")
    # remember() inserts without looking first, so this takes the unique-violation path.
    second = service.remember(scope, METHOD, "req-1", _digest("b"), b"second")
    assert (second.id, second.fingerprint, second.response) == (first.id, _digest("a"), b"first")
    assert len(backend.all_rows()["idempotency_record"]) == 1


def test_concurrent_inserts_agree_on_one_record(
    backend: RegistryBackend, world: TenantWorld
) -> None:
    service = backend.registry.idempotency
    scope = str(world.tenant.id)
    barrier = threading.Barrier(4)
    results: list[RememberedCall] = []

    def remember(index: int) -> None:
        barrier.wait()
        record = service.remember(scope, METHOD, "req-race", _digest(str(index)), b"%d" % index)
        results.append(record)

    threads = [threading.Thread(target=remember, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 4
    assert len({(r.id, r.fingerprint, r.response) for r in results}) == 1
    assert len(backend.all_rows()["idempotency_record"]) == 1


def test_prune_deletes_only_older_records(backend: RegistryBackend) -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    clock = [now - timedelta(hours=30)]
    service = IdempotencyService(backend.engine, clock=lambda: clock[0])
    service.remember(PLATFORM_SCOPE, METHOD, "old", _digest("old"), b"old")
    clock[0] = now - timedelta(hours=1)
    service.remember(PLATFORM_SCOPE, METHOD, "new", _digest("new"), b"new")
    assert service.prune(now - timedelta(hours=24)) == 1
    assert service.find(PLATFORM_SCOPE, METHOD, "old") is None
    assert service.find(PLATFORM_SCOPE, METHOD, "new") is not None
    assert service.prune(now - timedelta(hours=24)) == 0


def test_records_are_scoped(backend: RegistryBackend, world: TenantWorld) -> None:
    service = backend.registry.idempotency
    other = make_world(backend.registry, "globex")
    mine, theirs = str(world.tenant.id), str(other.tenant.id)
    service.remember(mine, METHOD, "req-1", _digest("mine"), b"mine")
    assert service.find(theirs, METHOD, "req-1") is None
    assert service.find(PLATFORM_SCOPE, METHOD, "req-1") is None
    # The same request id in another scope is a record of its own, not a clash.
    service.remember(theirs, METHOD, "req-1", _digest("theirs"), b"theirs")
    service.remember(PLATFORM_SCOPE, METHOD, "req-1", _digest("platform"), b"platform")
    found = [service.find(scope, METHOD, "req-1") for scope in (mine, theirs, PLATFORM_SCOPE)]
    assert [record.response if record else None for record in found] == [
        b"mine",
        b"theirs",
        b"platform",
    ]


def test_the_table_holds_neither_request_ids_nor_readable_responses(
    backend: RegistryBackend,
) -> None:
    secret = b"e4t_0123456789abcdef_the-api-key-secret"
    backend.registry.idempotency.remember("platform", METHOD, "req-secret", _digest("a"), secret)
    with backend.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT request_id, response FROM idempotency_record"))
        (request_id, stored), *others = rows.all()
    assert others == []
    assert "req-secret" not in request_id
    assert b"api-key-secret" not in bytes(stored)
    # Only the holder of the request id reads it back, and only for its own scope and method.
    found = backend.registry.idempotency.find("platform", METHOD, "req-secret")
    assert found is not None and found.response == secret
    assert backend.registry.idempotency.find("platform", METHOD, "req-other") is None
