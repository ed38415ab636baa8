"""`client.consents`: grant, read, list and revoke a subject's consents."""

from __future__ import annotations

from datetime import datetime

from e4t._calls import Page, PageCall, Unary, new_request_id, rpc
from e4t._names import Names
from e4t.pagination import AsyncPager, SyncPager
from e4t.resources._base import AsyncResource, SyncResource
from e4t.types import Consent, ConsentMethod, ConsentState
from e4t.v1 import consent_pb2, consent_service_pb2

_SERVICE = "ConsentService"
ALL_SUBJECTS = "-"


def subject_name(names: Names, subject: str, tenant: str | None = None) -> str:
    """`tenants/{tenant}/subjects/{subject}` for a subject ID or name."""
    if subject.startswith("tenants/"):
        return subject
    return f"{names.tenant(tenant)}/subjects/{subject}"


def _consent_name(names: Names, consent: str, subject: str | None) -> str:
    if consent.startswith("tenants/"):
        return consent
    if not subject:
        raise ValueError("pass the consent's full name, or its ID together with subject=...")
    return f"{subject_name(names, subject)}/consents/{consent}"


def _method_name(method: ConsentMethod | str) -> str:
    name = str(method).upper().replace("-", "_")
    if name not in ConsentMethod.__members__:
        choices = ", ".join(m.lower() for m in ConsentMethod if m != ConsentMethod.UNSPECIFIED)
        raise ValueError(f"consent method {method!r} is not one of: {choices}")
    return ConsentMethod[name].value


def _grant(
    names: Names,
    subject: str,
    purpose: str,
    notice_version: str,
    method: ConsentMethod | str,
    evidence: str,
    grant_time: datetime | None,
    expire_time: datetime | None,
    consent_id: str,
    tenant: str | None,
    request_id: str | None,
) -> Unary[Consent]:
    key = request_id or new_request_id()
    method_name = _method_name(method)
    consent = consent_pb2.Consent(
        purpose=purpose,
        notice_version=notice_version,
        method=consent_pb2.Consent.Method.Value(method_name),
        evidence=evidence,
    )
    if grant_time is not None:
        consent.grant_time.FromDatetime(grant_time)
    if expire_time is not None:
        consent.expire_time.FromDatetime(expire_time)
    request = consent_service_pb2.GrantConsentRequest(
        parent=subject_name(names, subject, tenant),
        consent=consent,
        consent_id=consent_id,
        request_id=key,
    )
    method_rpc = rpc(consent_service_pb2, _SERVICE, "GrantConsent")
    return Unary(method_rpc, request, Consent.from_proto, key)


def _get(names: Names, consent: str, subject: str | None) -> Unary[Consent]:
    request = consent_service_pb2.GetConsentRequest(name=_consent_name(names, consent, subject))
    return Unary(rpc(consent_service_pb2, _SERVICE, "GetConsent"), request, Consent.from_proto)


def _list_pages(
    names: Names,
    subject: str | None,
    state: ConsentState | str | None,
    tenant: str | None,
    page_size: int,
) -> PageCall[Consent]:
    parent = subject_name(names, subject or ALL_SUBJECTS, tenant)
    state_number = consent_pb2.Consent.STATE_UNSPECIFIED
    if state:
        state_number = consent_pb2.Consent.State.Value(ConsentState(str(state).upper()))

    def page(token: str) -> Unary[Page[Consent]]:
        request = consent_service_pb2.ListConsentsRequest(
            parent=parent, page_size=page_size, page_token=token, state=state_number
        )
        return Unary(
            rpc(consent_service_pb2, _SERVICE, "ListConsents"),
            request,
            lambda r: Page([Consent.from_proto(c) for c in r.consents], r.next_page_token),
        )

    return page


def _revoke(
    names: Names, consent: str, subject: str | None, reason: str, request_id: str | None
) -> Unary[Consent]:
    key = request_id or new_request_id()
    request = consent_service_pb2.RevokeConsentRequest(
        name=_consent_name(names, consent, subject), reason=reason, request_id=key
    )
    method = rpc(consent_service_pb2, _SERVICE, "RevokeConsent")
    return Unary(method, request, Consent.from_proto, key)


