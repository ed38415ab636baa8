"""Tenant isolation, property-based: whatever data several tenants hold, no call made for
tenant A returns or changes a row of tenant B."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e4t_registry.errors import NotFoundError, RegistryError
from e4t_registry.registry import Registry
from e4t_registry.uow import UnitOfWork
from tests.registry.conftest import ADMIN, RegistryBackend


@dataclass
class TenantData:
    tenant_id: uuid.UUID
    domain_id: uuid.UUID
    domain_version_id: uuid.UUID
    ids: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    external_ids: list[str] = field(default_factory=list)


tenant_shapes = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["alice", "bob", "carol"]), min_size=1, max_size=2, unique=True),
        st.integers(min_value=0, max_value=2),  # concepts per subject
        st.integers(min_value=0, max_value=2),  # operations
    ),
    min_size=2,
    max_size=3,
)


def _build(registry: Registry, shape: tuple[list[str], int, int]) -> TenantData:
    externals, concepts_per_subject, operations = shape
    tenant = registry.tenants.create(name=f"t-{uuid.uuid4().hex[:12]}", actor=ADMIN)
    domain = registry.domains.create(tenant.id, name="faces", class_word="face", actor=ADMIN)
    dmv = registry.domains.register_version(
        tenant.id, domain.id, artifact=uuid.uuid4().bytes, base_model_ref="tiny", actor=ADMIN
    )
    data = TenantData(tenant.id, domain.id, dmv.id, external_ids=externals)
    ids = data.ids
    for key in ("subject", "consent", "concept", "version", "operation", "key"):
        ids[key] = []
    for external in externals:
        consent = registry.consent.grant(
            tenant.id, subject_external_id=external, notice_version="v1", method="m", actor=ADMIN
        )
        ids["subject"].append(consent.subject_id)
        ids["consent"].append(consent.id)
        for _ in range(concepts_per_subject):
            concept = registry.concepts.create(
                tenant.id,
                domain_id=domain.id,
                subject_id=consent.subject_id,
                consent_id=consent.id,
                actor=ADMIN,
            )
            version = registry.concepts.add_version(
                tenant.id,
                concept.id,
                domain_model_version_id=dmv.id,
                artifact=uuid.uuid4().bytes,
                actor=ADMIN,
            )
            ids["concept"].append(concept.id)
            ids["version"].append(version.id)
    for n in range(operations):
        op, _ = registry.operations.create(tenant.id, kind="k", request_id=f"r{n}", actor=ADMIN)
        ids["operation"].append(op.id)
    ids["key"].append(registry.keys.create(tenant_id=tenant.id, scopes=["app"], actor=ADMIN).key.id)
    return data


def _snapshot(backend: RegistryBackend) -> str:
    return json.dumps(backend.all_rows(), default=str, sort_keys=True) + repr(
        sorted(backend.blob_keys())
    )


def _assert_reads_stay_inside(registry: Registry, a: TenantData, b: TenantData) -> None:
    with UnitOfWork(registry.engine) as uow:
        repositories: dict[str, Any] = {
            "subject": uow.subjects,
            "consent": uow.consents,
            "concept": uow.concepts,
            "version": uow.concept_versions,
            "operation": uow.operations,
        }
        for kind, repository in repositories.items():
            for foreign_id in b.ids[kind]:
                assert repository.find(a.tenant_id, foreign_id) is None
                with pytest.raises(NotFoundError):
                    repository.get(a.tenant_id, foreign_id)
        for foreign_id in b.ids["key"]:
            with pytest.raises(NotFoundError):
                uow.api_keys.get(a.tenant_id, foreign_id)
        with pytest.raises(NotFoundError):
            uow.domains.get(a.tenant_id, b.domain_id)
        with pytest.raises(NotFoundError):
            uow.domain_versions.get(a.tenant_id, b.domain_version_id)
        for external in b.external_ids:
            found = uow.subjects.find_by_external_id(a.tenant_id, external)
            assert found is None or found.tenant_id == a.tenant_id
        lists: list[tuple[str, Any]] = [
            ("subject", uow.subjects.list(a.tenant_id, page_size=1000)),
            ("consent", uow.consents.list(a.tenant_id, page_size=1000)),
            ("concept", uow.concepts.list(a.tenant_id, page_size=1000)),
            ("operation", uow.operations.list(a.tenant_id, page_size=1000)),
            ("key", uow.api_keys.list(a.tenant_id, page_size=1000)),
        ]
        for kind, page in lists:
            assert {row.id for row in page.items} == set(a.ids[kind])
        assert [d.id for d in uow.domains.list(a.tenant_id).items] == [a.domain_id]
        for concept_id in b.ids["concept"]:
            assert uow.concept_versions.list(a.tenant_id, concept_id).items == []


def _attacks(registry: Registry, a: TenantData, b: TenantData) -> list[Callable[[], Any]]:
    t = a.tenant_id
    calls: list[Callable[[], Any]] = [
        lambda: registry.domains.register_version(
            t, b.domain_id, artifact=b"x", base_model_ref="m", actor=ADMIN
        ),
        lambda: registry.domains.set_alias(
            t, b.domain_id, alias="production", version=1, actor=ADMIN
        ),
    ]
    for concept_id in b.ids["concept"]:
        calls.append(partial(registry.concepts.delete, t, concept_id, actor=ADMIN))
        calls.append(
            partial(
                registry.concepts.add_version,
                t,
                concept_id,
                domain_model_version_id=a.domain_version_id,
                artifact=b"x",
                actor=ADMIN,
            )
        )
    for subject_id, consent_id in zip(b.ids["subject"], b.ids["consent"], strict=True):
        calls.append(partial(registry.consent.revoke, t, consent_id, actor=ADMIN))
        calls.append(partial(registry.consent.erase_subject, t, subject_id, actor=ADMIN))
        calls.append(
            partial(
                registry.concepts.create,
                t,
                domain_id=a.domain_id,
                subject_id=subject_id,
                consent_id=consent_id,
                actor=ADMIN,
            )
        )
        calls.append(
            partial(
                registry.concepts.add_source_image,
                t,
                subject_id=subject_id,
                consent_id=consent_id,
                image=b"img",
                extension="png",
                actor=ADMIN,
            )
        )
    for operation_id in b.ids["operation"]:
        calls.append(partial(registry.operations.finish, t, operation_id, result={}))
    for key_id in b.ids["key"]:
        calls.append(partial(registry.keys.revoke, tenant_id=t, key_id=key_id, actor=ADMIN))
    return calls


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shapes=tenant_shapes)
def test_no_call_for_one_tenant_reaches_another(
    backend: RegistryBackend, shapes: list[tuple[list[str], int, int]]
) -> None:
    registry = backend.registry
    tenants = [_build(registry, shape) for shape in shapes]
    for a in tenants:
        for b in tenants:
            if a is b:
                continue
            _assert_reads_stay_inside(registry, a, b)
            before = _snapshot(backend)
            for attack in _attacks(registry, a, b):
                with pytest.raises(RegistryError):
                    attack()
            assert _snapshot(backend) == before
