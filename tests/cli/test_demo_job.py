"""The README's main job (`e4t demo`) as a user runs it: a fresh process, the embedded default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from e4t_registry.audit import verify_chain
from e4t_registry.db import create_registry_engine

pytestmark = [pytest.mark.slow, pytest.mark.ray]
E4T = str(Path(sys.executable).with_name("e4t"))


def test_demo_registers_a_concept_from_one_image_and_writes_pngs(tmp_path: Path) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    environ = {key: value for key, value in os.environ.items() if not key.startswith("E4T_")}
    environ.pop("RAY_ADDRESS", None)  # the job starts its own in-process Ray
    result = subprocess.run(
        [E4T, "demo", "--out", str(out), "--keep-state", str(state)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]

    printed = [Path(line) for line in result.stdout.split()]
    assert len(printed) == 9 and all(path.parent == out for path in printed)
    assert printed[-1].name == "grid.png"
    for path in printed[:-1]:
        with Image.open(path) as picture:
            assert picture.format == "PNG" and picture.size == (32, 32)
    with Image.open(printed[-1]) as grid:
        assert grid.size == (3 * 128, 4 * 128)
    assert "from scratch" in (out / "README.txt").read_text()
    with Image.open(out / "input.png") as face:
        assert face.size == (32, 32)
    # Everything went through the service: its registry holds the concept and an intact audit
    # chain that recorded the consent and the concept.
    engine = create_registry_engine(f"sqlite:///{state / 'e4t-home' / 'registry.db'}")
    try:
        with engine.connect() as connection:
            states = connection.execute(sa.text("SELECT status FROM concept")).scalars().all()
            actions = set(connection.execute(sa.text("SELECT action FROM audit_event")).scalars())
        assert [str(s).lower() for s in states] == ["active"]
        assert {"consent.grant", "concept.create"} <= actions
        assert verify_chain(engine).ok
    finally:
        engine.dispose()
