"""`client.concepts`: register a concept from one image, read, list and delete concepts."""

from __future__ import annotations

from functools import cached_property

from google.protobuf import empty_pb2

from e4t._calls import Page, PageCall, Unary, new_request_id, rpc
from e4t._image_input import ImageInput, image_bytes
from e4t._names import Names
from e4t.operation import AsyncOperation, Operation
from e4t.pagination import AsyncPager, SyncPager
from e4t.resources._base import AsyncResource, SyncResource
from e4t.resources.consents import subject_name
from e4t.types import (
    Concept,
    ConceptState,
    ConceptVersion,
    Consent,
    Domain,
    DomainModelVersion,
    OperationSnapshot,
)
from e4t.v1 import concept_pb2, concept_service_pb2

_SERVICE = "ConceptService"


def _concept_name(names: Names, concept: str | Concept) -> str:
    ref = concept.name if isinstance(concept, Concept) else concept
    return names.under_tenant(ref, "concepts")


def _ref(value: str | Consent | Domain | DomainModelVersion) -> str:
    return value if isinstance(value, str) else value.name


def _create(
    names: Names,
    image: ImageInput,
    consent: str | Consent,
    domain: str | Domain,
    display_name: str,
    concept_id: str,
    tuning_steps: int,
    seed: int | None,
    domain_model_version: str | DomainModelVersion,
    tenant: str | None,
    request_id: str | None,
) -> Unary[OperationSnapshot]:
    key = request_id or new_request_id()
    request = concept_service_pb2.CreateConceptRequest(
        parent=names.tenant(tenant),
        concept=concept_pb2.Concept(
            display_name=display_name,
            domain=names.under_tenant(_ref(domain), "domains", tenant),
            consent=_ref(consent),
        ),
        concept_id=concept_id,
        image=image_bytes(image),
        tuning_steps=tuning_steps,
        seed=seed,
        domain_model_version=_ref(domain_model_version),
        request_id=key,
    )
    method = rpc(concept_service_pb2, _SERVICE, "CreateConcept")
    return Unary(method, request, OperationSnapshot.from_proto, key)


def _get(names: Names, concept: str | Concept) -> Unary[Concept]:
    request = concept_service_pb2.GetConceptRequest(name=_concept_name(names, concept))
    return Unary(rpc(concept_service_pb2, _SERVICE, "GetConcept"), request, Concept.from_proto)


def _list_pages(
    names: Names,
    domain: str | Domain | None,
    subject: str | None,
    state: ConceptState | str | None,
    tenant: str | None,
    page_size: int,
) -> PageCall[Concept]:
    parent = names.tenant(tenant)
    domain_name = names.under_tenant(_ref(domain), "domains", tenant) if domain else ""
    subject_filter = subject_name(names, subject, tenant) if subject else ""
    state_number = concept_pb2.Concept.STATE_UNSPECIFIED
    if state:
        state_number = concept_pb2.Concept.State.Value(ConceptState(str(state).upper()))

    def page(token: str) -> Unary[Page[Concept]]:
        request = concept_service_pb2.ListConceptsRequest(
            parent=parent,
            page_size=page_size,
            page_token=token,
            domain=domain_name,
            subject=subject_filter,
            state=state_number,
        )
        return Unary(
            rpc(concept_service_pb2, _SERVICE, "ListConcepts"),
            request,
            lambda r: Page([Concept.from_proto(c) for c in r.concepts], r.next_page_token),
        )

    return page


def _delete(names: Names, concept: str | Concept, request_id: str | None) -> Unary[None]:
    key = request_id or new_request_id()
    request = concept_service_pb2.DeleteConceptRequest(
        name=_concept_name(names, concept), request_id=key
    )
    method = rpc(concept_service_pb2, _SERVICE, "DeleteConcept")

    def nothing(_: empty_pb2.Empty) -> None:
        return None

    return Unary(method, request, nothing, key)


def _get_version(names: Names, concept: str | Concept, version: str | int) -> Unary[ConceptVersion]:
    name = Names.under(_concept_name(names, concept), "versions", version)
    request = concept_service_pb2.GetConceptVersionRequest(name=name)
    method = rpc(concept_service_pb2, _SERVICE, "GetConceptVersion")
    return Unary(method, request, ConceptVersion.from_proto)


