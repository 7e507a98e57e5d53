"""The many-hands run's state travels in shards of at most 4 MB (tools/state_shards.py) and joins back bit for bit."""

import importlib.util
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("state_shards", ROOT / "tools" / "state_shards.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_split_and_join_give_the_same_state(tmp_path, monkeypatch):
    tool = _tool()
    monkeypatch.setattr(tool, "SHARD_BYTES", 10_000)
    tensors = {f"net.{i}": torch.randn(1000 + i) for i in range(7)} | {"rng.torch": torch.arange(16, dtype=torch.uint8)}
    source = tmp_path / "train_state.safetensors"
    save_file(tensors, str(source), metadata={"step": "1808"})
    folder = tmp_path / "kept"
    folder.mkdir()
    (folder / "train_state-00042.safetensors").write_bytes(b"stale")  # an older save's extra shard goes
    shards = tool.split(source, folder)
    assert len(shards) > 1 and all(p.stat().st_size <= 10_000 + 4_096 for p in shards)
    assert sorted(folder.glob("train_state-*.safetensors")) == shards
    joined = tool.join(folder, tmp_path / "joined.safetensors")
    back = load_file(str(joined))
    assert back.keys() == tensors.keys() and all(torch.equal(back[k], tensors[k]) for k in tensors)
    with safe_open(str(joined), "pt") as handle:
        assert handle.metadata() == {"step": "1808"}


def test_the_kept_state_has_no_file_over_5_mb():
    big = [p for p in (ROOT / "state").rglob("*") if p.is_file() and p.stat().st_size > 5 * 2**20]
    assert big == []
