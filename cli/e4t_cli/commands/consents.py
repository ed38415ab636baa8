"""`e4t consents`: grant, revoke and list consent records."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from e4t_cli.output import emit, emit_list, message
from e4t_cli.state import state_of
from e4t_cli.times import aware

app = typer.Typer(
    help="Grant, revoke and list consents (app or tenant-admin key).", no_args_is_help=True
)

COLUMNS = ("name", "purpose", "method", "state", "grant_time", "expire_time")


@app.command()
def grant(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="Your pseudonymous ID of the person.")],
    purpose: Annotated[str, typer.Option(help="What they agreed to.")],
    notice_version: Annotated[str, typer.Option(help="Version of the notice they were shown.")],
    method: Annotated[
        str, typer.Option(help="electronic, signed-document, verbal-recorded or other.")
    ],
    evidence: Annotated[str, typer.Option(help="Your reference to the evidence.")] = "",
    expires: Annotated[
        datetime | None, typer.Option(help="Expiry time (ISO 8601, UTC if no offset).")
    ] = None,
    consent_id: Annotated[str, typer.Option(help="Consent ID (default: a UUID).")] = "",
) -> None:
    """Record a subject's consent (creates the subject if new); prints the consent name."""
    state = state_of(ctx)
    consent = state.client().consents.grant(
        subject=subject,
        purpose=purpose,
        notice_version=notice_version,
        method=method,
        evidence=evidence,
        expire_time=aware(expires),
        consent_id=consent_id,
    )
    message(f"granted {consent.name}")
    emit(consent, state.json_output)


@app.command()
def revoke(
    ctx: typer.Context,
    consent: Annotated[str, typer.Argument(help="Consent name, or ID with --subject.")],
    subject: Annotated[str | None, typer.Option(help="Subject, when CONSENT is an ID.")] = None,
    reason: Annotated[str, typer.Option(help="Why; kept in the audit log.")] = "",
) -> None:
    """Revoke a consent: its concepts are disabled and their data erased at once."""
    state = state_of(ctx)
    revoked = state.client().consents.revoke(consent, subject=subject, reason=reason)
    message(f"revoked {revoked.name}")
    emit(revoked, state.json_output)


@app.command("list")
def list_consents(
    ctx: typer.Context,
    subject: Annotated[str | None, typer.Option(help="Only this subject's consents.")] = None,
    state_filter: Annotated[
        str | None, typer.Option("--state", help="active, expired or revoked.")
    ] = None,
) -> None:
    """List consents, newest first."""
    state = state_of(ctx)
    consents = state.client().consents.list(subject=subject, state=state_filter)
    emit_list(consents, state.json_output, COLUMNS)
