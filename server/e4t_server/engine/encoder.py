"""The E4T encoder ``E(x, t)``: image → word-embedding offset for the domain's class word.

Two branches, as in the paper:

(a) CLIP vision: the [CLS] token after every ``clip_layer_stride``-th transformer layer, each
    through its own linear layer, averaged over the hierarchy, LeakyReLU.
(b) Denoiser: the image's latents noised to ``t`` go through the UNet encoder (time embedding,
    ``conv_in``, every down block, the mid block) conditioned on the class prompt; every feature
    map is mean-pooled over space, the vectors are concatenated and mapped by an MLP.

The branches are concatenated and a final linear layer (zero at init) predicts the offset; the
embedding is ``class_word_embedding + scale * offset``. Only the heads are parameters of this
module: the frozen towers are held by reference outside the module tree, so ``state_dict``,
optimizers and DDP see just the trainable part.
"""

from __future__ import annotations

from typing import NamedTuple, cast

import torch
from diffusers.utils.torch_utils import randn_tensor
from torch import nn

from e4t_server.engine.components import BaseComponents
from e4t_server.engine.config import DomainConfig


class EncoderOutput(NamedTuple):
    """The predicted placeholder embedding ``(B, D)`` and the raw offset ``(B, D)`` it came from."""

    embedding: torch.Tensor
    offset: torch.Tensor


def used_clip_layers(num_layers: int, stride: int) -> list[int]:
    """1-based indices of the CLIP transformer layers whose [CLS] token the encoder reads."""
    return list(range(stride, num_layers + 1, stride))


def unet_feature_widths(base: BaseComponents) -> list[int]:
    """Channel counts of the pooled UNet-encoder features: conv_in, each down block, mid block."""
    channels = list(base.unet.config["block_out_channels"])
    return [channels[0], *channels, channels[-1]]


def class_word_token_id(base: BaseComponents, class_word: str) -> int:
    """The token id of ``class_word``; it must be exactly one token of the base tokenizer."""
    ids = base.tokenizer(class_word, add_special_tokens=False).input_ids
    if len(ids) != 1:
        raise ValueError(f"class word {class_word!r} is {len(ids)} tokens; it must be one token")
    return int(ids[0])


