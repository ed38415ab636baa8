"""The tenant-scoped repository base: every read and write filters by the tenant id it is given."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

from e4t_registry.errors import AlreadyExistsError, InvalidArgumentError, NotFoundError
from e4t_registry.paging import Page, paginate

M = TypeVar("M", bound=SQLModel)


class TenantScopedRepository(Generic[M]):
    """Shared get/list/add/delete for a table with `tenant_id`, `id` and `created_at` columns.

    A row of another tenant is indistinguishable from a missing row: both raise NotFoundError.
    """

    model: ClassVar[type[Any]]
    resource: ClassVar[str]

    def __init__(self, session: Session) -> None:
        self.session = session

    def _col(self, name: str) -> Any:
        return getattr(self.model, name)

    def _select(self, tenant_id: uuid.UUID) -> SelectOfScalar[M]:
        return select(self.model).where(self._col("tenant_id") == tenant_id)

    def find(
        self, tenant_id: uuid.UUID, row_id: uuid.UUID, *, for_update: bool = False
    ) -> M | None:
        """The row, or None if it does not exist for this tenant."""
        statement = self._select(tenant_id).where(self._col("id") == row_id)
        if for_update:
            # Re-read under the lock: the identity map may hold a stale copy.
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return self.session.exec(statement).first()

    def get(self, tenant_id: uuid.UUID, row_id: uuid.UUID, *, for_update: bool = False) -> M:
        """The row, or NotFoundError if it does not exist for this tenant."""
        row = self.find(tenant_id, row_id, for_update=for_update)
        if row is None:
            raise NotFoundError(f"{self.resource} {row_id} not found")
        return row

    def add(self, tenant_id: uuid.UUID, row: M) -> M:
        """Insert `row` for `tenant_id`; a unique-name clash raises AlreadyExistsError."""
        if getattr(row, "tenant_id", None) != tenant_id:
            raise InvalidArgumentError(f"{self.resource} belongs to another tenant")
        insert_or_raise(self.session, row, f"{self.resource} already exists")
        return row

    def delete(self, tenant_id: uuid.UUID, row_id: uuid.UUID) -> None:
        """Delete the row; NotFoundError if it does not exist for this tenant."""
        self.session.delete(self.get(tenant_id, row_id))
        self.session.flush()

    def _page(
        self,
        tenant_id: uuid.UUID,
        statement: SelectOfScalar[M],
        *,
        filters: str,
        page_size: int | None,
        page_token: str | None,
    ) -> Page[M]:
        scope = f"{self.resource}:{tenant_id}:{filters}"
        return paginate(
            self.session,
            statement,
            self.model,
            scope=scope,
            page_size=page_size,
            page_token=page_token,
        )


def insert_or_raise(session: Session, row: SQLModel, message: str) -> None:
    """Insert `row` now, turning a unique-constraint clash into AlreadyExistsError.

    The insert runs in a savepoint so the outer transaction stays usable after a clash.
    """
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        if _is_unique_violation(exc):
            raise AlreadyExistsError(message) from exc
        raise


def _is_unique_violation(exc: IntegrityError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return bool(sqlstate == "23505")
    return "UNIQUE constraint failed" in str(exc.orig)
