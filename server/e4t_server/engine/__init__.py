"""The E4T engine: encoder, weight offsets, domain tuning, personalization, generation.

Usable alone (e.g. from a notebook); depends on torch, diffusers and transformers only.
Submodules import lazily-heavy libraries, so import what you need from them, e.g.
``from e4t_server.engine.domain_model import DomainModel``.
"""
