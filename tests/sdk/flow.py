"""The application flow shared by the SDK tests: a domain with a production version, a consent."""

from __future__ import annotations

import io

from PIL import Image

import e4t
from tests.sdk.conftest import TenantKeys
from tests.sdk.live_stack import LiveStack

# The purpose the service personalizes faces under; a consent for another purpose is refused.
PURPOSE = "face-personalization"


def face_png(size: int = 48) -> bytes:
    image = Image.new("RGB", (size, size), (200, 150, 120))
    for x in range(size // 4, 3 * size // 4):
        image.putpixel((x, size // 2), (20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def serving_domain(stack: LiveStack, tenant: TenantKeys) -> e4t.DomainModelVersion:
    """Creates domain `faces`, registers the tiny model and promotes it to production."""
    with stack.client(tenant.mlops, tenant=tenant.tenant_id) as mlops:
        mlops.domains.create(domain_id="faces", class_word="face")
        version = mlops.domains.versions.register(
            "faces", path=stack.domain_model_dir, base_model="tiny-sd", metrics={"loss": 0.5}
        )
        mlops.domains.promote("faces", version=version.id)
    return version
