"""Low-rank weight offsets on the UNet's attention projections.

Each targeted ``nn.Linear`` computes ``y = W x + B (A x)``. ``B`` starts at zero, so a fresh set
of offsets leaves the UNet unchanged. Offsets are applied through forward hooks instead of by
replacing modules: the UNet keeps its stock structure and state-dict keys (so it still saves and
loads as a stock diffusers UNet) and switching concepts is a matter of pointing the hooks at
another :class:`WeightOffsets` whose tensors were copied in — never a reload.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import cast

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

LORA_PREFIX = "unet."
_HOOKED_MARK = "_e4t_offset_hooks_installed"

_ForwardHook = Callable[[nn.Module, tuple[torch.Tensor, ...], torch.Tensor], torch.Tensor]


def find_offset_targets(unet: nn.Module, targets: tuple[str, ...]) -> dict[str, nn.Linear]:
    """The UNet's ``nn.Linear`` modules whose path ends with one of ``targets``."""
    found = {
        path: module
        for path, module in unet.named_modules()
        if isinstance(module, nn.Linear) and any(path.endswith("." + t) for t in targets)
    }
    if not found:
        raise ValueError(f"no nn.Linear in the UNet matches the offset targets {targets}")
    return found


class LowRankOffset(nn.Module):
    """``x ↦ B (A x)`` with ``A: (rank, in)`` and ``B: (out, rank)``."""

    def __init__(self, in_features: int, out_features: int, rank: int) -> None:
        super().__init__()
        self.lora_A = nn.Parameter(torch.zeros(rank, in_features))
        self.lora_B = nn.Parameter(torch.zeros(out_features, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(nn.functional.linear(x, self.lora_A), self.lora_B)

    def squared_norm(self) -> torch.Tensor:
        """‖B A‖²_F computed from the rank×rank Gram matrices, without forming B A."""
        return ((self.lora_B.T @ self.lora_B) * (self.lora_A @ self.lora_A.T)).sum()


class WeightOffsets(nn.Module):
    """One set of low-rank offsets, one :class:`LowRankOffset` per targeted UNet projection."""

    def __init__(self, shapes: Mapping[str, tuple[int, int]], rank: int) -> None:
        """Zero-filled offsets; ``shapes`` maps UNet module paths to ``(in, out)`` features."""
        super().__init__()
        self.rank = rank
        self.paths: tuple[str, ...] = tuple(sorted(shapes))
        self.pairs = nn.ModuleList(LowRankOffset(*shapes[path], rank) for path in self.paths)

    def low_rank_offsets(self) -> list[LowRankOffset]:
        """The offsets in :attr:`paths` order."""
        return [cast(LowRankOffset, pair) for pair in self.pairs]

    def shapes(self) -> dict[str, tuple[int, int]]:
        """``(in, out)`` features per targeted module path."""
        return {
            path: (int(pair.lora_A.shape[1]), int(pair.lora_B.shape[0]))
            for path, pair in zip(self.paths, self.low_rank_offsets(), strict=True)
        }

    @classmethod
    def for_unet(
        cls, unet: nn.Module, targets: tuple[str, ...], rank: int, seed: int = 0
    ) -> WeightOffsets:
        """Fresh offsets for ``unet``: ``A`` random (seeded), ``B`` zero (model unchanged)."""
        modules = find_offset_targets(unet, targets)
        offsets = cls({p: (m.in_features, m.out_features) for p, m in modules.items()}, rank)
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for pair in offsets.low_rank_offsets():
                fan_in = pair.lora_A.shape[1]
                init = torch.randn(pair.lora_A.shape, generator=generator) / math.sqrt(fan_in)
                pair.lora_A.copy_(init)
        return offsets.to(next(unet.parameters()).device)

    def l2(self) -> torch.Tensor:
        """Σ ‖B A‖²_F: the squared size of the actual weight change (zero at init)."""
        return torch.stack([pair.squared_norm() for pair in self.low_rank_offsets()]).sum()

    def lora_state_dict(self) -> dict[str, torch.Tensor]:
        """The (A, B) tensors under diffusers/PEFT LoRA names (``unet.<path>.lora_A.weight``)."""
        tensors = {}
        for path, pair in zip(self.paths, self.low_rank_offsets(), strict=True):
            tensors[f"{LORA_PREFIX}{path}.lora_A.weight"] = pair.lora_A.detach()
            tensors[f"{LORA_PREFIX}{path}.lora_B.weight"] = pair.lora_B.detach()
        return tensors

    def load_lora_state_dict(self, tensors: Mapping[str, torch.Tensor]) -> None:
        """Copy tensors named as by :meth:`lora_state_dict` in (names and shapes must match)."""
        expected = self.lora_state_dict()
        if set(tensors) != set(expected):
            missing = sorted(set(expected) - set(tensors))[:3]
            extra = sorted(set(tensors) - set(expected))[:3]
            raise KeyError(f"offset names do not match (missing {missing}, unexpected {extra})")
        with torch.no_grad():
            for name, target in expected.items():
                source = tensors[name]
                if source.shape != target.shape:
                    raise ValueError(
                        f"{name}: shape {tuple(source.shape)} != {tuple(target.shape)}"
                    )
                target.copy_(source)


class OffsetHooks:
    """Forward hooks that add the *active* :class:`WeightOffsets` to the targeted UNet projections.

    With no active offsets the UNet computes exactly its base function.
    """

    def __init__(self, unet: nn.Module, layout: WeightOffsets) -> None:
        # A second set of hooks on the same UNet would add offsets twice: one owner per UNet.
        if getattr(unet, _HOOKED_MARK, False):
            raise ValueError(
                "this UNet already carries E4T offset hooks (one DomainModel per UNet)"
            )
        setattr(unet, _HOOKED_MARK, True)
        self._unet = unet
        self.paths = layout.paths
        named = dict(unet.named_modules())
        self.active: WeightOffsets | None = None
        self._handles: list[RemovableHandle] = [
            named[path].register_forward_hook(self._hook_for(index))
            for index, path in enumerate(self.paths)
        ]

    def _hook_for(self, index: int) -> _ForwardHook:
        def add_offset(
            _module: nn.Module, args: tuple[torch.Tensor, ...], output: torch.Tensor
        ) -> torch.Tensor:
            if self.active is None:
                return output
            return output + self.active.pairs[index](args[0])

        return add_offset

    def activate(self, offsets: WeightOffsets | None) -> None:
        """Make ``offsets`` (or none) the offsets the UNet applies from now on."""
        if offsets is not None and offsets.paths != self.paths:
            raise ValueError("these offsets target different UNet modules than the hooks")
        self.active = offsets

    @contextmanager
    def activated(self, offsets: WeightOffsets | None) -> Iterator[None]:
        """Apply ``offsets`` inside the block and restore the previously active ones after it."""
        previous = self.active
        self.activate(offsets)
        try:
            yield
        finally:
            self.active = previous

    def remove(self) -> None:
        """Detach the hooks from the UNet."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        setattr(self._unet, _HOOKED_MARK, False)
