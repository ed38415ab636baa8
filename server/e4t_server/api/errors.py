"""API errors: one exception type carrying a gRPC code and an `ErrorReason`, and the mapping from
the registry's and the engine's typed errors to it.

Every error leaves the server as a status code plus an `e4t.v1.Status` in the
`grpc-status-details-bin` trailer (docs/api.md, "Errors"); nothing unexpected ever leaks its
message or traceback: it becomes INTERNAL / INTERNAL_ERROR with the request id to quote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import grpc
from google.protobuf import any_pb2, duration_pb2

from e4t.v1 import common_pb2
from e4t_registry import errors as registry_errors
from e4t_registry.blobs.errors import BlobIntegrityError, BlobNotFoundError

STATUS_DETAILS_KEY = "grpc-status-details-bin"
ERROR_DOMAIN = "e4t"
_RETRY_DELAY_SECONDS = 2


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request (a `BadRequest.FieldViolation`)."""

    field: str
    description: str
    reason: str = "INVALID_FIELD"


@dataclass
class ApiError(Exception):
    """An error to answer with: status code, reason, message and context metadata."""

    code: grpc.StatusCode
    reason: str
    message: str
    metadata: dict[str, str] = field(default_factory=dict)
    violations: Sequence[FieldViolation] = ()

    def __str__(self) -> str:
        return f"{self.code.name}/{self.reason}: {self.message}"

    def to_status(self, request_id: str) -> common_pb2.Status:
        """The rich `e4t.v1.Status` for this error."""
        info = any_pb2.Any()
        info.Pack(
            common_pb2.ErrorInfo(
                reason=self.reason,
                domain=ERROR_DOMAIN,
                metadata={**self.metadata, "request_id": request_id},
            )
        )
        details = [info]
        if self.violations:
            bad_request = any_pb2.Any()
            bad_request.Pack(
                common_pb2.BadRequest(
                    field_violations=[
                        common_pb2.BadRequest.FieldViolation(
                            field=v.field, description=v.description, reason=v.reason
                        )
                        for v in self.violations
                    ]
                )
            )
            details.append(bad_request)
        if self.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
            retry = any_pb2.Any()
            retry.Pack(
                common_pb2.RetryInfo(
                    retry_delay=duration_pb2.Duration(seconds=_RETRY_DELAY_SECONDS)
                )
            )
            details.append(retry)
        return common_pb2.Status(code=self.code.value[0], message=self.message, details=details)


def invalid_field(field_name: str, description: str, reason: str = "INVALID_FIELD") -> ApiError:
    """INVALID_ARGUMENT for one field (with a `BadRequest` naming it)."""
    return ApiError(
        grpc.StatusCode.INVALID_ARGUMENT,
        reason,
        f"{field_name}: {description}",
        {"field": field_name},
        (FieldViolation(field_name, description, reason),),
    )


def not_found(resource: str) -> ApiError:
    """NOT_FOUND: also the answer for another tenant's resource, so existence never leaks."""
    return ApiError(
        grpc.StatusCode.NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        f"{resource} not found",
        {"resource": resource},
    )


def failed_precondition(
    reason: str, message: str, metadata: Mapping[str, str] | None = None
) -> ApiError:
    return ApiError(grpc.StatusCode.FAILED_PRECONDITION, reason, message, dict(metadata or {}))


def internal(message: str = "internal error") -> ApiError:
    return ApiError(grpc.StatusCode.INTERNAL, "INTERNAL_ERROR", message)


def unavailable(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.UNAVAILABLE, "BACKEND_UNAVAILABLE", message)


def from_registry(error: registry_errors.RegistryError, resource: str = "") -> ApiError:
    """The API error for a typed registry error (the registry's message is safe to show)."""
    message = str(error)
    if isinstance(error, registry_errors.NotFoundError):
        return not_found(resource or message)
    if isinstance(error, registry_errors.AlreadyExistsError):
        return ApiError(grpc.StatusCode.ALREADY_EXISTS, "RESOURCE_ALREADY_EXISTS", message)
    if isinstance(error, registry_errors.InvalidPageTokenError):
        return invalid_field("page_token", message, "INVALID_PAGE_TOKEN")
    if isinstance(error, registry_errors.InvalidArgumentError):
        return ApiError(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", message)
    if isinstance(error, registry_errors.IdempotencyConflictError):
        return failed_precondition("REQUEST_ID_REUSED", message)
    if isinstance(error, registry_errors.ConsentRequiredError):
        return failed_precondition("CONSENT_NOT_ACTIVE", message)
    if isinstance(error, registry_errors.TenantDeletedError):
        return failed_precondition("TENANT_DELETED", message)
    if isinstance(error, registry_errors.TenantNotEmptyError):
        return failed_precondition("TENANT_NOT_EMPTY", message)
    if isinstance(error, registry_errors.FailedPreconditionError):
        return failed_precondition("CONCEPT_NOT_READY", message)
    if isinstance(error, registry_errors.AuthenticationError):
        return ApiError(grpc.StatusCode.UNAUTHENTICATED, "API_KEY_INVALID", message)
    return internal()


def from_blob_error(error: Exception) -> ApiError:
    """A stored artifact that is missing or fails its checksum is data loss, not a bad request."""
    if isinstance(error, BlobIntegrityError | BlobNotFoundError):
        return ApiError(
            grpc.StatusCode.DATA_LOSS, "ARTIFACT_CORRUPT", "a stored artifact is damaged"
        )
    return unavailable("the blob store is unavailable")
