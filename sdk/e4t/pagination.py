"""Lists that fetch their pages lazily: `for concept in client.concepts.list(): ...`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Generic, TypeVar

from e4t._calls import Page, PageCall
from e4t._transport import AsyncTransport, SyncTransport

T = TypeVar("T")


class SyncPager(Generic[T]):
    """Iterates over every item of a list call, asking for the next page when one runs out.

    Iterate over it for items, or call `pages()` for one `Page` at a time.
    """

    def __init__(self, transport: SyncTransport, page_call: PageCall[T]) -> None:
        self._transport = transport
        self._page_call = page_call

    def pages(self) -> Iterator[Page[T]]:
        """Yields the pages in order; only an empty `next_page_token` ends the list."""
        token = ""
        while True:
            page = self._transport.unary(self._page_call(token))
            yield page
            if not page.next_page_token:
                return
            token = page.next_page_token

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def to_list(self) -> list[T]:
        """All items of all pages."""
        return list(self)


class AsyncPager(Generic[T]):
    """The async form of `SyncPager`: `async for item in pager`, or `pager.pages()`."""

    def __init__(self, transport: AsyncTransport, page_call: PageCall[T]) -> None:
        self._transport = transport
        self._page_call = page_call

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yields the pages in order; only an empty `next_page_token` ends the list."""
        token = ""
        while True:
            page = await self._transport.unary(self._page_call(token))
            yield page
            if not page.next_page_token:
                return
            token = page.next_page_token

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def to_list(self) -> list[T]:
        """All items of all pages."""
        return [item async for item in self]
