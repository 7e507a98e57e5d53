"""Build a paired dataset: source font glyphs, target glyphs (font or image folder), skeletons, splits.

``build_dataset`` is a job: it yields :class:`Progress` and returns the manifest. Output goes to a
temp folder that is renamed into place only when everything is written.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segan_core import __version__
from segan_core.atomic import atomic_dir, ensure_writable_dir
from segan_core.data.images import load_glyph_image, scan_image_folder
from segan_core.data.split import SPLITS, split_chars
from segan_core.data.store import (
    DATASET,
    DATASET_FORMAT,
    DATASET_VERSION,
    MANIFEST_FILE,
    GlyphSplit,
    manifest_hash,
    save_split,
)
from segan_core.errors import CharsetError, FontError
from segan_core.glyphs.embox import IMAGE_SIZES
from segan_core.glyphs.render import FontRenderer, file_sha256
from segan_core.glyphs.skeleton import skeletonize
from segan_core.jobs import CancelToken, Progress, Stopwatch
from segan_core.outputs import check_output_dir

logging.getLogger("fontTools").setLevel(logging.ERROR)


@dataclass(frozen=True)
class BuildRequest:
    source: Path
    out: Path
    chars: tuple[str, ...]
    size: int = 64
    target: Path | None = None  # a font file ...
    target_dir: Path | None = None  # ... or a folder of <char>.png images
    skeleton_threshold: int = 128
    skeleton_clean_iterations: int = 1
    overwrite: bool = False  # write into a non-empty folder that is not a dataset (only our files replaced)


def _font_entry(renderer: FontRenderer) -> dict:
    return {"name": renderer.family, "file": renderer.path.name, "sha256": renderer.sha256}


def build_dataset(request: BuildRequest, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Render, skeletonize and split every character both sides really have; returns the manifest."""
    if request.size not in IMAGE_SIZES:
        raise ValueError(f"size must be one of {IMAGE_SIZES}")
    if (request.target is None) == (request.target_dir is None):
        raise ValueError("give exactly one of target (font) and target_dir (image folder)")
    if not request.chars:
        raise CharsetError("the charset is empty: nothing to build")
    out = check_output_dir(request.out, DATASET, request.overwrite)  # refused before any work
    ensure_writable_dir(out.parent)
    cancel = cancel or CancelToken()
    clock = Stopwatch()
    source = FontRenderer(request.source)
    if request.target is not None:
        target_font: FontRenderer | None = FontRenderer(request.target)
        target_images: dict[str, Path] = {}
        target_entry = _font_entry(target_font)
    else:
        target_font = None
        target_images = scan_image_folder(request.target_dir)
        listing = "\n".join(f"{c}\t{p.name}\t{file_sha256(p)}" for c, p in target_images.items())
        import hashlib

        target_entry = {
            "name": request.target_dir.name,
            "folder": str(request.target_dir),
            "sha256": hashlib.sha256(listing.encode()).hexdigest(),
        }

    size = request.size
    kept: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    missing_source: dict[str, str] = {}
    missing_target: dict[str, str] = {}
    total = len(request.chars)
    for index, char in enumerate(request.chars):
        if index % 64 == 0:  # a report every second or so even on a busy machine
            cancel.raise_if_cancelled("dataset build")
            yield Progress("render", index, total, elapsed_s=clock.elapsed)
        src, why = source.render_checked(char, size)
        if why:
            missing_source[char] = why.reason
            continue
        if target_font is not None:
            tgt, why_t = target_font.render_checked(char, size)
            if why_t:
                missing_target[char] = why_t.reason
                continue
        else:
            path = target_images.get(char)
            if path is None:
                missing_target[char] = "no image"
                continue
            tgt = load_glyph_image(path, size)
            if not tgt.any():
                missing_target[char] = "blank image"
                continue
        kept[char] = (
            src,
            tgt,
            skeletonize(src, request.skeleton_threshold, request.skeleton_clean_iterations),
            skeletonize(tgt, request.skeleton_threshold, request.skeleton_clean_iterations),
        )
    yield Progress("render", total, total, elapsed_s=clock.elapsed)

    if not kept:
        where = request.target or request.target_dir
        if len(missing_source) == total:
            raise FontError(f"the source font has none of the {total} requested characters: {request.source}")
        raise FontError(f"the target has none of the {total} requested characters: {where}")

    splits = split_chars(kept)
    manifest = {
        "format": DATASET_FORMAT,
        "version": DATASET_VERSION,
        "created_with": f"segan-studio {__version__}",
        "size": size,
        "source": _font_entry(source),
        "target": target_entry,
        "skeleton": {
            "method": "binarize+open/close+zhang-suen",
            "threshold": request.skeleton_threshold,
            "clean_iterations": request.skeleton_clean_iterations,
        },
        "counts": {name: len(splits[name]) for name in SPLITS} | {"total": len(kept)},
        "splits": {name: "".join(splits[name]) for name in SPLITS},
        "missing": {"source": missing_source, "target": missing_target},
    }
    manifest["manifest_sha256"] = manifest_hash(manifest)
    manifest["build_seconds"] = round(clock.elapsed, 2)
    manifest["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    with atomic_dir(out, DATASET, request.overwrite) as tmp:
        yield from _write_splits(tmp, splits, kept, size, cancel, clock)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def _write_splits(tmp: Path, splits: dict[str, tuple[str, ...]], kept: dict[str, tuple[np.ndarray, ...]], size: int,
                  cancel: CancelToken, clock: Stopwatch) -> Iterator[Progress]:
    """Write each split's glyphs; the progress counts characters (a big train split is most of the wait)."""
    total = sum(len(splits[name]) for name in SPLITS)
    written = 0
    for name in SPLITS:
        cancel.raise_if_cancelled("dataset build")
        chars = splits[name]
        yield Progress("write", written, total, message=f"{name} split: {len(chars)} characters",
                       elapsed_s=clock.elapsed)
        rows = [kept[c] for c in chars]
        empty = np.zeros((0, size, size), np.uint8)
        stack = [np.stack([r[k] for r in rows]) if rows else empty for k in range(4)]
        save_split(tmp / f"{name}.npz", GlyphSplit(chars, stack[0], stack[1], stack[2], stack[3]))
        written += len(chars)
    yield Progress("write", written, total, message="manifest", elapsed_s=clock.elapsed)
