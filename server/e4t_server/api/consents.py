"""ConsentService: subjects, their consents, revocation and erasure."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC

import grpc

from e4t.v1 import consent_pb2, consent_service_pb2, consent_service_pb2_grpc
from e4t_registry.errors import FailedPreconditionError, NotFoundError
from e4t_registry.models import ConsentRecord, ErasureRecord
from e4t_registry.registry import Registry
from e4t_registry.uow import UnitOfWork
from e4t_server.api import convert, limits, names
from e4t_server.api.context import current_principal
from e4t_server.api.errors import failed_precondition, invalid_field, not_found
from e4t_server.api.scoping import TenantScope

_ALL_SUBJECTS = "-"


class ConsentServicer(consent_service_pb2_grpc.ConsentServiceServicer):
    def __init__(self, registry: Registry, scope: TenantScope) -> None:
        self.registry = registry
        self.scope = scope

    async def GrantConsent(
        self, request: consent_service_pb2.GrantConsentRequest, context: grpc.aio.ServicerContext
    ) -> consent_pb2.Consent:
        return await asyncio.to_thread(self._grant, request)

    def _grant(self, request: consent_service_pb2.GrantConsentRequest) -> consent_pb2.Consent:
        parts = names.parse("subject", request.parent, "parent")
        tenant_id = self.scope.tenant_id(parts["tenant"], request.parent)
        if request.consent_id:
            raise invalid_field("consent_id", "client-chosen consent ids are not supported yet")
        consent = request.consent
        limits.required(consent.notice_version, "consent.notice_version")
        if consent.method == consent_pb2.Consent.METHOD_UNSPECIFIED:
            raise invalid_field("consent.method", "is required")
        expires_at = (
            consent.expire_time.ToDatetime(tzinfo=UTC) if consent.HasField("expire_time") else None
        )
        row = self.registry.consent.grant(
            tenant_id,
            subject_external_id=parts["subject"],
            notice_version=consent.notice_version,
            method=consent_pb2.Consent.Method.Name(consent.method),
            purpose=consent.purpose or "face-personalization",
            expires_at=expires_at,
            actor=current_principal().actor,
        )
        return convert.consent(row, request.parent, self.registry.clock())

    def _consent(self, name: str) -> tuple[uuid.UUID, str, ConsentRecord]:
        parts = names.parse("consent", name, "name")
        tenant_id = self.scope.tenant_id(parts["tenant"], name)
        subject = self.scope.subject(tenant_id, parts["subject"], name)
        try:
            row = self.registry.consent.get(tenant_id, names.as_uuid(parts["consent"]))
        except NotFoundError:
            raise not_found(name) from None
        if row.subject_id != subject.id:
            raise not_found(name)
        return tenant_id, names.subject_name(parts["tenant"], parts["subject"]), row

    async def GetConsent(
        self, request: consent_service_pb2.GetConsentRequest, context: grpc.aio.ServicerContext
    ) -> consent_pb2.Consent:
        _, subject_resource, row = await asyncio.to_thread(self._consent, request.name)
        return convert.consent(row, subject_resource, self.registry.clock())

    async def ListConsents(
        self, request: consent_service_pb2.ListConsentsRequest, context: grpc.aio.ServicerContext
    ) -> consent_service_pb2.ListConsentsResponse:
        limits.check_page_size(request.page_size)
        return await asyncio.to_thread(self._list_consents, request)

    def _list_consents(
        self, request: consent_service_pb2.ListConsentsRequest
    ) -> consent_service_pb2.ListConsentsResponse:
        parts = names.parse("subject", request.parent, "parent")
        tenant_id = self.scope.tenant_id(parts["tenant"], request.parent)
        subject_id = None
        if parts["subject"] != _ALL_SUBJECTS:
            subject_id = self.scope.subject(tenant_id, parts["subject"], request.parent).id
        page = self.registry.consent.list(
            tenant_id,
            subject_id=subject_id,
            page_size=request.page_size,
            page_token=request.page_token or None,
        )
        external = self._external_ids(tenant_id, {row.subject_id for row in page.items})
        now = self.registry.clock()
        consents = [
            convert.consent(row, names.subject_name(parts["tenant"], external[row.subject_id]), now)
            for row in page.items
        ]
        if request.state:
            consents = [consent for consent in consents if consent.state == request.state]
        return consent_service_pb2.ListConsentsResponse(
            consents=consents, next_page_token=page.next_page_token or ""
        )

    def _external_ids(self, tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        with UnitOfWork(self.registry.engine) as uow:
            return {sid: uow.subjects.get(tenant_id, sid).external_id for sid in ids}

    async def RevokeConsent(
        self, request: consent_service_pb2.RevokeConsentRequest, context: grpc.aio.ServicerContext
    ) -> consent_pb2.Consent:
        return await asyncio.to_thread(self._revoke, request)

    def _revoke(self, request: consent_service_pb2.RevokeConsentRequest) -> consent_pb2.Consent:
        limits.max_length(request.reason, limits.DISPLAY_NAME_CHARS, "reason")
        tenant_id, subject_resource, row = self._consent(request.name)
        try:
            self.registry.consent.revoke(tenant_id, row.id, actor=current_principal().actor)
        except FailedPreconditionError as error:
            raise failed_precondition("CONSENT_NOT_ACTIVE", str(error)) from None
        revoked = self.registry.consent.get(tenant_id, row.id)
        message = convert.consent(revoked, subject_resource, self.registry.clock())
        message.revoke_reason = request.reason
        return message

    async def GetSubject(
        self, request: consent_service_pb2.GetSubjectRequest, context: grpc.aio.ServicerContext
    ) -> consent_pb2.Subject:
        parts = names.parse("subject", request.name, "name")

        def get() -> consent_pb2.Subject:
            tenant_id = self.scope.tenant_id(parts["tenant"], request.name)
            return convert.subject(
                self.scope.subject(tenant_id, parts["subject"], request.name), parts["tenant"]
            )

        return await asyncio.to_thread(get)

    async def ListSubjects(
        self, request: consent_service_pb2.ListSubjectsRequest, context: grpc.aio.ServicerContext
    ) -> consent_service_pb2.ListSubjectsResponse:
        limits.check_page_size(request.page_size)
        tenant = names.parse("tenant", request.parent, "parent")["tenant"]

        def list_subjects() -> consent_service_pb2.ListSubjectsResponse:
            tenant_id = self.scope.tenant_id(tenant, request.parent)
            with UnitOfWork(self.registry.engine) as uow:
                page = uow.subjects.list(
                    tenant_id, page_size=request.page_size, page_token=request.page_token or None
                )
            return consent_service_pb2.ListSubjectsResponse(
                subjects=[convert.subject(row, tenant) for row in page.items],
                next_page_token=page.next_page_token or "",
            )

        return await asyncio.to_thread(list_subjects)

    async def EraseSubject(
        self, request: consent_service_pb2.EraseSubjectRequest, context: grpc.aio.ServicerContext
    ) -> consent_pb2.ErasureRecord:
        parts = names.parse("subject", request.name, "name")

        def erase() -> ErasureRecord:
            tenant_id = self.scope.tenant_id(parts["tenant"], request.name)
            subject = self.scope.subject(tenant_id, parts["subject"], request.name)
            return self.registry.consent.erase_subject(
                tenant_id, subject.id, actor=current_principal().actor
            )

        record = await asyncio.to_thread(erase)
        counts = record.counts
        return consent_pb2.ErasureRecord(
            subject=request.name,
            erase_time=convert.timestamp(record.created_at),
            consents_revoked=int(counts.get("consents", 0)),
            concepts_erased=int(counts.get("concepts", 0)),
            concept_versions_erased=int(counts.get("concept_versions", 0)),
        )
