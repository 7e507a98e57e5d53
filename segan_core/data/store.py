"""On-disk dataset layout: ``manifest.json`` plus one ``<split>.npz`` per split.

Each split file holds ``chars`` (unicode) and four uint8 arrays of shape (N, size, size):
``source``, ``target`` (ink images) and ``source_skeleton``, ``target_skeleton`` (0/255; stored
bit-packed, which keeps a whole GB2312 split small and fast to load).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segan_core.data.split import SPLITS
from segan_core.errors import DatasetError
from segan_core.outputs import Legacy, OutputKind
from segan_core.readers import read_json

DATASET_FORMAT = "segan-dataset"
MANIFEST_FILE = "manifest.json"  # beside one <split>.npz per split
DATASET_VERSION = 1
# a dataset folder as segan data build (and the fine-tune's placed copy) writes it: only these names are replaced
DATASET = OutputKind(
    "dataset folder", DATASET_FORMAT, (MANIFEST_FILE, *(f"{split}.npz" for split in SPLITS)),
    (Legacy.with_format(MANIFEST_FILE, DATASET_FORMAT),),
)  # fmt: skip
IMAGE_KEYS = ("source", "target")
SKELETON_KEYS = ("source_skeleton", "target_skeleton")


@dataclass(frozen=True)
class GlyphSplit:
    """The glyphs of one split, all as uint8 (N, size, size) arrays."""

    chars: tuple[str, ...]
    source: np.ndarray
    target: np.ndarray
    source_skeleton: np.ndarray
    target_skeleton: np.ndarray

    def __len__(self) -> int:
        return len(self.chars)

    @property
    def size(self) -> int:
        return int(self.source.shape[-1])

    def subset(self, chars: list[str] | tuple[str, ...]) -> GlyphSplit:
        index = {c: i for i, c in enumerate(self.chars)}
        try:
            rows = [index[c] for c in chars]
        except KeyError as exc:
            raise DatasetError(f"character {exc.args[0]!r} is not in this split") from None
        return GlyphSplit(
            tuple(chars), self.source[rows], self.target[rows], self.source_skeleton[rows], self.target_skeleton[rows]
        )


def save_split(path: Path, split: GlyphSplit) -> None:
    arrays: dict[str, np.ndarray] = {"chars": np.array(split.chars, dtype="<U1")}
    for key in IMAGE_KEYS:
        arrays[key] = getattr(split, key)
    for key in SKELETON_KEYS:
        arrays[key] = np.packbits(getattr(split, key) > 0, axis=-1)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def manifest_hash(manifest: dict) -> str:
    """SHA-256 of the manifest's canonical JSON (what a checkpoint records about its data)."""
    canonical = {k: v for k, v in manifest.items() if k not in ("created", "build_seconds", "manifest_sha256")}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def read_manifest(folder: Path | str) -> dict:
    folder = Path(folder)
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise DatasetError(f"not a dataset folder (no manifest.json): {folder}")
    manifest = read_json(path, DatasetError, "dataset manifest")  # bounded; too deep is one line too
    if not isinstance(manifest, dict) or manifest.get("format") != DATASET_FORMAT:
        raise DatasetError(f"not a Segan dataset manifest: {path}")
    if manifest.get("version") != DATASET_VERSION:
        raise DatasetError(f"dataset format version {manifest.get('version')} is not supported: {path}")
    return manifest


class GlyphDataset:
    """A built dataset folder: its manifest, and its splits loaded on demand."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder)
        self._cache: dict[str, GlyphSplit] = {}

    @property
    def size(self) -> int:
        return int(self.manifest["size"])

    @property
    def hash(self) -> str:
        return str(self.manifest.get("manifest_sha256") or manifest_hash(self.manifest))

    @property
    def style_name(self) -> str:
        return str(self.manifest["target"]["name"])

    def chars(self, split: str) -> tuple[str, ...]:
        return tuple(self.manifest["splits"][split])

    def split(self, name: str) -> GlyphSplit:
        if name not in SPLITS:
            raise DatasetError(f"unknown split {name!r}; expected one of {', '.join(SPLITS)}")
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def _load(self, name: str) -> GlyphSplit:
        path = self.folder / f"{name}.npz"
        if not path.is_file():
            raise DatasetError(f"dataset split file missing: {path}")
        expected = tuple(self.manifest["splits"][name])
        try:
            with np.load(path, allow_pickle=False) as data:
                _check_headers(data, _split_shapes(len(expected), self.size))  # before any array is allocated
                chars = tuple(str(c) for c in data["chars"])
                images = {key: data[key] for key in IMAGE_KEYS}
                skeletons = {
                    key: (np.unpackbits(data[key], axis=-1, count=self.size) * 255).astype(np.uint8)
                    for key in SKELETON_KEYS
                }
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise DatasetError(f"dataset split file is damaged: {path} ({exc})") from None
        if chars != expected:
            raise DatasetError(f"dataset split {path} does not match its manifest")
        return GlyphSplit(
            chars, images["source"], images["target"], skeletons["source_skeleton"], skeletons["target_skeleton"]
        )


def _split_shapes(count: int, size: int) -> dict[str, tuple[int, ...]]:
    """The shape of each array of a split of ``count`` glyphs at ``size`` px (skeletons bit-packed)."""
    packed = (size + 7) // 8
    return {
        "chars": (count,),
        **{key: (count, size, size) for key in IMAGE_KEYS},
        **{key: (count, size, packed) for key in SKELETON_KEYS},
    }


def _check_headers(data: np.lib.npyio.NpzFile, shapes: dict[str, tuple[int, ...]]) -> None:
    """Each array's .npy header, read without its data, has the shape the manifest implies: a damaged or
    hostile header cannot make numpy allocate gigabytes."""
    for key, shape in shapes.items():
        with data.zip.open(f"{key}.npy") as member:
            version = np.lib.format.read_magic(member)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            found = reader(member)[0]
        if tuple(found) != shape:
            raise ValueError(f"{key} has shape {tuple(found)}, the manifest implies {shape}")
