"""Every resource of the asyncio client, against the real service."""

from __future__ import annotations

import asyncio
from pathlib import Path

import e4t
from tests.sdk.conftest import TenantKeys
from tests.sdk.flow import PURPOSE, face_png
from tests.sdk.live_stack import LiveStack


async def _flow(stack: LiveStack, tenant: TenantKeys, tmp_path: Path) -> None:
    tid = tenant.tenant_id
    async with (
        stack.async_client() as admin,
        stack.async_client(tenant.mlops, tenant=tid) as mlops,
        stack.async_client(tenant.app, tenant=tid) as app,
        stack.async_client(tenant.tenant_admin, tenant=tid) as tenant_admin,
    ):
        assert (await admin.tenants.get(tid)).id == tid
        assert tid in [t.id async for t in admin.tenants.list(page_size=1)]
        created = await admin.keys.create(scopes=["app"], tenant=tid)
        assert (await admin.keys.get(created.api_key.name)).id == created.api_key.id
        await admin.keys.revoke(created.api_key.name)
        assert created.api_key.name not in [k.name async for k in admin.keys.list(tenant=tid)]

        await mlops.domains.create(domain_id="faces", class_word="face")
        version = await mlops.domains.versions.register(
            "faces", path=stack.domain_model_dir, base_model="tiny-sd"
        )
        assert (await mlops.domains.versions.get("faces", version.id)).name == version.name
        assert [v.name async for v in mlops.domains.versions.list("faces")] == [version.name]
        await mlops.domains.promote("faces", version=version.name)
        assert [a.id for a in await mlops.domains.aliases("faces")] == ["production"]
        assert (await mlops.domains.status("faces")).production is not None
        assert [d.id async for d in mlops.domains.list()] == ["faces"]
        assert (await mlops.domains.get("faces")).class_word == "face"

        consent = await app.consents.grant(
            subject="user-1", purpose=PURPOSE, notice_version="v1", method="electronic"
        )
        assert (await app.consents.get(consent.id, subject="user-1")).name == consent.name
        operation = await app.concepts.create(
            image=face_png(), consent=consent, domain="faces", tuning_steps=5
        )
        concept = await operation.result(timeout=120)
        assert (await app.operations.get(operation.name)).done
        assert operation.name in [o.name async for o in app.operations.list()]
        assert (await app.operations.cancel(operation.name)).done
        generation = await app.images.generate(
            concept=concept.id, prompt="a photo of {concept}", seed=3, num_inference_steps=2
        )
        assert generation[0].save(tmp_path / "a.png").stat().st_size > 0
        assert (await app.concepts.get(concept.id)).state == e4t.ConceptState.ACTIVE
        assert [c.id async for c in app.concepts.list()] == [concept.id]
        versions = [v async for v in app.concepts.versions.list(concept)]
        assert (await app.concepts.versions.get(concept, 1)).name == versions[0].name
        await app.concepts.delete(concept)
        await app.consents.revoke(consent.name)
        assert [c.state async for c in app.consents.list()] == [e4t.ConsentState.REVOKED]

        assert (await tenant_admin.subjects.get("user-1")).id == "user-1"
        assert "user-1" in [s.id async for s in tenant_admin.subjects.list()]
        assert (await tenant_admin.subjects.erase("user-1")).subject.endswith("user-1")
        events = [e async for e in tenant_admin.audit.list()]
        exported = b"".join([chunk async for chunk in tenant_admin.audit.export()])
        verification = await tenant_admin.audit.verify()
        assert verification.ok and verification.events_checked >= exported.count(b"\n") > 0
        assert events and [e.sequence for e in events] == sorted(e.sequence for e in events)


def test_async_client_covers_every_resource(
    stack: LiveStack, tenant: TenantKeys, tmp_path: Path
) -> None:
    asyncio.run(_flow(stack, tenant, tmp_path))
