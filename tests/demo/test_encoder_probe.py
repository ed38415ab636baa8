"""The encoder probe, run on the shipped demo model."""

from __future__ import annotations

from e4t_server.demo import pretrained
from e4t_server.demo.encoder_probe import OTHER, OWN, encoder_probe
from e4t_server.engine.domain_model import DomainModel


def test_the_shipped_encoder_carries_the_persons_identity() -> None:
    """Other pictures of a held-out person denoise better, at every probed timestep, with the
    encoder's embedding of that person's photo than with another person's embedding. A model
    whose encoder learned nothing (as when the embedding regularization drowned the identity
    signal) gives both the same loss and fails. The class word is not a bar here: on the
    width-64 model the person's own embedding loses to it at t = 300 and 500 (measured on these
    16 people: 0.0570 / 0.0370 against 0.0538 / 0.0354; it wins at 700, 0.0149 against 0.0151),
    because the embedding also carries some of the input photo's look (docs/demo-domain.md)."""
    probe = encoder_probe(DomainModel.from_pretrained(pretrained.face_domain_dir()), people=16)
    for timestep, row in probe.loss.items():
        assert row[OWN] < row[OTHER], timestep
    assert probe.spread > 0.05 * probe.class_norm
