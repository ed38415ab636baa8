"""ConceptService: creating and re-personalizing concepts (validate, then a background job),
reading, deleting."""

from __future__ import annotations

import asyncio
import logging
import uuid

import grpc
from google.protobuf import empty_pb2

from e4t.v1 import concept_pb2, concept_service_pb2, concept_service_pb2_grpc, operation_pb2
from e4t_registry.blobs import BlobStoreError
from e4t_registry.consent import require_active_consent
from e4t_registry.errors import NotFoundError
from e4t_registry.models import Concept, ConceptStatus
from e4t_registry.registry import Registry
from e4t_registry.uow import UnitOfWork
from e4t_server.api import convert, limits, names
from e4t_server.api.concept_jobs import ConceptJob, ConceptJobs
from e4t_server.api.context import current_principal
from e4t_server.api.errors import (
    failed_precondition,
    from_blob_error,
    invalid_field,
    not_found,
    unavailable,
)
from e4t_server.api.operations import CREATE_CONCEPT, REPERSONALIZE_CONCEPT, OperationViews
from e4t_server.api.routing import alias_state, hosted
from e4t_server.api.scoping import TenantScope
from e4t_server.serve.traffic import version_for

logger = logging.getLogger("e4t.concepts")


class ConceptViews:
    """Concept rows → messages (with their domain, subject and latest version names)."""

    def __init__(self, registry: Registry, scope: TenantScope) -> None:
        self.registry = registry
        self.scope = scope

    def concept(
        self, tenant: str, name: str, concept_id: uuid.UUID, tenant_id: uuid.UUID
    ) -> Concept:
        try:
            row = self.registry.concepts.get(tenant_id, concept_id)
        except NotFoundError:
            raise not_found(name) from None
        if row.status == ConceptStatus.DELETED:
            raise not_found(name)
        return row

    def message(self, row: Concept, tenant: str) -> concept_pb2.Concept:
        with UnitOfWork(self.registry.engine) as uow:
            domain = uow.domains.get(row.tenant_id, row.domain_id)
            subject = uow.subjects.get(row.tenant_id, row.subject_id)
            latest = uow.concept_versions.latest(row.tenant_id, row.id)
        return convert.concept(
            row,
            tenant_name=tenant,
            domain_name=domain.name,
            subject_external_id=subject.external_id,
            latest_version=None if latest is None else latest.version,
        )

    def version_message(
        self, row: convert.ConceptVersion, tenant: str, concept_resource: str
    ) -> concept_pb2.ConceptVersion:
        with UnitOfWork(self.registry.engine) as uow:
            domain_version = uow.domain_versions.get(row.tenant_id, row.domain_model_version_id)
            domain = uow.domains.get(row.tenant_id, domain_version.domain_id)
        return convert.concept_version(
            row,
            concept_resource=concept_resource,
            domain_version_resource=(
                f"{names.domain_name(tenant, domain.name)}/versions/{domain_version.version}"
            ),
        )


