"""Handles on long-running operations: `op.wait(progress=...)`, `op.result(timeout=...)`.

`Operation` (blocking) and `AsyncOperation` (asyncio) share the waiting plan and the reading of
outcomes below; they differ only in how each call is made.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar, cast

import grpc

from e4t._operation_calls import cancel_call, get_call, wait_call
from e4t._transport import AsyncTransport, SyncTransport
from e4t.errors import APIError, APITimeoutError
from e4t.types import OperationProgress, OperationSnapshot, OperationState

T = TypeVar("T")

ProgressCallback = Callable[[OperationSnapshot], None]
"""Called with every new snapshot while waiting (read `.progress` and `.state`)."""

# With a progress callback, long-poll in short slices so that progress shows up as it moves.
PROGRESS_SLICE_S = 1.0
QUIET_SLICE_S = 30.0


def _next_slice(deadline: float | None, progress: ProgressCallback | None) -> float:
    slice_s = PROGRESS_SLICE_S if progress else QUIET_SLICE_S
    if deadline is None:
        return slice_s
    return max(0.0, min(slice_s, deadline - time.monotonic()))


def _outcome(snapshot: OperationSnapshot, timeout: float | None) -> object:
    """The result of a done operation; raises its error, or a timeout if it is not done."""
    if not snapshot.done:
        raise APITimeoutError(
            f"operation {snapshot.name} is still {snapshot.state} after {timeout} s",
            code=grpc.StatusCode.DEADLINE_EXCEEDED,
            request_id=snapshot.request_id,
        )
    if snapshot.error is not None:
        raise snapshot.error
    return snapshot.result


class _OperationBase(Generic[T]):
    def __init__(self, snapshot: OperationSnapshot) -> None:
        self._snapshot = snapshot

    @property
    def name(self) -> str:
        """The operation's name, `tenants/{tenant}/operations/{operation}`."""
        return self._snapshot.name

    @property
    def id(self) -> str:
        """The operation ID, the last segment of `name`."""
        return self._snapshot.id

    @property
    def snapshot(self) -> OperationSnapshot:
        """The latest state seen (refreshed by `refresh`, `wait`, `result`, `cancel`)."""
        return self._snapshot

    @property
    def state(self) -> OperationState:
        return self._snapshot.state

    @property
    def done(self) -> bool:
        return self._snapshot.done

    @property
    def progress(self) -> OperationProgress:
        return self._snapshot.progress

    @property
    def error(self) -> APIError | None:
        """Why the operation failed or was cancelled, once it did."""
        return self._snapshot.error

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, state={self.state})"


class Operation(_OperationBase[T]):
    """A long-running operation whose result is a `T` (a `Concept` for `concepts.create`)."""

    def __init__(self, transport: SyncTransport, snapshot: OperationSnapshot) -> None:
        super().__init__(snapshot)
        self._transport = transport

    def refresh(self) -> OperationSnapshot:
        """Fetches the latest state."""
        self._snapshot = self._transport.unary(get_call(self.name))
        return self._snapshot

    def wait(
        self, *, timeout: float | None = None, progress: ProgressCallback | None = None
    ) -> OperationSnapshot:
        """Waits until the operation is done or `timeout` seconds pass, and returns its state.

        Not being done by the timeout is not an error here (see `result`).

        Args:
            timeout: Seconds to wait at most; None waits as long as it takes.
            progress: Called with every new snapshot, for progress bars.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if progress:
                progress(self._snapshot)
            if self._snapshot.done:
                return self._snapshot
            slice_s = _next_slice(deadline, progress)
            if slice_s <= 0:
                return self._snapshot
            self._snapshot = self._transport.unary(wait_call(self.name, slice_s))

    def result(
        self, *, timeout: float | None = None, progress: ProgressCallback | None = None
    ) -> T:
        """Waits for the operation and returns its result.

        Raises:
            APIError: The operation failed (its error, for example `InternalServerError` with
                reason `TUNING_FAILED`) or was cancelled (`CancelledError`).
            APITimeoutError: It was not done within `timeout` seconds.
        """
        return cast(T, _outcome(self.wait(timeout=timeout, progress=progress), timeout))

    def cancel(self) -> OperationSnapshot:
        """Asks the operation to stop; it ends CANCELLED unless it finishes first."""
        self._snapshot = self._transport.unary(cancel_call(self.name))
        return self._snapshot


class AsyncOperation(_OperationBase[T]):
    """The async form of `Operation`."""

    def __init__(self, transport: AsyncTransport, snapshot: OperationSnapshot) -> None:
        super().__init__(snapshot)
        self._transport = transport

    async def refresh(self) -> OperationSnapshot:
        """Fetches the latest state."""
        self._snapshot = await self._transport.unary(get_call(self.name))
        return self._snapshot

    async def wait(
        self, *, timeout: float | None = None, progress: ProgressCallback | None = None
    ) -> OperationSnapshot:
        """Waits until done or `timeout` seconds pass. See `Operation.wait`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if progress:
                progress(self._snapshot)
            if self._snapshot.done:
                return self._snapshot
            slice_s = _next_slice(deadline, progress)
            if slice_s <= 0:
                return self._snapshot
            self._snapshot = await self._transport.unary(wait_call(self.name, slice_s))

    async def result(
        self, *, timeout: float | None = None, progress: ProgressCallback | None = None
    ) -> T:
        """Waits for the operation and returns its result. See `Operation.result`."""
        snapshot = await self.wait(timeout=timeout, progress=progress)
        return cast(T, _outcome(snapshot, timeout))

    async def cancel(self) -> OperationSnapshot:
        """Asks the operation to stop. See `Operation.cancel`."""
        self._snapshot = await self._transport.unary(cancel_call(self.name))
        return self._snapshot
