"""`e4t keys`: issue, list and revoke API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from e4t_cli.output import emit, emit_list, message
from e4t_cli.state import state_of
from e4t_cli.times import aware

app = typer.Typer(
    help="Manage API keys (tenant-admin key for a tenant's keys, platform-admin for any).",
    no_args_is_help=True,
)

COLUMNS = ("id", "display_name", "scopes", "state", "secret_prefix", "create_time")


@app.command()
def create(
    ctx: typer.Context,
    scope: Annotated[
        list[str],
        typer.Option(
            "--scope",
            "-s",
            help="Repeatable: app, mlops, tenant-admin or platform-admin (a platform key).",
        ),
    ],
    display_name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    expires: Annotated[
        datetime | None, typer.Option(help="Expiry time (ISO 8601, UTC if no offset).")
    ] = None,
) -> None:
    """Create a key for --tenant and print its secret, which is shown only once."""
    state = state_of(ctx)
    created = state.client().keys.create(
        scopes=scope, display_name=display_name, expire_time=aware(expires)
    )
    message(f"created {created.api_key.name}; store the secret now, it is not shown again")
    if state.json_output:
        emit(created, json_output=True)
    else:
        emit(created.api_key, json_output=False)
        typer.echo(created.secret)


@app.command("list")
def list_keys(
    ctx: typer.Context,
    platform: Annotated[bool, typer.Option(help="List platform keys, not --tenant's.")] = False,
    show_revoked: Annotated[bool, typer.Option(help="Include revoked keys.")] = False,
) -> None:
    """List keys, newest first (never their secrets)."""
    state = state_of(ctx)
    keys = state.client().keys.list(platform=platform, show_revoked=show_revoked)
    emit_list(keys, state.json_output, COLUMNS)


@app.command()
def revoke(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Key ID or name (apiKeys/ID for platform keys).")],
) -> None:
    """Revoke a key at once."""
    state = state_of(ctx)
    revoked = state.client().keys.revoke(key)
    message(f"revoked {revoked.name}")
    emit(revoked, state.json_output)
