"""The demo's result files: one JSON row per line, appended as each result is finished, so a
stopped run resumes where it was; and the confidence half-width every summary of them uses."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of ``path`` (none when it does not exist yet)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def append_row(path: Path, row: dict[str, Any]) -> None:
    """Add one finished result to ``path``."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")


def finished(path: Path, name_key: str) -> set[tuple[str, int]]:
    """The (method or variant name, identity seed) pairs ``path`` already holds."""
    return {(row[name_key], row["identity_seed"]) for row in read_rows(path)}


def ci95(values: Sequence[float] | np.ndarray) -> float:
    """95 % confidence half-width of the mean of ``values``: 1.96 · sd / √n (0 for fewer than
    two values)."""
    array = np.asarray(values, dtype=float)
    if len(array) < 2:
        return 0.0
    return float(1.96 * array.std(ddof=1) / math.sqrt(len(array)))