class Consents(SyncResource):
    """Consent records (APP or TENANT_ADMIN keys). No concept exists without an ACTIVE one."""

    def grant(
        self,
        *,
        subject: str,
        purpose: str,
        notice_version: str,
        method: ConsentMethod | str,
        evidence: str = "",
        grant_time: datetime | None = None,
        expire_time: datetime | None = None,
        consent_id: str = "",
        tenant: str | None = None,
        request_id: str | None = None,
    ) -> Consent:
        """Records a subject's consent, creating the subject if it is new.

        Args:
            subject: Your own pseudonymous ID for the person (or the subject's full name).
            purpose: What they agreed to, for example `personalized-portraits`.
            notice_version: The version of the notice they were shown.
            method: How consent was given: a `ConsentMethod` or its name (`"electronic"`).
            evidence: Your reference to the evidence (a document ID), never personal data.
            grant_time: When consent was given (timezone-aware); default: now.
            expire_time: When it expires; default: never.
            consent_id: Its ID (`[a-z0-9-]`); default: a server-assigned UUID.
            tenant: Default: the client's tenant.
            request_id: Idempotency key; generated when omitted.
        """
        call = _grant(
            self._names,
            subject,
            purpose,
            notice_version,
            method,
            evidence,
            grant_time,
            expire_time,
            consent_id,
            tenant,
            request_id,
        )
        return self._transport.unary(call)

    def get(self, consent: str, *, subject: str | None = None) -> Consent:
        """Gets a consent by full name, or by ID with its `subject`."""
        return self._transport.unary(_get(self._names, consent, subject))

    def list(
        self,
        *,
        subject: str | None = None,
        state: ConsentState | str | None = None,
        tenant: str | None = None,
        page_size: int = 0,
    ) -> SyncPager[Consent]:
        """Lists consents, newest first.

        Args:
            subject: Only this subject's consents; default: all subjects.
            state: Only consents in this state.
            tenant: Default: the client's tenant.
            page_size: Items per page; 0 is the server default (50).
        """
        return SyncPager(
            self._transport, _list_pages(self._names, subject, state, tenant, page_size)
        )

    def revoke(
        self,
        consent: str,
        *,
        subject: str | None = None,
        reason: str = "",
        request_id: str | None = None,
    ) -> Consent:
        """Revokes a consent: its concepts are disabled and their artifacts erased at once.

        Args:
            consent: The consent's full name, or its ID together with `subject`.
            subject: The subject, when `consent` is an ID.
            reason: Why; kept on the consent and in the audit log.
            request_id: Idempotency key; generated when omitted.
        """
        return self._transport.unary(_revoke(self._names, consent, subject, reason, request_id))


class AsyncConsents(AsyncResource):
    """The async form of `Consents`."""

    async def grant(
        self,
        *,
        subject: str,
        purpose: str,
        notice_version: str,
        method: ConsentMethod | str,
        evidence: str = "",
        grant_time: datetime | None = None,
        expire_time: datetime | None = None,
        consent_id: str = "",
        tenant: str | None = None,
        request_id: str | None = None,
    ) -> Consent:
        """Records a subject's consent. See `Consents.grant`."""
        call = _grant(
            self._names,
            subject,
            purpose,
            notice_version,
            method,
            evidence,
            grant_time,
            expire_time,
            consent_id,
            tenant,
            request_id,
        )
        return await self._transport.unary(call)

    async def get(self, consent: str, *, subject: str | None = None) -> Consent:
        """Gets a consent. See `Consents.get`."""
        return await self._transport.unary(_get(self._names, consent, subject))

    def list(
        self,
        *,
        subject: str | None = None,
        state: ConsentState | str | None = None,
        tenant: str | None = None,
        page_size: int = 0,
    ) -> AsyncPager[Consent]:
        """Lists consents; iterate with `async for`. See `Consents.list`."""
        return AsyncPager(
            self._transport, _list_pages(self._names, subject, state, tenant, page_size)
        )

    async def revoke(
        self,
        consent: str,
        *,
        subject: str | None = None,
        reason: str = "",
        request_id: str | None = None,
    ) -> Consent:
        """Revokes a consent. See `Consents.revoke`."""
        call = _revoke(self._names, consent, subject, reason, request_id)
        return await self._transport.unary(call)
