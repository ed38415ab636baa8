"""Where the shipped demo face-domain model lives, and how to rebuild it when it is missing."""

from __future__ import annotations

from pathlib import Path

from e4t_server.demo.identity import MissingWeightsError

FACE_DOMAIN_DIR = Path(__file__).parent / "weights" / "face-domain"
REBUILD_COMMANDS = (
    "python -m e4t_server.demo.train_base --out data/face-base --seed 0\n"
    "python -m e4t_server.demo.train_domain --base data/face-base "
    f"--out {FACE_DOMAIN_DIR}"
)
"""The commands that reproduce the shipped model (see docs/demo-domain.md for timings)."""


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
