"""CLI test fixtures: one live service for the folder (the SDK tests' stack)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sdk.live_stack import LiveStack, live_stack


@pytest.fixture(scope="package")
def stack(serve_runtime: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    with live_stack(tmp_path_factory.mktemp("cli-stack")) as running:
        yield running
