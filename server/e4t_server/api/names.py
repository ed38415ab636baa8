"""Resource names (docs/api.md, "Resources and names"): parsing with a clear INVALID_ARGUMENT."""

from __future__ import annotations

import re
import uuid

from e4t_server.api.errors import ApiError, invalid_field

_SLUG = r"[a-z][a-z0-9-]{0,61}[a-z0-9]|[a-z]"
_SUBJECT = r"[A-Za-z0-9._~-]{1,128}"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_NUMBER = r"[1-9][0-9]{0,8}"

PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "tenant": rf"tenants/(?P<tenant>{_SLUG})",
        "tenant_api_key": rf"tenants/(?P<tenant>{_SLUG})/apiKeys/(?P<key>{_UUID})",
        "platform_api_key": rf"apiKeys/(?P<key>{_UUID})",
        "domain": rf"tenants/(?P<tenant>{_SLUG})/domains/(?P<domain>{_SLUG})",
        "domain_version": (
            rf"tenants/(?P<tenant>{_SLUG})/domains/(?P<domain>{_SLUG})/versions/(?P<version>{_NUMBER})"
        ),
        "domain_alias": (
            rf"tenants/(?P<tenant>{_SLUG})/domains/(?P<domain>{_SLUG})/aliases/(?P<alias>production|canary)"
        ),
        "subject": rf"tenants/(?P<tenant>{_SLUG})/subjects/(?P<subject>{_SUBJECT})",
        "consent": (
            rf"tenants/(?P<tenant>{_SLUG})/subjects/(?P<subject>{_SUBJECT})/consents/(?P<consent>{_UUID})"
        ),
        "concept": rf"tenants/(?P<tenant>{_SLUG})/concepts/(?P<concept>{_UUID})",
        "concept_version": (
            rf"tenants/(?P<tenant>{_SLUG})/concepts/(?P<concept>{_UUID})/versions/(?P<version>{_NUMBER})"
        ),
        "operation": rf"tenants/(?P<tenant>{_SLUG})/operations/(?P<operation>{_UUID})",
    }.items()
}


def parse(kind: str, value: str, field: str) -> dict[str, str]:
    """The parts of `value` as a `kind` name, or INVALID_ARGUMENT / INVALID_RESOURCE_NAME."""
    match = PATTERNS[kind].fullmatch(value)
    if match is None:
        raise invalid_resource_name(field, value, kind)
    return match.groupdict()


def invalid_resource_name(field: str, value: str, kind: str) -> ApiError:
    shown = value if len(value) <= 200 else value[:200] + "…"
    return invalid_field(
        field, f"{shown!r} is not a valid {kind.replace('_', ' ')} name", "INVALID_RESOURCE_NAME"
    )


def as_uuid(text: str) -> uuid.UUID:
    """A UUID segment already matched by a pattern above."""
    return uuid.UUID(text)


def tenant_name(tenant: str) -> str:
    return f"tenants/{tenant}"


def domain_name(tenant: str, domain: str) -> str:
    return f"tenants/{tenant}/domains/{domain}"


def concept_name(tenant: str, concept_id: uuid.UUID) -> str:
    return f"tenants/{tenant}/concepts/{concept_id}"


def subject_name(tenant: str, external_id: str) -> str:
    return f"tenants/{tenant}/subjects/{external_id}"


def operation_name(tenant: str, operation_id: uuid.UUID) -> str:
    return f"tenants/{tenant}/operations/{operation_id}"
