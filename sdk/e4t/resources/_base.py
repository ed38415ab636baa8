"""What every resource class holds: a transport and the name builder of its client."""

from __future__ import annotations

from e4t._names import Names
from e4t._transport import AsyncTransport, SyncTransport


class SyncResource:
    """Base of the blocking resource classes."""

    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport
        self._names = Names(transport.options.tenant)


class AsyncResource:
    """Base of the asyncio resource classes."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport
        self._names = Names(transport.options.tenant)
