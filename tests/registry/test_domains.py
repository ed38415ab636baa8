"""Domain model versions count up per domain; aliases roll out, promote and roll back."""

from __future__ import annotations

import json

import pytest

from e4t_registry.domains import CANARY, PRODUCTION
from e4t_registry.errors import AlreadyExistsError, FailedPreconditionError, InvalidArgumentError
from tests.registry.conftest import ADMIN, RegistryBackend


def test_versions_aliases_promotion_and_rollback(backend: RegistryBackend) -> None:
    registry = backend.registry
    tenant = registry.tenants.create(name="acme", actor=ADMIN)
    faces = registry.domains.create(tenant.id, name="faces", class_word="face", actor=ADMIN)
    pets = registry.domains.create(tenant.id, name="pets", class_word="dog", actor=ADMIN)
    with pytest.raises(AlreadyExistsError):
        registry.domains.create(tenant.id, name="faces", class_word="face", actor=ADMIN)

    versions = [
        registry.domains.register_version(
            tenant.id,
            faces.id,
            artifact=f"weights-{n}".encode(),
            base_model_ref="tiny-sd",
            config={"rank": 4},
            metrics={"loss": 0.1 * n},
            actor=ADMIN,
        )
        for n in (1, 2, 3)
    ]
    other = registry.domains.register_version(
        tenant.id, pets.id, artifact=b"dog", base_model_ref="tiny-sd", actor=ADMIN
    )
    assert [v.version for v in versions] == [1, 2, 3] and other.version == 1
    assert versions[2].config == {"rank": 4} and versions[2].artifact_size == len(b"weights-3")

    domains = registry.domains
    domains.set_alias(tenant.id, faces.id, alias=PRODUCTION, version=1, actor=ADMIN)
    domains.set_alias(tenant.id, faces.id, alias=PRODUCTION, version=2, actor=ADMIN)
    domains.set_alias(tenant.id, faces.id, alias=CANARY, version=3, traffic_share=0.1, actor=ADMIN)
    assert {a.name: a.traffic_share for a in domains.aliases(tenant.id, faces.id)} == {
        CANARY: 0.1,
        PRODUCTION: 1.0,
    }
    assert domains.resolve(tenant.id, faces.id, CANARY).version == 3

    domains.promote_canary(tenant.id, faces.id, actor=ADMIN)
    assert domains.resolve(tenant.id, faces.id, PRODUCTION).version == 3
    assert [a.name for a in domains.aliases(tenant.id, faces.id)] == [PRODUCTION]
    with pytest.raises(FailedPreconditionError):
        domains.promote_canary(tenant.id, faces.id, actor=ADMIN)

    domains.rollback_production(tenant.id, faces.id, actor=ADMIN)
    assert domains.resolve(tenant.id, faces.id, PRODUCTION).version == 2
    domains.rollback_production(tenant.id, faces.id, actor=ADMIN)
    assert domains.resolve(tenant.id, faces.id, PRODUCTION).version == 1
    with pytest.raises(FailedPreconditionError):
        domains.rollback_production(tenant.id, faces.id, actor=ADMIN)

    history = [
        (e.alias, e.action, e.from_version, e.to_version)
        for e in domains.history(tenant.id, faces.id)
    ]
    assert history == [
        (PRODUCTION, "set", None, 1),
        (PRODUCTION, "set", 1, 2),
        (CANARY, "set", None, 3),
        (PRODUCTION, "promote", 2, 3),
        (CANARY, "promote", 3, None),
        (PRODUCTION, "rollback", 3, 2),
        (PRODUCTION, "rollback", 2, 1),
    ]
    audited = [json.loads(line)["action"] for line in registry.export_audit(tenant_id=tenant.id)]
    assert audited.count("domain.alias.rollback") == 2
    assert audited.count("domain.version.create") == 4


def test_alias_rules(sqlite_backend: RegistryBackend) -> None:
    registry = sqlite_backend.registry
    tenant = registry.tenants.create(name="acme", actor=ADMIN)
    faces = registry.domains.create(tenant.id, name="faces", class_word="face", actor=ADMIN)
    registry.domains.register_version(
        tenant.id, faces.id, artifact=b"w", base_model_ref="tiny", actor=ADMIN
    )
    with pytest.raises(InvalidArgumentError):
        registry.domains.set_alias(
            tenant.id, faces.id, alias=CANARY, version=1, traffic_share=1.5, actor=ADMIN
        )
    with pytest.raises(InvalidArgumentError):
        registry.domains.set_alias(
            tenant.id, faces.id, alias=PRODUCTION, version=1, traffic_share=0.5, actor=ADMIN
        )
    with pytest.raises(FailedPreconditionError):
        registry.domains.resolve(tenant.id, faces.id, PRODUCTION)
