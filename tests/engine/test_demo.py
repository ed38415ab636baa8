"""The demo runs end to end and says plainly that its weights are untrained."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from e4t_server.engine.artifact import ConceptArtifact
from e4t_server.engine.demo import run_demo


def test_demo_writes_images_artifact_and_notice(tmp_path: Path) -> None:
    paths = run_demo(tmp_path, tuning_steps=1, personalization_steps=5, generation_steps=2)
    assert len(paths) == 6
    for path in paths:
        with Image.open(path) as image:
            assert image.size == (32, 32)
    assert "UNTRAINED" in (tmp_path / "README.txt").read_text()
    artifact = ConceptArtifact.from_bytes((tmp_path / "concept.safetensors").read_bytes())
    assert artifact.metadata.steps == 5
