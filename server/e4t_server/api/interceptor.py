"""The gateway interceptor: request id, authentication, scope check, idempotency, error mapping,
metrics and the access log, for every `e4t.v1` method.

Health and reflection pass through untouched (they need no key). A servicer reads the caller
with `current_principal()`; whatever it raises becomes a rich status here, and anything that is
not an `ApiError` becomes INTERNAL / INTERNAL_ERROR without its message or traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc
from google.protobuf.message import Message

from e4t_registry.errors import AuthenticationError, RegistryError
from e4t_registry.keys import ApiKeyService, Principal
from e4t_registry.models import PLATFORM_SCOPE
from e4t_server.api.context import CallInfo, reset_call, set_call
from e4t_server.api.errors import STATUS_DETAILS_KEY, ApiError, from_registry, internal
from e4t_server.api.idempotency import IdempotencyStore
from e4t_server.api.metrics import LATENCY, REQUESTS
from e4t_server.api.scopes import METHOD_SCOPES, PUBLIC_SERVICE_PREFIXES

logger = logging.getLogger("e4t.gateway")
REQUEST_ID_HEADER = "x-request-id"
_BEARER = "bearer "


def _unauthenticated(reason: str, message: str) -> ApiError:
    return ApiError(grpc.StatusCode.UNAUTHENTICATED, reason, message)


class GatewayInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every `e4t.v1` handler; see the module docstring."""

    def __init__(self, keys: ApiKeyService, idempotency: IdempotencyStore) -> None:
        self.keys = keys
        self.idempotency = idempotency

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(PUBLIC_SERVICE_PREFIXES):
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(method, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap_unary(method, handler.stream_unary, deduplicate=False),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(method, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _wrap_unary(
        self, method: str, behavior: Callable[..., Any], *, deduplicate: bool = True
    ) -> Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]:
        async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
            request_id, started = await self._begin(context)
            code = grpc.StatusCode.OK
            try:
                principal = await self._authorize(method, context)
                token = set_call(CallInfo(request_id, method, principal))
                try:
                    run = lambda: behavior(request, context)  # noqa: E731
                    key_id = getattr(request, "request_id", "") if deduplicate else ""
                    if key_id:
                        owner = str(principal.tenant_id or PLATFORM_SCOPE)
                        return await self.idempotency.run((owner, method, key_id), request, run)
                    return await run()
                finally:
                    reset_call(token)
            except Exception as error:  # every failure is answered, never leaked
                api_error = self._api_error(error, method, request_id)
                code = api_error.code
                await _abort(context, api_error, request_id)
            finally:
                self._record(method, code, request_id, started)

        return call

    def _wrap_stream(
        self, method: str, behavior: Callable[..., AsyncIterator[Message]]
    ) -> Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Message]]:
        async def call(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Message]:
            request_id, started = await self._begin(context)
            code = grpc.StatusCode.OK
            try:
                principal = await self._authorize(method, context)
                token = set_call(CallInfo(request_id, method, principal))
                try:
                    async for message in behavior(request, context):
                        yield message
                finally:
                    reset_call(token)
            except Exception as error:
                api_error = self._api_error(error, method, request_id)
                code = api_error.code
                await _abort(context, api_error, request_id)
            finally:
                self._record(method, code, request_id, started)

        return call

    async def _begin(self, context: grpc.aio.ServicerContext) -> tuple[str, float]:
        request_id = uuid.uuid4().hex
        await context.send_initial_metadata(((REQUEST_ID_HEADER, request_id),))
        return request_id, time.perf_counter()

    async def _authorize(self, method: str, context: grpc.aio.ServicerContext) -> Principal:
        allowed = METHOD_SCOPES.get(method)
        if allowed is None:
            raise internal(f"{method} has no scope rule")
        secret = _bearer_secret(context.invocation_metadata() or ())
        try:
            principal = await asyncio.to_thread(self.keys.verify, secret)
        except AuthenticationError as error:
            raise _unauthenticated("API_KEY_INVALID", f"API key rejected: {error}") from None
        if not principal.scopes & allowed:
            needed = ", ".join(sorted(scope.value for scope in allowed))
            raise ApiError(
                grpc.StatusCode.PERMISSION_DENIED,
                "SCOPE_INSUFFICIENT",
                f"this method needs one of the scopes: {needed}",
                {"scope": needed},
            )
        return principal

    def _api_error(self, error: Exception, method: str, request_id: str) -> ApiError:
        if isinstance(error, asyncio.CancelledError | grpc.aio.AbortError):
            raise error
        if isinstance(error, ApiError):
            return error
        if isinstance(error, RegistryError):
            return from_registry(error)
        logger.exception("unexpected error", extra={"request_id": request_id, "method": method})
        return internal(f"internal error; quote request id {request_id}")

    def _record(self, method: str, code: grpc.StatusCode, request_id: str, started: float) -> None:
        elapsed = time.perf_counter() - started
        REQUESTS.labels(method=method, code=code.name).inc()
        LATENCY.labels(method=method).observe(elapsed)
        logger.info(
            "rpc",
            extra={
                "request_id": request_id,
                "method": method,
                "code": code.name,
                "seconds": round(elapsed, 4),
            },
        )


def _bearer_secret(metadata: Sequence[tuple[str, str | bytes]]) -> str:
    values = [value for key, value in metadata if key == "authorization"]
    if not values:
        raise _unauthenticated("API_KEY_MISSING", "no authorization metadata")
    value = values[0] if isinstance(values[0], str) else values[0].decode("latin-1")
    if not value.lower().startswith(_BEARER) or not value[len(_BEARER) :].strip():
        raise _unauthenticated("API_KEY_INVALID", "authorization must be 'Bearer <key>'")
    return value[len(_BEARER) :].strip()


async def _abort(context: grpc.aio.ServicerContext, error: ApiError, request_id: str) -> None:
    status = error.to_status(request_id)
    await context.abort(
        error.code,
        error.message,
        trailing_metadata=((STATUS_DETAILS_KEY, status.SerializeToString()),),
    )
