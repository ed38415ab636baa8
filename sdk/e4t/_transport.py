"""Executes call descriptions over a channel: metadata, timeouts, retries and error mapping.

`SyncTransport` and `AsyncTransport` differ only in how they block (a sleep versus an await);
what to send, when to retry and how to report errors come from `_calls`, `_retry` and `errors`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import grpc

from e4t._calls import StreamUnary, Unary, UnaryStream
from e4t._options import ClientOptions
from e4t.errors import APIError, error_from_rpc

T = TypeVar("T")


def _serialize(message: Any) -> bytes:
    data: bytes = message.SerializeToString()
    return data


class SyncTransport:
    """Runs calls on a blocking `grpc.Channel`."""

    def __init__(self, channel: grpc.Channel, options: ClientOptions) -> None:
        self.channel = channel
        self.options = options

    def _retrying(self, attempt: Any, request_id: str) -> Any:
        policy = self.options.retry_policy
        retries_done = 0
        while True:
            try:
                return attempt()
            except grpc.RpcError as raw:
                error: APIError = error_from_rpc(raw, request_id=request_id)
            if not policy.should_retry(error, retries_done=retries_done):
                raise error
            time.sleep(policy.delay(error, retries_done=retries_done))
            retries_done += 1

    def unary(self, call: Unary[T]) -> T:
        """Sends `call.request`, retrying as the policy allows, and parses the response."""
        stub = self.channel.unary_unary(
            call.method.path,
            request_serializer=_serialize,
            response_deserializer=call.method.deserialize,
        )
        timeout = self.options.timeout + call.extra_timeout
        response = self._retrying(
            lambda: stub(call.request, timeout=timeout, metadata=self.options.metadata),
            call.request_id,
        )
        return call.parse(response)

    def stream_unary(self, call: StreamUnary[T]) -> T:
        """Streams `call.messages()` (afresh on each attempt) and parses the one response."""
        stub = self.channel.stream_unary(
            call.method.path,
            request_serializer=_serialize,
            response_deserializer=call.method.deserialize,
        )
        response = self._retrying(
            lambda: stub(
                iter(call.messages()), timeout=self.options.timeout, metadata=self.options.metadata
            ),
            call.request_id,
        )
        return call.parse(response)

    def unary_stream(self, call: UnaryStream[T]) -> Iterator[T]:
        """Yields each parsed response message; a failure mid-stream is raised, not retried."""
        stub = self.channel.unary_stream(
            call.method.path,
            request_serializer=_serialize,
            response_deserializer=call.method.deserialize,
        )
        responses = stub(call.request, timeout=self.options.timeout, metadata=self.options.metadata)
        try:
            for response in responses:
                yield call.parse(response)
        except grpc.RpcError as raw:
            raise error_from_rpc(raw, request_id=call.request_id) from None

    def close(self) -> None:
        self.channel.close()


class AsyncTransport:
    """Runs calls on a `grpc.aio.Channel`."""

    def __init__(self, channel: grpc.aio.Channel, options: ClientOptions) -> None:
        self.channel = channel
        self.options = options

    async def _retrying(self, attempt: Any, request_id: str) -> Any:
        policy = self.options.retry_policy
        retries_done = 0
        while True:
            try:
                return await attempt()
            except grpc.RpcError as raw:
                error: APIError = error_from_rpc(raw, request_id=request_id)
            if not policy.should_retry(error, retries_done=retries_done):
                raise error
            await asyncio.sleep(policy.delay(error, retries_done=retries_done))
            retries_done += 1

    async def unary(self, call: Unary[T]) -> T:
        """Sends `call.request`, retrying as the policy allows, and parses the response."""
        stub = self.channel.unary_unary(
            call.method.path,
            request_serializer=_serialize,
            response_deserializer=call.method.deserialize,
        )
        timeout = self.options.timeout + call.extra_timeout
        response = await self._retrying(
            lambda: stub(call.request, timeout=timeout, metadata=self.options.metadata),
            call.request_id,
        )
        return call.parse(response)

    async def stream_unary(self, call: StreamUnary[T]) -> T:
        """Streams `call.messages()` (afresh on each attempt) and parses the one response."""
        stub = self.channel.stream_unary(
            call.method.path,
            request_serializer=_serialize,
            response_deserializer=call.method.deserialize,
        )
        response = await self._retrying(
            lambda: stub(
                iter(call.messages()), timeout=self.options.timeout, metadata=self.options.metadata
            ),
            call.request_id,
        )
        return call.parse(response)

    async def unary_stream(self, call: UnaryStream[T]) -> AsyncIterator[T]:
        """Yields each parsed response message; a failure mid-stream is raised, not retried."""
        stub = self.channel.unary_stream(
            call.method.path,
            request_serializer=_serialize,
            response_deserializer=call.method.deserialize,
        )
        responses = stub(call.request, timeout=self.options.timeout, metadata=self.options.metadata)
        try:
            async for response in responses:
                yield call.parse(response)
        except grpc.RpcError as raw:
            raise error_from_rpc(raw, request_id=call.request_id) from None

    async def close(self) -> None:
        await self.channel.close()
