"""Call builders for OperationService, shared by the operation handles and `client.operations`."""

from __future__ import annotations

from google.protobuf import duration_pb2

from e4t._calls import Page, PageCall, Unary, rpc
from e4t.types import OperationKind, OperationSnapshot
from e4t.v1 import operation_pb2, operation_service_pb2

_SERVICE = "OperationService"
MAX_SERVER_WAIT_S = 60.0  # docs/api.md: WaitOperation coerces longer timeouts to 60 s


def get_call(name: str) -> Unary[OperationSnapshot]:
    request = operation_service_pb2.GetOperationRequest(name=name)
    method = rpc(operation_service_pb2, _SERVICE, "GetOperation")
    return Unary(method, request, OperationSnapshot.from_proto)


def wait_call(name: str, seconds: float) -> Unary[OperationSnapshot]:
    """Blocks server-side for up to `seconds` (the call's deadline is extended to match)."""
    seconds = max(0.0, min(seconds, MAX_SERVER_WAIT_S))
    timeout = duration_pb2.Duration()
    timeout.FromNanoseconds(int(seconds * 1e9))
    request = operation_service_pb2.WaitOperationRequest(name=name, timeout=timeout)
    method = rpc(operation_service_pb2, _SERVICE, "WaitOperation")
    return Unary(method, request, OperationSnapshot.from_proto, extra_timeout=seconds)


def cancel_call(name: str) -> Unary[OperationSnapshot]:
    request = operation_service_pb2.CancelOperationRequest(name=name)
    method = rpc(operation_service_pb2, _SERVICE, "CancelOperation")
    return Unary(method, request, OperationSnapshot.from_proto)


def list_pages(
    parent: str,
    kind: OperationKind | str | None,
    target: str,
    only_running: bool,
    page_size: int,
) -> PageCall[OperationSnapshot]:
    kind_number = operation_pb2.Operation.KIND_UNSPECIFIED
    if kind:
        kind_number = operation_pb2.Operation.Kind.Value(OperationKind(str(kind).upper()))

    def page(token: str) -> Unary[Page[OperationSnapshot]]:
        request = operation_service_pb2.ListOperationsRequest(
            parent=parent,
            page_size=page_size,
            page_token=token,
            kind=kind_number,
            target=target,
            only_running=only_running,
        )
        return Unary(
            rpc(operation_service_pb2, _SERVICE, "ListOperations"),
            request,
            lambda r: Page(
                [OperationSnapshot.from_proto(o) for o in r.operations], r.next_page_token
            ),
        )

    return page
