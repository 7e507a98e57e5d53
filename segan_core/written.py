"""The glyphs a calligrapher actually wrote, kept with the style learned from them.

A style fine-tuned on scans (``segan train finetune`` on a dataset from ``segan scans import`` or an image
folder) carries the cleaned writing in ``<style>/written/<char>.png`` (black ink on white, at the
resolution it was imported at, framed on the project's em box). ``segan batch`` puts those glyphs in the
font, traced at their own resolution, and generates only the characters the writer did not write
(``--generate-all`` generates everything). :func:`compare_ink` measures whether the two kinds sit
together on a page: ink weight and size of written vs generated glyphs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from segan_core.errors import InputFileError
from segan_core.glyphs.embox import EmBox
from segan_core.imageio import read_gray

WRITTEN_DIR = "written"
# a written glyph of N px is traced with TraceConfig.at_size(N): the same effective resolution as the 64 px
# generator output upsampled 4x, and speckle sizes scaled to its pixels
MAX_WRITTEN_SIZE = 1024
WRITTEN_SIZE = 256  # the resolution written glyphs are kept at


@dataclass(frozen=True)
class WrittenGlyphs:
    folder: Path
    files: dict[str, Path]  # character -> image file

    @classmethod
    def of_model(cls, model_folder: Path) -> WrittenGlyphs | None:
        """The written glyphs kept in a style's model folder, or ``None`` when it has none."""
        folder = Path(model_folder) / WRITTEN_DIR
        if not folder.is_dir():
            return None
        files = {p.stem: p for p in sorted(folder.glob("*.png")) if len(p.stem) == 1 and not p.is_symlink()}
        return cls(folder, files) if files else None

    @property
    def chars(self) -> tuple[str, ...]:
        return tuple(self.files)

    @property
    def identity(self) -> str:
        """A hash of every written glyph's bytes: part of the glyph cache key of an export that uses them."""
        digest = hashlib.sha256()
        for char, path in self.files.items():
            digest.update(char.encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()[:16]

    def ink(self, char: str) -> np.ndarray:
        """The glyph as an ink image (ink 255 on 0), square, at its own resolution."""
        path = self.files[char]
        paper = read_gray(path, max_pixels=MAX_WRITTEN_SIZE * MAX_WRITTEN_SIZE)
        if paper.shape[0] != paper.shape[1]:
            raise InputFileError(f"{path}: a written glyph must be square (it is {paper.shape[1]} x {paper.shape[0]})")
        return 255 - paper

    def ink_at(self, chars: Sequence[str], size: int) -> np.ndarray:
        """Ink images of ``chars`` resampled to ``size`` px (for comparisons with generated glyphs)."""
        out = np.zeros((len(chars), size, size), np.uint8)
        for i, char in enumerate(chars):
            ink = self.ink(char)
            interpolation = cv2.INTER_AREA if ink.shape[0] > size else cv2.INTER_CUBIC
            out[i] = cv2.resize(ink, (size, size), interpolation=interpolation)
        return out


def keep_written(images: dict[str, Path], model_folder: Path, size: int = WRITTEN_SIZE) -> int:
    """Clean and frame the writer's glyph images (the same path as the dataset builder's image folders) and
    keep them at ``size`` px in ``model_folder/written``; returns how many were kept."""
    from segan_core.data.images import load_glyph_image
    from segan_core.glyphs.render import to_paper

    dest = Path(model_folder) / WRITTEN_DIR
    dest.mkdir(parents=True, exist_ok=True)
    for char, path in images.items():
        ink = load_glyph_image(Path(path), size)
        if not cv2.imwrite(str(dest / f"{char}.png"), to_paper(ink)):
            raise InputFileError(f"cannot write {dest / f'{char}.png'}")
    return len(images)


def ink_stats(images: np.ndarray) -> dict[str, float]:
    """Mean ink weight (share of the em square covered) and ink box size (share of the em), at any size."""
    if len(images) == 0:
        return {"count": 0}
    box = EmBox(images.shape[-1])
    m, em = box.margin, box.em_px
    weights, heights, widths = [], [], []
    for image in images:
        ink = image[m : m + em, m : m + em] >= 128
        weights.append(ink.mean())
        ys, xs = np.nonzero(ink)
        if len(ys):
            heights.append((ys.max() - ys.min() + 1) / em)
            widths.append((xs.max() - xs.min() + 1) / em)
    return {
        "count": len(images),
        "ink_weight": round(float(np.mean(weights)), 4),
        "ink_height": round(float(np.mean(heights)), 4) if heights else 0.0,
        "ink_width": round(float(np.mean(widths)), 4) if widths else 0.0,
    }


def compare_ink(written: np.ndarray, generated: np.ndarray) -> dict[str, dict[str, float] | float]:
    """Ink weight and size of the written and the generated glyphs of one font, and their ratios."""
    a, b = ink_stats(written), ink_stats(generated)
    ratios = {
        f"{key}_ratio": round(b[key] / a[key], 3) for key in ("ink_weight", "ink_height", "ink_width")
        if a.get(key) and key in b
    }
    return {"written": a, "generated": b, **ratios}
