"""Turns SDK errors into one line on stderr and a documented exit code."""

from __future__ import annotations

from typing import Any

import typer
from typer._click.core import Context  # typer vendors click; its groups take this Context
from typer.core import TyperGroup

import e4t
from e4t_cli.exit_codes import ExitCode, exit_code_for
from e4t_cli.output import message


def describe(error: Exception) -> str:
    """One line for a human: what failed, the reason to match on, and the request id."""
    if isinstance(error, e4t.APIError):
        parts = [f"[bold red]error:[/] {error.message}"]
        if error.reason:
            parts.append(f"(reason {error.reason})")
        for violation in error.field_violations:
            parts.append(f"\n  {violation.field}: {violation.description}")
        if error.request_id:
            parts.append(f"\n  request id: {error.request_id}")
        return " ".join(parts)
    return f"[bold red]error:[/] {error}"


class ErrorReportingGroup(TyperGroup):
    """The root command group: every command runs inside it, so its errors are reported here."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (e4t.E4TError, ValueError, OSError) as error:
            message(describe(error))
            raise typer.Exit(code=exit_code_for(error)) from None


def fail(text: str, code: ExitCode) -> typer.Exit:
    """Prints `text` as an error and returns the `typer.Exit` to raise."""
    message(f"[bold red]error:[/] {text}")
    return typer.Exit(code=code)
