"""The audit log: an append-only hash chain with verification and JSON Lines export.

Each event's `hash` is sha256 over a canonical encoding (sorted-key, compact JSON) of all its
other fields, `prev_hash` included, so changing, deleting or reordering any event breaks the
chain at that event. Appenders lock the single chain-head row, which serializes them on
PostgreSQL (row lock) and SQLite (the write lock taken by `BEGIN IMMEDIATE`), so concurrent
writers still produce one chain. The head also records the last seq and hash, which is how a
deleted tail is noticed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from e4t_registry.models import GENESIS_HASH, AuditChainHead, AuditEvent, utcnow

EXPORT_BATCH = 500


def canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def event_record(event: AuditEvent) -> dict[str, Any]:
    """The event as the plain dict that is hashed and exported (without its own hash)."""
    return {
        "seq": event.seq,
        "id": str(event.id),
        "tenant_id": None if event.tenant_id is None else str(event.tenant_id),
        "actor": event.actor,
        "action": event.action,
        "resource": event.resource,
        "time": canonical_time(event.time),
        "details": event.details,
        "prev_hash": event.prev_hash,
    }


def compute_hash(record: dict[str, Any]) -> str:
    """sha256 of the canonical encoding of `record` (any `hash` key is left out)."""
    fields = {key: value for key, value in record.items() if key != "hash"}
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class AuditLog:
    """Appends events inside the caller's transaction: the event commits with the change."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(
        self,
        *,
        actor: str,
        action: str,
        tenant_id: uuid.UUID | None = None,
        resource: str = "",
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Link a new event to the chain head and move the head to it."""
        head = self.session.exec(
            select(AuditChainHead)
            .where(AuditChainHead.id == 1)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        # Round-trip through JSON so the hashed details equal what the database returns.
        normalized = json.loads(json.dumps(details or {}, sort_keys=True))
        event = AuditEvent(
            seq=head.seq + 1,
            tenant_id=tenant_id,
            actor=actor,
            action=action,
            resource=resource,
            time=utcnow(),
            details=normalized,
            prev_hash=head.hash,
            hash="",
        )
        event.hash = compute_hash(event_record(event))
        head.seq, head.hash = event.seq, event.hash
        self.session.add(event)
        self.session.add(head)
        self.session.flush()
        return event


@dataclass(frozen=True)
class ChainVerdict:
    """Outcome of a verification; on failure it names the first broken link and why."""

    ok: bool
    events_checked: int
    broken_seq: int | None = None
    broken_id: str | None = None
    reason: str | None = None


class ChainVerifier:
    """Checks events one by one, in seq order, against the links before them."""

    def __init__(self) -> None:
        self.count = 0
        self.last_seq = 0
        self.last_hash = GENESIS_HASH

    def check(self, record: dict[str, Any]) -> ChainVerdict | None:
        """None if `record` extends the chain correctly, else the verdict naming it."""
        seq, event_id = record.get("seq"), record.get("id")
        expected = self.last_seq + 1
        reason = None
        if seq != expected:
            # The break is at the first seq that is not where it should be.
            reason = f"expected seq {expected}, found {seq}: events missing or reordered"
            seq, event_id = expected, None
        elif record.get("prev_hash") != self.last_hash:
            reason = f"prev_hash does not match the hash of event seq {self.last_seq}"
        elif compute_hash(record) != record.get("hash"):
            reason = "hash does not match the event's content: the event was modified"
        if reason is not None:
            return ChainVerdict(False, self.count, seq, event_id, reason)
        self.count += 1
        self.last_seq, self.last_hash = int(record["seq"]), str(record["hash"])
        return None

    def finish(self, head_seq: int | None = None, head_hash: str | None = None) -> ChainVerdict:
        """The final verdict; with the recorded head, a deleted tail is caught too."""
        if head_seq is not None and (head_seq, head_hash) != (self.last_seq, self.last_hash):
            return ChainVerdict(
                False,
                self.count,
                self.last_seq + 1,
                None,
                f"chain ends at seq {self.last_seq} but the head records seq {head_seq}: "
                "events deleted from the end",
            )
        return ChainVerdict(True, self.count)


def iter_events(
    engine: Engine,
    *,
    tenant_id: uuid.UUID | None = None,
    up_to_seq: int | None = None,
    batch: int = EXPORT_BATCH,
) -> Iterator[dict[str, Any]]:
    """Every event (optionally one tenant's) in seq order, as exported records, in batches."""
    after = 0
    while True:
        with Session(engine) as session:
            statement = select(AuditEvent).where(AuditEvent.seq > after)
            if up_to_seq is not None:
                statement = statement.where(AuditEvent.seq <= up_to_seq)
            if tenant_id is not None:
                statement = statement.where(AuditEvent.tenant_id == tenant_id)
            rows = list(session.exec(statement.order_by(col(AuditEvent.seq)).limit(batch)))
        for row in rows:
            yield {**event_record(row), "hash": row.hash}
        if len(rows) < batch:
            return
        after = rows[-1].seq


def verify_chain(engine: Engine) -> ChainVerdict:
    """Recompute the whole chain in the database and name the first broken link."""
    with Session(engine) as session:
        head = session.get(AuditChainHead, 1)
    if head is None:
        return ChainVerdict(False, 0, None, None, "the chain head row is missing")
    # Events appended after the head was read are left for the next verification.
    verifier = ChainVerifier()
    for record in iter_events(engine, up_to_seq=head.seq):
        verdict = verifier.check(record)
        if verdict is not None:
            return verdict
    return verifier.finish(head.seq, head.hash)


def verify_export(lines: Iterable[str]) -> ChainVerdict:
    """Verify a full (unfiltered) JSON Lines export offline."""
    verifier = ChainVerifier()
    for line in lines:
        if line.strip():
            verdict = verifier.check(json.loads(line))
            if verdict is not None:
                return verdict
    return verifier.finish()


def export_jsonl(engine: Engine, *, tenant_id: uuid.UUID | None = None) -> Iterator[str]:
    """Stream events as JSON Lines (one event per line, newline-terminated)."""
    for record in iter_events(engine, tenant_id=tenant_id):
        yield json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
