"""Summarize an evaluation run: a Markdown table, ``summary.json`` and a PNG figure.

    python -m e4t_server.demo.report --run docs/demo-eval

Every score is a mean over identities (each identity's score is itself the mean over its
prompts and samples); ± is the 95 % confidence half-width over identities (1.96 · sd / √n).
Seconds per concept are the median over identities: robust to other work on a shared machine.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from e4t_server.demo.evaluate import (
    FIGURE_IDENTITIES,
    OTHER_RENDER,
    RESULTS_FILE,
    EvaluationSettings,
    figure_image_name,
    methods,
    row_order,
)
from e4t_server.demo.results_file import ci95, read_rows
from e4t_server.demo.scenes import PROMPT_CONTEXTS
from e4t_server.demo.selection import add_only_option, selected

SCORES = ("identity", "background", "style", "lighting", "seconds", "stored_bytes")
FIGURE_PROMPTS = (0, 2)
HEADER_LINES = 4
"""Lines of a column's label: enough for a row name with its settings."""
HEADER = 4 + 12 * HEADER_LINES
CELL = 64


def complete_rows(rows: list[dict[str, object]], order: list[str]) -> list[dict[str, object]]:
    """Rows of the identities every method has finished (a stopped run leaves the last one
    partly done), so each method is averaged over the same people."""
    methods_of: dict[object, set[str]] = defaultdict(set)
    for row in rows:
        methods_of[row["identity_seed"]].add(str(row["method"]))
    complete = {seed for seed, names in methods_of.items() if names >= set(order)}
    return [row for row in rows if row["identity_seed"] in complete]


def summarize(rows: list[dict[str, object]], order: list[str]) -> list[dict[str, object]]:
    """One summary row per method, in ``order``, over the identities all methods finished."""
    by_method: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in complete_rows(rows, order):
        by_method[str(row["method"])].append(row)
    summary = []
    for name in order:
        group = by_method.get(name, [])
        if not group:
            continue
        entry: dict[str, object] = {"method": name, "identities": len(group)}
        for score in SCORES:
            values = np.array([float(row[score]) for row in group])  # type: ignore[arg-type]
            entry[score] = float(np.median(values) if score == "seconds" else values.mean())
            entry[f"{score}_ci95"] = ci95(values)
        summary.append(entry)
    return summary


