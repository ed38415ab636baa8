"""Train the context metric's style and lighting heads on renders; measure all of it on
held-out renders.

    python -m e4t_server.demo.train_context --out server/e4t_server/demo/weights --seed 0

Training pictures come from the ``metric`` identity split; accuracy (background rule included)
is measured on ``heldout`` identities. Writes weights, config and
``context_metric_quality.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from e4t_server.demo.context import (
    CONTEXT_HEADS,
    CONTEXT_QUALITY,
    CONTEXT_TRAIN_COMMAND,
    ContextMetric,
    ContextNetConfig,
)
from e4t_server.demo.dataset import Samples, render_samples, split_seeds
from e4t_server.demo.identity import WEIGHTS_DIR
from e4t_server.demo.training import fit


def context_targets(samples: Samples) -> dict[str, torch.Tensor]:
    """Class indices of the style and lighting of every picture."""
    return {
        name: torch.tensor([values.index(getattr(n, name)) for n in samples.nuisances])
        for name, values in CONTEXT_HEADS.items()
    }


def context_loss(
    outputs: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Sum of the style and lighting cross-entropies."""
    return sum(
        (nn.functional.cross_entropy(outputs[name], targets[name]) for name in CONTEXT_HEADS),
        start=torch.zeros(()),
    )


def evaluate(metric: ContextMetric, samples: Samples) -> dict[str, object]:
    """Accuracy of each context factor, overall and per drawing style."""
    predictions = metric.predict(samples.images)
    report: dict[str, object] = {"pictures": len(predictions)}
    for factor in ("background", "style", "lighting"):
        hits = [
            getattr(prediction, factor) == getattr(nuisance, factor)
            for prediction, nuisance in zip(predictions, samples.nuisances, strict=True)
        ]
        by_style = {
            style: round(
                sum(h for h, n in zip(hits, samples.nuisances, strict=True) if n.style == style)
                / max(1, sum(n.style == style for n in samples.nuisances)),
                4,
            )
            for style in CONTEXT_HEADS["style"]
        }
        report[factor] = {
            "accuracy": round(sum(hits) / len(hits), 4),
            "accuracy_by_style": by_style,
        }
    return report


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pictures", type=int, default=4_000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--eval-pictures", type=int, default=800)
    parser.add_argument("--workers", type=int, default=2, help="rendering processes")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()

    config = ContextNetConfig()
    # Identities from the far end of the metric split: the identity metric used the start.
    train = render_samples(
        split_seeds("metric", args.pictures, start=500_000),
        images_per_identity=1,
        seed=args.seed + 10,
        size=config.image_size,
        workers=args.workers,
    )
    held_out = render_samples(
        split_seeds("heldout", args.eval_pictures, start=500_000),
        images_per_identity=1,
        seed=args.seed + 11,
        size=config.image_size,
        workers=args.workers,
    )
    rendered = time.perf_counter() - started
    print(
        f"rendered {len(train.images)} + {len(held_out.images)} pictures in {rendered:.0f}s",
        file=sys.stderr,
    )

    torch.manual_seed(args.seed)
    net = ContextMetric.new_net(config)
    losses = fit(
        net,
        train.images,
        context_targets(train),
        context_loss,
        image_size=config.image_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
    )
    metric = ContextMetric(net, config)
    quality = evaluate(metric, held_out)
    wall = time.perf_counter() - started
    training = {
        "command": CONTEXT_TRAIN_COMMAND.format(dir=args.out),
        "seed": args.seed,
        "training_pictures": len(train.images),
        "training_split": "metric (identities 500000+)",
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "epoch_losses": [round(loss, 4) for loss in losses],
        "render_seconds": round(rendered, 1),
        "wall_seconds": round(wall, 1),
        "torch_threads": args.threads,
    }
    metric.save(args.out, training)
    report = {
        "evaluated_on": "heldout split (identities 1500000+)",
        **quality,
        "training": training,
    }
    (args.out / CONTEXT_QUALITY).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(quality, indent=2))
    print(f"wall time {wall:.0f}s; wrote {args.out}")


if __name__ == "__main__":
    main()
