"""The sweep's paired table: differences against the encoder alone, over people both scored."""

from __future__ import annotations

import json
from pathlib import Path

from e4t_server.demo.personalization_sweep import ENCODER_ONLY, paired_table


def test_the_table_pairs_each_variant_with_the_encoder_on_the_same_people(tmp_path: Path) -> None:
    rows = [
        (ENCODER_ONLY, 1, 0.10),
        (ENCODER_ONLY, 2, 0.20),
        (ENCODER_ONLY, 3, 0.90),  # only the encoder scored person 3: left out of every mean
        ("tuned", 1, 0.14),
        ("tuned", 2, 0.22),
    ]
    results = tmp_path / "sweep.jsonl"
    results.write_text(
        "".join(
            json.dumps({"variant": v, "identity_seed": p, "identity": s}) + "\n" for v, p, s in rows
        )
    )
    table = paired_table(results).splitlines()
    assert table[0].startswith("| variant (2 people)")
    assert table[2] == f"| {ENCODER_ONLY} | 0.150 | +0.000 ± 0.000 |"
    # differences 0.04 and 0.02: mean 0.03, sd 0.01414, CI 1.96 · 0.01414 / √2 = 0.0196
    assert table[3] == "| tuned | 0.180 | +0.030 ± 0.020 |"
