"""Resource names from IDs: `ann` → `tenants/acme/concepts/ann`, full names pass through."""

from __future__ import annotations

from dataclasses import dataclass

from e4t.errors import MissingTenantError

TENANTS = "tenants/"


@dataclass(frozen=True)
class Names:
    """Builds resource names under a default tenant (the client's `tenant`)."""

    default_tenant: str | None

    def tenant(self, tenant: str | None = None) -> str:
        """`tenants/{tenant}` for `tenant` (an ID or a name), else for the default tenant."""
        chosen = tenant or self.default_tenant
        if not chosen:
            raise MissingTenantError(
                "this call needs a tenant: pass tenant=..., or set Client(tenant=...) / E4T_TENANT"
            )
        return chosen if chosen.startswith(TENANTS) else f"{TENANTS}{chosen}"

    def under_tenant(self, ref: str, collection: str, tenant: str | None = None) -> str:
        """The name of `ref` in `collection` of a tenant; a `ref` holding a `/` is a full name."""
        if "/" in ref:
            return ref
        return f"{self.tenant(tenant)}/{collection}/{ref}"

    @staticmethod
    def under(parent: str, collection: str, ref: str | int) -> str:
        """The name of `ref` in `collection` under `parent`; a `ref` with a `/` is a full name."""
        text = str(ref)
        if "/" in text:
            return text
        return f"{parent}/{collection}/{text}"