def markdown_table(summary: list[dict[str, object]]) -> str:
    """The summary as a Markdown table."""
    lines = [
        "| method | identity similarity ↑ | background | style | lighting "
        "| s / concept | bytes / concept |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in summary:
        lines.append(
            f"| {entry['method']} | {entry['identity']:.3f} ± {entry['identity_ci95']:.3f} "
            f"| {entry['background']:.2f} | {entry['style']:.2f} | {entry['lighting']:.2f} "
            f"| {entry['seconds']:.1f} | {int(entry['stored_bytes']):,} |"  # type: ignore[call-overload]
        )
    return "\n".join(lines) + "\n"


def per_prompt_table(rows: list[dict[str, object]], order: list[str]) -> str:
    """Markdown: each method's identity similarity per prompt, over the complete identities
    whose rows hold per-prompt scores (runs before 2026-11-27 did not record them: "")."""
    scores: dict[str, list[list[float]]] = defaultdict(list)
    for row in complete_rows(rows, order):
        if "identity_per_prompt" in row:
            scores[str(row["method"])].append(list(row["identity_per_prompt"]))  # type: ignore[call-overload]
    if not scores:
        return ""
    prompts = [f"{style} / {background}" for style, background, _ in PROMPT_CONTEXTS]
    lines = [f"| method | {' | '.join(prompts)} |", f"|---|{'---:|' * len(prompts)}"]
    for name in order:
        if name in scores:
            means = np.mean(np.array(scores[name]), axis=0)
            lines.append(f"| {name} | {' | '.join(f'{value:.3f}' for value in means)} |")
    return "\n".join(lines) + "\n"


def paired_comparisons(settings: EvaluationSettings) -> list[tuple[str, str]]:
    """(first, second) method pairs the paired table compares: every E4T row against the
    baselines at its budget, at their long budget and against the class word alone; then every
    method against the chance level (other people's renders), which says whether it keeps any
    identity at all."""
    names = list(methods(settings))
    e4t = [name for name in names if name.startswith("E4T")]
    rivals = [name for name in names if "Textual Inversion" in name or "LoRA" in name]
    against_rivals = [(first, second) for first in e4t for second in [*rivals, names[0]]]
    return [*against_rivals, *((name, OTHER_RENDER) for name in names)]


def paired_table(
    rows: list[dict[str, object]], order: list[str], pairs: list[tuple[str, str]]
) -> str:
    """Markdown: per pair, the mean per-identity difference in identity similarity ± its 95 %
    CI, and on how many identities the first method scored higher."""
    identity: dict[str, dict[object, float]] = defaultdict(dict)
    for row in complete_rows(rows, order):
        identity[str(row["method"])][row["identity_seed"]] = float(row["identity"])  # type: ignore[arg-type]
    lines = ["| comparison | difference | first higher |", "|---|---:|---:|"]
    for first, second in pairs:
        people = sorted(identity[first], key=str)
        if not people or second not in identity:
            continue
        difference = np.array([identity[first][p] - identity[second][p] for p in people])
        lines.append(
            f"| {first} − {second} | {difference.mean():+.3f} ± {ci95(difference):.3f} "
            f"| {int((difference > 0).sum())}/{len(difference)} |"
        )
    return "\n".join(lines) + "\n"


def figure(run: Path, shown: list[str]) -> Image.Image:
    """Rows: an identity × prompt; columns: the input, then the first sample of each method in
    ``shown``."""
    identities = sorted(int(p.stem.split("_")[1]) for p in run.glob("input_*.png"))
    identities = identities[:FIGURE_IDENTITIES]
    columns = ["input", *shown]
    canvas = Image.new(
        "RGB", (CELL * len(columns), HEADER + CELL * len(identities) * len(FIGURE_PROMPTS)), "white"
    )
    draw = ImageDraw.Draw(canvas)
    for column, name in enumerate(columns):
        label = name.replace("Textual Inversion", "TI").replace("LoRA-DreamBooth", "LoRA")
        label = label.replace("true render (upper reference)", "true render")
        label = label.replace("other people's true renders (chance level)", "other people")
        label = label.replace("λ_emb", "L_emb")  # the default font has no Greek
        for line, text in enumerate(_wrap(label, 11)[:HEADER_LINES]):
            draw.text((column * CELL + 2, 2 + 12 * line), text, fill="black")
    row = 0
    for identity_seed in identities:
        source = Image.open(run / f"input_{identity_seed}.png").convert("RGB")
        for prompt_index in FIGURE_PROMPTS:
            top = HEADER + row * CELL
            canvas.paste(source.resize((CELL, CELL), Image.Resampling.NEAREST), (0, top))
            for column, name in enumerate(shown, start=1):
                path = run / figure_image_name(identity_seed, name, prompt_index)
                if path.is_file():
                    image = Image.open(path).convert("RGB")
                    canvas.paste(
                        image.resize((CELL, CELL), Image.Resampling.NEAREST), (column * CELL, top)
                    )
            row += 1
    return canvas


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _load(
    run: Path, only: tuple[str, ...] = ()
) -> tuple[EvaluationSettings, list[str], list[dict[str, object]]]:
    """The run's settings, its table rows (those ``only`` selects) and their result rows."""
    settings = EvaluationSettings(**json.loads((run / "settings.json").read_text()))
    order = [name for name in row_order(settings) if selected(name, only)]
    rows = [row for row in read_rows(run / RESULTS_FILE) if row["method"] in order]
    return settings, order, rows


def _tables(
    settings: EvaluationSettings, order: list[str], rows: list[dict[str, object]]
) -> tuple[list[dict[str, object]], str, str]:
    """The summary rows, their Markdown table and the paired table (followed by the
    per-prompt table where the rows have one)."""
    summary = summarize(rows, order)
    paired = paired_table(rows, order, paired_comparisons(settings))
    per_prompt = per_prompt_table(rows, order)
    if per_prompt:
        paired += f"\nIdentity similarity per prompt:\n\n{per_prompt}"
    return summary, markdown_table(summary), paired


def write_report(run: Path, only: tuple[str, ...] = ()) -> str:
    """Write ``summary.json``, ``summary.md`` and ``figure.png`` into ``run`` over the methods
    ``only`` selects (default: all); returns the tables."""
    settings, order, rows = _load(run, only)
    summary, table, paired = _tables(settings, order, rows)
    (run / "summary.json").write_text(
        json.dumps({"settings": settings.__dict__, "methods": summary}, indent=2) + "\n"
    )
    prompts = ", ".join(f"{s} / {b} background / {light}" for s, b, light in PROMPT_CONTEXTS)
    (run / "summary.md").write_text(
        f"Prompts: {prompts}.\n\n{table}\nPaired per identity:\n\n{paired}", encoding="utf-8"
    )
    figure(run, order).save(run / "figure.png")
    return f"{table}\n{paired}"


def subset_tables(
    run: Path,
    from_identity: int = 0,
    only: tuple[str, ...] = (),
    before_identity: int | None = None,
) -> str:
    """The summary and paired tables over identities with seeds ≥ ``from_identity`` (and
    < ``before_identity``) only, e.g. a replication on people added after the first look or
    that first look itself, and of the methods ``only`` selects (so that identities a slow
    method has not reached yet still count for the others); writes nothing."""
    settings, order, rows = _load(run, only)
    upper = before_identity if before_identity is not None else float("inf")
    rows = [row for row in rows if from_identity <= int(row["identity_seed"]) < upper]  # type: ignore[call-overload]
    _, table, paired = _tables(settings, order, rows)
    return f"{table}\n{paired}"


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="an evaluate --out directory")
    parser.add_argument(
        "--from-identity",
        type=int,
        metavar="SEED",
        help="only print the tables over identities with seeds ≥ SEED (writes nothing)",
    )
    parser.add_argument(
        "--before-identity",
        type=int,
        metavar="SEED",
        help="only print the tables over identities with seeds < SEED (writes nothing)",
    )
    add_only_option(parser, "the tables over the methods")
    args = parser.parse_args()
    if args.from_identity is None and args.before_identity is None:
        print(write_report(args.run, tuple(args.only)))
    else:
        print(
            subset_tables(args.run, args.from_identity or 0, tuple(args.only), args.before_identity)
        )


if __name__ == "__main__":
    main()
