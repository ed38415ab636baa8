"""Shared access to the generated e4t.v1 modules and their descriptors."""

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FileDescriptor

import e4t.v1

REPO_ROOT = Path(__file__).resolve().parents[2]
STUBS_DIR = REPO_ROOT / "sdk" / "e4t" / "v1"
GEN_SCRIPT = REPO_ROOT / "scripts" / "gen_protos.py"
API_DOC = REPO_ROOT / "docs" / "api.md"


def generated_modules() -> list[ModuleType]:
    """Every generated `e4t.v1.*` module, imported."""
    names = sorted(info.name for info in pkgutil.iter_modules(e4t.v1.__path__))
    return [importlib.import_module(f"e4t.v1.{name}") for name in names]


def file_descriptors() -> list[FileDescriptor]:
    """The file descriptor of every `.proto` of the contract."""
    return [module.DESCRIPTOR for module in generated_modules() if module.__name__.endswith("_pb2")]


def all_messages() -> Iterator[Descriptor]:
    """Every message of the contract, nested ones included."""

    def walk(message: Descriptor) -> Iterator[Descriptor]:
        yield message
        for nested in message.nested_types:
            yield from walk(nested)

    for file in file_descriptors():
        for message in file.message_types_by_name.values():
            yield from walk(message)


def all_enums() -> Iterator[EnumDescriptor]:
    """Every enum of the contract, nested ones included."""
    for file in file_descriptors():
        yield from file.enum_types_by_name.values()
    for message in all_messages():
        yield from message.enum_types


def stub_differences(expected_dir: Path, actual_dir: Path) -> list[str]:
    """Names of files that are missing, extra or different between two stub directories."""

    def stub_files(directory: Path) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in directory.iterdir() if path.is_file()}

    expected, actual = stub_files(expected_dir), stub_files(actual_dir)
    names = sorted(expected.keys() | actual.keys())
    return [name for name in names if expected.get(name) != actual.get(name)]
