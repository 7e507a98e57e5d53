"""A writer's dataset with the writer's size and position taken off the targets (see glyphs/placement.py).

The fit of a new hand trains and picks its snapshot on this copy; the model folder then records the
placement, which the style model puts back on every glyph it draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from segan_core.atomic import atomic_dir
from segan_core.data.split import SPLITS
from segan_core.data.store import DATASET, MANIFEST_FILE, GlyphDataset, GlyphSplit, manifest_hash, save_split
from segan_core.errors import SeganError
from segan_core.glyphs.placement import Placement, measure_placement
from segan_core.glyphs.skeleton import skeletonize


def writer_placement(data: Path) -> Placement:
    """The placement of the writer's training glyphs against their source glyphs."""
    train = GlyphDataset(data).split("train")
    return measure_placement(train.source, train.target) if len(train) else Placement()


def is_placed_copy(out: Path, data: Path, placement: Placement) -> bool:
    """Whether ``out`` already is ``data`` with exactly ``placement`` taken off (a resumed fit may reuse it)."""
    try:
        manifest = GlyphDataset(out).manifest
        source = GlyphDataset(data)
    except SeganError:  # missing or damaged: not a usable copy, it is written again
        return False
    return manifest.get("placement") == placement.to_json() and manifest.get("placed_from_sha256") == source.hash


def write_placed_dataset(data: Path, out: Path, placement: Placement) -> Path:
    """A copy of the dataset ``data`` with ``placement`` undone on its targets (skeletons redrawn), into ``out``.

    Written like every dataset (a temp folder renamed into place; an earlier copy of ours is replaced, anything
    else at ``out`` refused).
    """
    dataset = GlyphDataset(data)
    manifest = dict(dataset.manifest) | {"placement": placement.to_json(), "placed_from": str(data),
                                         "placed_from_sha256": dataset.hash}
    manifest.pop("manifest_sha256", None)
    manifest["manifest_sha256"] = manifest_hash(manifest)
    with atomic_dir(out, DATASET) as tmp:
        for name in SPLITS:
            split = dataset.split(name)
            target = placement.undo(split.target) if len(split) else split.target
            skeleton = np.stack([skeletonize(t) for t in target]) if len(split) else split.target_skeleton
            placed = GlyphSplit(split.chars, split.source, target, split.source_skeleton, skeleton)
            save_split(tmp / f"{name}.npz", placed)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return out
