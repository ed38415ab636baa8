"""API keys: created once with a secret that is never stored, verified by lookup id + hash.

A secret reads `e4t_<lookup-id>_<random>`: the lookup id (16 hex chars) finds the row by a
unique index, the 256-bit random part makes the sha256 hash safe to store without a slow KDF,
and the comparison is constant-time. Platform-admin keys belong to no tenant (`tenant_id`
NULL); every other key belongs to exactly one tenant.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from e4t_registry.errors import AuthenticationError, InvalidArgumentError
from e4t_registry.models import ApiKey, Scope, utcnow
from e4t_registry.paging import Page
from e4t_registry.uow import UnitOfWork

SECRET_PREFIX = "e4t"
# Writing last_used_at on every request would turn each read into a write; a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
BOOTSTRAP_ACTOR = "system:bootstrap"
# PostgreSQL advisory lock that serializes first-start bootstraps ("e4tboot" in ASCII).
BOOTSTRAP_LOCK_KEY = 0x6534_7462_6F6F_74


@dataclass(frozen=True)
class Principal:
    """Who a verified key acts for. `tenant_id` is None for platform admins."""

    key_id: uuid.UUID
    tenant_id: uuid.UUID | None
    scopes: frozenset[Scope]

    @property
    def actor(self) -> str:
        """How this principal is named in the audit log."""
        return f"key:{self.key_id}"

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class CreatedApiKey:
    """A new key and its secret. The secret cannot be recovered later."""

    key: ApiKey
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _parse_secret(secret: str) -> str | None:
    """The lookup id of a well-formed secret, else None."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != SECRET_PREFIX or len(parts[1]) != 16 or not parts[2]:
        return None
    return parts[1]


def _validated_scopes(tenant_id: uuid.UUID | None, scopes: Iterable[str]) -> list[str]:
    try:
        parsed = sorted({Scope(scope) for scope in scopes})
    except ValueError as exc:
        raise InvalidArgumentError(f"unknown scope: {exc}") from exc
    if not parsed:
        raise InvalidArgumentError("an API key needs at least one scope")
    platform = Scope.PLATFORM_ADMIN in parsed
    if platform and (tenant_id is not None or len(parsed) > 1):
        raise InvalidArgumentError("platform-admin keys have no tenant and no other scope")
    if not platform and tenant_id is None:
        raise InvalidArgumentError("tenant scopes need a tenant")
    return [scope.value for scope in parsed]


class ApiKeyService:
    """Create, verify, list and revoke API keys; creation and revocation are audited."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def create(
        self,
        *,
        tenant_id: uuid.UUID | None,
        scopes: Iterable[str],
        name: str = "",
        actor: str,
    ) -> CreatedApiKey:
        """Create a key; the returned secret is the only copy there will ever be.

        TenantDeletedError if the tenant was deleted.
        """
        scope_values = _validated_scopes(tenant_id, scopes)
        with UnitOfWork(self.engine) as uow:
            if tenant_id is not None:
                # Locked: a concurrent tenant deletion cannot miss this key when revoking.
                uow.tenants.get_active(tenant_id, for_update=True)
            created = _add_key(uow, tenant_id, scope_values, name, actor)
            uow.commit()
        return created

    def verify(self, secret: str) -> Principal:
        """The principal a secret stands for; AuthenticationError if unknown or revoked."""
        presented_hash = hash_secret(secret)
        lookup_id = _parse_secret(secret)
        if lookup_id is None:
            raise AuthenticationError("malformed API key")
        with UnitOfWork(self.engine, read_only=True) as uow:
            key = uow.api_keys.find_by_lookup_id(lookup_id)
        if key is None or not hmac.compare_digest(key.secret_hash, presented_hash):
            raise AuthenticationError("unknown API key")
        if key.revoked_at is not None:
            raise AuthenticationError("revoked API key")
        now = self.clock()
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
            # Verification is the hottest path: it writes only when the timestamp is stale.
            with UnitOfWork(self.engine) as uow:
                uow.api_keys.touch(key.id, now)
                uow.commit()
        return Principal(
            key_id=key.id,
            tenant_id=key.tenant_id,
            scopes=frozenset(Scope(scope) for scope in key.scopes),
        )

    def revoke(self, *, tenant_id: uuid.UUID | None, key_id: uuid.UUID, actor: str) -> ApiKey:
        """Revoke a key of `tenant_id` (None: a platform key); revoking twice is harmless."""
        with UnitOfWork(self.engine) as uow:
            key = uow.api_keys.get(tenant_id, key_id)
            if key.revoked_at is None:
                key.revoked_at = self.clock()
                uow.session.add(key)
                uow.audit.append(
                    actor=actor,
                    action="api_key.revoke",
                    tenant_id=tenant_id,
                    resource=f"apiKeys/{key.id}",
                )
                uow.commit()
        return key

    def list(
        self,
        *,
        tenant_id: uuid.UUID | None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[ApiKey]:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.api_keys.list(tenant_id, page_size=page_size, page_token=page_token)


def bootstrap_admin_key(engine: Engine) -> str | None:
    """On first start, create a platform-admin key and return its secret (print it once).

    Returns None when an active platform-admin key already exists.
    """
    with UnitOfWork(engine) as uow:
        # Check and create in one transaction that no other bootstrap runs beside, so two
        # servers starting together on an empty database create one key, not two. SQLite
        # units of work already hold the write lock from their first statement.
        if engine.dialect.name == "postgresql":
            uow.session.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": BOOTSTRAP_LOCK_KEY}
            )
        if uow.api_keys.count_active_platform_admin() > 0:
            return None
        created = _add_key(uow, None, [Scope.PLATFORM_ADMIN.value], "bootstrap", BOOTSTRAP_ACTOR)
        uow.commit()
    return created.secret


def _add_key(
    uow: UnitOfWork, tenant_id: uuid.UUID | None, scopes: list[str], name: str, actor: str
) -> CreatedApiKey:
    lookup_id = secrets.token_hex(8)
    secret = f"{SECRET_PREFIX}_{lookup_id}_{secrets.token_urlsafe(32)}"
    key = uow.api_keys.add(
        ApiKey(
            tenant_id=tenant_id,
            name=name,
            lookup_id=lookup_id,
            secret_hash=hash_secret(secret),
            scopes=scopes,
            created_by=actor,
        )
    )
    uow.audit.append(
        actor=actor,
        action="api_key.create",
        tenant_id=tenant_id,
        resource=f"apiKeys/{key.id}",
        details={"name": name, "scopes": scopes},
    )
    return CreatedApiKey(key=key, secret=secret)
