"""The demo's result files: rows round-trip, resumes see what is finished, and the CI formula."""

from __future__ import annotations

from pathlib import Path

import pytest

from e4t_server.demo.results_file import append_row, ci95, finished, read_rows


def test_appended_rows_read_back_and_name_what_is_finished(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    assert read_rows(results) == [] and finished(results, "method") == set()
    append_row(results, {"method": "a", "identity_seed": 1, "identity": 0.5})
    append_row(results, {"method": "b", "identity_seed": 2, "identity": 0.25})
    assert [row["identity"] for row in read_rows(results)] == [0.5, 0.25]
    assert finished(results, "method") == {("a", 1), ("b", 2)}


def test_ci95_is_the_normal_half_width_of_the_mean() -> None:
    # sd of (0.04, 0.02) is 0.01414; 1.96 · 0.01414 / √2 = 0.0196
    assert ci95([0.04, 0.02]) == pytest.approx(0.0196, abs=1e-6)
    assert ci95([0.3]) == 0.0
