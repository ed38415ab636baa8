"""The documented exit codes of `e4t`, and the mapping from SDK errors to them."""

from __future__ import annotations

from enum import IntEnum

import e4t


class ExitCode(IntEnum):
    """Exit codes (see docs/cli.md)."""

    OK = 0
    ERROR = 1  # a server error or anything unexpected
    USAGE = 2  # bad options or arguments (also Typer's own usage errors)
    CONNECTION = 3  # the server could not be reached, or the call timed out
    AUTH = 4  # the API key is missing, invalid, revoked, or lacks the scope
    NOT_FOUND = 5
    INVALID_ARGUMENT = 6
    CONFLICT = 7  # already exists, failed precondition, stale etag
    UNAVAILABLE = 8  # rate limited, quota used up, or the model is not available
    OPERATION_FAILED = 9  # a long-running operation failed or was cancelled
    AUDIT_BROKEN = 10  # `e4t audit verify` found a broken chain


_BY_ERROR: tuple[tuple[type[Exception], ExitCode], ...] = (
    (e4t.APIConnectionError, ExitCode.CONNECTION),
    (e4t.UnauthenticatedError, ExitCode.AUTH),
    (e4t.PermissionDeniedError, ExitCode.AUTH),
    (e4t.NotFoundError, ExitCode.NOT_FOUND),
    (e4t.InvalidArgumentError, ExitCode.INVALID_ARGUMENT),
    (e4t.AlreadyExistsError, ExitCode.CONFLICT),
    (e4t.FailedPreconditionError, ExitCode.CONFLICT),
    (e4t.AbortedError, ExitCode.CONFLICT),
    (e4t.ResourceExhaustedError, ExitCode.UNAVAILABLE),
    (e4t.UnavailableError, ExitCode.UNAVAILABLE),
    (e4t.MissingTenantError, ExitCode.USAGE),
    (ValueError, ExitCode.USAGE),
    (OSError, ExitCode.USAGE),
)


def exit_code_for(error: Exception) -> ExitCode:
    """The exit code that reports `error`."""
    for error_class, code in _BY_ERROR:
        if isinstance(error, error_class):
            return code
    return ExitCode.ERROR
