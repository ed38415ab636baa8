"""Audit log: one hash chain even under concurrent writers; any tampering is located."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa

from e4t_registry.audit import verify_export
from e4t_registry.uow import UnitOfWork
from tests.registry.conftest import ADMIN, RegistryBackend


def _append(backend: RegistryBackend, count: int, actor: str = ADMIN) -> None:
    tenant_id = uuid.uuid4()
    for index in range(count):
        with UnitOfWork(backend.engine) as uow:
            uow.audit.append(
                actor=actor,
                action="test.event",
                tenant_id=tenant_id,
                resource=f"things/{index}",
                details={"index": index, "nested": {"b": 1.5, "a": [1, "x"]}},
            )
            uow.commit()


def _execute(backend: RegistryBackend, sql: str, **params: object) -> None:
    with backend.engine.begin() as connection:
        connection.execute(sa.text(sql), params)


def _tamper(backend: RegistryBackend, statements: list[str]) -> None:
    """Rewrite history as someone with DDL rights can: past the append-only triggers."""
    with backend.engine.begin() as connection:
        if backend.name == "postgres":
            connection.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        else:
            for trigger in ("audit_event_no_update", "audit_event_no_delete"):
                connection.execute(sa.text(f"DROP TRIGGER {trigger}"))
        for statement in statements:
            connection.execute(sa.text(statement))
        if backend.name == "postgres":
            connection.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'mallory' WHERE seq = 2",
        "DELETE FROM audit_event WHERE seq = 3",
        "DELETE FROM audit_event",
    ],
)
def test_the_database_refuses_to_rewrite_audit_events(
    backend: RegistryBackend, statement: str
) -> None:
    _append(backend, 3)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        _execute(backend, statement)
    if backend.name == "postgres":
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            _execute(backend, "TRUNCATE audit_event")
    verdict = backend.registry.verify_audit()
    assert verdict.ok and verdict.events_checked == 3


def test_untouched_chain_verifies_and_exports(backend: RegistryBackend) -> None:
    _append(backend, 5)
    verdict = backend.registry.verify_audit()
    assert verdict.ok and verdict.events_checked == 5

    lines = list(backend.registry.export_audit())
    assert len(lines) == 5 and all(line.endswith("\n") for line in lines)
    assert verify_export(lines).ok
    tampered = [*lines[:2], lines[2].replace("things/2", "things/X"), *lines[3:]]
    assert verify_export(tampered).broken_seq == 3


@pytest.mark.parametrize(
    ("statements", "broken_seq", "reason"),
    [
        (["UPDATE audit_event SET actor = 'mallory' WHERE seq = 3"], 3, "modified"),
        (["UPDATE audit_event SET details = '{\"index\": 99}' WHERE seq = 4"], 4, "modified"),
        (["DELETE FROM audit_event WHERE seq = 2"], 2, "missing"),
        (["DELETE FROM audit_event WHERE seq = 6"], 6, "deleted from the end"),
        # Reordering: events 2 and 3 swap places (through a free seq: seq is unique).
        (
            [
                "UPDATE audit_event SET seq = 1000 WHERE seq = 2",
                "UPDATE audit_event SET seq = 2 WHERE seq = 3",
                "UPDATE audit_event SET seq = 3 WHERE seq = 1000",
            ],
            2,
            "prev_hash",
        ),
    ],
    ids=["actor", "details", "delete-middle", "delete-tail", "reorder"],
)
def test_tampering_is_found_at_the_event(
    backend: RegistryBackend, statements: list[str], broken_seq: int, reason: str
) -> None:
    _append(backend, 6)
    _tamper(backend, statements)

    verdict = backend.registry.verify_audit()

    assert not verdict.ok
    assert verdict.broken_seq == broken_seq
    assert reason in (verdict.reason or "")
    assert verdict.events_checked == broken_seq - 1


def test_concurrent_writers_form_one_chain(backend: RegistryBackend) -> None:
    writers, per_writer = 8, 6
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(index: int) -> None:
        try:
            start.wait()
            _append(backend, per_writer, actor=f"writer-{index}")
        except BaseException as exc:  # collected and re-raised by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    verdict = backend.registry.verify_audit()
    assert verdict.ok, verdict
    assert verdict.events_checked == writers * per_writer
    with backend.engine.connect() as connection:
        actors = connection.execute(sa.text("SELECT DISTINCT actor FROM audit_event")).scalars()
        assert len(set(actors)) == writers


def test_export_filters_by_tenant(sqlite_backend: RegistryBackend) -> None:
    registry = sqlite_backend.registry
    acme = registry.tenants.create(name="acme", actor=ADMIN)
    registry.tenants.create(name="globex", actor=ADMIN)
    lines = list(registry.export_audit(tenant_id=acme.id))
    assert len(lines) == 1 and str(acme.id) in lines[0]