def _list_version_pages(
    names: Names, concept: str | Concept, page_size: int
) -> PageCall[ConceptVersion]:
    parent = _concept_name(names, concept)

    def page(token: str) -> Unary[Page[ConceptVersion]]:
        request = concept_service_pb2.ListConceptVersionsRequest(
            parent=parent, page_size=page_size, page_token=token
        )
        return Unary(
            rpc(concept_service_pb2, _SERVICE, "ListConceptVersions"),
            request,
            lambda r: Page(
                [ConceptVersion.from_proto(v) for v in r.concept_versions], r.next_page_token
            ),
        )

    return page


def _repersonalize(
    names: Names,
    concept: str | Concept,
    domain_model_version: str | DomainModelVersion,
    tuning_steps: int,
    seed: int | None,
    request_id: str | None,
) -> Unary[OperationSnapshot]:
    key = request_id or new_request_id()
    request = concept_service_pb2.RepersonalizeConceptRequest(
        name=_concept_name(names, concept),
        domain_model_version=_ref(domain_model_version),
        tuning_steps=tuning_steps,
        seed=seed,
        request_id=key,
    )
    method = rpc(concept_service_pb2, _SERVICE, "RepersonalizeConcept")
    return Unary(method, request, OperationSnapshot.from_proto, key)


class ConceptVersions(SyncResource):
    """`client.concepts.versions`: a concept's personalizations, one per domain model version."""

    def get(self, concept: str | Concept, version: str | int) -> ConceptVersion:
        """Gets a version by number (`1`) or full name."""
        return self._transport.unary(_get_version(self._names, concept, version))

    def list(self, concept: str | Concept, *, page_size: int = 0) -> SyncPager[ConceptVersion]:
        """Lists a concept's versions, newest first."""
        return SyncPager(self._transport, _list_version_pages(self._names, concept, page_size))


class AsyncConceptVersions(AsyncResource):
    """The async form of `ConceptVersions`."""

    async def get(self, concept: str | Concept, version: str | int) -> ConceptVersion:
        """Gets a version. See `ConceptVersions.get`."""
        return await self._transport.unary(_get_version(self._names, concept, version))

    def list(self, concept: str | Concept, *, page_size: int = 0) -> AsyncPager[ConceptVersion]:
        """Lists a concept's versions; iterate with `async for`."""
        return AsyncPager(self._transport, _list_version_pages(self._names, concept, page_size))


class Concepts(SyncResource):
    """Concepts: personalized identities, each registered from one image (APP keys)."""

    @cached_property
    def versions(self) -> ConceptVersions:
        """The concept versions."""
        return ConceptVersions(self._transport)

    def create(
        self,
        *,
        image: ImageInput,
        consent: str | Consent,
        domain: str | Domain,
        display_name: str = "",
        concept_id: str = "",
        tuning_steps: int = 0,
        seed: int | None = None,
        domain_model_version: str | DomainModelVersion = "",
        tenant: str | None = None,
        request_id: str | None = None,
    ) -> Operation[Concept]:
        """Starts personalizing a concept from one image and returns the operation at once.

        The concept is readable at once (state CREATING). Wait for it with
        `op.result(timeout=...)` or `op.wait(progress=callback)`.

        Args:
            image: A path, PNG/JPEG/WebP bytes, a binary file object or a PIL image (≤ 10 MiB).
            consent: The subject's ACTIVE consent (its name or the `Consent`).
            domain: The domain ID, name or `Domain`.
            display_name: A human-readable name.
            concept_id: Its ID (`[a-z0-9-]`, starting with a letter); default: a UUID.
            tuning_steps: Personalization steps, 5-15; 0 means the default (10).
            seed: Seed of personalization; default: chosen by the server.
            domain_model_version: Tune against this version; default: the traffic split's pick.
            tenant: Default: the client's tenant.
            request_id: Idempotency key; a retried call returns the same operation.

        Raises:
            InvalidArgumentError: The image is too large or unreadable, or a field is invalid.
            FailedPreconditionError: The consent is not ACTIVE (reason `CONSENT_NOT_ACTIVE`) or
                the domain serves no version (`NO_PRODUCTION_VERSION`).
        """
        call = _create(
            self._names,
            image,
            consent,
            domain,
            display_name,
            concept_id,
            tuning_steps,
            seed,
            domain_model_version,
            tenant,
            request_id,
        )
        return Operation(self._transport, self._transport.unary(call))

    def get(self, concept: str | Concept) -> Concept:
        """Gets a concept by ID or name."""
        return self._transport.unary(_get(self._names, concept))

    def list(
        self,
        *,
        domain: str | Domain | None = None,
        subject: str | None = None,
        state: ConceptState | str | None = None,
        tenant: str | None = None,
        page_size: int = 0,
    ) -> SyncPager[Concept]:
        """Lists concepts, newest first; the filters combine with AND.

        Args:
            domain: Only concepts of this domain.
            subject: Only concepts of this subject.
            state: Only concepts in this state.
            tenant: Default: the client's tenant.
            page_size: Items per page; 0 is the server default (50).
        """
        pages = _list_pages(self._names, domain, subject, state, tenant, page_size)
        return SyncPager(self._transport, pages)

    def delete(self, concept: str | Concept, *, request_id: str | None = None) -> None:
        """Deletes a concept with its versions, artifacts and source image."""
        self._transport.unary(_delete(self._names, concept, request_id))

    def repersonalize(
        self,
        concept: str | Concept,
        *,
        domain_model_version: str | DomainModelVersion = "",
        tuning_steps: int = 0,
        seed: int | None = None,
        request_id: str | None = None,
    ) -> Operation[ConceptVersion]:
        """Personalizes an ACTIVE concept again from its stored source image, as a new version.

        Returns the operation at once; `op.result(timeout=...)` gives the new `ConceptVersion`.
        A failed or cancelled operation leaves the concept and its versions as they were.

        Args:
            concept: The concept ID, name or `Concept`.
            domain_model_version: Tune against this live (production or canary) version of the
                concept's domain, e.g. a new canary; default: production.
            tuning_steps: Personalization steps, 5-15; 0 means the default (10).
            seed: Seed of personalization; default: chosen by the server.
            request_id: Idempotency key; a retried call returns the same operation.

        Raises:
            FailedPreconditionError: The concept has no stored source image
                (`SOURCE_IMAGE_MISSING`), its consent is not ACTIVE (`CONSENT_NOT_ACTIVE`), it
                is not ACTIVE (`CONCEPT_NOT_READY`) or the version is not live
                (`NO_PRODUCTION_VERSION`).
            NotFoundError: No such concept or domain model version.
        """
        call = _repersonalize(
            self._names, concept, domain_model_version, tuning_steps, seed, request_id
        )
        return Operation(self._transport, self._transport.unary(call))


