"""Bounded reads of small user-supplied files: a charset, a model's config.json, a run's train state.

A path may name anything: a FIFO (an ordinary read blocks forever), ``/dev/zero`` (never ends), a
folder, or a regular file of gigabytes. Each is refused with one line naming the file before more than
``max_bytes`` are read; JSON nested too deeply for the parser (a RecursionError) is refused the same way.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from segan_core.errors import SeganError

MAX_JSON_BYTES = 64 << 20  # our JSON files are KB (a train state 16 KB, a GB2312 manifest ~100 KB)


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit and (chunk := os.read(fd, limit - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_bounded(path: Path, max_bytes: int, error: type[SeganError], what: str) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes``; anything else is ``error`` naming it.

    Opened non-blocking and checked with fstat before any read, so a FIFO or device never blocks; the read
    itself is bounded too, as a file's size can lie (``/proc``) or grow while it is read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise error(f"{what} {path} is not a regular file (a folder, device or pipe)")
        data = _read_at_most(fd, max_bytes + 1)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise error(f"{what} {path} is larger than the {max_bytes >> 20} MB limit")
    return data


def read_json(path: Path, error: type[SeganError], what: str, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The parsed JSON of ``path`` (see :func:`read_bounded`); damaged, non-UTF-8 or absurdly deep JSON is
    ``error`` naming the file."""
    data = read_bounded(path, max_bytes, error, what)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise error(f"{what} is not valid JSON: {path} ({exc})") from None
    except RecursionError:
        raise error(f"{what} is not valid JSON: {path} (nested too deeply)") from None
