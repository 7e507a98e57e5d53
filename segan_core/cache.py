"""On-disk cache of glyph bitmaps and traced outlines, keyed by (source identity, character).

A batch export stores every generated bitmap and every traced outline as it goes, so a killed or
cancelled job restarts where it stopped and a second export of the same style is fast. Layout::

    <root>/<source identity>/bitmaps/<codepoint>.bin
    <root>/<source identity>/outlines-<trace config key>/<codepoint>.bin

Each entry is ``MAGIC | kind | blake2b-128(payload) | payload`` written to a temp file and renamed,
so a crash never leaves a half-written entry under the real name; an entry whose checksum does not
match (disk trouble, a foreign file) is reported by :meth:`GlyphCache.corrupt` and treated as
missing, so it is regenerated. The default root is ``$SEGAN_CACHE_DIR``, else
``$XDG_CACHE_HOME/segan-studio``, else ``~/.cache/segan-studio``.
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from pathlib import Path

import numpy as np

from segan_core.atomic import ensure_writable_dir
from segan_core.errors import OutputError
from segan_core.vectorize.trace import TracedGlyph

MAGIC = b"SGC1"
KIND_BITMAP = b"B"
KIND_OUTLINE = b"O"
_DIGEST = 16
_HEADER = len(MAGIC) + 1 + _DIGEST


def default_cache_dir() -> Path:
    env = os.environ.get("SEGAN_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "segan-studio"


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_DIGEST).digest()


class GlyphCache:
    """Bitmaps and outlines of one glyph source (and one trace config) under ``root``."""

    def __init__(self, root: Path | str, source_identity: str, trace_key: str) -> None:
        if not re.fullmatch(r"[A-Za-z0-9._\-]+", source_identity):
            raise ValueError(f"unsafe source identity for a cache folder: {source_identity!r}")
        self.root = Path(root)
        self.folder = self.root / source_identity
        self.bitmap_dir = self.folder / "bitmaps"
        self.outline_dir = self.folder / f"outlines-{trace_key}"
        for folder in (self.bitmap_dir, self.outline_dir):
            try:
                ensure_writable_dir(folder)
            except OutputError as exc:
                raise OutputError(f"glyph cache unusable: {exc}") from None
        self.corrupt: list[tuple[str, Path]] = []  # (character, file) of entries found damaged

    # -- paths -------------------------------------------------------------------------------------

    @staticmethod
    def _name(char: str) -> str:
        return f"{ord(char):05X}.bin"

    def bitmap_path(self, char: str) -> Path:
        return self.bitmap_dir / self._name(char)

    def outline_path(self, char: str) -> Path:
        return self.outline_dir / self._name(char)

    # -- entries -----------------------------------------------------------------------------------

    def _write(self, path: Path, kind: bytes, payload: bytes) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as handle:
                handle.write(MAGIC + kind + _digest(payload) + payload)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OutputError(f"cannot write glyph cache entry {path}: {exc.strerror or exc}") from None

    def _read(self, path: Path, kind: bytes, char: str) -> bytes | None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise OutputError(f"cannot read glyph cache entry {path}: {exc.strerror or exc}") from None
        payload = data[_HEADER:]
        if len(data) < _HEADER or data[:4] != MAGIC or data[4:5] != kind or data[5:_HEADER] != _digest(payload):
            self._discard(char, path)
            return None
        return payload

    def _discard(self, char: str, path: Path) -> None:
        self.corrupt.append((char, path))
        path.unlink(missing_ok=True)

    def get_bitmap(self, char: str, size: int) -> np.ndarray | None:
        path = self.bitmap_path(char)
        payload = self._read(path, KIND_BITMAP, char)
        if payload is None:
            return None
        try:
            raw = zlib.decompress(payload)
        except zlib.error:
            raw = b""
        if len(raw) != size * size:
            self._discard(char, path)
            return None
        return np.frombuffer(raw, np.uint8).reshape(size, size)

    def put_bitmap(self, char: str, image: np.ndarray) -> None:
        self._write(self.bitmap_path(char), KIND_BITMAP, zlib.compress(np.ascontiguousarray(image, np.uint8), 1))

    def has_outline(self, char: str) -> bool:
        return self.outline_path(char).is_file()

    def get_outline(self, char: str) -> TracedGlyph | None:
        path = self.outline_path(char)
        payload = self._read(path, KIND_OUTLINE, char)
        if payload is None:
            return None
        try:
            return TracedGlyph.from_bytes(payload)
        except (ValueError, IndexError):
            self._discard(char, path)
            return None

    def put_outline_bytes(self, char: str, traced: bytes) -> None:
        """Store a serialised :class:`TracedGlyph` (what the trace workers return)."""
        self._write(self.outline_path(char), KIND_OUTLINE, traced)
