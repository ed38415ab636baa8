"""Keyset pagination with opaque page tokens.

Lists are ordered by (created_at, id) — stable under inserts, no duplicates or gaps between
pages. A token records the last row seen and the list it belongs to (kind, tenant, filters), so
a token from one list cannot be replayed against another.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from e4t_registry.errors import InvalidArgumentError, InvalidPageTokenError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


class Keyed(Protocol):
    id: uuid.UUID
    created_at: datetime


T = TypeVar("T")
K = TypeVar("K", bound=Keyed)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list. `next_page_token` is None on the last page."""

    items: list[T]
    next_page_token: str | None


def effective_page_size(page_size: int | None) -> int:
    """AIP-158: unset or 0 means the default; above the maximum is coerced down."""
    if page_size is None or page_size == 0:
        return DEFAULT_PAGE_SIZE
    if page_size < 0:
        raise InvalidArgumentError(f"page_size must not be negative, got {page_size}")
    return min(page_size, MAX_PAGE_SIZE)


def encode_token(scope: str, created_at: datetime, row_id: uuid.UUID) -> str:
    payload = {"s": scope, "c": created_at.isoformat(), "i": row_id.hex}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, scope: str) -> tuple[datetime, uuid.UUID]:
    """Return the (created_at, id) position a token points after, or raise a typed error."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload: dict[str, Any] = json.loads(raw)
        created_at = datetime.fromisoformat(payload["c"])
        row_id = uuid.UUID(hex=payload["i"])
        token_scope = payload["s"]
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidPageTokenError("page token is malformed") from exc
    if token_scope != scope or created_at.tzinfo is None:
        raise InvalidPageTokenError("page token does not belong to this list")
    return created_at, row_id


def paginate(
    session: Session,
    statement: SelectOfScalar[K],
    model: type[K],
    *,
    scope: str,
    page_size: int | None,
    page_token: str | None,
) -> Page[K]:
    """Run `statement` (already tenant-filtered) as one keyset page by (created_at, id)."""
    size = effective_page_size(page_size)
    created_col: Any = model.created_at
    id_col: Any = model.id
    if page_token:
        after_created, after_id = decode_token(page_token, scope)
        # A row-value comparison lets PostgreSQL and SQLite seek the (created_at, id) index.
        statement = statement.where(
            sa.tuple_(created_col, id_col) > sa.tuple_(after_created, after_id)
        )
    rows = list(session.exec(statement.order_by(created_col, id_col).limit(size + 1)))
    if len(rows) <= size:
        return Page(items=rows, next_page_token=None)
    last = rows[size - 1]
    return Page(items=rows[:size], next_page_token=encode_token(scope, last.created_at, last.id))
