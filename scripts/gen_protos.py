"""Generate the e4t.v1 Python stubs from proto/ into the SDK package.

Usage: python scripts/gen_protos.py [--out DIR]

Every `proto/e4t/v1/x.proto` becomes `DIR/e4t/v1/x_pb2.py`, `x_pb2.pyi` and `x_pb2_grpc.py`,
importable as `e4t.v1.x_pb2`. DIR defaults to `sdk/`, the SDK package root. Stale stubs (of protos
that no longer exist) are removed first, so the output is exactly what the protos produce; the
contract tests regenerate into a temporary DIR and compare it byte for byte with `sdk/e4t/v1/`.
"""

import argparse
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = REPO_ROOT / "proto"
PACKAGE_PATH = Path("e4t") / "v1"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")
INIT_SOURCE = (
    '"""Generated gRPC stubs of the e4t.v1 API. Do not edit: run scripts/gen_protos.py."""\n'
)


def proto_files() -> list[Path]:
    """The contract's .proto files, relative to `proto/`, in a stable order."""
    return sorted(
        path.relative_to(PROTO_ROOT) for path in (PROTO_ROOT / PACKAGE_PATH).glob("*.proto")
    )


def remove_stale_stubs(package_dir: Path) -> None:
    """Delete previously generated files so that removed protos leave nothing behind."""
    for path in package_dir.glob("*"):
        if path.name == "__init__.py" or path.name.endswith(GENERATED_SUFFIXES):
            path.unlink()


def generate(out_root: Path) -> None:
    """Run protoc (from grpcio-tools) over every proto and write the package `__init__.py`."""
    package_dir = out_root / PACKAGE_PATH
    package_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_stubs(package_dir)
    # Relative paths keep the output free of machine-specific absolute paths.
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        "--proto_path=proto",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *(str(path) for path in proto_files()),
    ]
    subprocess.run(command, cwd=REPO_ROOT, check=True)
    (package_dir / "__init__.py").write_text(INIT_SOURCE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "sdk",
        help="root of the output package tree (default: sdk/)",
    )
    args = parser.parse_args()
    generate(args.out.resolve())


if __name__ == "__main__":
    main()
