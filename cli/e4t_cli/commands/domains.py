"""`e4t domains`: domains, model versions, rollouts, and domain tuning (ML ops)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import e4t
from e4t_cli.commands import train
from e4t_cli.output import emit, emit_list, message, print_table
from e4t_cli.state import state_of

app = typer.Typer(
    help="Domains, their model versions and rollouts (mlops key for changes).",
    no_args_is_help=True,
)
versions_app = typer.Typer(help="Register and list domain model versions.", no_args_is_help=True)
app.add_typer(versions_app, name="versions")
app.command(name="train")(train.train)

COLUMNS = ("id", "class_word", "display_name", "create_time")
VERSION_COLUMNS = ("id", "base_model", "artifact_size_bytes", "creator", "create_time")
ALIAS_COLUMNS = ("id", "version", "traffic_percent", "previous_version", "update_time")

DomainArg = Annotated[str, typer.Argument(help="Domain ID or name.")]
EtagOption = Annotated[
    str, typer.Option(help="Only change if the rollout status still has this etag.")
]


def _show_status(status: e4t.RolloutStatus, json_output: bool) -> None:
    if json_output:
        emit(status, json_output=True)
        return
    aliases = [alias for alias in (status.production, status.canary) if alias is not None]
    print_table(aliases, ALIAS_COLUMNS, title=f"{status.domain} (etag {status.etag})")


@app.command()
def create(
    ctx: typer.Context,
    domain_id: Annotated[str, typer.Argument(help="ID: [a-z0-9-], starting with a letter.")],
    class_word: Annotated[str, typer.Option(help="The class word, for example 'face'.")],
    display_name: Annotated[str, typer.Option(help="Human-readable name.")] = "",
    description: Annotated[str, typer.Option(help="Free text.")] = "",
) -> None:
    """Create a domain (it serves nothing until a version is promoted)."""
    state = state_of(ctx)
    domain = state.client().domains.create(
        domain_id=domain_id,
        class_word=class_word,
        display_name=display_name,
        description=description,
    )
    message(f"created {domain.name}")
    emit(domain, state.json_output)


@app.command("list")
def list_domains(ctx: typer.Context) -> None:
    """List the tenant's domains."""
    state = state_of(ctx)
    emit_list(state.client().domains.list(), state.json_output, COLUMNS)


@app.command()
def get(ctx: typer.Context, domain: DomainArg) -> None:
    """Show a domain."""
    state = state_of(ctx)
    emit(state.client().domains.get(domain), state.json_output)


@versions_app.command("register")
def register_version(
    ctx: typer.Context,
    domain: DomainArg,
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, help="The domain model directory (or a .tar, .tar.gz, .zip of it)."
        ),
    ],
    base_model: Annotated[str, typer.Option(help="Diffusers base model (hub ID or path).")],
    description: Annotated[str, typer.Option(help="Free text.")] = "",
    metric: Annotated[
        list[str] | None, typer.Option(help="Repeatable NAME=VALUE evaluation metric.")
    ] = None,
) -> None:
    """Upload a domain model directory and register it as the domain's next version."""
    state = state_of(ctx)
    metrics = {}
    for item in metric or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--metric wants NAME=VALUE, got {item!r}")
        metrics[name] = float(value)
    message(f"uploading {path} ...")
    version = state.client().domains.versions.register(
        domain, path=path, base_model=base_model, description=description, metrics=metrics
    )
    message(f"registered {version.name}")
    emit(version, state.json_output)


@versions_app.command("list")
def list_versions(ctx: typer.Context, domain: DomainArg) -> None:
    """List a domain's model versions, newest first."""
    state = state_of(ctx)
    emit_list(state.client().domains.versions.list(domain), state.json_output, VERSION_COLUMNS)


@app.command()
def rollout(
    ctx: typer.Context,
    domain: DomainArg,
    version: Annotated[str, typer.Option(help="The version number (or name) for the canary.")],
    traffic: Annotated[int, typer.Option(min=1, max=99, help="The canary's traffic share in %.")],
    etag: EtagOption = "",
) -> None:
    """Start or adjust a canary of a version."""
    state = state_of(ctx)
    status = state.client().domains.rollout(
        domain, version=version, traffic_percent=traffic, etag=etag
    )
    message(f"canary of {domain} now at {traffic}%")
    _show_status(status, state.json_output)


@app.command()
def promote(
    ctx: typer.Context,
    domain: DomainArg,
    version: Annotated[
        str | None, typer.Option(help="Version to promote (default: the canary's).")
    ] = None,
    etag: EtagOption = "",
) -> None:
    """Make a version (default: the canary's) production."""
    state = state_of(ctx)
    status = state.client().domains.promote(domain, version=version, etag=etag)
    message(f"promoted in {domain}")
    _show_status(status, state.json_output)


@app.command()
def rollback(ctx: typer.Context, domain: DomainArg, etag: EtagOption = "") -> None:
    """Remove a live canary, or else restore production's previous version."""
    state = state_of(ctx)
    status = state.client().domains.rollback(domain, etag=etag)
    message(f"rolled back {domain}")
    _show_status(status, state.json_output)


@app.command()
def status(ctx: typer.Context, domain: DomainArg) -> None:
    """Show which versions serve a domain and how traffic is split."""
    state = state_of(ctx)
    _show_status(state.client().domains.status(domain), state.json_output)
