"""Typed registry errors; the gRPC layer maps each class to one status code."""

from __future__ import annotations


class RegistryError(Exception):
    """Base class for every error the registry raises on purpose."""


class NotFoundError(RegistryError):
    """The resource does not exist for this tenant (another tenant's rows look the same)."""


class AlreadyExistsError(RegistryError):
    """A resource with the same unique name already exists."""


class InvalidArgumentError(RegistryError, ValueError):
    """The request itself is malformed (bad scope, share out of range, negative page size)."""


class InvalidPageTokenError(InvalidArgumentError):
    """The page token was not issued by this list call or has been tampered with."""


class FailedPreconditionError(RegistryError):
    """The system is not in a state that allows the request (e.g. no canary to promote)."""


class ConsentRequiredError(FailedPreconditionError):
    """No active, unexpired consent for the right purpose covers this subject."""


class TenantDeletedError(FailedPreconditionError):
    """The tenant was deleted: nothing can be added to it any more."""


class TenantNotEmptyError(FailedPreconditionError):
    """The tenant still has domains or concepts and the deletion was not forced."""


class AuthenticationError(RegistryError):
    """An API key that is unknown, malformed or revoked."""


class IdempotencyConflictError(FailedPreconditionError):
    """A request id was reused for a different request."""
