"""Every resource method of the blocking client, against the real service."""

from __future__ import annotations

from pathlib import Path

import pytest

import e4t
from tests.sdk.conftest import TenantKeys
from tests.sdk.flow import PURPOSE, face_png, serving_domain
from tests.sdk.live_stack import LiveStack


def test_tenants_and_keys(admin: e4t.Client, tenant: TenantKeys) -> None:
    fetched = admin.tenants.get(tenant.tenant_id)
    listed = [t.id for t in admin.tenants.list(page_size=1)]  # pages of one: paging at work
    created = admin.keys.create(scopes=[e4t.Scope.APP], tenant=tenant.tenant_id)
    got = admin.keys.get(created.api_key.id, tenant=tenant.tenant_id)
    revoked = admin.keys.revoke(created.api_key.name)
    active = [k.name for k in admin.keys.list(tenant=tenant.tenant_id)]
    with_revoked = [k.name for k in admin.keys.list(tenant=tenant.tenant_id, show_revoked=True)]

    assert (fetched.id, fetched.state) == (tenant.tenant_id, e4t.TenantState.ACTIVE)
    assert tenant.tenant_id in listed
    assert created.secret.startswith("e4t_") and got.scopes == (e4t.Scope.APP,)
    assert revoked.state == e4t.ApiKeyState.REVOKED and revoked.revoke_time is not None
    assert created.api_key.name not in active and created.api_key.name in with_revoked


def test_domains_versions_and_rollouts(stack: LiveStack, tenant: TenantKeys) -> None:
    first = serving_domain(stack, tenant)
    with stack.client(tenant.mlops, tenant=tenant.tenant_id) as mlops:
        second = mlops.domains.versions.register(
            "faces", path=stack.domain_model_dir, base_model="tiny-sd"
        )
        canary = mlops.domains.rollout("faces", version=second.id, traffic_percent=10)
        stale_etag = canary.etag
        with pytest.raises(e4t.AbortedError) as stale:
            mlops.domains.rollout("faces", version=second.id, traffic_percent=20, etag="stale")
        aliases = mlops.domains.aliases("faces")
        promoted = mlops.domains.promote("faces", etag=stale_etag)
        rolled_back = mlops.domains.rollback("faces")
        status = mlops.domains.status("faces")
        domain = mlops.domains.get("faces")
        versions = [v.name for v in mlops.domains.versions.list("faces")]
        fetched = mlops.domains.versions.get("faces", 1)

    assert stale.value.reason == "ETAG_MISMATCH"
    assert canary.canary is not None and canary.canary.traffic_percent == 10
    assert [a.id for a in aliases] == ["production", "canary"]
    assert promoted.production is not None and promoted.production.version == second.name
    assert promoted.canary is None
    assert status == rolled_back and status.production is not None
    assert status.production.version == first.name
    assert (domain.class_word, set(versions)) == ("face", {second.name, first.name})
    assert (fetched.base_model, fetched.metrics) == ("tiny-sd", {"loss": 0.5})
    assert fetched.artifact_sha256 == first.artifact_sha256 and first.artifact_size_bytes > 0


def test_consents_concepts_images_operations_subjects_audit(
    stack: LiveStack, tenant: TenantKeys, tmp_path: Path
) -> None:
    serving_domain(stack, tenant)
    app = stack.client(tenant.app, tenant=tenant.tenant_id)
    tenant_admin = stack.client(tenant.tenant_admin, tenant=tenant.tenant_id)
    consent = app.consents.grant(
        subject="user-1", purpose=PURPOSE, notice_version="v1", method="electronic"
    )
    steps_seen: list[int] = []

    operation = app.concepts.create(
        image=face_png(), consent=consent, domain="faces", tuning_steps=5
    )
    concept = operation.result(
        timeout=120, progress=lambda s: steps_seen.append(s.progress.steps_done)
    )
    generation = app.images.generate(
        concept=concept, prompt="a photo of {concept}", n=2, seed=7, num_inference_steps=2
    )
    saved = generation[0].save(tmp_path / "ann.png")
    versions = app.concepts.versions.list(concept).to_list()
    version = app.concepts.versions.get(concept.id, 1)
    operations = app.operations.list(kind="create_concept").to_list()
    handle = app.operations.get(operation.name)
    cancelled = app.operations.cancel(operation.id)  # done already: returned unchanged
    listed = [c.id for c in app.concepts.list(domain="faces", state="active")]
    revoked = app.consents.revoke(consent.name, reason="test")
    consents = app.consents.list(subject="user-1").to_list()
    after_revoke = app.concepts.get(concept.id)
    subject = tenant_admin.subjects.get("user-1")
    erasure = tenant_admin.subjects.erase("user-1")
    actions = {e.action for e in tenant_admin.audit.list()}
    exported = b"".join(tenant_admin.audit.export())
    verification = tenant_admin.audit.verify()
    app.close()
    tenant_admin.close()

    assert concept.state == e4t.ConceptState.ACTIVE and concept.subject.endswith("/subjects/user-1")
    assert steps_seen and max(steps_seen) <= 5
    assert [image.seed for image in generation] == [7, 8]
    assert saved.read_bytes().startswith(b"\x89PNG") and generation[0].to_pil().size[0] > 0
    assert [v.name for v in versions] == [version.name] and len(version.loss_curve) == 5
    assert operation.name in [o.name for o in operations] and handle.done
    assert cancelled.state == e4t.OperationState.SUCCEEDED
    assert listed == [concept.id]
    assert revoked.state == consents[0].state == e4t.ConsentState.REVOKED
    assert after_revoke.state == e4t.ConceptState.DISABLED
    assert subject.state == e4t.SubjectState.ACTIVE and erasure.subject == subject.name
    assert len(actions) >= 3  # the server's action names differ from docs/api.md (report)
    assert verification.ok and verification.events_checked >= exported.count(b"\n") > 0


def test_concept_delete(stack: LiveStack, tenant: TenantKeys) -> None:
    serving_domain(stack, tenant)
    with stack.client(tenant.app, tenant=tenant.tenant_id) as app:
        consent = app.consents.grant(
            subject="user-2", purpose=PURPOSE, notice_version="v1", method="electronic"
        )
        concept = app.concepts.create(
            image=face_png(), consent=consent.name, domain="faces", tuning_steps=5
        ).result(timeout=120)
        app.concepts.delete(concept)

        with pytest.raises(e4t.NotFoundError):
            app.concepts.get(concept.id)
