"""Request-id deduplication for mutating unary calls (docs/api.md, "Idempotency").

Per (tenant or platform, method, request_id) the store keeps a fingerprint of the request and its
successful response for 24 hours. A same-key call waits for the first one to finish, so two
concurrent retries run the work once. Failed calls are not remembered.

The store lives in the gateway process: it survives retries and reconnects, not a gateway
restart. `CreateConcept` is additionally deduplicated durably by the registry's operation table.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from google.protobuf.message import Message

from e4t_server.api.errors import failed_precondition

RETENTION_SECONDS = 24 * 3600
MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class _Entry:
    fingerprint: str
    response: Message
    stored_at: float


def fingerprint(request: Message) -> str:
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


class IdempotencyStore:
    """Remembers successful responses by request id; see the module docstring."""

    def __init__(self, *, retention: float = RETENTION_SECONDS, capacity: int = MAX_ENTRIES):
        self.retention = retention
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str, str], _Entry] = OrderedDict()
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    async def run(
        self,
        key: tuple[str, str, str],
        request: Message,
        call: Callable[[], Awaitable[Message]],
    ) -> Message:
        """The remembered response for `key`, or the result of `call()` (remembered if it succeeds).

        Raises:
            ApiError: FAILED_PRECONDITION / REQUEST_ID_REUSED for the same key with another request.
        """
        digest = fingerprint(request)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            entry = self._lookup(key)
            if entry is not None:
                if entry.fingerprint != digest:
                    raise failed_precondition(
                        "REQUEST_ID_REUSED",
                        f"request_id {key[2]!r} was already used for a different request",
                        {"request_id_reused": key[2]},
                    )
                return entry.response
            response = await call()
            self._entries[key] = _Entry(digest, response, time.monotonic())
            while len(self._entries) > self.capacity:
                evicted, _ = self._entries.popitem(last=False)
                self._locks.pop(evicted, None)
            return response

    def _lookup(self, key: tuple[str, str, str]) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and time.monotonic() - entry.stored_at > self.retention:
            del self._entries[key]
            return None
        return entry
