"""Train/dev/test split by a stable hash of the character.

A character lands in the same split for every style and every charset, so a model is never
evaluated on characters another style's model trained on, and comparisons across styles are fair.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

SPLITS = ("train", "dev", "test")
_SALT = b"segan-split-v1:"


def split_of(char: str) -> str:
    """``train`` (8 in 10 characters), ``dev`` (1 in 10) or ``test`` (1 in 10)."""
    bucket = int.from_bytes(hashlib.sha256(_SALT + char.encode("utf-8")).digest()[:8], "big") % 10
    if bucket < 8:
        return "train"
    return "dev" if bucket == 8 else "test"


def split_chars(chars: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Group characters by split, keeping their order."""
    out: dict[str, list[str]] = {name: [] for name in SPLITS}
    for char in chars:
        out[split_of(char)].append(char)
    return {name: tuple(values) for name, values in out.items()}
