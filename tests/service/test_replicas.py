"""`E4T_MODEL_REPLICAS`: a live domain model version runs on that many Serve replicas."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from ray import serve
from ray.serve.schema import ReplicaState

from e4t_registry.settings import Settings, SettingsError
from e4t_server.app import build_hosting
from e4t_server.serve.hosting import HostedVersion, ModelHosting
from tests.service.conftest import Stack


def test_a_version_is_deployed_with_the_configured_replicas(
    stack: Stack, domain_archives: tuple[bytes, bytes]
) -> None:
    archive = domain_archives[0]
    key = "tenants/replicas-test/domains/faces/versions/1.tar"
    stack.blobs.put(key, archive)
    version = HostedVersion("replicas-test", "faces", 1, key, hashlib.sha256(archive).hexdigest())
    hosting = ModelHosting(stack.hosting.blobs, stack.hosting.cache_dir, replicas=2)

    async def deploy_then_retire() -> dict[ReplicaState, int]:
        async with hosting.using(version):
            status = serve.status().applications[version.app_name]
            (deployment,) = status.deployments.values()
            replicas = dict(deployment.replica_states)
        await hosting.retire_all()
        return replicas

    try:
        assert asyncio.run(deploy_then_retire()) == {"RUNNING": 2}
        assert version.app_name not in serve.status().applications
    finally:
        stack.blobs.delete(key)


def test_a_bad_replica_count_is_refused_before_anything_starts(tmp_path: Path) -> None:
    settings = Settings.from_env({"E4T_HOME": str(tmp_path)})
    for bad in ("0", "-1", "two", ""):
        with pytest.raises(SettingsError, match="E4T_MODEL_REPLICAS"):
            build_hosting(settings, {"E4T_MODEL_REPLICAS": bad})
    assert build_hosting(settings, {"E4T_MODEL_REPLICAS": "3"}).replicas == 3
    assert list(tmp_path.iterdir()) == []  # nothing was created