class E4TEncoder(nn.Module):
    """``E(x, t)``; see the module docstring. Build with :meth:`for_base`."""

    class_embedding: torch.Tensor
    class_prompt_embeds: torch.Tensor

    def __init__(self, config: DomainConfig, base: BaseComponents) -> None:
        super().__init__()
        self.config = config
        self._base = base  # a plain dataclass: not registered, never trained or copied
        vision = base.image_encoder.config
        text_width = base.text_encoder.config.hidden_size
        hidden = config.encoder_hidden_size
        self.clip_layers = used_clip_layers(vision.num_hidden_layers, config.clip_layer_stride)
        if not self.clip_layers:
            raise ValueError("the CLIP vision tower has fewer layers than clip_layer_stride")
        self.clip_heads = nn.ModuleList(
            nn.Linear(vision.hidden_size, hidden) for _ in self.clip_layers
        )
        self.unet_mlp = nn.Sequential(
            nn.Linear(sum(unet_feature_widths(base)), hidden),
            nn.LeakyReLU(),
            nn.Linear(hidden, hidden),
        )
        self.activation = nn.LeakyReLU()
        self.to_offset = nn.Linear(2 * hidden, text_width)
        nn.init.zeros_(self.to_offset.weight)
        nn.init.zeros_(self.to_offset.bias)
        self.register_buffer(
            "class_embedding", self._class_word_embedding(base, config), persistent=False
        )
        self.register_buffer(
            "class_prompt_embeds", self._class_prompt_embeds(base, config), persistent=False
        )
        self.to(base.device)

    @staticmethod
    @torch.no_grad()
    def _class_word_embedding(base: BaseComponents, config: DomainConfig) -> torch.Tensor:
        token_id = class_word_token_id(base, config.class_word)
        embeddings = cast(nn.Embedding, base.text_encoder.get_input_embeddings())
        return embeddings.weight[token_id].detach().clone()

    @staticmethod
    @torch.no_grad()
    def _class_prompt_embeds(base: BaseComponents, config: DomainConfig) -> torch.Tensor:
        ids = base.tokenizer(
            config.class_prompt_text,
            padding="max_length",
            max_length=base.tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        ).input_ids.to(base.device)
        return base.text_encoder(ids)[0].detach()

    def clip_tokens(self, hidden_states: tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
        """The [CLS] token of every layer branch (a) reads, from the vision tower's hidden states
        (index 0 = embeddings, i = layer i)."""
        return [hidden_states[layer][:, 0] for layer in self.clip_layers]

    def clip_branch(self, hidden_states: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Branch (a) from the vision tower's hidden states."""
        tokens = self.clip_tokens(hidden_states)
        projected = torch.stack([head(t) for head, t in zip(self.clip_heads, tokens, strict=True)])
        return self.activation(projected.mean(dim=0))

    def unet_features(self, noisy_latents: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        """Branch (b)'s input: spatially pooled UNet-encoder features, concatenated ``(B, ΣC)``."""
        unet = self._base.unet
        batch = noisy_latents.shape[0]
        context = self.class_prompt_embeds.expand(batch, -1, -1)
        time_embedding = unet.time_embedding(
            unet.get_time_embed(sample=noisy_latents, timestep=timesteps)
        )
        sample = unet.conv_in(noisy_latents)
        pooled = [sample.mean(dim=(2, 3))]
        for block in unet.down_blocks:
            if getattr(block, "has_cross_attention", False):
                sample, _ = block(
                    hidden_states=sample, temb=time_embedding, encoder_hidden_states=context
                )
            else:
                sample, _ = block(hidden_states=sample, temb=time_embedding)
            pooled.append(sample.mean(dim=(2, 3)))
        sample = unet.mid_block(sample, time_embedding, encoder_hidden_states=context)
        pooled.append(sample.mean(dim=(2, 3)))
        return torch.cat(pooled, dim=1)

    def forward(
        self, images: torch.Tensor, noisy_latents: torch.Tensor, timesteps: torch.Tensor
    ) -> EncoderOutput:
        """Predict the placeholder embedding from images in [-1, 1] and their noised latents."""
        with torch.no_grad():
            pixel_values = self._base.image_preprocessing(images)
            vision = self._base.image_encoder(pixel_values=pixel_values, output_hidden_states=True)
        clip_features = self.clip_branch(vision.hidden_states)
        unet_features = self.unet_mlp(self.unet_features(noisy_latents, timesteps))
        offset = self.to_offset(torch.cat([clip_features, unet_features], dim=1))
        embedding = self.class_embedding + self.config.embedding_offset_scale * offset
        return EncoderOutput(embedding=embedding, offset=offset)

    def encode_image(
        self, images: torch.Tensor, timesteps: torch.Tensor, noise_generator: torch.Generator
    ) -> EncoderOutput:
        """``E(x, t)`` from images alone: VAE latents (distribution mean) noised to ``t`` with
        noise drawn from ``noise_generator``."""
        latents = image_latents(self._base, images, sample_generator=None)
        noise = randn_tensor(
            latents.shape, generator=noise_generator, device=latents.device, dtype=latents.dtype
        )
        noisy = self._base.scheduler.add_noise(latents, noise, cast(torch.IntTensor, timesteps))
        return self(images, noisy, timesteps)


@torch.no_grad()
def image_latents(
    base: BaseComponents, images: torch.Tensor, sample_generator: torch.Generator | None
) -> torch.Tensor:
    """Scaled VAE latents of images in [-1, 1]: a seeded sample, or the mean without a generator."""
    distribution = base.vae.encode(images.to(base.vae.dtype)).latent_dist
    latents = (
        distribution.mean if sample_generator is None else distribution.sample(sample_generator)
    )
    return latents * base.vae.config["scaling_factor"]
