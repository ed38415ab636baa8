"""The E4T encoder: neutral at init, hierarchical CLIP features, gradients into its heads."""

from __future__ import annotations

import torch

from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.encoder import used_clip_layers
from e4t_server.engine.training import E4TTrainable


def encoder_inputs(model: DomainModel, batch: int = 2) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(batch, 3, 32, 32, generator=generator) * 2 - 1
    latents = torch.randn(batch, 4, 16, 16, generator=generator)
    return images, latents, torch.tensor([100, 700])[:batch]


def test_untrained_encoder_predicts_the_class_word_embedding(domain_model: DomainModel) -> None:
    output = domain_model.encoder(*encoder_inputs(domain_model))
    embeddings = domain_model.base.text_encoder.get_input_embeddings()
    assert isinstance(embeddings, torch.nn.Embedding)
    class_row = embeddings.weight[domain_model.class_token_id]
    assert torch.equal(output.offset, torch.zeros_like(output.offset))
    assert torch.equal(output.embedding, class_row.expand_as(output.embedding))


def test_every_second_clip_layer_is_used(domain_model: DomainModel) -> None:
    encoder = domain_model.encoder
    assert domain_model.base.image_encoder.config.num_hidden_layers == 6
    assert used_clip_layers(6, 2) == [2, 4, 6] == encoder.clip_layers
    assert len(encoder.clip_heads) == 3
    generator = torch.Generator().manual_seed(1)
    hidden = tuple(torch.randn(2, 17, 32, generator=generator) for _ in range(7))  # emb + 6 layers
    reference = encoder.clip_branch(hidden)
    for layer in range(7):
        changed = list(hidden)
        changed[layer] = changed[layer] + 1.0
        moved = not torch.equal(encoder.clip_branch(tuple(changed)), reference)
        assert moved == (layer in (2, 4, 6)), f"layer {layer}"


def test_clip_branch_reads_the_cls_token_only(domain_model: DomainModel) -> None:
    generator = torch.Generator().manual_seed(2)
    hidden = tuple(torch.randn(1, 17, 32, generator=generator) for _ in range(7))
    patches_changed = tuple(torch.cat([h[:, :1], h[:, 1:] + 5.0], dim=1) for h in hidden)
    encoder = domain_model.encoder
    assert torch.equal(encoder.clip_branch(hidden), encoder.clip_branch(patches_changed))


def test_gradients_reach_every_head(domain_model: DomainModel) -> None:
    encoder, offsets = domain_model.copy_of_trainable_parts()
    trainable = E4TTrainable(domain_model, encoder, offsets)
    with torch.no_grad():
        encoder.to_offset.weight.normal_(std=0.1)  # as after a first training step
    images, latents, timesteps = encoder_inputs(domain_model)
    with domain_model.hooks.activated(offsets):
        output = encoder(images, latents, timesteps)
    output.offset.pow(2).sum().backward()
    for name, parameter in trainable.encoder.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
    for parameter in domain_model.encoder.parameters():
        assert parameter.grad is None  # the domain's own heads were not touched


def test_the_image_matters(domain_model: DomainModel) -> None:
    encoder, _ = domain_model.copy_of_trainable_parts()
    with torch.no_grad():
        encoder.to_offset.weight.normal_(std=0.1)
        images, latents, timesteps = encoder_inputs(domain_model)
        first = encoder(images, latents, timesteps).embedding
    assert not torch.allclose(first[0], first[1])
