"""The report's paired table: per-identity differences over the identities every method has."""

from __future__ import annotations

from e4t_server.demo.report import paired_table


def test_pairs_differ_per_identity_and_skip_unfinished_identities() -> None:
    order = ["a", "b"]
    rows: list[dict[str, object]] = [
        {"method": "a", "identity_seed": 1, "identity": 0.30},
        {"method": "b", "identity_seed": 1, "identity": 0.10},
        {"method": "a", "identity_seed": 2, "identity": 0.20},
        {"method": "b", "identity_seed": 2, "identity": 0.20},
        {"method": "a", "identity_seed": 3, "identity": 0.90},  # b never finished person 3
    ]
    lines = paired_table(rows, order, [("a", "b"), ("a", "missing")]).splitlines()
    # differences 0.2 and 0.0: mean 0.1, sd 0.1414, CI 1.96 · 0.1414 / √2 = 0.196
    assert lines[2:] == ["| a − b | +0.100 ± 0.196 | 1/2 |"]
