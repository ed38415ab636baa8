"""``--only``: by part of a name, or exactly with a leading '='."""

from __future__ import annotations

from e4t_server.demo.selection import selected

NAMES = ["E4T + 5 steps", "E4T + 5 steps, lr 3e-4, λ_emb 1e-5", "LoRA-DreamBooth, 15 steps"]


def test_a_text_selects_every_name_containing_it() -> None:
    assert [n for n in NAMES if selected(n, ("E4T + 5",))] == NAMES[:2]
    assert [n for n in NAMES if selected(n, ())] == NAMES


def test_a_leading_equals_sign_selects_that_name_alone() -> None:
    assert [n for n in NAMES if selected(n, ("=E4T + 5 steps",))] == NAMES[:1]
    assert [n for n in NAMES if selected(n, ("=E4T + 5", "LoRA"))] == NAMES[2:]
