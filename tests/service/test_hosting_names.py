"""Serve application names: one per tenant-domain-version, never shared by two of them."""

from __future__ import annotations

import itertools

from e4t_server.serve.hosting import HostedVersion


def test_ids_with_dashes_never_share_an_application_name() -> None:
    # IDs may contain "-": with "-" as the separator, ("a-b", "c") and ("a", "b-c") would both
    # be "dm-a-b-c-v1", and one tenant's requests would reach the other's model.
    pairs = [("a-b", "c"), ("a", "b-c"), ("a-b-c", "v1"), ("a", "b-c-v1"), ("faces", "v2x")]
    versions = [
        HostedVersion(tenant, domain, number, "key", "0" * 64)
        for (tenant, domain), number in itertools.product(pairs, (1, 2))
    ]
    names = [version.app_name for version in versions]
    assert len(set(names)) == len(names)
