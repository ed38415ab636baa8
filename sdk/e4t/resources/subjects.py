"""`client.subjects`: read and erase subjects (TENANT_ADMIN keys)."""

from __future__ import annotations

from e4t._calls import Page, PageCall, Unary, new_request_id, rpc
from e4t._names import Names
from e4t.pagination import AsyncPager, SyncPager
from e4t.resources._base import AsyncResource, SyncResource
from e4t.resources.consents import subject_name
from e4t.types import ErasureRecord, Subject
from e4t.v1 import consent_service_pb2

_SERVICE = "ConsentService"


def _get(names: Names, subject: str) -> Unary[Subject]:
    request = consent_service_pb2.GetSubjectRequest(name=subject_name(names, subject))
    return Unary(rpc(consent_service_pb2, _SERVICE, "GetSubject"), request, Subject.from_proto)


def _list_pages(
    names: Names, show_erased: bool, tenant: str | None, page_size: int
) -> PageCall[Subject]:
    parent = names.tenant(tenant)

    def page(token: str) -> Unary[Page[Subject]]:
        request = consent_service_pb2.ListSubjectsRequest(
            parent=parent, page_size=page_size, page_token=token, show_erased=show_erased
        )
        return Unary(
            rpc(consent_service_pb2, _SERVICE, "ListSubjects"),
            request,
            lambda r: Page([Subject.from_proto(s) for s in r.subjects], r.next_page_token),
        )

    return page


def _erase(names: Names, subject: str, request_id: str | None) -> Unary[ErasureRecord]:
    key = request_id or new_request_id()
    request = consent_service_pb2.EraseSubjectRequest(
        name=subject_name(names, subject), request_id=key
    )
    method = rpc(consent_service_pb2, _SERVICE, "EraseSubject")
    return Unary(method, request, ErasureRecord.from_proto, key)


class Subjects(SyncResource):
    """Subjects: the tenant's end users, by the tenant's own opaque IDs."""

    def get(self, subject: str) -> Subject:
        """Gets a subject by ID or name."""
        return self._transport.unary(_get(self._names, subject))

    def list(
        self, *, show_erased: bool = False, tenant: str | None = None, page_size: int = 0
    ) -> SyncPager[Subject]:
        """Lists subjects in ID order; `show_erased` includes erased ones."""
        return SyncPager(self._transport, _list_pages(self._names, show_erased, tenant, page_size))

    def erase(self, subject: str, *, request_id: str | None = None) -> ErasureRecord:
        """Erases a subject: revokes its consents and deletes its concepts, artifacts and images.

        Erasing an erased subject returns the first erasure record again.
        """
        return self._transport.unary(_erase(self._names, subject, request_id))


class AsyncSubjects(AsyncResource):
    """The async form of `Subjects`."""

    async def get(self, subject: str) -> Subject:
        """Gets a subject. See `Subjects.get`."""
        return await self._transport.unary(_get(self._names, subject))

    def list(
        self, *, show_erased: bool = False, tenant: str | None = None, page_size: int = 0
    ) -> AsyncPager[Subject]:
        """Lists subjects; iterate with `async for`."""
        return AsyncPager(self._transport, _list_pages(self._names, show_erased, tenant, page_size))

    async def erase(self, subject: str, *, request_id: str | None = None) -> ErasureRecord:
        """Erases a subject. See `Subjects.erase`."""
        return await self._transport.unary(_erase(self._names, subject, request_id))
