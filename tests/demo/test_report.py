"""The report's paired table: per-identity differences over the identities every method has;
the subset tables of a replication."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from PIL import Image

from e4t_server.demo.evaluate import (
    RESULTS_FILE,
    EvaluationSettings,
    figure_image_name,
    row_order,
)
from e4t_server.demo.report import (
    CELL,
    HEADER,
    figure,
    paired_table,
    per_prompt_table,
    subset_tables,
    write_report,
)
from e4t_server.demo.results_file import append_row


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


def test_the_subset_tables_use_only_the_later_identities(tmp_path: Path) -> None:
    settings = EvaluationSettings()
    (tmp_path / "settings.json").write_text(json.dumps(asdict(settings)))
    for seed, score in ((1, 0.9), (2, 0.2)):
        for name in row_order(settings):
            append_row(
                tmp_path / RESULTS_FILE,
                {
                    "method": name,
                    "identity_seed": seed,
                    "identity": score,
                    "background": 1.0,
                    "style": 1.0,
                    "lighting": 1.0,
                    "seconds": 0.0,
                    "stored_bytes": 0,
                },
            )
    tables = subset_tables(tmp_path, from_identity=2)
    assert "| class word only | 0.200 ± 0.000 |" in tables
    assert "0.900" not in tables and "0.550" not in tables
    assert "| E4T + 15 steps − class word only | +0.000 ± 0.000 | 0/1 |" in tables
    first_look = subset_tables(tmp_path, before_identity=2)
    assert "| class word only | 0.900 ± 0.000 |" in first_look and "0.200" not in first_look
    chance = "other people's true renders (chance level)"
    assert f"| Textual Inversion, 200 steps − {chance} | +0.000 ± 0.000 | 0/1 |" in tables


def test_only_the_selected_methods_count_so_a_slow_method_does_not_shrink_the_table(
    tmp_path: Path,
) -> None:
    settings = EvaluationSettings()
    (tmp_path / "settings.json").write_text(json.dumps(asdict(settings)))
    for seed, score in ((1, 0.9), (2, 0.2)):
        for name in row_order(settings):
            if seed == 2 and "200 steps" in name:
                continue  # the long runs have not reached person 2 yet
            row = {"method": name, "identity_seed": seed, "identity": score}
            scores = dict.fromkeys(("background", "style", "lighting", "seconds"), 0.0)
            append_row(tmp_path / RESULTS_FILE, {**row, **scores, "stored_bytes": 0})
    every = subset_tables(tmp_path)
    assert "| class word only | 0.900 ± 0.000 |" in every  # person 1 only: complete
    assert "Textual Inversion, 200 steps |" in every
    short = subset_tables(tmp_path, only=("class word", "E4T", "15 steps", "render"))
    assert "| class word only | 0.550 ± 0.686 |" in short  # both people: (0.9 + 0.2) / 2
    assert "200 steps" not in short
    written = write_report(tmp_path, only=("class word", "E4T", "15 steps", "render"))
    assert written == short and (tmp_path / "figure.png").is_file()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {entry["identities"] for entry in summary["methods"]} == {2}


def test_the_per_prompt_table_averages_each_prompt_over_complete_identities() -> None:
    order = ["a", "b"]
    rows: list[dict[str, object]] = [
        {"method": "a", "identity_seed": 1, "identity_per_prompt": [0.1, 0.2, 0.3, 0.4]},
        {"method": "b", "identity_seed": 1, "identity_per_prompt": [0.0, 0.0, 0.0, 0.0]},
        {"method": "a", "identity_seed": 2, "identity_per_prompt": [0.3, 0.4, 0.5, 0.6]},
        {"method": "b", "identity_seed": 2, "identity_per_prompt": [0.2, 0.2, 0.2, 0.2]},
        {"method": "a", "identity_seed": 3, "identity_per_prompt": [1.0, 1.0, 1.0, 1.0]},
    ]
    lines = per_prompt_table(rows, order).splitlines()
    assert lines[2:] == [
        "| a | 0.200 | 0.300 | 0.400 | 0.500 |",
        "| b | 0.100 | 0.100 | 0.100 | 0.100 |",
    ]
    older = [{k: v for k, v in row.items() if k != "identity_per_prompt"} for row in rows]
    assert per_prompt_table(older, order) == ""


def test_a_figure_of_chosen_methods_takes_each_image_from_its_own_method(tmp_path: Path) -> None:
    order = row_order(EvaluationSettings())
    shown = [name for name in order if "200 steps" not in name]
    fast_ti = "Textual Inversion, 15 steps, lr 0.05"  # after the 200-step rows in the run
    Image.new("RGB", (32, 32), "white").save(tmp_path / "input_7.png")
    image = figure_image_name(7, fast_ti, 0)
    Image.new("RGB", (32, 32), (255, 0, 0)).save(tmp_path / image)
    canvas = figure(tmp_path, shown)
    assert canvas.width == CELL * (1 + len(shown))
    column = 1 + shown.index(fast_ti)
    assert canvas.getpixel((column * CELL + CELL // 2, HEADER + CELL // 2)) == (255, 0, 0)
    assert canvas.getpixel(((column - 1) * CELL + CELL // 2, HEADER + CELL // 2)) == (255, 255, 255)
