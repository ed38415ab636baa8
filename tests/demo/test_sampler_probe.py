"""The sampler probe: its setting syntax and one tiny run on the shipped demo model."""

from __future__ import annotations

import dataclasses

import pytest

from e4t_server.demo import pretrained
from e4t_server.demo.base_probe import load_base
from e4t_server.demo.sampler_probe import (
    TABLE_HEADER,
    SamplerProbe,
    SamplerSetting,
    table_row,
)


def test_a_setting_reads_guidance_eta_steps_and_the_optional_context_negative() -> None:
    assert SamplerSetting.parse("3,0,25") == SamplerSetting(3.0, 0.0, 25, False)
    assert SamplerSetting.parse("1.5,1,50,context") == SamplerSetting(1.5, 1.0, 50, True)


@pytest.mark.parametrize(
    "text",
    [
        "3,0",
        "3,0,25,empty",
        "a,0,25",
        "nan,0,25",
        "inf,0,25",
        "3,nan,25",
        "3,0,2.5",
        "3,2,25",
        "-1,0,25",
        "3,0,0",
    ],
)
def test_a_malformed_setting_is_refused_with_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected|numbers|need"):
        SamplerSetting.parse(text)


def test_a_tiny_run_scores_every_column_in_range_and_repeats_exactly() -> None:
    probe = SamplerProbe.load(load_base(pretrained.face_domain_dir()))
    setting = SamplerSetting(3.0, 1.0, 2, True)  # ancestral: the seeded generator must fix it
    first = probe.score(setting, people=1)
    second = probe.score(setting, people=1)
    scores = {k: v for k, v in dataclasses.asdict(first).items() if k != "seconds"}
    assert scores == {k: v for k, v in dataclasses.asdict(second).items() if k != "seconds"}
    assert all(-1 <= value <= 1 for value in scores.values())
    row = table_row(setting, first)
    assert row.count("|") == TABLE_HEADER.splitlines()[0].count("|")
    assert row.startswith("| 3 | 1 | 2 | context |")
