"""What the global options decide, shared by every command through the Typer context."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

import e4t


@dataclass
class CliState:
    """Global options, and the one client the command uses (opened on first use)."""

    target: str | None
    api_key: str | None
    tenant: str | None
    tls: bool | None
    timeout: float | None
    json_output: bool
    _client: e4t.Client | None = field(default=None, repr=False)

    def client(self) -> e4t.Client:
        """The SDK client for this invocation."""
        if self._client is None:
            self._client = e4t.Client(
                api_key=self.api_key,
                target=self.target,
                tenant=self.tenant,
                tls=self.tls,
                timeout=self.timeout,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def state_of(ctx: typer.Context) -> CliState:
    """The `CliState` of the running command (set by the root callback)."""
    root = ctx.find_root()
    state = root.obj
    if not isinstance(state, CliState):
        raise RuntimeError("the e4t root callback did not run")
    return state
