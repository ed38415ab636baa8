"""`e4t audit`: list, export and verify the audit log."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from e4t_cli.exit_codes import ExitCode
from e4t_cli.output import emit, emit_list, message
from e4t_cli.state import state_of
from e4t_cli.times import aware

app = typer.Typer(
    help="Read, export and verify the audit log (tenant-admin; platform-admin for --platform).",
    no_args_is_help=True,
)

COLUMNS = ("sequence", "event_time", "actor", "action", "resource")
PlatformOption = Annotated[bool, typer.Option(help="The platform chain instead of --tenant's.")]
SinceOption = Annotated[datetime | None, typer.Option(help="Only events at or after this time.")]
UntilOption = Annotated[datetime | None, typer.Option(help="Only events before this time.")]


@app.command("list")
def list_events(
    ctx: typer.Context,
    platform: PlatformOption = False,
    action: Annotated[str, typer.Option(help="Only this action, e.g. concepts.create.")] = "",
    resource: Annotated[str, typer.Option(help="Only events on or under this resource.")] = "",
    actor: Annotated[str, typer.Option(help="Only events by this key name.")] = "",
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many events.")] = 100,
) -> None:
    """List audit events, oldest first."""
    state = state_of(ctx)
    events = state.client().audit.list(
        platform=platform,
        action=action,
        resource=resource,
        actor=actor,
        start_time=aware(since),
        end_time=aware(until),
    )
    shown = [event for _, event in zip(range(limit), events, strict=False)]
    emit_list(shown, state.json_output, COLUMNS)


@app.command()
def export(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    platform: PlatformOption = False,
    since: SinceOption = None,
    until: UntilOption = None,
) -> None:
    """Export the chain as JSON Lines (one event per line)."""
    state = state_of(ctx)
    chunks = state.client().audit.export(
        platform=platform, start_time=aware(since), end_time=aware(until)
    )
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk.decode("utf-8"))
        sys.stdout.flush()
        return
    with output.open("wb") as stream:
        for chunk in chunks:
            stream.write(chunk)
    message(f"wrote {output}")


@app.command()
def verify(ctx: typer.Context, platform: PlatformOption = False) -> None:
    """Recompute the hash chain; exits 10 and names the first broken event if it is broken."""
    state = state_of(ctx)
    result = state.client().audit.verify(platform=platform)
    emit(result, state.json_output)
    if not result.ok:
        message(f"[bold red]broken:[/] {result.first_broken_event}: {result.message}")
        raise typer.Exit(code=ExitCode.AUDIT_BROKEN)
    message(f"ok: {result.events_checked} events checked")
