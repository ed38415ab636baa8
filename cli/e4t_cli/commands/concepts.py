"""`e4t concepts`: create a concept from one image (with a progress bar), list, show, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from e4t_cli.errors import fail
from e4t_cli.exit_codes import ExitCode
from e4t_cli.output import emit, emit_list, message
from e4t_cli.progress import wait_with_progress
from e4t_cli.state import state_of

app = typer.Typer(help="Create and manage concepts (app key).", no_args_is_help=True)

COLUMNS = ("id", "display_name", "state", "domain", "subject", "latest_version", "create_time")
ConceptArg = Annotated[str, typer.Argument(help="Concept ID or name.")]


@app.command()
def create(
    ctx: typer.Context,
    image: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="The image: PNG, JPEG or WebP.")
    ],
    consent: Annotated[str, typer.Option(help="Full name of the subject's ACTIVE consent.")],
    domain: Annotated[str, typer.Option(help="Domain ID or name.")],
    display_name: Annotated[str, typer.Option(help="Human-readable name.")] = "",
    concept_id: Annotated[str, typer.Option(help="Concept ID (default: a UUID).")] = "",
    steps: Annotated[int, typer.Option(min=0, max=15, help="Tuning steps 5-15 (default: 10).")] = 0,
    seed: Annotated[int | None, typer.Option(help="Seed of personalization.")] = None,
    wait: Annotated[
        bool, typer.Option(help="Wait for tuning to finish, with a progress bar.")
    ] = True,
    wait_timeout: Annotated[
        float | None, typer.Option(help="Give up waiting after this many seconds.")
    ] = None,
) -> None:
    """Create a concept from one image; waits for personalization unless --no-wait."""
    state = state_of(ctx)
    operation = state.client().concepts.create(
        image=image,
        consent=consent,
        domain=domain,
        display_name=display_name,
        concept_id=concept_id,
        tuning_steps=steps,
        seed=seed,
    )
    message(f"started {operation.name} for {operation.snapshot.target}")
    if not wait:
        emit(operation.snapshot, state.json_output)
        return
    snapshot = wait_with_progress(operation, timeout=wait_timeout, description="personalizing")
    if not snapshot.done:
        raise fail(
            f"{operation.name} is still {snapshot.state} (see `e4t concepts get`)",
            ExitCode.CONNECTION,
        )
    if snapshot.error is not None:
        message(f"[bold red]error:[/] {snapshot.error.message} (reason {snapshot.error.reason})")
        raise typer.Exit(code=ExitCode.OPERATION_FAILED)
    concept = state.client().concepts.get(snapshot.target)
    message(f"created {concept.name}")
    emit(concept, state.json_output)


@app.command("list")
def list_concepts(
    ctx: typer.Context,
    domain: Annotated[str | None, typer.Option(help="Only this domain's concepts.")] = None,
    subject: Annotated[str | None, typer.Option(help="Only this subject's concepts.")] = None,
    state_filter: Annotated[
        str | None, typer.Option("--state", help="creating, active, failed or disabled.")
    ] = None,
) -> None:
    """List concepts, newest first."""
    state = state_of(ctx)
    concepts = state.client().concepts.list(domain=domain, subject=subject, state=state_filter)
    emit_list(concepts, state.json_output, COLUMNS)


@app.command()
def get(ctx: typer.Context, concept: ConceptArg) -> None:
    """Show a concept."""
    state = state_of(ctx)
    emit(state.client().concepts.get(concept), state.json_output)


@app.command()
def delete(ctx: typer.Context, concept: ConceptArg) -> None:
    """Delete a concept with its versions, artifacts and source image."""
    state = state_of(ctx)
    state.client().concepts.delete(concept)
    message(f"deleted {concept}")
    if state.json_output:
        emit({"deleted": concept}, json_output=True)
