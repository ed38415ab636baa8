"""Keyset paging: stable order, no duplicates or gaps, typed errors for bad tokens."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from e4t_registry.errors import InvalidArgumentError, InvalidPageTokenError
from e4t_registry.models import ConceptStatus
from e4t_registry.paging import MAX_PAGE_SIZE, decode_token, effective_page_size
from tests.registry.conftest import ADMIN, RegistryBackend, TenantWorld


def _make_concepts(backend: RegistryBackend, world: TenantWorld, count: int) -> list[str]:
    return [
        str(
            backend.registry.concepts.create(
                world.tenant.id,
                domain_id=world.domain.id,
                subject_id=world.subject_id,
                consent_id=world.consent_id,
                display_name=f"c{i}",
                actor=ADMIN,
            ).id
        )
        for i in range(count)
    ]


def test_pages_cover_every_row_once_in_a_stable_order(
    backend: RegistryBackend, world: TenantWorld
) -> None:
    created = _make_concepts(backend, world, 23)
    concepts = backend.registry.concepts

    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = concepts.list(world.tenant.id, page_size=5, page_token=token)
        seen.extend(str(concept.id) for concept in page.items)
        pages += 1
        token = page.next_page_token
        if token is None:
            break
        # Rows created mid-iteration land after the cursor and never duplicate earlier ones.
        if pages == 2:
            created += _make_concepts(backend, world, 1)

    assert pages == 5
    assert len(seen) == len(set(seen)) == 24
    assert sorted(seen) == sorted(created)
    everything = concepts.list(world.tenant.id, page_size=100).items
    assert [str(c.id) for c in everything] == seen


def test_filters_are_part_of_the_token(backend: RegistryBackend, world: TenantWorld) -> None:
    _make_concepts(backend, world, 3)
    concepts = backend.registry.concepts
    page = concepts.list(world.tenant.id, page_size=1)
    assert page.next_page_token is not None

    with pytest.raises(InvalidPageTokenError):
        concepts.list(
            world.tenant.id,
            status=ConceptStatus.PENDING,
            page_size=1,
            page_token=page.next_page_token,
        )
    with pytest.raises(InvalidPageTokenError):
        backend.registry.domains.list(world.tenant.id, page_token=page.next_page_token)


@pytest.mark.parametrize(
    "token",
    [
        "garbage!",
        base64.urlsafe_b64encode(b"{}").decode(),
        base64.urlsafe_b64encode(json.dumps({"s": "x", "c": "nope", "i": "z"}).encode()).decode(),
    ],
)
def test_malformed_tokens_raise_typed_error(sqlite_backend: RegistryBackend, token: str) -> None:
    tenant = sqlite_backend.registry.tenants.create(name="acme", actor=ADMIN)
    with pytest.raises(InvalidPageTokenError):
        sqlite_backend.registry.domains.list(tenant.id, page_token=token)


def test_page_size_rules() -> None:
    assert effective_page_size(None) == effective_page_size(0) == 50
    assert effective_page_size(10_000) == MAX_PAGE_SIZE
    with pytest.raises(InvalidArgumentError):
        effective_page_size(-1)


_json_values = st.recursive(
    st.none() | st.integers() | st.text(max_size=10) | st.just("2024-01-01T00:00:00+00:00"),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["s", "c", "i", "x"]), inner, max_size=4)
    ),
    max_leaves=8,
)
# Mostly well-shaped payloads, so the fields are checked one by one, not just the outer shape.
_payloads = _json_values | st.fixed_dictionaries(
    {
        "s": st.just("concept:t:") | st.text(max_size=5),
        "c": st.just("2024-01-01T00:00:00+00:00") | _json_values,
        "i": _json_values,
    }
)


@settings(max_examples=300, deadline=None)
@given(
    token=st.text(max_size=80)
    | _payloads.map(lambda payload: base64.urlsafe_b64encode(json.dumps(payload).encode()).decode())
)
def test_any_garbage_token_is_a_typed_error(token: str) -> None:
    with pytest.raises(InvalidPageTokenError):
        decode_token(token, scope="concept:t:")
