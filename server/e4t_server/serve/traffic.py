"""The canary split: which live domain model version serves a concept.

Decided per concept, not per request, so one concept always meets the same model while a
rollout runs: a concept goes to the canary when its bucket — sha256(concept id) mod 10 000 — is
below the canary's share × 10 000.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

BUCKETS = 10_000


@dataclass(frozen=True)
class LiveVersions:
    """The domain model versions a domain serves now (numbers), and the canary's share (0–1)."""

    production: int | None
    canary: int | None = None
    canary_share: float = 0.0


def bucket(concept_id: uuid.UUID) -> int:
    digest = hashlib.sha256(str(concept_id).encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def version_for(concept_id: uuid.UUID, live: LiveVersions) -> int | None:
    """The version that serves `concept_id`, or None if the domain serves nothing yet."""
    if live.canary is not None and bucket(concept_id) < round(live.canary_share * BUCKETS):
        return live.canary
    return live.production
