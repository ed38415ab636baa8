"""`e4t serve`: run the whole service (wraps `e4t_server.app`, imported only here)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from e4t_cli.errors import fail
from e4t_cli.exit_codes import ExitCode


def serve(
    home: Annotated[
        Path | None,
        typer.Option(
            envvar="E4T_HOME", help="Data directory of the embedded registry (default ~/.e4t)."
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option(envvar="E4T_GRPC_PORT", help="gRPC port (default 50051).")
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(envvar="E4T_GRPC_HOST", help="Address to listen on (default 127.0.0.1)."),
    ] = None,
) -> None:
    """Run the e4t service until Ctrl-C.

    With no settings it runs embedded: SQLite and blobs under --home, Ray in-process, the API on
    127.0.0.1:50051, and a platform-admin key written to HOME/admin.key on first start. For
    production set E4T_DATABASE_URL, E4T_BLOB_URL, RAY_ADDRESS, E4T_TLS_CERT/E4T_TLS_KEY
    (see docs/cli.md).
    """
    try:
        from e4t_registry.settings import Settings
        from e4t_server.app import serve_main
    except ImportError as error:
        raise fail(
            f"`e4t serve` needs the server package (pip install e4t-server): {error}",
            ExitCode.ERROR,
        ) from None
    overrides = {
        "E4T_HOME": str(home) if home else None,
        "E4T_GRPC_PORT": str(port) if port else None,
        "E4T_GRPC_HOST": host,
    }
    environ = {**os.environ, **{k: v for k, v in overrides.items() if v is not None}}
    settings = Settings.from_env(environ)
    settings.home.mkdir(parents=True, exist_ok=True)
    serve_main(settings, environ)
