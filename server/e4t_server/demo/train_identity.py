"""Train the identity metric on renders and measure it on held-out identities.

    python -m e4t_server.demo.train_identity --out server/e4t_server/demo/weights --seed 0

Training pictures come from the ``metric`` split (one picture per identity, random nuisance,
all styles); quality is measured on ``heldout`` identities that no training run ever sees.
Writes the weights, their config and ``identity_metric_quality.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from e4t_server.demo.dataset import Samples, render_samples, split_seeds
from e4t_server.demo.identity import (
    CONTINUOUS_HEAD,
    IDENTITY_QUALITY,
    TRAIN_COMMAND,
    WEIGHTS_DIR,
    FactorNet,
    FactorNetConfig,
    IdentityMetric,
    identity_heads,
)
from e4t_server.demo.training import fit
from e4t_server.demo.verification import best_threshold_accuracy, roc_auc

# Continuous factors are in [0, 1]; this brings their squared error to the scale of the
# cross-entropy terms so that both kinds of heads learn.
CONTINUOUS_LOSS_WEIGHT = 10.0


def factor_targets(samples: Samples, config: FactorNetConfig) -> dict[str, torch.Tensor]:
    """Ground-truth class indices of every categorical factor, and the continuous amounts."""
    indices = [identity.categorical_indices() for identity in samples.identities]
    targets = {
        name: torch.tensor([row[name] for row in indices], dtype=torch.long)
        for name in config.categorical
    }
    targets[CONTINUOUS_HEAD] = torch.tensor(
        [identity.continuous_values() for identity in samples.identities], dtype=torch.float32
    )
    return targets


def identity_loss(
    outputs: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Sum of per-factor cross-entropies plus weighted squared error of the continuous factors."""
    loss = CONTINUOUS_LOSS_WEIGHT * nn.functional.mse_loss(
        outputs[CONTINUOUS_HEAD], targets[CONTINUOUS_HEAD]
    )
    for name, logits in outputs.items():
        if name != CONTINUOUS_HEAD:
            loss = loss + nn.functional.cross_entropy(logits, targets[name])
    return loss


def evaluate(metric: IdentityMetric, pairs: Samples) -> dict[str, object]:
    """Per-factor quality and identity verification on ``pairs``: two pictures per identity,
    stored consecutively (picture 0 and 1 of identity i at rows 2i and 2i+1)."""
    prediction = metric.predict(pairs.images)
    targets = factor_targets(pairs, metric.config)
    per_factor: dict[str, dict[str, float]] = {}
    for name, probabilities in prediction.probabilities.items():
        truth = targets[name]
        majority = torch.bincount(truth).max().item() / len(truth)
        accuracy = (probabilities.argmax(dim=1) == truth).float().mean().item()
        per_factor[name] = {"accuracy": round(accuracy, 4), "majority_baseline": round(majority, 4)}
    errors = (prediction.continuous - targets[CONTINUOUS_HEAD]).abs()
    for column, name in enumerate(metric.config.continuous):
        # A constant guess of 0.5 has a mean absolute error of 0.25 on uniform amounts.
        per_factor[name] = {
            "mae": round(errors[:, column].mean().item(), 4),
            "constant_baseline": 0.25,
        }

    embeddings = metric.embed(pairs.images)
    first, second = embeddings[0::2], embeddings[1::2]
    similarity = (first @ second.T).numpy()
    positive = np.diag(similarity)
    negative = similarity[~np.eye(len(similarity), dtype=bool)]
    accuracy, threshold = best_threshold_accuracy(positive, negative)
    styles = [nuisance.style for nuisance in pairs.nuisances]
    cross_style = np.array([styles[2 * i] != styles[2 * i + 1] for i in range(len(first))])
    return {
        "factors": per_factor,
        "verification": {
            "identities": len(first),
            "positive_pairs": len(positive),
            "negative_pairs": len(negative),
            "roc_auc": round(roc_auc(positive, negative), 4),
            "best_threshold_balanced_accuracy": round(accuracy, 4),
            "best_threshold": round(threshold, 4),
            "mean_similarity_same": round(float(positive.mean()), 4),
            "mean_similarity_different": round(float(negative.mean()), 4),
            "roc_auc_positive_pairs_in_different_styles": round(
                roc_auc(positive[cross_style], negative), 4
            ),
        },
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--identities", type=int, default=10_000, help="training pictures")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--eval-identities", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2, help="rendering processes")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()

    config = FactorNetConfig()
    train = render_samples(
        split_seeds("metric", args.identities),
        images_per_identity=1,
        seed=args.seed,
        size=config.image_size,
        workers=args.workers,
    )
    held_out = render_samples(
        split_seeds("heldout", args.eval_identities),
        images_per_identity=2,
        seed=args.seed + 1,
        size=config.image_size,
        workers=args.workers,
    )
    rendered = time.perf_counter() - started
    print(
        f"rendered {len(train.images)} + {len(held_out.images)} pictures in {rendered:.0f}s",
        file=sys.stderr,
    )

    torch.manual_seed(args.seed)
    net = FactorNet(config.channels, identity_heads(config))
    losses = fit(
        net,
        train.images,
        factor_targets(train, config),
        identity_loss,
        image_size=config.image_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
    )
    metric = IdentityMetric(net, config)
    quality = evaluate(metric, held_out)
    wall = time.perf_counter() - started
    training = {
        "command": TRAIN_COMMAND.format(dir=args.out),
        "seed": args.seed,
        "training_pictures": len(train.images),
        "training_split": "metric",
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
        "evaluated_on": "heldout split, 2 pictures per identity",
        **quality,
        "training": training,
    }
    (args.out / IDENTITY_QUALITY).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(quality["verification"], indent=2))
    print(f"wall time {wall:.0f}s; wrote {args.out}")


if __name__ == "__main__":
    main()