class ConceptServicer(concept_service_pb2_grpc.ConceptServiceServicer):
    def __init__(
        self,
        registry: Registry,
        scope: TenantScope,
        jobs: ConceptJobs,
        operations: OperationViews,
    ) -> None:
        self.registry = registry
        self.scope = scope
        self.jobs = jobs
        self.operations = operations
        self.views = ConceptViews(registry, scope)

    async def CreateConcept(
        self, request: concept_service_pb2.CreateConceptRequest, context: grpc.aio.ServicerContext
    ) -> operation_pb2.Operation:
        tenant = names.parse("tenant", request.parent, "parent")["tenant"]
        if request.concept_id:
            raise invalid_field("concept_id", "client-chosen concept ids are not supported yet")
        steps = request.tuning_steps or limits.DEFAULT_TUNING_STEPS
        limits.in_range(steps, limits.TUNING_STEPS, "tuning_steps")
        limits.max_length(request.concept.display_name, limits.DISPLAY_NAME_CHARS, "display_name")
        domain_parts = names.parse("domain", request.concept.domain, "concept.domain")
        consent_parts = names.parse("consent", request.concept.consent, "concept.consent")
        if domain_parts["tenant"] != tenant or consent_parts["tenant"] != tenant:
            raise invalid_field("concept", "domain and consent must be in the parent tenant")
        explicit = None
        if request.domain_model_version:
            version_parts = names.parse(
                "domain_version", request.domain_model_version, "domain_model_version"
            )
            if names.domain_name(tenant, version_parts["domain"]) != request.concept.domain:
                raise invalid_field("domain_model_version", "must be a version of concept.domain")
            explicit = int(version_parts["version"])
        extension = limits.check_image(request.image).lower()
        job, operation = await asyncio.to_thread(
            self._create, request, tenant, steps, explicit, extension
        )
        if job is not None:
            self.jobs.start(job)
        return operation

    def _create(
        self,
        request: concept_service_pb2.CreateConceptRequest,
        tenant: str,
        steps: int,
        explicit: int | None,
        extension: str,
    ) -> tuple[ConceptJob | None, operation_pb2.Operation]:
        """Validate, create the concept, keep its photo, then the operation and the job (None:
        a retry of an earlier call). A failure once the concept exists deletes it again."""
        tenant_id = self.scope.tenant_id(tenant, request.parent)
        principal = current_principal()
        if request.request_id:
            with UnitOfWork(self.registry.engine) as uow:
                existing = uow.operations.find_by_request_id(tenant_id, request.request_id)
            if existing is not None:  # a retry: answer with the first call's operation
                if existing.kind != CREATE_CONCEPT:
                    raise failed_precondition(
                        "REQUEST_ID_REUSED", "request_id used for another call"
                    )
                return None, self.operations.message(existing, tenant)
        domain = self.scope.domain(
            tenant_id, request.concept.domain.split("/")[-1], request.concept.domain
        )
        consent_parts = names.parse("consent", request.concept.consent, "concept.consent")
        subject = self.scope.subject(tenant_id, consent_parts["subject"], request.concept.consent)
        consent_id = names.as_uuid(consent_parts["consent"])
        state = alias_state(self.registry, tenant_id, domain.id)
        if state.production is None:
            raise failed_precondition(
                "NO_PRODUCTION_VERSION", f"{request.concept.domain} serves no version yet"
            )
        if explicit is not None and explicit not in state.live_numbers:
            raise failed_precondition(
                "NO_PRODUCTION_VERSION", f"version {explicit} is neither production nor canary"
            )
        concept = self.registry.concepts.create(
            tenant_id,
            domain_id=domain.id,
            subject_id=subject.id,
            consent_id=consent_id,
            display_name=request.concept.display_name,
            actor=principal.actor,
        )
        resource = names.concept_name(tenant, concept.id)
        try:
            # The photo is kept under the subject's consent so that the concept can be
            # re-personalized (a new domain model version); ending the consent, erasing the
            # subject or deleting the concept or tenant erases it.
            self._keep_source_image(request, tenant_id, concept, extension, principal.actor)
            number = explicit or version_for(concept.id, state.live)
            assert number is not None  # production exists
            version_row = self.registry.domains.get_version(tenant_id, domain.id, number)
            operation, created = self.registry.operations.create(
                tenant_id,
                kind=CREATE_CONCEPT,
                target=resource,
                request_id=request.request_id or None,
                progress_total=steps,
                actor=principal.actor,
            )
            if not created:  # a concurrent retry with the same request_id got there first
                if operation.kind != CREATE_CONCEPT:
                    raise failed_precondition(
                        "REQUEST_ID_REUSED", "request_id used for another call"
                    )
                self._discard(tenant_id, concept.id, principal.actor)
                return None, self.operations.message(operation, tenant)
        except Exception:
            self._discard(tenant_id, concept.id, principal.actor)
            raise
        job = ConceptJob(
            tenant_id=tenant_id,
            operation_id=operation.id,
            concept_id=concept.id,
            concept_resource=resource,
            domain_version_id=version_row.id,
            model=hosted(tenant, domain.name, version_row),
            image=request.image,
            steps=steps,
            seed=request.seed if request.HasField("seed") else 0,
            actor=principal.actor,
        )
        return job, self.operations.message(operation, tenant)

    def _keep_source_image(
        self,
        request: concept_service_pb2.CreateConceptRequest,
        tenant_id: uuid.UUID,
        concept: Concept,
        extension: str,
        actor: str,
    ) -> None:
        """Store the request's image as the concept's source image (blob first, row second)."""
        try:
            self.registry.concepts.add_source_image(
                tenant_id,
                subject_id=concept.subject_id,
                consent_id=concept.consent_id,
                concept_id=concept.id,
                image=request.image,
                extension=extension,
                actor=actor,
            )
        except BlobStoreError:
            raise unavailable("could not store the image: the blob store is unavailable") from None

    def _discard(self, tenant_id: uuid.UUID, concept_id: uuid.UUID, actor: str) -> None:
        """Delete a concept this call made but did not start (its kept photo with it)."""
        try:
            self.registry.concepts.delete(tenant_id, concept_id, actor=actor)
        except Exception:
            logger.exception("could not delete the half-made concept %s", concept_id)

    def _concept(self, name: str) -> tuple[str, uuid.UUID, Concept]:
        parts = names.parse("concept", name, "name")
        tenant_id = self.scope.tenant_id(parts["tenant"], name)
        return (
            parts["tenant"],
            tenant_id,
            self.views.concept(parts["tenant"], name, names.as_uuid(parts["concept"]), tenant_id),
        )

    async def GetConcept(
        self, request: concept_service_pb2.GetConceptRequest, context: grpc.aio.ServicerContext
    ) -> concept_pb2.Concept:
        def get() -> concept_pb2.Concept:
            tenant, _, row = self._concept(request.name)
            return self.views.message(row, tenant)

        return await asyncio.to_thread(get)

    async def ListConcepts(
        self, request: concept_service_pb2.ListConceptsRequest, context: grpc.aio.ServicerContext
    ) -> concept_service_pb2.ListConceptsResponse:
        limits.check_page_size(request.page_size)
        tenant = names.parse("tenant", request.parent, "parent")["tenant"]

        def list_concepts() -> concept_service_pb2.ListConceptsResponse:
            tenant_id = self.scope.tenant_id(tenant, request.parent)
            domain_id = subject_id = None
            if request.domain:
                parts = names.parse("domain", request.domain, "domain")
                domain_id = self.scope.domain(tenant_id, parts["domain"], request.domain).id
            if request.subject:
                parts = names.parse("subject", request.subject, "subject")
                subject_id = self.scope.subject(tenant_id, parts["subject"], request.subject).id
            status = {value: key for key, value in convert.CONCEPT_STATE.items()}.get(request.state)
            if request.state and status is None:
                return concept_service_pb2.ListConceptsResponse()
            page = self.registry.concepts.list(
                tenant_id,
                domain_id=domain_id,
                subject_id=subject_id,
                status=status,
                page_size=request.page_size,
                page_token=request.page_token or None,
            )
            return concept_service_pb2.ListConceptsResponse(
                concepts=[
                    self.views.message(row, tenant)
                    for row in page.items
                    if row.status != ConceptStatus.DELETED
                ],
                next_page_token=page.next_page_token or "",
            )

        return await asyncio.to_thread(list_concepts)

    async def DeleteConcept(
        self, request: concept_service_pb2.DeleteConceptRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        def delete() -> None:
            _, tenant_id, row = self._concept(request.name)
            self.registry.concepts.delete(tenant_id, row.id, actor=current_principal().actor)

        await asyncio.to_thread(delete)
        return empty_pb2.Empty()

    async def GetConceptVersion(
        self,
        request: concept_service_pb2.GetConceptVersionRequest,
        context: grpc.aio.ServicerContext,
    ) -> concept_pb2.ConceptVersion:
        parts = names.parse("concept_version", request.name, "name")
        concept_resource = names.concept_name(parts["tenant"], names.as_uuid(parts["concept"]))

        def get() -> concept_pb2.ConceptVersion:
            tenant, tenant_id, row = self._concept(concept_resource)
            with UnitOfWork(self.registry.engine) as uow:
                versions = uow.concept_versions.list_for_concepts(tenant_id, [row.id])
            for version in versions:
                if version.version == int(parts["version"]):
                    return self.views.version_message(version, tenant, concept_resource)
            raise not_found(request.name)

        return await asyncio.to_thread(get)

    async def ListConceptVersions(
        self,
        request: concept_service_pb2.ListConceptVersionsRequest,
        context: grpc.aio.ServicerContext,
    ) -> concept_service_pb2.ListConceptVersionsResponse:
        limits.check_page_size(request.page_size)

        def list_versions() -> concept_service_pb2.ListConceptVersionsResponse:
            tenant, tenant_id, row = self._concept(request.parent)
            page = self.registry.concepts.list_versions(
                tenant_id,
                row.id,
                page_size=request.page_size,
                page_token=request.page_token or None,
            )
            return concept_service_pb2.ListConceptVersionsResponse(
                concept_versions=[
                    self.views.version_message(version, tenant, request.parent)
                    for version in page.items
                ],
                next_page_token=page.next_page_token or "",
            )

        return await asyncio.to_thread(list_versions)

    async def RepersonalizeConcept(
        self,
        request: concept_service_pb2.RepersonalizeConceptRequest,
        context: grpc.aio.ServicerContext,
    ) -> operation_pb2.Operation:
        parts = names.parse("concept", request.name, "name")
        steps = request.tuning_steps or limits.DEFAULT_TUNING_STEPS
        limits.in_range(steps, limits.TUNING_STEPS, "tuning_steps")
        explicit = None
        if request.domain_model_version:
            version_parts = names.parse(
                "domain_version", request.domain_model_version, "domain_model_version"
            )
            if version_parts["tenant"] != parts["tenant"]:
                raise invalid_field("domain_model_version", "must be in the concept's tenant")
            explicit = (version_parts["domain"], int(version_parts["version"]))
        job, operation = await asyncio.to_thread(
            self._repersonalize, request, parts["tenant"], steps, explicit
        )
        if job is not None:
            self.jobs.start(job)
        return operation

    def _repersonalize(
        self,
        request: concept_service_pb2.RepersonalizeConceptRequest,
        tenant: str,
        steps: int,
        explicit: tuple[str, int] | None,
    ) -> tuple[ConceptJob | None, operation_pb2.Operation]:
        """Validate, then create the operation and the job (None: a retry of an earlier call)."""
        tenant_id = self.scope.tenant_id(tenant, request.name)
        principal = current_principal()
        concept_id = names.as_uuid(names.parse("concept", request.name, "name")["concept"])
        resource = names.concept_name(tenant, concept_id)
        if request.request_id:
            with UnitOfWork(self.registry.engine) as uow:
                existing = uow.operations.find_by_request_id(tenant_id, request.request_id)
            if existing is not None:  # a retry: answer with the first call's operation
                if existing.kind != REPERSONALIZE_CONCEPT or existing.target != resource:
                    raise failed_precondition(
                        "REQUEST_ID_REUSED", "request_id used for another call"
                    )
                return None, self.operations.message(existing, tenant)
        concept = self.views.concept(tenant, request.name, concept_id, tenant_id)
        with UnitOfWork(self.registry.engine) as uow:
            # Consent is checked at use time (first: a DISABLED concept lost its consent).
            require_active_consent(
                uow,
                tenant_id,
                consent_id=concept.consent_id,
                subject_id=concept.subject_id,
                purpose=self.registry.concepts.purpose,
                now=self.registry.clock(),
            )
            domain = uow.domains.get(tenant_id, concept.domain_id)
        if concept.status != ConceptStatus.ACTIVE:
            state = concept_pb2.Concept.State.Name(
                convert.CONCEPT_STATE.get(concept.status, concept_pb2.Concept.STATE_UNSPECIFIED)
            )
            raise failed_precondition(
                "CONCEPT_NOT_READY",
                f"{resource} is {state}; only an ACTIVE concept can be re-personalized",
                {"resource": resource},
            )
        if explicit is not None and explicit[0] != domain.name:
            raise invalid_field("domain_model_version", "must be a version of the concept's domain")
        state = alias_state(self.registry, tenant_id, domain.id)
        domain_resource = names.domain_name(tenant, domain.name)
        if state.production is None:
            raise failed_precondition(
                "NO_PRODUCTION_VERSION", f"{domain_resource} serves no version yet"
            )
        number = explicit[1] if explicit is not None else state.production[1]
        try:
            version_row = self.registry.domains.get_version(tenant_id, domain.id, number)
        except NotFoundError:
            raise not_found(request.domain_model_version) from None
        if number not in state.live_numbers:
            raise failed_precondition(
                "NO_PRODUCTION_VERSION", f"version {number} is neither production nor canary"
            )
        image = self._source_image(tenant_id, concept_id, resource)
        operation, created = self.registry.operations.create(
            tenant_id,
            kind=REPERSONALIZE_CONCEPT,
            target=resource,
            request_id=request.request_id or None,
            progress_total=steps,
            actor=principal.actor,
        )
        if not created:  # a concurrent retry with the same request_id got there first
            return None, self.operations.message(operation, tenant)
        job = ConceptJob(
            tenant_id=tenant_id,
            operation_id=operation.id,
            concept_id=concept_id,
            concept_resource=resource,
            domain_version_id=version_row.id,
            model=hosted(tenant, domain.name, version_row),
            image=image,
            steps=steps,
            seed=request.seed if request.HasField("seed") else 0,
            actor=principal.actor,
            repersonalize=True,
        )
        return job, self.operations.message(operation, tenant)

    def _source_image(self, tenant_id: uuid.UUID, concept_id: uuid.UUID, resource: str) -> bytes:
        """The stored photo the concept was made from, or FAILED_PRECONDITION without one."""
        row = self.registry.concepts.source_image(tenant_id, concept_id)
        if row is None:
            raise failed_precondition(
                "SOURCE_IMAGE_MISSING",
                f"{resource} has no stored source image to re-personalize from; "
                "create a new concept from the image instead",
                {"resource": resource},
            )
        try:
            return self.registry.concepts.read_source_image(row)
        except BlobStoreError as error:
            raise from_blob_error(error) from None
