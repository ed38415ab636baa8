"""Where the shipped demo face-domain model lives, and how to rebuild it when it is missing."""

from __future__ import annotations

from pathlib import Path

from e4t_server.demo.identity import MissingWeightsError

FACE_DOMAIN_DIR = Path(__file__).parent / "weights" / "face-domain"
REBUILD_COMMANDS = (
    "python -m e4t_server.demo.train_base --out data/face-base --seed 0\n"
    "python -m e4t_server.demo.capacity_probe --model data/face-base --people 2000 "
    "--contexts 1 --steps 4200 --unet-width 64 --read 32 --out data/probe-w64\n"
    "python -m e4t_server.demo.seed_base --model data/face-base --unet data/probe-w64/unet "
    "--out data/base-w64-seed\n"
    "python -m e4t_server.demo.train_base --continue-from data/base-w64-seed --out data/base-w64 "
    "--unet-width 64 --unet-steps 2400 --checkpoint-every 100\n"
    "python -m e4t_server.demo.train_domain --base data/base-w64 "
    f"--out {FACE_DOMAIN_DIR} --steps 4000 --timestep-range 300 1000 "
    "--embedding-regularization 1e-5"
)
"""The commands that reproduce the shipped model from nothing (about 7 hours on 2 CPU cores;
docs/demo-domain.md has the timings; checkpoints/README.md names the commit that still holds the
probe UNet, which skips the first two)."""


def face_domain_dir() -> Path:
    """The shipped domain-tuned face model (a stock diffusers SD directory + E4T parts).

    Raises:
        MissingWeightsError: it is not there (the commands to rebuild it are in the message).
    """
    if not (FACE_DOMAIN_DIR / "e4t_config.json").is_file():
        raise MissingWeightsError(
            f"the demo face-domain model is missing from {FACE_DOMAIN_DIR}; rebuild it with\n"
            f"{REBUILD_COMMANDS}"
        )
    return FACE_DOMAIN_DIR
