"""`e4t tenants`: create, list, show and delete tenants (platform-admin key)."""

from __future__ import annotations

from typing import Annotated

import typer

from e4t_cli.output import emit, emit_list, message
from e4t_cli.state import state_of

app = typer.Typer(help="Manage tenants (needs a platform-admin key).", no_args_is_help=True)

COLUMNS = ("id", "display_name", "state", "create_time")


@app.command()
def create(
    ctx: typer.Context,
    tenant_id: Annotated[str, typer.Argument(help="ID: [a-z0-9-], starting with a letter.")],
    display_name: Annotated[str, typer.Option(help="Human-readable name.")] = "",
) -> None:
    """Create a tenant."""
    state = state_of(ctx)
    tenant = state.client().tenants.create(tenant_id=tenant_id, display_name=display_name)
    message(f"created {tenant.name}")
    emit(tenant, state.json_output)


@app.command("list")
def list_tenants(
    ctx: typer.Context,
    show_deleted: Annotated[bool, typer.Option(help="Include deleted tenants.")] = False,
) -> None:
    """List tenants in ID order."""
    state = state_of(ctx)
    tenants = state.client().tenants.list(show_deleted=show_deleted)
    emit_list(tenants, state.json_output, COLUMNS)


@app.command()
def get(
    ctx: typer.Context,
    tenant_id: Annotated[
        str | None, typer.Argument(help="Tenant ID (default: --tenant).", show_default=False)
    ] = None,
) -> None:
    """Show a tenant."""
    state = state_of(ctx)
    emit(state.client().tenants.get(tenant_id), state.json_output)


@app.command()
def delete(
    ctx: typer.Context,
    tenant_id: Annotated[str, typer.Argument(help="Tenant ID.")],
    force: Annotated[
        bool, typer.Option(help="Delete even if it still has domains or concepts.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a tenant: revoke its keys and erase its subjects and concepts (soft delete: the
    record, its audit log and its domains are kept; the ID stays taken)."""
    state = state_of(ctx)
    if not yes:
        typer.confirm(
            f"Delete tenant {tenant_id}? Its keys stop working and its subjects, consents and "
            "concepts are erased; this cannot be undone.",
            abort=True,
            err=True,
        )
    tenant = state.client().tenants.delete(tenant_id, force=force)
    message(f"deleted {tenant.name}")
    emit(tenant, state.json_output)
