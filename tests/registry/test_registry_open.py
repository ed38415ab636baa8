"""`Registry.open` builds the embedded shape from settings alone: migrated SQLite + local blobs."""

from __future__ import annotations

from pathlib import Path

from e4t_registry.keys import bootstrap_admin_key
from e4t_registry.registry import Registry
from e4t_registry.settings import Settings


def test_open_from_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"E4T_HOME": str(tmp_path / "home")})
    registry = Registry.open(settings)
    try:
        secret = bootstrap_admin_key(registry.engine)
        assert secret is not None
        principal = registry.keys.verify(secret)
        tenant = registry.tenants.create(name="acme", actor=principal.actor)
        domain = registry.domains.create(tenant.id, name="faces", class_word="face", actor="x")
        version = registry.domains.register_version(
            tenant.id, domain.id, artifact=b"weights", base_model_ref="tiny", actor="x"
        )
        assert registry.blobs.get(version.artifact_key, expected_sha256=version.artifact_sha256)
        assert registry.verify_audit().events_checked == 4
    finally:
        registry.close()
    # Opening again finds the migrated schema and the same data.
    again = Registry.open(settings)
    try:
        assert again.tenants.get_by_name("acme").id == tenant.id
    finally:
        again.close()
