"""A writer's dataset with the writer's size and position taken off the targets (see glyphs/placement.py).

The fit of a new hand trains and picks its snapshot on this copy; the model folder then records the
placement, which the style model puts back on every glyph it draws.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from segan_core.data.split import SPLITS
from segan_core.data.store import GlyphDataset, GlyphSplit, manifest_hash, save_split
from segan_core.glyphs.placement import Placement, measure_placement
from segan_core.glyphs.skeleton import skeletonize


def writer_placement(data: Path) -> Placement:
    """The placement of the writer's training glyphs against their source glyphs."""
    train = GlyphDataset(data).split("train")
    return measure_placement(train.source, train.target) if len(train) else Placement()


def write_placed_dataset(data: Path, out: Path, placement: Placement) -> Path:
    """Copy of the dataset ``data`` with ``placement`` undone on its targets (skeletons redrawn), into ``out``.

    ``out`` is replaced whole (it is the fit's own scratch folder); written to a temp folder, then renamed.
    """
    dataset = GlyphDataset(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        for name in SPLITS:
            split = dataset.split(name)
            target = placement.undo(split.target) if len(split) else split.target
            skeleton = np.stack([skeletonize(t) for t in target]) if len(split) else split.target_skeleton
            placed = GlyphSplit(split.chars, split.source, target, split.source_skeleton, skeleton)
            save_split(tmp / f"{name}.npz", placed)
        manifest = dict(dataset.manifest) | {"placement": placement.to_json(), "placed_from": str(data)}
        manifest.pop("manifest_sha256", None)
        manifest["manifest_sha256"] = manifest_hash(manifest)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
