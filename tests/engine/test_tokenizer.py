"""The offline tokenizer handles ordinary English and the class word sensibly."""

from __future__ import annotations

from pathlib import Path

from e4t_server.engine.tokenizer import DEFAULT_WORDS, build_offline_tokenizer


def test_known_words_are_single_tokens_and_anything_else_still_tokenizes(tmp_path: Path) -> None:
    tokenizer = build_offline_tokenizer(tmp_path, ("face", *DEFAULT_WORDS))
    ids = tokenizer("A watercolor portrait of a face, smiling!", add_special_tokens=False).input_ids
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert tokens[:6] == ["a</w>", "watercolor</w>", "portrait</w>", "of</w>", "a</w>", "face</w>"]
    unknown = tokenizer("zebra xylophone", add_special_tokens=False).input_ids
    assert len(unknown) > 2  # split into known pieces, never dropped
    decoded = tokenizer.decode(unknown)
    assert isinstance(decoded, str)
    assert decoded.strip() == "zebra xylophone"
    full = tokenizer("a photo of face").input_ids
    assert full[0] == tokenizer.bos_token_id and full[-1] == tokenizer.eos_token_id


def test_the_class_word_is_one_token_even_when_not_in_the_default_list(tmp_path: Path) -> None:
    tokenizer = build_offline_tokenizer(tmp_path, ("hedgehog", *DEFAULT_WORDS))
    assert len(tokenizer("hedgehog", add_special_tokens=False).input_ids) == 1


def test_every_listed_word_is_one_token_even_where_words_share_pieces(tmp_path: Path) -> None:
    # "and" merges "a"+"n" first, which splits "bangs" unless its own merges start from "an"
    words = ("face", *DEFAULT_WORDS, "bangs", "earrings", "freckles", "warm", "square", "dark")
    tokenizer = build_offline_tokenizer(tmp_path, words)
    for word in words:
        assert tokenizer.tokenize(word) == [f"{word}</w>"], word
    assert tokenizer.decode(tokenizer("bang earring", add_special_tokens=False).input_ids) == (
        "bang earring"
    )
