"""Request-id deduplication for mutating unary calls (docs/api.md, "Idempotency").

Per (tenant or platform, method, request_id) the gateway keeps a fingerprint of the request and
its successful response for 24 hours, in two places:

- in process (fast path): a same-key call waits for the first one to finish, so two concurrent
  retries on one gateway run the work once;
- durably in the registry (`registry.idempotency`, table `idempotency_record`): after an
  in-process miss the gateway looks there, so a retry that reaches a restarted or another
  gateway answers the first response (deserialized with the method's response type). The
  gateway prunes records older than 24 hours hourly (`gateway.py`).

Failed calls are not remembered. A failed durable write is logged and the call still answers
its response (the work did happen); a failed durable lookup fails the call, since whether it
is a retry cannot be told. Two gateways that receive the same key at the same moment may both
run the call; the registry then keeps the first response. `CreateConcept` (a client stream,
not deduplicated here) is deduplicated durably by the registry's operation table.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message

from e4t_registry.idempotency import IdempotencyService
from e4t_server.api.errors import failed_precondition

logger = logging.getLogger("e4t.gateway")

RETENTION_SECONDS = 24 * 3600
MAX_ENTRIES = 100_000

Key = tuple[str, str, str]  # (tenant uuid or "platform", full method name, request_id)


@dataclass(frozen=True)
class _Entry:
    fingerprint: str
    response: Message
    stored_at: float


def fingerprint(request: Message) -> str:
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


@functools.cache
def response_class(method: str) -> type[Message]:
    """The response message class of a full method name such as `/e4t.v1.X/CreateY`."""
    service, name = method.strip("/").split("/")
    found = descriptor_pool.Default().FindServiceByName(service).methods_by_name[name]
    return message_factory.GetMessageClass(found.output_type)


class IdempotencyStore:
    """Remembers successful responses by request id; see the module docstring."""

    def __init__(
        self,
        durable: IdempotencyService | None = None,
        *,
        retention: float = RETENTION_SECONDS,
        capacity: int = MAX_ENTRIES,
    ):
        self.durable = durable
        self.retention = retention
        self.capacity = capacity
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self._locks: dict[Key, asyncio.Lock] = {}

    async def run(
        self, key: Key, request: Message, call: Callable[[], Awaitable[Message]]
    ) -> Message:
        """The remembered response for `key`, or the result of `call()` (remembered if it succeeds).

        Raises:
            ApiError: FAILED_PRECONDITION / REQUEST_ID_REUSED for the same key with another request.
        """
        digest = fingerprint(request)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            entry = self._lookup(key)
            if entry is None:
                entry = await self._load(key)
            if entry is not None:
                if entry.fingerprint != digest:
                    raise failed_precondition(
                        "REQUEST_ID_REUSED",
                        f"request_id {key[2]!r} was already used for a different request",
                        {"request_id_reused": key[2]},
                    )
                return entry.response
            response = await call()
            self._keep(key, _Entry(digest, response, time.monotonic()))
            await self._save(key, digest, response)
            return response

    def _lookup(self, key: Key) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and time.monotonic() - entry.stored_at > self.retention:
            del self._entries[key]
            return None
        return entry

    def _keep(self, key: Key, entry: _Entry) -> None:
        self._entries[key] = entry
        while len(self._entries) > self.capacity:
            evicted, _ = self._entries.popitem(last=False)
            self._locks.pop(evicted, None)

    async def _load(self, key: Key) -> _Entry | None:
        """The durable record for `key` (kept in process from now on), or None."""
        if self.durable is None:
            return None
        record = await asyncio.to_thread(self.durable.find, *key)
        if record is None:
            return None
        response = response_class(key[1]).FromString(record.response)
        entry = _Entry(record.fingerprint, response, time.monotonic())
        self._keep(key, entry)
        return entry

    async def _save(self, key: Key, digest: str, response: Message) -> None:
        if self.durable is None:
            return
        try:
            await asyncio.to_thread(
                self.durable.remember, *key, digest, response.SerializeToString(deterministic=True)
            )
        except Exception:
            logger.exception("durable idempotency write failed", extra={"method": key[1]})
