"""The encoder probe, run on the shipped demo model."""

from __future__ import annotations

from e4t_server.demo import pretrained
from e4t_server.demo.encoder_probe import CLASS, OTHER, OWN, encoder_probe
from e4t_server.engine.domain_model import DomainModel


def test_the_shipped_encoder_carries_the_persons_identity() -> None:
    """Other pictures of a held-out person denoise better with the encoder's embedding of that
    person's photo than with another person's embedding or the class word's. A model whose
    encoder learned nothing (as when the embedding regularization drowned the identity signal)
    gives all three the same loss and fails."""
    probe = encoder_probe(DomainModel.from_pretrained(pretrained.face_domain_dir()), people=16)
    totals = {kind: sum(row[kind] for row in probe.loss.values()) for kind in (CLASS, OWN, OTHER)}
    assert totals[OWN] < totals[OTHER] and totals[OWN] < totals[CLASS]
    assert probe.spread > 0.05 * probe.class_norm
