"""Creating, reading and deleting tenants (platform-admin operations).

Deleting a tenant is a soft delete (AIP-164): the tenant row stays, in state DELETED, with its
audit log, erasure records, operations and domains; its API keys are revoked and every subject
is erased (concepts, versions, source images, consents — the same erasure as `erase_subject`).
Domains and their model versions are kept: they hold no personal data and nothing can reach
them once the keys are revoked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from e4t_registry.blobs import BlobStore
from e4t_registry.consent import erase_subject_rows
from e4t_registry.erasure import BlobErasure
from e4t_registry.errors import InvalidArgumentError, TenantDeletedError, TenantNotEmptyError
from e4t_registry.models import Tenant, TenantState, utcnow
from e4t_registry.paging import Page
from e4t_registry.uow import UnitOfWork

_TENANT_NAME = re.compile(r"[a-z][a-z0-9-]{1,62}")
TENANT_DELETED_REASON = "tenant-deleted"


class TenantService:
    """Tenant lifecycle; every change is audited."""

    def __init__(
        self, engine: Engine, blobs: BlobStore, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.blobs = blobs
        self.clock = clock

    def create(self, *, name: str, display_name: str = "", actor: str) -> Tenant:
        """Create a tenant named by a lowercase slug (AlreadyExistsError if taken)."""
        if not _TENANT_NAME.fullmatch(name):
            raise InvalidArgumentError(
                f"tenant name {name!r} must be 2-63 lowercase letters, digits or '-'"
            )
        with UnitOfWork(self.engine) as uow:
            tenant = uow.tenants.add(Tenant(name=name, display_name=display_name))
            uow.audit.append(
                actor=actor,
                action="tenant.create",
                tenant_id=tenant.id,
                resource=f"tenants/{tenant.id}",
                details={"name": name},
            )
            uow.commit()
        return tenant

    def delete(self, tenant_id: uuid.UUID, *, force: bool = False, actor: str) -> Tenant:
        """Soft-delete a tenant in one transaction; returns it in state DELETED.

        Revokes every key of the tenant, cancels its unfinished operations and erases every
        subject (an `ErasureRecord` with reason `tenant-deleted` and a `subject.erase` event
        each), then records `tenant.delete`. The blobs go right after the commit (the sweeper
        catches any that fail).

        Raises:
            NotFoundError: No such tenant.
            TenantDeletedError: The tenant is already deleted (nothing changes).
            TenantNotEmptyError: It still has domains or concepts and `force` is false.
        """
        now = self.clock()
        with UnitOfWork(self.engine) as uow:
            # The row lock orders this against key creation (which locks it too).
            tenant = uow.tenants.get(tenant_id, for_update=True)
            if tenant.state == TenantState.DELETED:
                raise TenantDeletedError(f"tenant {tenant.name!r} is already deleted")
            domains = len(uow.domains.list_all(tenant_id))
            concepts = uow.concepts.count_live(tenant_id)
            if (domains or concepts) and not force:
                raise TenantNotEmptyError(
                    f"tenant {tenant.name!r} still has {domains} domain(s) and {concepts} "
                    "concept(s); delete with force to erase them"
                )
            revoked = uow.api_keys.revoke_all(tenant_id, now)
            cancelled = uow.operations.cancel_unfinished(tenant_id, now)
            erasure = BlobErasure()
            erased = 0
            for subject_id in uow.subjects.ids(tenant_id):
                _, subject_erasure = erase_subject_rows(
                    uow, tenant_id, subject_id, reason=TENANT_DELETED_REASON, actor=actor
                )
                erasure.keys.update(subject_erasure.keys)
                erasure.prefixes.update(subject_erasure.prefixes)
                erased += 1
            tenant.state = TenantState.DELETED
            tenant.deleted_at = now
            uow.session.add(tenant)
            uow.session.flush()
            uow.audit.append(
                actor=actor,
                action="tenant.delete",
                tenant_id=tenant_id,
                resource=f"tenants/{tenant_id}",
                details={
                    "name": tenant.name,
                    "force": force,
                    "api_keys_revoked": len(revoked),
                    "operations_cancelled": len(cancelled),
                    "subjects_erased": erased,
                    "concepts": concepts,
                    "domains_kept": domains,
                },
            )
            uow.commit()
        erasure.run(self.blobs)
        return tenant

    def get(self, tenant_id: uuid.UUID) -> Tenant:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.tenants.get(tenant_id)

    def get_by_name(self, name: str) -> Tenant:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.tenants.get_by_name(name)

    def list(
        self,
        *,
        show_deleted: bool = False,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[Tenant]:
        """Tenants in creation order; DELETED ones only with `show_deleted`."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.tenants.list(
                show_deleted=show_deleted, page_size=page_size, page_token=page_token
            )
