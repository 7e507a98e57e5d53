"""Issue 32: the many-hands base (style codes), a writer fitted from it, the writer's placement, web-font subsets."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from segan_core.cli import main as cli_main
from segan_core.config import ModelConfig
from segan_core.glyphs.placement import Placement, measure_placement
from segan_core.jobs import run_to_end
from segan_core.model.segan import Generator

from .conftest import LONG_CANG, MA_SHAN_ZHENG, SOURCE_FONT, TINY_TEXT


@pytest.fixture(scope="module")
def second_dataset(tmp_path_factory) -> Path:
    from segan_core.data.build import BuildRequest, build_dataset

    out = tmp_path_factory.mktemp("data2") / "long-cang32"
    run_to_end(build_dataset(BuildRequest(source=SOURCE_FONT, target=LONG_CANG, out=out, chars=tuple(TINY_TEXT),
                                          size=32)))
    return out


@pytest.fixture(scope="module")
def many_hands_base(tiny_dataset, second_dataset, skeleton_gan, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("base") / "many-hands"
    code = cli_main(["train", "base", "--preset", "tiny-32", "--data", str(tiny_dataset), str(second_dataset),
                     "--skeleton", str(skeleton_gan), "--out", str(out), "--max-steps", "3", "--threads", "1",
                     "--bf16", "off", "--loss", "cam=0", "--quiet"])
    assert code == 0
    return out


def test_each_style_code_draws_its_own_style():
    model = ModelConfig(image_size=32, ngf=4, encoder_res_blocks=1, decoder_res_blocks=1, attention_channels=4,
                        skips="image", style_codes=3, style_dim=8)
    g = Generator(model).eval()
    with torch.no_grad():
        g.style_embedding.weight.copy_(torch.randn(3, 8) * 3)
    x, s = torch.rand(2, 1, 32, 32) * 2 - 1, torch.rand(2, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        first, second = g(x, s, torch.tensor([0, 0])).image, g(x, s, torch.tensor([1, 1])).image
        default = g(x, s).image
    assert not torch.allclose(first, second)  # the code reaches the decoder
    assert torch.equal(default, first)  # no style named: row 0
    assert "decoder.mlp.0.weight" in g.state_dict() and g.decoder.mlp[0].in_features == 4 * 4 + 8


def test_one_style_model_keeps_the_papers_shape():
    g = Generator(ModelConfig(image_size=32, ngf=4, encoder_res_blocks=1, decoder_res_blocks=1, attention_channels=4))
    assert g.style_embedding is None and g.decoder.mlp[0].in_features == 16


def test_base_trains_one_code_per_dataset(many_hands_base):
    config = json.loads((many_hands_base / "config.json").read_text(encoding="utf-8"))
    assert config["model"]["style_codes"] == 2
    assert config["train"]["bidirectional"] is False
    assert [d["target"]["name"] for d in config["data"]["datasets"]] == ["Ma Shan Zheng", "Long Cang"]


def test_base_refuses_a_resume_with_the_datasets_reordered(many_hands_base, tiny_dataset, second_dataset,
                                                          skeleton_gan, capsys):
    code = cli_main(["train", "base", "--data", str(second_dataset), str(tiny_dataset), "--skeleton",
                     str(skeleton_gan), "--out", str(many_hands_base), "--resume", "--max-steps", "4", "--quiet"])
    assert code == 2
    assert "different data" in capsys.readouterr().err


def test_writer_starts_from_the_mean_code(many_hands_base, tmp_path):
    from safetensors.torch import load_file

    from segan_core.inference import StyleModel
    from segan_core.model.style_codes import CODES, write_writer_start

    start = write_writer_start(many_hands_base, tmp_path / "start")
    base_codes = load_file(str(many_hands_base / "weights.safetensors"))[CODES].float()
    codes = load_file(str(start / "weights.safetensors"))[CODES].float()
    assert codes.shape == (1, base_codes.shape[1])
    assert torch.allclose(codes[0], base_codes.mean(dim=0), atol=1e-3)
    assert json.loads((start / "config.json").read_text())["model"]["style_codes"] == 1
    assert StyleModel.load(start, backend="eager").generate("永字").shape == (2, 32, 32)


@pytest.mark.parametrize("recipe, learns", [("code", ()),
                                            ("code+adalin", ("style_embedding.", "decoder.mlp.", "decoder.to_gamma",
                                                             "decoder.to_beta", "decoder.blocks"))])
def test_light_recipes_learn_only_their_parts(many_hands_base, tiny_dataset, skeleton_gan, recipe, learns, tmp_path,
                                              monkeypatch):
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    from safetensors.torch import load_file

    from segan_core.finetune import FinetuneRequest, finetune

    request = FinetuneRequest(base=str(many_hands_base), data=tiny_dataset, name="Pen", recipe=recipe, max_steps=3,
                              threads=1, skeleton_gan=skeleton_gan, run_dir=tmp_path / "run", out=tmp_path / "pen")
    result = run_to_end(finetune(request))
    before = load_file(str(many_hands_base / "weights.safetensors"))
    after = load_file(str(result.out / "weights.safetensors"))
    code = "generator.style_embedding.weight"
    started = load_file(str(tmp_path / "run.start" / "weights.safetensors"))[code].float()[0]  # the nearest code
    assert not torch.allclose(after[code].float()[0], started, atol=1e-4)  # the code learned
    changed = {k.removeprefix("generator.") for k in after if k != code and not torch.equal(before[k], after[k])}
    assert bool(changed) == bool(learns), sorted(changed)[:5]
    assert all(k.startswith(learns) for k in changed), sorted(changed)[:5]  # blocks: only AdaLIN's rho
    assert all(k.endswith(".rho") for k in changed if k.startswith("decoder.blocks"))
    config = json.loads((result.out / "config.json").read_text(encoding="utf-8"))
    assert config["model"]["style_codes"] == 1 and "placement" in config


def test_placement_round_trip_and_measure():
    glyphs = np.zeros((8, 64, 64), np.uint8)
    for i in range(8):
        glyphs[i, 10 + i : 50, 12 : 48 - i] = 255
    writer = Placement(scale=0.8, dx=0.02, dy=0.05)
    written = writer.apply(glyphs)
    measured = measure_placement(glyphs, written)
    assert abs(measured.scale - 0.8) < 0.03 and abs(measured.dx - 0.02) < 0.01 and abs(measured.dy - 0.05) < 0.01
    back = measured.apply(measured.undo(written))
    assert np.mean((back >= 128) == (written >= 128)) > 0.97
    assert Placement().apply(glyphs) is glyphs  # identity: untouched
    with pytest.raises(Exception, match="scale"):
        Placement(scale=float("nan"))


def test_style_model_puts_the_writers_placement_back(many_hands_base, tmp_path):
    import shutil

    from segan_core.inference import StyleModel

    folder = tmp_path / "placed"
    shutil.copytree(many_hands_base, folder)
    plain = StyleModel.load(folder, backend="eager").generate("永")
    config = json.loads((folder / "config.json").read_text())
    config["placement"] = {"scale": 0.5, "dx": 0.0, "dy": 0.0}
    (folder / "config.json").write_text(json.dumps(config))
    placed = StyleModel.load(folder, backend="eager").generate("永")
    assert np.array_equal(placed, Placement(scale=0.5).apply(plain))
    config["placement"] = {"scale": "big"}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(Exception, match="placement"):
        StyleModel.load(folder, backend="eager")


def test_the_style_model_draws_with_its_gain_after_the_placement(many_hands_base, tmp_path):
    import shutil

    from segan_core.errors import CheckpointError
    from segan_core.glyphs.ink_gain import INK_GAIN_KEY, GainScore, InkMatch, apply_gain
    from segan_core.inference import StyleModel

    folder = tmp_path / "writer"
    shutil.copytree(many_hands_base, folder)
    plain_model = StyleModel.load(folder, backend="eager")
    plain = plain_model.generate("永字")
    config = json.loads((folder / "config.json").read_text())
    config["placement"] = {"scale": 0.8, "dx": 0.0, "dy": 0.05}
    config[INK_GAIN_KEY] = InkMatch(2.0, 10, (GainScore(2.0, 0.4, 1.0),)).to_json()
    (folder / "config.json").write_text(json.dumps(config))
    styled = StyleModel.load(folder, backend="eager")
    assert styled.ink_gain == 2.0 and styled.identity != plain_model.identity  # other glyphs: another cache key
    expected = apply_gain(Placement(scale=0.8, dy=0.05).apply(plain), 2.0)
    assert np.array_equal(styled.generate("永字"), expected)
    config[INK_GAIN_KEY] = {"gain": 99, "characters": 1, "scores": []}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="ink_gain"):
        StyleModel.load(folder, backend="eager")


def test_font_renderer_reads_a_folder_of_subsets(tmp_path):
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from segan_core.glyphs.render import FontRenderer

    folder = tmp_path / "subsets"
    folder.mkdir()
    for index, text in enumerate(("永字", "八法")):
        font = TTFont(str(MA_SHAN_ZHENG))
        subsetter = subset.Subsetter(subset.Options())
        subsetter.populate(text=text)
        subsetter.subset(font)
        font.flavor = "woff2"
        font.save(str(folder / f"part-{index}.woff2"))
    whole, parts = FontRenderer(MA_SHAN_ZHENG), FontRenderer(folder)
    for index, text in enumerate(("永字", "八法")):  # each character drawn from the file that has it
        one = FontRenderer(folder / f"part-{index}.woff2")
        for char in text:
            assert parts.render(char, 64).any() and np.array_equal(parts.render(char, 64), one.render(char, 64))
    assert parts.file_for("八").name == "part-1.woff2"
    assert parts.check("永") is None and parts.check("龍").reason == "not in cmap"
    assert parts.sha256 != whole.sha256 and len(parts.sha256) == 64
    (tmp_path / "empty").mkdir()
    with pytest.raises(Exception, match="no font files"):
        FontRenderer(tmp_path / "empty")


def test_data_build_takes_a_subset_folder_as_target(tmp_path):
    from fontTools import subset
    from fontTools.ttLib import TTFont

    folder = tmp_path / "web"
    folder.mkdir()
    font = TTFont(str(MA_SHAN_ZHENG))
    subsetter = subset.Subsetter(subset.Options())
    subsetter.populate(text="永字八法")
    subsetter.subset(font)
    font.save(str(folder / "only.ttf"))
    out = tmp_path / "ds"
    assert cli_main(["data", "build", "--target", str(folder), "--text", "永字八法", "--size", "32", "--out", str(out),
                     "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["total"] == 4


def test_placement_is_measured_on_the_writers_training_glyphs(tiny_dataset, tmp_path):
    from segan_core.data.placed import write_placed_dataset, writer_placement
    from segan_core.data.store import GlyphDataset

    placement = writer_placement(tiny_dataset)
    out = write_placed_dataset(tiny_dataset, tmp_path / "placed", dataclasses.replace(placement, scale=0.9))
    placed, original = GlyphDataset(out), GlyphDataset(tiny_dataset)
    assert placed.manifest["placement"]["scale"] == 0.9 and placed.hash != original.hash
    assert placed.chars("train") == original.chars("train")
    assert not np.array_equal(placed.split("train").target, original.split("train").target)


def test_a_base_is_not_listed_as_a_style(many_hands_base, tmp_path, monkeypatch, capsys):
    import shutil

    from segan_core.model_folder import ModelFolder

    info = ModelFolder(many_hands_base).describe()
    assert info.is_base and not info.is_style
    extra = tmp_path / "extra"
    shutil.copytree(many_hands_base, extra / "my-base")
    monkeypatch.setenv("SEGAN_MODELS_DIR", str(extra))
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    assert cli_main(["styles", "list"]) == 0
    assert "my-base" not in capsys.readouterr().out


def test_no_placement_keeps_the_glyphs_as_they_sit(tiny_dataset, skeleton_gan, tmp_path, monkeypatch, capsys):
    from segan_core.finetune import FinetuneRequest, finetune
    from segan_core.training.presets import get_preset

    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    base = tmp_path / "base"
    from segan_core.training.runs import RunOptions, train_style

    model, train = get_preset("tiny-32")
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, dataclasses.replace(train, bidirectional=False),
                           RunOptions(out=base, max_steps=2)))
    result = run_to_end(finetune(FinetuneRequest(base=str(base), data=tiny_dataset, name="Plain", max_steps=2,
                                                 threads=1, skeleton_gan=skeleton_gan, placement=False)))
    assert "placement" not in json.loads((result.out / "config.json").read_text(encoding="utf-8"))
    assert not result.run_dir.with_name(f"{result.run_dir.name}.placed-data").exists()


def test_code_recipes_need_a_many_hands_base(many_hands_base, tiny_dataset, skeleton_gan, tmp_path, monkeypatch,
                                             capsys):
    from segan_core.finetune import recipes_for

    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    assert "code+adalin" in recipes_for(many_hands_base)
    one_style = tmp_path / "one"
    from segan_core.training.presets import get_preset
    from segan_core.training.runs import RunOptions, train_style

    model, train = get_preset("tiny-32")
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, dataclasses.replace(train, bidirectional=False),
                           RunOptions(out=one_style, max_steps=1)))
    assert "code" not in recipes_for(one_style) and "all-nocam" in recipes_for(one_style)
    code = cli_main(["train", "finetune", "--base", str(one_style), "--data", str(tiny_dataset), "--name", "Pen",
                     "--recipe", "code", "--skeleton", str(skeleton_gan), "--max-steps", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "many-hands base" in err and "Traceback" not in err
    assert not (tmp_path / "home" / "runs").exists()


def test_a_resumed_fit_rewrites_the_placed_copy_when_the_writers_glyphs_changed(tiny_dataset, tmp_path):
    from segan_core.data.placed import is_placed_copy, write_placed_dataset, writer_placement

    placement = writer_placement(tiny_dataset)
    copy = write_placed_dataset(tiny_dataset, tmp_path / "run.placed-data", placement)
    assert is_placed_copy(copy, tiny_dataset, placement)
    assert not is_placed_copy(copy, tiny_dataset, dataclasses.replace(placement, scale=placement.scale * 0.9))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(Exception, match=r"notes\.txt|not"):  # a user's folder is never replaced
        write_placed_dataset(tiny_dataset, tmp_path / "mine", placement)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"


def test_style_model_draws_a_chosen_code_of_a_base(many_hands_base):
    from segan_core.inference import StyleModel

    first = StyleModel.load(many_hands_base, backend="eager").generate("永字")
    second = StyleModel.load(many_hands_base, backend="eager", category=1).generate("永字")
    assert first.shape == second.shape and not np.array_equal(first, second)
    with pytest.raises(Exception, match="category 2 does not exist"):
        StyleModel.load(many_hands_base, backend="eager", category=2)


def test_encode_then_decode_is_the_forward_pass():
    model = ModelConfig(image_size=32, ngf=4, encoder_res_blocks=1, decoder_res_blocks=1, attention_channels=4,
                        skips="image", style_codes=3, style_dim=8)
    g = Generator(model).eval()
    x, s = torch.rand(2, 1, 32, 32) * 2 - 1, torch.rand(2, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        whole = g(x, s, torch.tensor([2, 1]))
        features = g.encode(x, s)
        parts = g.decode(features, g.style_embedding(torch.tensor([2, 1])))
    assert torch.equal(whole.image, parts) and torch.equal(whole.cam_logit, features.cam_logit)


def _base_with_far_apart_codes(base: Path, out: Path) -> Path:
    """A copy of ``base`` whose two codes are far apart, so that each draws its own glyphs."""
    import shutil

    from safetensors.torch import load_file, save_file

    from segan_core.model.style_codes import CODES

    shutil.copytree(base, out)
    tensors = load_file(str(out / "weights.safetensors"))
    generator = torch.Generator().manual_seed(0)
    tensors[CODES] = (torch.randn(tensors[CODES].shape, generator=generator) * 4).to(tensors[CODES].dtype)
    save_file(tensors, str(out / "weights.safetensors"))
    return out


def _writer_drawn_by_code(base: Path, dataset: Path, category: int, out: Path) -> Path:
    """``dataset`` with its targets replaced by what code ``category`` of ``base`` draws."""
    import shutil

    from segan_core.data.store import GlyphDataset, GlyphSplit, save_split
    from segan_core.inference import StyleModel

    shutil.copytree(dataset, out)
    model = StyleModel.load(base, backend="eager", category=category)
    for name in ("train", "dev", "test"):
        split = GlyphDataset(out).split(name)
        drawn, _ = model.translate(split.source, split.source_skeleton)
        save_split(out / f"{name}.npz", GlyphSplit(split.chars, split.source, drawn, split.source_skeleton,
                                                   split.target_skeleton))
    return out


def test_a_writer_starts_from_the_code_that_draws_their_hand(many_hands_base, tiny_dataset, tmp_path):
    from safetensors.torch import load_file

    from segan_core.model.style_codes import CODES, nearest_code, write_writer_start

    base = _base_with_far_apart_codes(many_hands_base, tmp_path / "base")
    for category, font in ((1, "Long Cang"), (0, "Ma Shan Zheng")):
        writer = _writer_drawn_by_code(base, tiny_dataset, category, tmp_path / f"writer-{category}")
        start = nearest_code(base, writer)
        assert (start.index, start.font) == (category, font)
        assert start.iou == 1.0 and start.mean_iou < 1.0  # the writer's glyphs are exactly what that code draws
        folder = write_writer_start(base, tmp_path / f"start-{category}", start)
        codes = load_file(str(folder / "weights.safetensors"))[CODES].float()
        assert torch.allclose(codes[0], load_file(str(base / "weights.safetensors"))[CODES].float()[category])
        assert json.loads((folder / "config.json").read_text())["base"]["code"]["font"] == font


def test_a_fine_tune_records_its_start_and_can_start_from_the_mean(many_hands_base, tiny_dataset, skeleton_gan,
                                                                   tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    base = _base_with_far_apart_codes(many_hands_base, tmp_path / "base")
    writer = _writer_drawn_by_code(base, tiny_dataset, 1, tmp_path / "writer")
    common = ["train", "finetune", "--base", str(base), "--data", str(writer), "--max-steps", "2", "--threads", "1",
              "--skeleton", str(skeleton_gan), "--no-placement", "--quiet"]
    assert cli_main([*common, "--name", "Near", "--run-dir", str(tmp_path / "near-run"),
                     "--out", str(tmp_path / "near")]) == 0
    style = json.loads((tmp_path / "near" / "style.json").read_text(encoding="utf-8"))
    assert style["start_code"]["font"] == "Long Cang" and style["start_code"]["iou"] == 1.0
    start = (tmp_path / "near-run.start" / "weights.safetensors").read_bytes()
    # the start is the run's step-0 snapshot; here it draws the writer's glyphs exactly, so it is the one kept
    assert (tmp_path / "near-run" / "snapshots" / "step-000000" / "weights.safetensors").read_bytes() == start
    assert style["snapshot"] == "step-000000" and (tmp_path / "near" / "weights.safetensors").read_bytes() == start
    near = [*common[:common.index("--max-steps")], "--max-steps", "3", *common[common.index("--max-steps") + 2:]]
    assert cli_main([*near, "--name", "Near", "--run-dir", str(tmp_path / "near-run"), "--out", str(tmp_path / "near"),
                     "--resume"]) == 0  # a resumed fit keeps saying where it started
    resumed = json.loads((tmp_path / "near" / "style.json").read_text(encoding="utf-8"))
    assert resumed["start_code"] == style["start_code"]
    assert json.loads((tmp_path / "near-run" / "config.json").read_text(encoding="utf-8"))["step"] == 3
    assert cli_main([*common, "--name", "Mid", "--run-dir", str(tmp_path / "mid-run"), "--out", str(tmp_path / "mid"),
                     "--start-code", "mean"]) == 0
    assert json.loads((tmp_path / "mid" / "style.json").read_text(encoding="utf-8"))["start_code"] is None
    assert json.loads((tmp_path / "mid-run.start" / "config.json").read_text())["base"]["code"] == "mean"
    mid_start = (tmp_path / "mid-run.start" / "weights.safetensors").read_bytes()
    assert (tmp_path / "mid-run" / "snapshots" / "step-000000" / "weights.safetensors").read_bytes() == mid_start
    capsys.readouterr()
    # a new fit over a run kept to resume is refused before it writes its start: the kept run's start stays
    assert cli_main([*common, "--name", "Mid", "--run-dir", str(tmp_path / "mid-run"), "--out", str(tmp_path / "mid"),
                     "--overwrite"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (tmp_path / "mid-run.start" / "weights.safetensors").read_bytes() == mid_start
    # a one-code model (a writer's style, or a bundled style adapted from the base) is a style, not a base: a fit
    # starts from it as it is, with no search for a start code
    again = [*common[:2], "--base", str(tmp_path / "near"), *common[4:]]
    assert cli_main([*again, "--name", "Again", "--run-dir", str(tmp_path / "again-run"),
                     "--out", str(tmp_path / "again")]) == 0, capsys.readouterr()
    assert json.loads((tmp_path / "again" / "style.json").read_text(encoding="utf-8"))["start_code"] is None
    assert not (tmp_path / "again-run.start").exists()


def test_the_bundled_base_is_where_a_new_hand_starts():
    from segan_core.calligrapher import DEFAULT_BASE, default_base
    from segan_core.config import from_dict
    from segan_core.styles import BASES, base_folder, bundled_bases, load_styles

    folder = base_folder(DEFAULT_BASE)
    assert DEFAULT_BASE in BASES and default_base() == folder and bundled_bases()[0][1] == folder.resolve()
    assert DEFAULT_BASE not in {s.id for s in load_styles()}  # a base, not a style to export
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert from_dict(ModelConfig, config["model"], "base").is_many_hands
    trained = [d["target"]["name"] for d in config["data"]["datasets"]]
    corpus = json.loads((folder / "corpus.json").read_text(encoding="utf-8"))
    fonts = [f for f in corpus["fonts"] if f["role"] == "train"]
    assert [f["family"] for f in fonts] == trained and len(trained) == config["model"]["style_codes"]
    assert all(f["licence"] and len(f["sha256"]) == 64 for f in fonts)  # every code's font and its licence known
    dev = {f["family"] for f in corpus["fonts"] if f["role"] == "dev-hand"}
    assert len(dev) >= 4 and not dev & set(trained)  # the dev hands the recipes were chosen on: never trained on
