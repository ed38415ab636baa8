"""Fixtures the demo trainers' tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from e4t_server.demo.train_base import train_base
from tests.demo.tiny import TINY_BASE


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``train_base`` output of the tiny settings; tests only read it."""
    out = tmp_path_factory.mktemp("base")
    train_base(out, TINY_BASE, workers=1)
    return out
