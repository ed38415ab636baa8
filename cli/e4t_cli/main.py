"""Entry point of the `e4t` console script: global options and the command groups."""

from __future__ import annotations

from typing import Annotated

import typer

from e4t_cli.commands import (
    audit,
    concepts,
    consents,
    demo,
    domains,
    generate,
    keys,
    serve,
    subjects,
    tenants,
)
from e4t_cli.errors import ErrorReportingGroup
from e4t_cli.state import CliState

app = typer.Typer(
    name="e4t",
    cls=ErrorReportingGroup,
    help=(
        "e4t: personalize text-to-image models from a single photo.\n\n"
        "Connection settings come from the options below or from E4T_TARGET, E4T_API_KEY and "
        "E4T_TENANT. Results go to stdout (tables, or JSON with --json); messages and errors "
        "go to stderr. Exit codes: 0 ok, 1 server error, 2 usage, 3 connection/timeout, "
        "4 authentication/permission, 5 not found, 6 invalid argument, 7 conflict/precondition, "
        "8 rate limited/unavailable, 9 operation failed, 10 audit chain broken."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    target: Annotated[
        str | None,
        typer.Option(
            envvar="E4T_TARGET", help="Server address host:port (default: localhost:50051)."
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="E4T_API_KEY", help="API key secret.", show_default=False),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(envvar="E4T_TENANT", help="Tenant ID that commands act on."),
    ] = None,
    tls: Annotated[
        bool | None,
        typer.Option(
            "--tls/--no-tls",
            help="Use TLS (default: on, except for localhost).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Seconds each call may take (default: 60).")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print results as JSON on stdout.")
    ] = False,
) -> None:
    """e4t: personalize text-to-image models from a single photo."""
    state = CliState(
        target=target,
        api_key=api_key,
        tenant=tenant,
        tls=tls,
        timeout=timeout,
        json_output=json_output,
    )
    ctx.obj = state
    ctx.call_on_close(state.close)


app.add_typer(tenants.app, name="tenants")
app.add_typer(keys.app, name="keys")
app.add_typer(domains.app, name="domains")
app.add_typer(consents.app, name="consents")
app.add_typer(subjects.app, name="subjects")
app.add_typer(concepts.app, name="concepts")
app.add_typer(audit.app, name="audit")
app.command(name="generate")(generate.generate)
app.command(name="serve")(serve.serve)
app.command(name="demo")(demo.demo)
