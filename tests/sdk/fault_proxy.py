"""A gRPC proxy in front of the real gateway whose server interceptor injects faults.

It forwards every call's raw bytes to the gateway. For a method named in `lose_first_response`,
the first call is forwarded (the server does the work) and its response is then replaced with
UNAVAILABLE, the worst case for a retrying client: only idempotency keys prevent a duplicate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from typing import Any

import grpc


class LoseFirstResponse(grpc.ServerInterceptor):
    """Fails the first call of each chosen method with UNAVAILABLE after it was served."""

    def __init__(self, methods: set[str]) -> None:
        self.pending = set(methods)
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or handler.unary_unary is None:
            return handler
        forward = handler.unary_unary

        def faulty(request: bytes, context: grpc.ServicerContext) -> bytes:
            with self._lock:
                self.calls[method] = self.calls.get(method, 0) + 1
                lose = method in self.pending
                self.pending.discard(method)
            response = forward(request, context)
            if lose:
                context.abort(grpc.StatusCode.UNAVAILABLE, "injected fault: response lost")
            return response

        return grpc.unary_unary_rpc_method_handler(faulty)


class _Forwarder(grpc.GenericRpcHandler):
    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method: str = handler_call_details.method
        upstream = self.channel.unary_unary(method)

        def forward(request: bytes, context: grpc.ServicerContext) -> Any:
            metadata = [
                (key, value)
                for key, value in context.invocation_metadata()
                if not key.startswith("grpc-")
            ]
            try:
                return upstream(request, metadata=metadata, timeout=60)
            except grpc.RpcError as error:
                context.set_trailing_metadata(error.trailing_metadata())
                context.abort(error.code(), error.details())

        return grpc.unary_unary_rpc_method_handler(forward)


@contextmanager
def fault_proxy(target: str, interceptor: LoseFirstResponse) -> Iterator[str]:
    """Runs the proxy in front of `target`; yields its address."""
    with grpc.insecure_channel(target) as channel:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), interceptors=[interceptor])
        server.add_generic_rpc_handlers([_Forwarder(channel)])
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            yield f"127.0.0.1:{port}"
        finally:
            server.stop(grace=None)
