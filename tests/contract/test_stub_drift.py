"""The committed stubs in sdk/e4t/v1 are exactly what scripts/gen_protos.py makes of proto/."""

import subprocess
import sys
from pathlib import Path

from tests.contract.contract_files import GEN_SCRIPT, STUBS_DIR, stub_differences


def test_committed_stubs_match_the_protos(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(GEN_SCRIPT), "--out", str(tmp_path)], check=True)

    drifted = stub_differences(tmp_path / "e4t" / "v1", STUBS_DIR)

    assert not drifted, (
        f"generated stubs are out of date with proto/: {drifted}. "
        "Run `python scripts/gen_protos.py` and commit sdk/e4t/v1/."
    )


def test_drift_check_reports_changed_missing_and_extra_files(tmp_path: Path) -> None:
    expected, actual = tmp_path / "expected", tmp_path / "actual"
    expected.mkdir()
    actual.mkdir()
    (expected / "same_pb2.py").write_bytes(b"x = 1\n")
    (actual / "same_pb2.py").write_bytes(b"x = 1\n")
    (expected / "changed_pb2.py").write_bytes(b"x = 1\n")
    (actual / "changed_pb2.py").write_bytes(b"x = 2\n")
    (expected / "missing_pb2.py").write_bytes(b"")
    (actual / "stale_pb2.py").write_bytes(b"")

    assert stub_differences(expected, actual) == [
        "changed_pb2.py",
        "missing_pb2.py",
        "stale_pb2.py",
    ]


def test_generation_removes_stubs_of_deleted_protos(tmp_path: Path) -> None:
    stale = tmp_path / "e4t" / "v1" / "removed_pb2.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("stale = True\n")

    subprocess.run([sys.executable, str(GEN_SCRIPT), "--out", str(tmp_path)], check=True)

    assert not stale.exists()
    assert (tmp_path / "e4t" / "v1" / "concept_service_pb2_grpc.py").is_file()
