"""`e4t concepts`: create a concept from one image or re-personalize one (with a progress bar),
list, show, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

import e4t
from e4t_cli.errors import fail
from e4t_cli.exit_codes import ExitCode
from e4t_cli.output import emit, emit_list, message
from e4t_cli.progress import wait_with_progress
from e4t_cli.state import state_of

app = typer.Typer(help="Create and manage concepts (app key).", no_args_is_help=True)

COLUMNS = ("id", "display_name", "state", "domain", "subject", "latest_version", "create_time")
VERSION_COLUMNS = ("id", "state", "domain_model_version", "tuning_steps", "seed", "create_time")
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
    snapshot = _wait_for_success(operation, wait_timeout, "personalizing", "e4t concepts get")
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


@app.command()
def repersonalize(
    ctx: typer.Context,
    concept: ConceptArg,
    version: Annotated[
        str,
        typer.Option(
            help="Domain model version (number or full name) of the concept's domain; it must "
            "be live (production or canary). Default: production."
        ),
    ] = "",
    domain: Annotated[
        str,
        typer.Option(
            help="The concept's domain (ID or name), to resolve a --version number without "
            "reading the concept (which an mlops key may not do)."
        ),
    ] = "",
    steps: Annotated[int, typer.Option(min=0, max=15, help="Tuning steps 5-15 (default: 10).")] = 0,
    seed: Annotated[int | None, typer.Option(help="Seed of personalization.")] = None,
    wait: Annotated[
        bool, typer.Option(help="Wait for tuning to finish, with a progress bar.")
    ] = True,
    wait_timeout: Annotated[
        float | None, typer.Option(help="Give up waiting after this many seconds.")
    ] = None,
) -> None:
    """Personalize a concept again from its stored source image, as a new concept version."""
    state = state_of(ctx)
    client = state.client()
    domain_model_version = version
    if version.isdigit():  # a number: a version of the concept's own domain
        domain_model_version = f"{_concept_domain(client, concept, domain)}/versions/{version}"
    operation = client.concepts.repersonalize(
        concept, domain_model_version=domain_model_version, tuning_steps=steps, seed=seed
    )
    message(f"started {operation.name} for {operation.snapshot.target}")
    if not wait:
        emit(operation.snapshot, state.json_output)
        return
    snapshot = _wait_for_success(
        operation, wait_timeout, "re-personalizing", "e4t concepts versions"
    )
    message(f"created {snapshot.result.name if snapshot.result else operation.snapshot.target}")
    emit(snapshot.result, state.json_output)


def _wait_for_success(
    operation: e4t.Operation[Any], timeout: float | None, description: str, check_with: str
) -> e4t.OperationSnapshot:
    """Wait with a progress bar; the finished snapshot, or exit with the matching code."""
    snapshot = wait_with_progress(operation, timeout=timeout, description=description)
    if not snapshot.done:
        raise fail(
            f"{operation.name} is still {snapshot.state} (see `{check_with}`)",
            ExitCode.CONNECTION,
        )
    if snapshot.error is not None:
        message(f"[bold red]error:[/] {snapshot.error.message} (reason {snapshot.error.reason})")
        raise typer.Exit(code=ExitCode.OPERATION_FAILED)
    return snapshot


def _concept_domain(client: e4t.Client, concept: str, domain: str) -> str:
    """The full name of the concept's domain: from --domain, else read from the concept."""
    if domain.startswith("tenants/"):
        return domain
    if domain:
        tenant = concept.split("/")[1] if concept.startswith("tenants/") else client.options.tenant
        if not tenant:
            raise fail("give --tenant, or the concept or --domain as a full name", ExitCode.USAGE)
        return f"tenants/{tenant}/domains/{domain}"
    try:
        return client.concepts.get(concept).domain
    except e4t.PermissionDeniedError:
        raise fail(
            "this key cannot read the concept to find its domain: add --domain DOMAIN or give "
            "--version as a full name",
            ExitCode.USAGE,
        ) from None


@app.command()
def versions(ctx: typer.Context, concept: ConceptArg) -> None:
    """List a concept's versions (one per personalization)."""
    state = state_of(ctx)
    emit_list(state.client().concepts.versions.list(concept), state.json_output, VERSION_COLUMNS)
