"""An offline CLIP tokenizer built from a small word list (for tests and demos).

Stock CLIP BPE files are large downloads; this writes a tiny ``vocab.json`` + ``merges.txt`` that
cover every byte (so *any* text tokenizes) and merge a list of ordinary English words into single
tokens, then loads it with the stock :class:`transformers.CLIPTokenizer`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from transformers import CLIPTokenizer

BOS_TOKEN = "<|startoftext|>"
EOS_TOKEN = "<|endoftext|>"
END_OF_WORD = "</w>"

# Words that demos, tests and prompt templates use; anything else falls back to characters.
DEFAULT_WORDS: tuple[str, ...] = (
    "face",
    "a",
    "photo",
    "of",
    "the",
    "in",
    "on",
    "with",
    "and",
    "an",
    "portrait",
    "picture",
    "painting",
    "watercolor",
    "drawing",
    "sketch",
    "close",
    "up",
    "person",
    "man",
    "woman",
    "smiling",
    "style",
    "oil",
    "cartoon",
    "beach",
    "city",
    "forest",
    "night",
    "light",
    "red",
    "blue",
    "green",
    "hat",
    "wearing",
    "rendering",
    "detailed",
    "high",
    "quality",
    "cropped",
    "good",
    "bad",
    "dark",
    "bright",
    "small",
    "large",
    "one",
    "my",
    "nice",
    "clean",
    "dog",
    "cat",
)


@lru_cache(maxsize=1)
def _bytes_to_unicode() -> dict[int, str]:
    """CLIP's reversible byte → printable-character table (the GPT-2 scheme)."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, (chr(c) for c in codes), strict=True))


def _bpe_pieces(word: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """The pieces CLIP's BPE splits ``word`` into with the merges ranked so far."""
    pieces = [*word[:-1], word[-1] + END_OF_WORD]
    while len(pieces) > 1:
        best = min(pairwise(pieces), key=lambda pair: ranks.get(pair, len(ranks)))
        if best not in ranks:
            return pieces
        merged, index = [], 0
        while index < len(pieces):
            if index + 1 < len(pieces) and (pieces[index], pieces[index + 1]) == best:
                merged.append(pieces[index] + pieces[index + 1])
                index += 2
            else:
                merged.append(pieces[index])
                index += 1
        pieces = merged
    return pieces


def write_tokenizer_files(directory: Path, words: tuple[str, ...] = DEFAULT_WORDS) -> Path:
    """Write ``vocab.json``, ``merges.txt`` and a tokenizer config for ``words`` into ``directory``.

    Every word becomes a single token: each word's merges join, left to right, the pieces the
    merges of the words before it already split it into. Those earlier words stay single tokens,
    because BPE applies lower-ranked merges first.
    """
    directory.mkdir(parents=True, exist_ok=True)
    characters = list(_bytes_to_unicode().values())
    tokens: list[str] = characters + [c + END_OF_WORD for c in characters]
    ranks: dict[tuple[str, str], int] = {}
    for word in dict.fromkeys(w.lower() for w in words):
        if len(word) < 2:
            continue
        pieces = _bpe_pieces(word, ranks)
        joined = pieces[0]
        for piece in pieces[1:]:
            ranks.setdefault((joined, piece), len(ranks))
            joined += piece
            tokens.append(joined)
    merges = sorted(ranks, key=ranks.__getitem__)
    tokens += [BOS_TOKEN, EOS_TOKEN]
    vocab = {token: index for index, token in enumerate(dict.fromkeys(tokens))}
    (directory / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    merge_lines = ["#version: 0.2"] + [f"{left} {right}" for left, right in merges]
    (directory / "merges.txt").write_text("\n".join(merge_lines) + "\n", encoding="utf-8")
    config = {
        "model_max_length": 77,
        "bos_token": BOS_TOKEN,
        "eos_token": EOS_TOKEN,
        "pad_token": EOS_TOKEN,
        "unk_token": EOS_TOKEN,
        "tokenizer_class": "CLIPTokenizer",
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return directory


def build_offline_tokenizer(
    directory: Path, words: tuple[str, ...] = DEFAULT_WORDS
) -> CLIPTokenizer:
    """Write the tiny BPE files into ``directory`` and load them as a stock ``CLIPTokenizer``."""
    write_tokenizer_files(directory, words)
    return CLIPTokenizer.from_pretrained(str(directory), local_files_only=True)
