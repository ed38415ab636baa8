"""Timestamps are stored as UTC and come back timezone-aware on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from e4t_registry.models import utcnow
from tests.registry.conftest import ADMIN, RegistryBackend


def test_aware_round_trip(backend: RegistryBackend) -> None:
    registry = backend.registry
    tenant = registry.tenants.create(name="acme", actor=ADMIN)
    # An expiry given in another zone is the same instant when read back, in UTC.
    expires = datetime(2100, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=5)))
    consent = registry.consent.grant(
        tenant.id,
        subject_external_id="u",
        notice_version="v1",
        method="m",
        expires_at=expires,
        actor=ADMIN,
    )

    stored = registry.consent.get(tenant.id, consent.id)

    assert stored.expires_at == expires
    assert stored.expires_at is not None and stored.expires_at.tzinfo == UTC
    assert stored.granted_at.tzinfo == UTC
    assert abs(stored.granted_at - utcnow()) < timedelta(minutes=5)
    assert registry.tenants.get(tenant.id).created_at.tzinfo == UTC


def test_naive_datetimes_are_rejected(sqlite_backend: RegistryBackend) -> None:
    tenant = sqlite_backend.registry.tenants.create(name="acme", actor=ADMIN)
    with pytest.raises(ValueError, match="aware"):
        sqlite_backend.registry.consent.grant(
            tenant.id,
            subject_external_id="u",
            notice_version="v1",
            method="m",
            expires_at=datetime(2100, 1, 1),
            actor=ADMIN,
        )
