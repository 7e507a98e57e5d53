"""The zi2zi-style baseline: network shapes, training through the shared engine, CLI, inference, evaluation."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from segan_core.baselines.zi2zi import PatchDiscriminator, UNetGenerator
from segan_core.cli import main as cli_main
from segan_core.config import BaselineConfig
from segan_core.errors import Cancelled, CheckpointError, SeganError
from segan_core.inference import StyleModel
from segan_core.jobs import CancelToken, run_to_end
from segan_core.training.presets import get_baseline_preset
from segan_core.training.runs import RunOptions, train_baseline

TINY = dataclasses.replace(get_baseline_preset("tiny-32")[0])


def _train_config(**changes):
    _, train = get_baseline_preset("tiny-32")
    return dataclasses.replace(train, checkpoint_every=1000, sample_every=1000, log_every=1, **changes)


def _log(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("size, depth", [(32, 5), (64, 6), (256, 8)])
def test_unet_goes_down_to_one_pixel_and_back(size, depth):
    config = BaselineConfig(image_size=size, ngf=4, ndf=4, embedding_dim=4)
    assert config.depth == depth
    net = UNetGenerator(config).eval()
    x = torch.rand(2, 1, size, size) * 2 - 1
    assert net.encode(x)[-1].shape[-2:] == (1, 1)
    out = net(x)
    assert out.image.shape == x.shape and out.heatmaps == {} and out.cam_logit is None
    assert out.image.abs().max() <= 1.0
    logits, category = PatchDiscriminator(config)(x, out.image)
    assert logits.shape[:2] == (2, 1) and category is None


def test_category_embedding_selects_the_style():
    config = BaselineConfig(image_size=32, ngf=4, ndf=4, categories=3, embedding_dim=4)
    net = UNetGenerator(config).eval()
    x = torch.rand(2, 1, 32, 32)
    first = net(x, category=torch.tensor([0, 0])).image
    assert torch.equal(net(x).image, first)  # no category = the first style
    assert not torch.allclose(first, net(x, category=torch.tensor([2, 2])).image)
    _, category_logits = PatchDiscriminator(config)(x, first)
    assert category_logits.shape == (2, 3)
    without = UNetGenerator(dataclasses.replace(config, categories=0))
    assert without.embedding is None


def test_bad_sizes_are_refused():
    for size in (48, 16):
        with pytest.raises(ValueError, match="power-of-two"):
            BaselineConfig(image_size=size)


def test_constancy_pass_leaves_the_encoder_statistics_to_source_glyphs():
    net = UNetGenerator(BaselineConfig(image_size=32, ngf=4, ndf=4, embedding_dim=4)).train()
    norms = [m for m in net.down.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    before = [m.running_mean.clone() for m in norms]
    code = net.encode_without_updating_statistics(torch.rand(4, 1, 32, 32))
    assert code.shape[-2:] == (1, 1) and code.requires_grad
    assert all(torch.equal(a, m.running_mean) for a, m in zip(before, norms, strict=True))
    assert all(m.momentum == 0.1 for m in norms)
    net.encode(torch.rand(4, 1, 32, 32))  # an ordinary pass does move them
    assert not all(torch.equal(a, m.running_mean) for a, m in zip(before, norms, strict=True))


def test_batches_label_each_pair_with_its_datasets_index(tiny_dataset):
    from segan_core.data.store import GlyphDataset
    from segan_core.training.data import PairedBatches

    dataset = GlyphDataset(tiny_dataset)
    train, dev, empty = dataset.split("train"), dataset.split("dev"), dataset.split("train").subset([])
    batches = PairedBatches([train, empty, dev], batch_size=4, skeleton_width=1, seed=0)
    by_image = {image.tobytes(): 0 for image in train.source} | {image.tobytes(): 2 for image in dev.source}
    seen = set()
    for _ in range(2 * (len(train) + len(dev)) // 4):
        batch = batches.next()
        images = ((batch.source.squeeze(1).numpy() + 1) * 127.5).round().astype(np.uint8)
        for image, category in zip(images, batch.category.tolist(), strict=True):
            assert by_image[image.tobytes()] == category
            seen.add(category)
    assert seen == {0, 2}


def test_training_lowers_l1_and_resumes_exactly(tiny_dataset, tmp_path):
    train = _train_config(learning_rate=1e-3, batch_size=16)
    out = tmp_path / "straight"
    run_to_end(train_baseline([tiny_dataset], TINY, train, RunOptions(out=out, max_steps=20)))
    l1 = [row["l1"] for row in _log(out)]
    assert len(l1) == 20 and np.mean(l1[-3:]) < 0.8 * np.mean(l1[:3])
    assert json.loads((out / "config.json").read_text())["kind"] == "baseline"

    # cancel at step 3, resume to 6: bit-identical to 6 uninterrupted steps (dropout RNG and BN stats included)
    train = _train_config()
    straight, split = tmp_path / "six", tmp_path / "three-plus-three"
    run_to_end(train_baseline([tiny_dataset], TINY, train, RunOptions(out=straight, max_steps=6)))
    token = CancelToken()
    job = train_baseline([tiny_dataset], TINY, train, RunOptions(out=split, max_steps=6), cancel=token)
    for event in job:
        if event.stage == "train" and event.done == 3:
            token.cancel()
            break
    with pytest.raises(Cancelled) as stopped:  # the one cancel convention: raised, carrying the kept run
        run_to_end(job)
    assert stopped.value.result.step == 3
    run_to_end(train_baseline([tiny_dataset], TINY, train, RunOptions(out=split, max_steps=6, resume=True)))
    a = load_file(str(straight / "train_state.safetensors"))
    b = load_file(str(split / "train_state.safetensors"))
    assert a.keys() == b.keys() and any(".running_mean" in k for k in a)
    for key in a:
        if key.startswith(("net.", "opt.")):
            assert torch.equal(a[key], b[key]), key


def test_several_datasets_train_one_category_each(tiny_dataset, tmp_path):
    model = dataclasses.replace(TINY, categories=2)
    out = tmp_path / "two"
    run_to_end(train_baseline([tiny_dataset, tiny_dataset], model, _train_config(), RunOptions(out=out, max_steps=2)))
    assert "category" in _log(out)[0]
    first = StyleModel.load(out, backend="eager").generate("永字")
    second = StyleModel.load(out, backend="eager", category=1).generate("永字")
    assert not np.array_equal(first, second)
    with pytest.raises(SeganError, match="category 2 does not exist"):
        StyleModel.load(out, category=2)
    with pytest.raises(SeganError, match="at least 3 rows"):
        run_to_end(train_baseline([tiny_dataset] * 3, model, _train_config(), RunOptions(out=tmp_path / "x")))


def test_cli_trains_a_baseline_that_inference_loads(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["train", "baseline", "--data", str(tiny_dataset), "--out", str(out), "--preset", "tiny-32", "--quiet"]
    assert cli_main([*args, "--max-steps", "2"]) == 0
    assert "step 2" in capsys.readouterr().out
    assert cli_main([*args, "--max-steps", "3", "--resume"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["step"] == 3 and config["model"]["categories"] == 1 and config["losses"]["l1"] == 100.0

    eager = StyleModel.load(out, backend="eager")
    onnx = StyleModel.load(out, backend="onnx")
    assert eager.kind == "baseline" and eager.attention == "none" and eager.identity.startswith("baseline-")
    result = eager.run("永字", heatmaps=True)
    assert result.generated.shape == (2, 32, 32) and result.heatmaps == {}
    assert onnx.backend == "onnx"  # the export worked: no silent fallback to eager
    diff = np.abs(onnx.generate("永字八法").astype(int) - eager.generate("永字八法").astype(int))
    assert diff.max() <= 2

    # a skeleton GAN folder is not a style model
    (tmp_path / "sg").mkdir()
    (tmp_path / "sg" / "config.json").write_text(json.dumps({**config, "kind": "skeleton-gan"}))
    with pytest.raises(CheckpointError):
        StyleModel.load(tmp_path / "sg")
