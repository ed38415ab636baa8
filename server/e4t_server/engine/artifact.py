"""`ConceptArtifact`: one personalized concept as one deterministic safetensors blob.

The blob holds the frozen placeholder embedding (fp32 — it is only a few KB and keeps
"embedding = class word" exact), the concept's weight offsets (fp16, under diffusers/PEFT LoRA
names) and the metadata as JSON strings in the safetensors header. The bytes are canonical
(sorted header, fixed layout), so equal concepts give equal bytes and ``sha256`` of the bytes is
the concept's address. Generation always uses exactly the stored values.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save_file

from e4t_server.engine.errors import ArtifactError

FORMAT_VERSION = 1
EMBEDDING_KEY = "e4t.embedding"
OFFSET_DTYPE = torch.float16
EMBEDDING_DTYPE = torch.float32
LORA_FILE = "pytorch_lora_weights.safetensors"
TEXTUAL_INVERSION_FILE = "learned_embeds.safetensors"

_SAFETENSORS_DTYPES = {torch.float16: "F16", torch.float32: "F32"}


@dataclass(frozen=True)
class ConceptMetadata:
    """Where a concept came from and how it was made."""

    domain_fingerprint: str
    class_word: str
    placeholder_token: str
    freeze_timestep: int
    steps: int
    seed: int
    lr: float
    loss_curve: tuple[float, ...] = ()
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    # Optional so artifacts written before these were recorded still load (they hold None).
    batch_size: int | None = None
    lambda_embedding: float | None = None
    lambda_weights: float | None = None
    offsets_lr: float | None = None
    """The weight offsets' rate where it differed from ``lr`` (``None``: it was ``lr``)."""
    format_version: int = FORMAT_VERSION

    def to_header(self) -> dict[str, str]:
        """Every field as a JSON string (safetensors metadata is ``str → str``)."""
        return {name: json.dumps(value) for name, value in self.__dict__.items()}

    @classmethod
    def from_header(cls, header: Mapping[str, str]) -> ConceptMetadata:
        """Inverse of :meth:`to_header`."""
        try:
            values: dict[str, Any] = {name: json.loads(text) for name, text in header.items()}
            values["loss_curve"] = tuple(values.get("loss_curve", ()))
            metadata = cls(**values)
        except (TypeError, ValueError) as error:
            raise ArtifactError(f"bad concept metadata: {error}") from error
        if metadata.format_version != FORMAT_VERSION:
            raise ArtifactError(f"unsupported artifact format version {metadata.format_version}")
        return metadata


@dataclass(frozen=True)
class ConceptArtifact:
    """The frozen embedding ``(D,)``, the LoRA-named offsets and the metadata of one concept."""

    embedding: torch.Tensor
    offsets: Mapping[str, torch.Tensor]
    metadata: ConceptMetadata

    @classmethod
    def create(
        cls, embedding: torch.Tensor, offsets: Mapping[str, torch.Tensor], metadata: ConceptMetadata
    ) -> ConceptArtifact:
        """Build an artifact, converting tensors to their stored dtypes on the CPU."""
        return cls(
            embedding=embedding.detach().to("cpu", EMBEDDING_DTYPE).contiguous(),
            offsets={
                name: tensor.detach().to("cpu", OFFSET_DTYPE).contiguous()
                for name, tensor in offsets.items()
            },
            metadata=metadata,
        )

    def to_bytes(self) -> bytes:
        """The canonical safetensors blob."""
        tensors = {EMBEDDING_KEY: self.embedding, **self.offsets}
        return _serialize(tensors, self.metadata.to_header())

    @classmethod
    def from_bytes(cls, data: bytes) -> ConceptArtifact:
        """Parse a blob written by :meth:`to_bytes`.

        Raises:
            ArtifactError: the bytes are not a valid concept artifact.
        """
        try:
            header = _read_header(data)
            tensors = load_safetensors(data)
        except Exception as error:  # safetensors raises its own error types for corrupt input
            raise ArtifactError(f"not a safetensors blob: {error}") from error
        metadata = ConceptMetadata.from_header(header.get("__metadata__", {}))
        if EMBEDDING_KEY not in tensors:
            raise ArtifactError("the artifact has no embedding")
        embedding = tensors.pop(EMBEDDING_KEY)
        return cls(embedding=embedding, offsets=tensors, metadata=metadata)

    @property
    def sha256(self) -> str:
        """Hex sha256 of :meth:`to_bytes`: the content address of this concept."""
        return hashlib.sha256(self.to_bytes()).hexdigest()

    def export_diffusers(self, directory: Path | str) -> tuple[Path, Path]:
        """Write ``pytorch_lora_weights.safetensors`` (PEFT key layout, for
        ``pipe.load_lora_weights(directory)``) and ``learned_embeds.safetensors`` (textual
        inversion, for ``pipe.load_textual_inversion(path, token=placeholder)``)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        lora_path = directory / LORA_FILE
        inversion_path = directory / TEXTUAL_INVERSION_FILE
        save_file(dict(self.offsets), str(lora_path))
        save_file(
            {self.metadata.placeholder_token: self.embedding[None].clone()}, str(inversion_path)
        )
        return lora_path, inversion_path


def _serialize(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str]) -> bytes:
    """safetensors bytes with sorted names and sorted metadata (the library's own writer orders
    metadata by hash, so its bytes differ between runs)."""
    entries: dict[str, Any] = {"__metadata__": dict(sorted(metadata.items()))}
    chunks, offset = [], 0
    for name in sorted(tensors):
        tensor = tensors[name]
        raw = tensor.contiguous().view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
        entries[name] = {
            "dtype": _SAFETENSORS_DTYPES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    header = json.dumps(entries, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + b"".join(chunks)


def _read_header(data: bytes) -> dict[str, Any]:
    if len(data) < 8:
        raise ValueError("too short")
    (length,) = struct.unpack("<Q", data[:8])
    if length > len(data) - 8:
        raise ValueError("header length past the end of the data")
    header = json.loads(data[8 : 8 + length])
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    return header
