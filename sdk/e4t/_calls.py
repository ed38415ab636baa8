"""Descriptions of gRPC calls, shared by the sync and the async transport.

A resource method builds one of these (request, how to parse the response, its idempotency key)
and hands it to a transport; the transport only executes it. That is how the sync and the async
client share every line of request building and response parsing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

T = TypeVar("T")


@dataclass(frozen=True)
class Method:
    """One RPC: its path on the wire and the class of its response messages."""

    path: str
    response_class: type[Message]

    def deserialize(self, data: bytes) -> Message:
        return self.response_class.FromString(data)


@cache
def rpc(file_module: ModuleType, service: str, name: str) -> Method:
    """The `Method` for `service.name`, read from a generated `*_pb2` module's descriptor."""
    descriptor = file_module.DESCRIPTOR.services_by_name[service].methods_by_name[name]
    return Method(
        path=f"/{descriptor.containing_service.full_name}/{name}",
        response_class=GetMessageClass(descriptor.output_type),
    )


def new_request_id() -> str:
    """A fresh idempotency key; one per SDK call, reused across that call's retries."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Unary(Generic[T]):
    """A unary call: one request, one response parsed into `T`.

    Attributes:
        method: The RPC.
        request: The request message, built once so its `request_id` survives retries.
        parse: Turns the response message into the SDK's typed object.
        request_id: The idempotency key in `request`, for error reports; empty for reads.
        extra_timeout: Seconds added to the client's timeout (for calls that wait server-side).
    """

    method: Method
    request: Message
    parse: Callable[[Any], T]
    request_id: str = ""
    extra_timeout: float = 0.0


@dataclass(frozen=True)
class StreamUnary(Generic[T]):
    """A client-streaming call. `messages` is called again for every attempt."""

    method: Method
    messages: Callable[[], Iterable[Message]]
    parse: Callable[[Any], T]
    request_id: str = ""


@dataclass(frozen=True)
class UnaryStream(Generic[T]):
    """A server-streaming call; each response message is parsed into one `T`."""

    method: Method
    request: Message
    parse: Callable[[Any], T]
    request_id: str = field(default="")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list call."""

    items: list[T]
    next_page_token: str


PageCall = Callable[[str], Unary[Page[T]]]
"""Builds the call for the page at a `page_token` ("" for the first)."""
