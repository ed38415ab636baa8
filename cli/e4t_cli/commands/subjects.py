"""`e4t subjects`: erase a subject (tenant-admin key)."""

from __future__ import annotations

from typing import Annotated

import typer

from e4t_cli.output import emit, emit_list, message
from e4t_cli.state import state_of

app = typer.Typer(help="List and erase subjects (tenant-admin key).", no_args_is_help=True)

COLUMNS = ("id", "state", "create_time", "erase_time")


@app.command("list")
def list_subjects(
    ctx: typer.Context,
    show_erased: Annotated[bool, typer.Option(help="Include erased subjects.")] = False,
) -> None:
    """List subjects in ID order."""
    state = state_of(ctx)
    emit_list(state.client().subjects.list(show_erased=show_erased), state.json_output, COLUMNS)


@app.command()
def erase(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="Subject ID or name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a subject: revoke its consents, delete its concepts, artifacts and images."""
    state = state_of(ctx)
    if not yes:
        typer.confirm(f"Erase subject {subject} and all their data?", abort=True, err=True)
    record = state.client().subjects.erase(subject)
    message(f"erased {record.subject}")
    emit(record, state.json_output)
