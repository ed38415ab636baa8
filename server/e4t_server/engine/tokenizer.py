"""An offline CLIP tokenizer built from a small word list (for tests and demos).

Stock CLIP BPE files are large downloads; this writes a tiny ``vocab.json`` + ``merges.txt`` that
cover every byte (so *any* text tokenizes) and merge a list of ordinary English words into single
tokens, then loads it with the stock :class:`transformers.CLIPTokenizer`.
"""

from __future__ import annotations

import json
from functools import lru_cache
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


def _word_merges(word: str) -> list[tuple[str, str]]:
    """Left-to-right merges that join ``word`` into one end-of-word token."""
    symbols = [*word[:-1], word[-1] + END_OF_WORD]
    merges = []
    current = symbols[0]
    for symbol in symbols[1:]:
        merges.append((current, symbol))
        current += symbol
    return merges


def write_tokenizer_files(directory: Path, words: tuple[str, ...] = DEFAULT_WORDS) -> Path:
    """Write ``vocab.json``, ``merges.txt`` and a tokenizer config for ``words`` into ``directory``.

    Earlier words get lower merge ranks, so the first words (put the class word first) always
    become single tokens; later words may share or split pieces, which BPE handles correctly.
    """
    directory.mkdir(parents=True, exist_ok=True)
    characters = list(_bytes_to_unicode().values())
    tokens: list[str] = characters + [c + END_OF_WORD for c in characters]
    merges: list[tuple[str, str]] = []
    for word in dict.fromkeys(w.lower() for w in words):
        if len(word) < 2:
            continue
        for left, right in _word_merges(word):
            if (left, right) not in merges:
                merges.append((left, right))
                if left + right not in tokens:
                    tokens.append(left + right)
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
