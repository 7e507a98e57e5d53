"""On-disk cache of glyph bitmaps and traced outlines, keyed by (source identity, character).

A batch export stores every generated bitmap and every traced outline as it goes, so a killed or
cancelled job restarts where it stopped and a second export of the same style is fast.

One SQLite file per glyph source: ``<root>/<source identity>.sqlite3`` with a ``bitmaps`` table
(code point -> zlib'd ink image) and an ``outlines`` table ((trace config key, code point) ->
serialised :class:`TracedGlyph`). SQLite keeps each commit atomic (the job commits once per chunk),
and is far cheaper than one small file per glyph (thousands of file creations cost seconds).
Every entry also carries a BLAKE2b checksum of its payload: an entry that does not match (disk
trouble, a foreign writer) is dropped, listed in :attr:`GlyphCache.corrupt` and regenerated.

The default root is ``$SEGAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/segan-studio``, else
``~/.cache/segan-studio``.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from segan_core.atomic import ensure_writable_dir
from segan_core.errors import OutputError
from segan_core.vectorize.trace import TracedGlyph

SCHEMA_VERSION = 1
_DIGEST = 16


def default_cache_dir() -> Path:
    env = os.environ.get("SEGAN_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "segan-studio"


def checksum(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_DIGEST).digest()


class GlyphCache:
    """Bitmaps and outlines of one glyph source (outlines of one trace config) under ``root``."""

    def __init__(self, root: Path | str, source_identity: str, trace_key: str) -> None:
        if not re.fullmatch(r"[A-Za-z0-9._\-]+", source_identity):
            raise ValueError(f"unsafe source identity for a cache file: {source_identity!r}")
        self.root = Path(root)
        self.path = self.root / f"{source_identity}.sqlite3"
        self.trace_key = trace_key
        self.corrupt: list[tuple[str, str]] = []  # (character, "bitmap" | "outline") found damaged
        try:
            ensure_writable_dir(self.root)
        except OutputError as exc:
            raise OutputError(f"glyph cache unusable: {exc}") from None
        try:
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS bitmaps (cp INTEGER PRIMARY KEY, size INTEGER, digest BLOB, data BLOB);
                CREATE TABLE IF NOT EXISTS outlines (
                    trace_key TEXT, cp INTEGER, digest BLOB, data BLOB, PRIMARY KEY (trace_key, cp));
                """
            )
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                self._db.execute("INSERT INTO meta VALUES ('source', ?)", (source_identity,))
                self._db.commit()
            elif row[0] != str(SCHEMA_VERSION):
                raise OutputError(f"glyph cache {self.path} has schema {row[0]}, expected {SCHEMA_VERSION}; delete it")
        except sqlite3.DatabaseError as exc:
            raise OutputError(f"glyph cache {self.path} is damaged ({exc}); delete it or change --cache-dir") from None
        except OSError as exc:
            raise OutputError(f"glyph cache {self.path} cannot be opened: {exc}") from None

    def close(self) -> None:
        try:
            self._db.commit()
        finally:
            self._db.close()

    def __enter__(self) -> GlyphCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def commit(self) -> None:
        """Make everything put so far durable (the job calls this once per chunk)."""
        try:
            self._db.commit()
        except sqlite3.Error as exc:
            raise self._write_failed(exc) from None

    # -- bitmaps -----------------------------------------------------------------------------------

    def get_bitmap(self, char: str, size: int) -> np.ndarray | None:
        row = self._query("SELECT size, digest, data FROM bitmaps WHERE cp = ?", (ord(char),))
        if row is None:
            return None
        stored_size, digest, data = row
        if stored_size == size and digest == checksum(data):
            try:
                raw = zlib.decompress(data)
                if len(raw) == size * size:
                    return np.frombuffer(raw, np.uint8).reshape(size, size)
            except zlib.error:
                pass
        self._discard("bitmaps", "cp = ?", (ord(char),), char, "bitmap")
        return None

    def put_bitmap(self, char: str, image: np.ndarray) -> None:
        data = zlib.compress(np.ascontiguousarray(image, np.uint8).tobytes(), 1)
        self._execute(
            "INSERT OR REPLACE INTO bitmaps VALUES (?, ?, ?, ?)", (ord(char), image.shape[0], checksum(data), data)
        )

    # -- outlines ----------------------------------------------------------------------------------

    def outline_chars(self) -> set[str]:
        """Characters with a stored outline for this trace config (checksums not yet verified)."""
        rows = self._db.execute("SELECT cp FROM outlines WHERE trace_key = ?", (self.trace_key,)).fetchall()
        return {chr(cp) for (cp,) in rows}

    def get_outline_bytes(self, char: str) -> bytes | None:
        row = self._query(
            "SELECT digest, data FROM outlines WHERE trace_key = ? AND cp = ?", (self.trace_key, ord(char))
        )
        if row is None:
            return None
        digest, data = row
        if digest == checksum(data):
            return data
        self._discard_outline(char)
        return None

    def get_outline(self, char: str) -> TracedGlyph | None:
        data = self.get_outline_bytes(char)
        if data is None:
            return None
        try:
            return TracedGlyph.from_bytes(data)
        except (ValueError, IndexError, struct.error):
            self._discard_outline(char)
            return None

    def put_outline_bytes(self, char: str, traced: bytes) -> None:
        """Store a serialised :class:`TracedGlyph` (what the trace workers return)."""
        self._execute(
            "INSERT OR REPLACE INTO outlines VALUES (?, ?, ?, ?)", (self.trace_key, ord(char), checksum(traced), traced)
        )

    def forget(self, chars: Sequence[str]) -> None:
        """Drop the bitmaps and outlines (every trace config) of ``chars``: the next export remakes them."""
        cps = [(ord(c),) for c in chars]
        self._db.executemany("DELETE FROM bitmaps WHERE cp = ?", cps)
        self._db.executemany("DELETE FROM outlines WHERE cp = ?", cps)
        self.commit()

    # -- helpers -----------------------------------------------------------------------------------

    def _query(self, sql: str, args: tuple) -> tuple | None:
        try:
            return self._db.execute(sql, args).fetchone()
        except sqlite3.DatabaseError as exc:
            raise OutputError(f"glyph cache {self.path} is damaged ({exc}); delete it") from None

    def _execute(self, sql: str, args: tuple) -> None:
        try:
            self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise self._write_failed(exc) from None

    def _write_failed(self, exc: sqlite3.Error) -> OutputError:
        if "full" in str(exc).lower():  # SQLITE_FULL: the disk (or quota) is full
            return OutputError(
                f"cannot write the glyph cache {self.path}: the disk is full; free some space there, "
                f"or use --cache-dir on another disk (the export so far is kept and resumes)"
            )
        return OutputError(f"cannot write the glyph cache {self.path}: {exc}")

    def _discard_outline(self, char: str) -> None:
        self._discard("outlines", "trace_key = ? AND cp = ?", (self.trace_key, ord(char)), char, "outline")

    def _discard(self, table: str, where: str, args: tuple, char: str, kind: str) -> None:
        self.corrupt.append((char, kind))
        self._execute(f"DELETE FROM {table} WHERE {where}", args)
