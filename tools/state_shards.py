"""Keep a run's train state in the repository as shards of at most 4 MB, and join them back, bit for bit.

    .venv/bin/python tools/state_shards.py split RUN/train_state.safetensors state/many-hands/
    .venv/bin/python tools/state_shards.py join state/many-hands/ RUN/train_state.safetensors

The many-hands base's resumable state (38 MB: every network and both optimizers) travels with the project
between sessions and machines; the repository keeps no file over 5 MB outside models/ and resources/, so it is
stored the way large checkpoints usually are: ``train_state-NNNNN.safetensors`` shards, whole tensors each,
with their metadata (the step) in every shard. Joining gives the same tensors, so a resume stays exact.
"""

from __future__ import annotations

import sys
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import load_file, save_file

SHARD_BYTES = 4 * 2**20
PATTERN = "train_state-*.safetensors"


def split(source: Path, folder: Path) -> list[Path]:
    tensors = load_file(str(source))
    with safe_open(str(source), "pt") as handle:
        metadata = handle.metadata() or {}
    shards: list[dict] = [{}]
    size = 0
    for name in sorted(tensors):
        nbytes = tensors[name].numel() * tensors[name].element_size()
        if size and size + nbytes > SHARD_BYTES:
            shards.append({})
            size = 0
        shards[-1][name] = tensors[name].contiguous()
        size += nbytes
    for old in folder.glob(PATTERN):
        old.unlink()
    paths = [folder / f"train_state-{i:05d}.safetensors" for i in range(len(shards))]
    for path, shard in zip(paths, shards, strict=True):
        save_file(shard, str(path), metadata=metadata)
    return paths


def join(folder: Path, target: Path) -> Path:
    paths = sorted(folder.glob(PATTERN))
    if not paths:
        raise SystemExit(f"no {PATTERN} in {folder}")
    tensors: dict = {}
    for path in paths:
        tensors |= load_file(str(path))
    with safe_open(str(paths[0]), "pt") as handle:
        metadata = handle.metadata() or {}
    save_file(tensors, str(target), metadata=metadata)
    return target


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[1] not in ("split", "join"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    action, a, b = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    done = split(a, b) if action == "split" else [join(a, b)]
    print("\n".join(str(p) for p in done))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
