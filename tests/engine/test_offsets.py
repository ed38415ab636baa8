"""Low-rank weight offsets: start neutral, regularize, and use the PEFT LoRA layout."""

from __future__ import annotations

import pytest
import torch
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

from e4t_server.engine.artifact import ConceptArtifact, ConceptMetadata
from e4t_server.engine.config import DomainConfig
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.offsets import WeightOffsets, find_offset_targets

SD15_UNET = {
    "block_out_channels": (320, 640, 1280, 1280),
    "cross_attention_dim": 768,
    "attention_head_dim": 8,
    "down_block_types": (
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D",
    ),
    "up_block_types": (
        "UpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
    ),
    "layers_per_block": 2,
    "sample_size": 64,
}


def unet_output(model: DomainModel, offsets: WeightOffsets | None) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    latents = torch.randn(1, 4, 16, 16, generator=generator)
    context = torch.randn(1, 77, 32, generator=generator)
    with torch.no_grad(), model.hooks.activated(offsets):
        return model.base.unet(latents, torch.tensor([10]), context).sample


def test_fresh_offsets_leave_the_unet_unchanged(domain_model: DomainModel) -> None:
    fresh = domain_model.new_offsets()
    fresh.load_state_dict(domain_model.offsets.state_dict())
    assert all(float(p.lora_A.detach().abs().sum()) > 0 for p in fresh.low_rank_offsets())
    assert torch.equal(unet_output(domain_model, fresh), unet_output(domain_model, None))


def test_nonzero_offsets_change_the_unet_and_l2_grows(domain_model: DomainModel) -> None:
    offsets = domain_model.new_offsets()
    offsets.load_state_dict(domain_model.offsets.state_dict())
    assert float(offsets.l2().detach()) == 0.0
    with torch.no_grad():
        for pair in offsets.low_rank_offsets():
            pair.lora_B.fill_(0.01)
    small = float(offsets.l2().detach())
    with torch.no_grad():
        for pair in offsets.low_rank_offsets():
            pair.lora_B.fill_(0.02)
    assert 0 < small < float(offsets.l2().detach())
    assert float(offsets.l2().detach()) == pytest.approx(4 * small, rel=1e-4)  # ‖BA‖² ∝ B²
    assert not torch.allclose(unet_output(domain_model, offsets), unet_output(domain_model, None))


def test_l2_is_the_squared_norm_of_the_weight_change() -> None:
    offsets = WeightOffsets({"a.to_q": (5, 3)}, rank=2)
    pair = offsets.low_rank_offsets()[0]
    with torch.no_grad():
        pair.lora_A.copy_(torch.randn(2, 5))
        pair.lora_B.copy_(torch.randn(3, 2))
    expected = (pair.lora_B @ pair.lora_A).pow(2).sum()
    assert torch.allclose(offsets.l2(), expected)


def test_names_follow_the_peft_lora_layout(domain_model: DomainModel) -> None:
    names = domain_model.offsets.lora_state_dict()
    targets = find_offset_targets(domain_model.base.unet, domain_model.config.offset_targets)
    assert len(names) == 2 * len(targets) == 2 * 6 * 8  # 6 transformer blocks × 8 projections
    unet_modules = dict(domain_model.base.unet.named_modules())
    for name, tensor in names.items():
        assert name.startswith("unet.")
        path, _, suffix = name[len("unet.") :].rpartition(".lora_")
        assert suffix in ("A.weight", "B.weight")
        linear = unet_modules[path]
        assert isinstance(linear, torch.nn.Linear)
        expected = (2, linear.in_features) if suffix == "A.weight" else (linear.out_features, 2)
        assert tuple(tensor.shape) == expected
    assert (
        "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_out.0.lora_B.weight" in names
    )


def test_set_offsets_is_a_copy_into_the_same_parameters(domain_model: DomainModel) -> None:
    offsets = domain_model.new_offsets()
    before = [id(p) for p in offsets.parameters()]
    source = {k: torch.full_like(v, 0.5) for k, v in domain_model.offsets.lora_state_dict().items()}
    offsets.load_lora_state_dict(source)
    assert [id(p) for p in offsets.parameters()] == before
    assert all(torch.equal(v, source[k]) for k, v in offsets.lora_state_dict().items())


def test_default_artifact_for_sd15_sized_unet_is_at_most_1mb() -> None:
    with torch.device("meta"):
        unet = UNet2DConditionModel(**SD15_UNET)  # shapes only, no weights anywhere
    config = DomainConfig()
    targets = find_offset_targets(unet, config.offset_targets)
    assert len(targets) == 16 * 8  # 16 transformer blocks, q/k/v/out of attn1 and attn2
    offsets = WeightOffsets({p: (m.in_features, m.out_features) for p, m in targets.items()}, 2)
    metadata = ConceptMetadata(
        domain_fingerprint="0" * 64,
        class_word="face",
        placeholder_token="<concept>",
        freeze_timestep=config.freeze_timestep,
        steps=15,
        seed=0,
        lr=config.personalization_lr,
        loss_curve=tuple([1.0] * 15),
    )
    artifact = ConceptArtifact.create(torch.zeros(768), offsets.lora_state_dict(), metadata)
    size = len(artifact.to_bytes())
    assert 700_000 < size <= 1_000_000


def test_a_unet_gets_one_set_of_hooks(domain_model: DomainModel) -> None:
    with pytest.raises(ValueError, match="already"):
        DomainModel(
            domain_model.base, domain_model.config, domain_model.encoder, domain_model.offsets
        )


def test_removed_hooks_free_the_unet(fresh_model: DomainModel) -> None:
    with torch.no_grad():
        fresh_model.offsets.low_rank_offsets()[0].lora_B.fill_(1.0)
    hooked = unet_output(fresh_model, fresh_model.offsets)
    fresh_model.hooks.remove()
    assert not torch.equal(unet_output(fresh_model, fresh_model.offsets), hooked)
    rewrapped = DomainModel(
        fresh_model.base, fresh_model.config, fresh_model.encoder, fresh_model.offsets
    )
    assert torch.equal(unet_output(rewrapped, rewrapped.offsets), hooked)
