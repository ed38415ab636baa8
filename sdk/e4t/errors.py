"""The one exception hierarchy of the SDK, mapped from gRPC status codes.

Every exception raised for a failed call derives from `E4TError`. Server errors are `APIError`s
that carry the gRPC code, the machine-readable `reason` (an `ErrorReason` name from the
contract), the `request_id` and any field violations, decoded from the `e4t.v1.Status` in the
`grpc-status-details-bin` trailer. Match on the class or on `reason`, never on the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import grpc

from e4t.v1 import common_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"
REQUEST_ID_HEADER = "x-request-id"


@dataclass(frozen=True)
class FieldViolation:
    """One invalid request field reported in a `BadRequest` detail."""

    field: str
    description: str
    reason: str


class E4TError(Exception):
    """Base class of every error the SDK raises."""


class APIError(E4TError):
    """The server (or the network) answered a call with an error status.

    Attributes:
        code: The gRPC status code.
        message: The developer-facing message (not stable; match on `reason`).
        reason: The `ErrorReason` name, for example `CONSENT_NOT_ACTIVE`; empty if none was sent.
        request_id: The id the server logged for the call, else the SDK's idempotency key.
        metadata: The `ErrorInfo` metadata (`resource`, `field`, `limit`, ...).
        field_violations: Invalid fields, for INVALID_ARGUMENT.
        retry_delay: Seconds the server asked the client to wait before retrying, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode,
        reason: str = "",
        request_id: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: tuple[FieldViolation, ...] = (),
        retry_delay: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason
        self.request_id = request_id
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations = field_violations
        self.retry_delay = retry_delay

    def __str__(self) -> str:
        parts = [f"{self.code.name}: {self.message}"]
        if self.reason:
            parts.append(f"reason={self.reason}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)


class InvalidArgumentError(APIError):
    """INVALID_ARGUMENT: a field is missing, malformed or out of range."""


class UnauthenticatedError(APIError):
    """UNAUTHENTICATED: the API key is missing, unknown, revoked or expired."""


class PermissionDeniedError(APIError):
    """PERMISSION_DENIED: the API key lacks the scope the method needs."""


class NotFoundError(APIError):
    """NOT_FOUND: no such resource (or it belongs to another tenant)."""


class AlreadyExistsError(APIError):
    """ALREADY_EXISTS: the requested ID is taken."""


class FailedPreconditionError(APIError):
    """FAILED_PRECONDITION: the system is not in a state that allows the call."""


class AbortedError(APIError):
    """ABORTED: a concurrent change won, for example a stale rollout `etag`."""


class ResourceExhaustedError(APIError):
    """RESOURCE_EXHAUSTED: a quota is used up or the caller is rate limited."""


class RateLimitError(ResourceExhaustedError):
    """RESOURCE_EXHAUSTED / RATE_LIMITED: too many requests; retried automatically."""


class CancelledError(APIError):
    """CANCELLED: the call or the operation was cancelled."""


class UnavailableError(APIError):
    """UNAVAILABLE from the server: the domain's model is loading or down; retried automatically."""


class DataLossError(APIError):
    """DATA_LOSS: a stored artifact failed its integrity check."""


class InternalServerError(APIError):
    """INTERNAL, UNKNOWN or any other unexpected server error; quote `request_id`."""


class UnimplementedError(APIError):
    """UNIMPLEMENTED: the server does not offer this method (an older server?)."""


class APIConnectionError(APIError):
    """The server could not be reached (connection refused, TLS failure, DNS...)."""


class APITimeoutError(APIConnectionError):
    """DEADLINE_EXCEEDED: the call did not finish within its timeout."""


_BY_CODE: dict[grpc.StatusCode, type[APIError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgumentError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.CANCELLED: CancelledError,
    grpc.StatusCode.DATA_LOSS: DataLossError,
    grpc.StatusCode.UNIMPLEMENTED: UnimplementedError,
    grpc.StatusCode.DEADLINE_EXCEEDED: APITimeoutError,
}


@dataclass(frozen=True)
class _Details:
    reason: str = ""
    metadata: Mapping[str, str] | None = None
    field_violations: tuple[FieldViolation, ...] = ()
    retry_delay: float | None = None


def _decode_details(status: common_pb2.Status) -> _Details:
    info, bad_request, retry = (
        common_pb2.ErrorInfo(),
        common_pb2.BadRequest(),
        common_pb2.RetryInfo(),
    )
    found_info = found_retry = False
    for detail in status.details:
        if detail.Is(info.DESCRIPTOR):
            found_info = detail.Unpack(info)
        elif detail.Is(bad_request.DESCRIPTOR):
            detail.Unpack(bad_request)
        elif detail.Is(retry.DESCRIPTOR):
            found_retry = detail.Unpack(retry)
    violations = tuple(
        FieldViolation(field=v.field, description=v.description, reason=v.reason)
        for v in bad_request.field_violations
    )
    delay = retry.retry_delay.ToTimedelta().total_seconds() if found_retry else None
    return _Details(
        reason=info.reason if found_info else "",
        metadata=dict(info.metadata),
        field_violations=violations,
        retry_delay=delay,
    )


def error_from_status(
    code: grpc.StatusCode, status: common_pb2.Status, *, request_id: str = ""
) -> APIError:
    """The exception for an `e4t.v1.Status`, as found in a call's trailer or `Operation.error`."""
    details = _decode_details(status)
    metadata = details.metadata or {}
    error_class = _BY_CODE.get(code, InternalServerError)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and details.reason == "RATE_LIMITED":
        error_class = RateLimitError
    elif code == grpc.StatusCode.UNAVAILABLE:
        # An UNAVAILABLE with an e4t reason came from the server; without one, from the network.
        error_class = UnavailableError if details.reason else APIConnectionError
    return error_class(
        status.message,
        code=code,
        reason=details.reason,
        request_id=metadata.get("request_id") or request_id,
        metadata=metadata,
        field_violations=details.field_violations,
        retry_delay=details.retry_delay,
    )


def error_from_rpc(error: grpc.RpcError, *, request_id: str = "") -> APIError:
    """Maps a failed gRPC call (sync or async) to its `APIError` subclass.

    Args:
        error: The raised `grpc.RpcError` (a `grpc.Call` or `grpc.aio.AioRpcError`).
        request_id: The SDK's idempotency key for the call, used when the server sent none.
    """
    code_of = getattr(error, "code", None)
    code = code_of() if callable(code_of) else grpc.StatusCode.UNKNOWN
    details_of = getattr(error, "details", None)
    message = (details_of() if callable(details_of) else None) or str(code.name)
    trailers_of = getattr(error, "trailing_metadata", None)
    trailers = (trailers_of() if callable(trailers_of) else None) or ()
    status = common_pb2.Status(code=code.value[0], message=message)
    # The server names each call in its initial metadata; errors raised before the call
    # reached it (no connection) have none, and keep the SDK's idempotency key instead.
    initial_of = getattr(error, "initial_metadata", None)
    initial = (initial_of() if callable(initial_of) else None) or ()
    request_id = dict(initial).get(REQUEST_ID_HEADER) or request_id
    for key, value in trailers:
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            status = common_pb2.Status.FromString(value)
            status.message = status.message or message
    return error_from_status(code, status, request_id=request_id)


def code_from_number(number: int) -> grpc.StatusCode:
    """The `grpc.StatusCode` for a numeric code (as in `Status.code`)."""
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN


class MissingTenantError(E4TError, ValueError):
    """A method needs a tenant, and neither `tenant=` nor the client's default names one."""