class AsyncConcepts(AsyncResource):
    """The async form of `Concepts`."""

    @cached_property
    def versions(self) -> AsyncConceptVersions:
        """The concept versions."""
        return AsyncConceptVersions(self._transport)

    async def create(
        self,
        *,
        image: ImageInput,
        consent: str | Consent,
        domain: str | Domain,
        display_name: str = "",
        concept_id: str = "",
        tuning_steps: int = 0,
        seed: int | None = None,
        domain_model_version: str | DomainModelVersion = "",
        tenant: str | None = None,
        request_id: str | None = None,
    ) -> AsyncOperation[Concept]:
        """Starts personalizing a concept from one image. See `Concepts.create`."""
        call = _create(
            self._names,
            image,
            consent,
            domain,
            display_name,
            concept_id,
            tuning_steps,
            seed,
            domain_model_version,
            tenant,
            request_id,
        )
        return AsyncOperation(self._transport, await self._transport.unary(call))

    async def get(self, concept: str | Concept) -> Concept:
        """Gets a concept. See `Concepts.get`."""
        return await self._transport.unary(_get(self._names, concept))

    def list(
        self,
        *,
        domain: str | Domain | None = None,
        subject: str | None = None,
        state: ConceptState | str | None = None,
        tenant: str | None = None,
        page_size: int = 0,
    ) -> AsyncPager[Concept]:
        """Lists concepts; iterate with `async for`. See `Concepts.list`."""
        pages = _list_pages(self._names, domain, subject, state, tenant, page_size)
        return AsyncPager(self._transport, pages)

    async def delete(self, concept: str | Concept, *, request_id: str | None = None) -> None:
        """Deletes a concept. See `Concepts.delete`."""
        await self._transport.unary(_delete(self._names, concept, request_id))

    async def repersonalize(
        self,
        concept: str | Concept,
        *,
        domain_model_version: str | DomainModelVersion = "",
        tuning_steps: int = 0,
        seed: int | None = None,
        request_id: str | None = None,
    ) -> AsyncOperation[ConceptVersion]:
        """Personalizes a concept again. See `Concepts.repersonalize`."""
        call = _repersonalize(
            self._names, concept, domain_model_version, tuning_steps, seed, request_id
        )
        return AsyncOperation(self._transport, await self._transport.unary(call))
