"""Few-shot fine-tuning: the recipe's mechanisms (frozen parts, paired jitter) and `segan train finetune` end to end."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from segan_core.cli import main as cli_main
from segan_core.jobs import run_to_end
from segan_core.training.data import Batch, jitter_pairs
from segan_core.training.runs import RunOptions, train_style


@pytest.fixture(scope="module")
def base_style(tiny_dataset, skeleton_gan, tiny_configs, tmp_path_factory) -> Path:
    """A tiny trained style with the bundled models' recipe shape (one direction, EMA, L_dice)."""
    model, train = tiny_configs
    train = dataclasses.replace(
        train, bidirectional=False, ema_decay=0.9, learning_rate=5e-4,
        losses=dataclasses.replace(train.losses, dice=20.0),
    )
    out = tmp_path_factory.mktemp("base") / "base"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=3)))
    return out


def test_jitter_moves_source_target_and_skeletons_alike():
    rng = np.random.default_rng(0)
    glyph = np.zeros((3, 32, 32), np.uint8)
    glyph[:, 8:24, 14:18] = 255
    other = glyph.copy()
    moved = jitter_pairs([glyph, other], 1.0, np.random.default_rng(1))
    assert np.array_equal(moved[0], moved[1])  # one transform per pair, shared by every stack
    assert not np.array_equal(moved[0], glyph)  # ... and it does move the glyph
    assert all(np.abs(int(moved[0][i].sum()) - int(glyph[i].sum())) < 0.3 * glyph[i].sum() for i in range(3))
    still = jitter_pairs([glyph], 0.0, rng)[0]
    assert np.array_equal(still, glyph)
    again = jitter_pairs([glyph, other], 1.0, np.random.default_rng(1))
    assert np.array_equal(again[0], moved[0])  # a pure function of the generator's state: resume-exact


def test_decoder_recipe_trains_only_the_decoder(tiny_dataset, skeleton_gan, tiny_configs):
    from segan_core.data.store import GlyphDataset
    from segan_core.model.skeleton_gan import SkeletonGenerator
    from segan_core.training.data import PairedBatches
    from segan_core.training.segan_step import SeganTrainable

    model, train = tiny_configs
    train = dataclasses.replace(train, trainable_parts="decoder", bidirectional=False, ema_decay=0.9, augment=1.0)
    sg = SkeletonGenerator(model.skeleton_gan_ngf, model.skeleton_gan_res_blocks)
    trainable = SeganTrainable(model, train, sg, torch.device("cpu"))
    before = {k: v.clone() for k, v in trainable.g_a.state_dict().items()}
    batches = PairedBatches([GlyphDataset(tiny_dataset).split("train")], 4, model.skeleton_width, 0, augment=1.0)
    batch: Batch = batches.next()
    for _ in range(2):
        trainable.train_step(batch, lambda module: None)
    after = trainable.g_a.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith(("decoder.", "skeleton_fuse.")) for k in changed), sorted(changed)[:5]
    assert any(k.startswith("decoder.blocks") for k in changed)
    optimised = {id(p) for group in trainable.opt_g.param_groups for p in group["params"]}
    assert all(id(p) not in optimised for p in trainable.g_a.image_encoder.parameters())


def test_a_step_without_l_cls_runs_the_encoder_on_the_real_glyphs_no_more(tiny_dataset, skeleton_gan, tiny_configs,
                                                                         monkeypatch):
    """With L_cls's weight at 0 (every fine-tune recipe, the many-hands base) the CAM classifier is not run: the
    same update, one encoder pass a step less."""
    from segan_core.data.store import GlyphDataset
    from segan_core.model.skeleton_gan import SkeletonGenerator
    from segan_core.training.data import PairedBatches
    from segan_core.training.segan_step import SeganTrainable

    model, train = tiny_configs
    batches = PairedBatches([GlyphDataset(tiny_dataset).split("train")], 4, model.skeleton_width, 0)
    batch: Batch = batches.next()
    updated = {}
    for cam in (0.0, 1e-30):  # 1e-30: L_cls computed, its gradient vanishing
        torch.manual_seed(0)
        config = dataclasses.replace(train, bidirectional=False, losses=dataclasses.replace(train.losses, cam=cam))
        sg = SkeletonGenerator(model.skeleton_gan_ngf, model.skeleton_gan_res_blocks)
        trainable = SeganTrainable(model, config, sg, torch.device("cpu"))
        calls = []
        original = trainable.g_a.classify
        monkeypatch.setattr(trainable.g_a, "classify", lambda image, original=original, calls=calls: calls.append(1)
                            or original(image))
        logged = trainable.train_step(batch, lambda module: None)
        assert ("cam" in logged) == bool(cam) and len(calls) == (1 if cam else 0)
        updated[cam] = trainable.g_a.state_dict()
    for key, value in updated[0.0].items():
        assert torch.allclose(value.float(), updated[1e-30][key].float(), atol=1e-6), key


def test_finetune_installs_a_user_style_everywhere(tiny_dataset, skeleton_gan, base_style, tmp_path, capsys,
                                                   monkeypatch):
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    code = cli_main([
        "train", "finetune", "--base", str(base_style), "--data", str(tiny_dataset), "--name", "My Hand",
        "--skeleton", str(skeleton_gan), "--max-steps", "4", "--threads", "1", "--quiet",
    ])
    out = capsys.readouterr().out
    assert code == 0, out
    style_dir = tmp_path / "home" / "models" / "My-Hand"
    assert "new style My-Hand" in out and str(style_dir) in out
    for name in ("weights.safetensors", "config.json", "selection.json", "style.json"):
        assert (style_dir / name).is_file(), name
    # the style's own marker, not the selection's it was copied from: one folder, one kind of output
    assert (style_dir / "segan-style.json").is_file() and not (style_dir / "segan-selection.json").exists()
    style = json.loads((style_dir / "style.json").read_text(encoding="utf-8"))
    assert style["recipe"]["name"] == "all-nocam" and style["base"]["path"] == str(base_style)
    config = json.loads((style_dir / "config.json").read_text(encoding="utf-8"))
    assert config["train"]["trainable_parts"] == "all" and config["train"]["augment"] == 1.0
    assert config["train"]["losses"]["dice"] == 20.0  # inherited from the base's recipe
    assert config["train"]["losses"]["cam"] == 0.0  # the recipe's own
    assert config["train"]["bf16"] is False  # fine-tuning stays fp32 unless --bf16 auto|on
    assert config["data"]["init_from"]["path"] == str(base_style)
    # the writer's stroke weight: the ink gain matched on their dev characters, which the style draws with
    from segan_core.data.store import GlyphDataset
    from segan_core.inference import StyleModel

    match = config["ink_gain"]
    dev = GlyphDataset(tiny_dataset).split("dev")
    chosen = next(s for s in match["scores"] if s["gain"] == match["gain"])
    assert style["ink_gain"] == {"gain": match["gain"], "characters": match["characters"], "dev_iou": chosen["iou"],
                                 "dev_ink_ratio": chosen["ink_ratio"]}  # fmt: skip
    assert match["characters"] == len(dev) >= 4 and len(match["scores"]) == 10
    assert StyleModel.load(style_dir, backend="eager").ink_gain == match["gain"]
    from segan_core.finetune import run_folder

    start = run_folder("My-Hand") / "snapshots" / "step-000000"  # the base itself: a candidate of the choice
    assert (start / "weights.safetensors").read_bytes() == (base_style / "weights.safetensors").read_bytes()
    assert json.loads((start / "config.json").read_text(encoding="utf-8"))["step"] == 0

    assert cli_main(["styles", "list"]) == 0
    listing = capsys.readouterr().out
    assert "My-Hand" in listing and str(style_dir) in listing

    font = tmp_path / "mine.ttf"
    assert cli_main(["batch", "--style", "My-Hand", "--text", "永字", "--out", str(font), "--quiet"]) == 0
    assert font.is_file() and font.stat().st_size > 0

    assert cli_main(["train", "finetune", "--base", "no-such-style", "--data", str(tiny_dataset),
                     "--name", "x"]) == 2
    assert "unknown style 'no-such-style'" in capsys.readouterr().err


def test_finetune_takes_its_snapshot_interval_and_selection_rule(tiny_dataset, skeleton_gan, base_style, tmp_path,
                                                                 capsys, monkeypatch):
    """--checkpoint-every, --select-by / --select-min-ratio, --without-start and --no-ink-match reach the run, the
    choice and the style (models/train.sh adapt uses them to choose each bundled style's adaptation by that style's
    own rule, among the fit's own snapshots, drawn as the network leaves them)."""
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    code = cli_main([
        "train", "finetune", "--base", str(base_style), "--data", str(tiny_dataset), "--name", "Ruled",
        "--skeleton", str(skeleton_gan), "--max-steps", "4", "--threads", "1", "--checkpoint-every", "2",
        "--select-by", "l1", "--select-min-ratio", "0", "--without-start", "--no-ink-match", "--quiet",
    ])
    assert code == 0, capsys.readouterr()
    style_dir = tmp_path / "home" / "models" / "Ruled"
    selection = json.loads((style_dir / "selection.json").read_text(encoding="utf-8"))
    assert selection["metric"] == "l1" and selection["min_ratio"] is None and selection["min_step"] == 1
    assert [row["snapshot"] for row in selection["snapshots"]] == ["step-000002", "step-000004"]
    from segan_core.finetune import run_folder

    assert not (run_folder("Ruled") / "snapshots" / "step-000000").exists()  # the start is no candidate here
    best = min(selection["snapshots"], key=lambda row: row["l1"])
    assert selection["chosen"] == best["snapshot"]
    style = json.loads((style_dir / "style.json").read_text(encoding="utf-8"))
    assert style["recipe"]["checkpoint_every"] == 2 and style["train"]["checkpoint_every"] == 2
    assert "ink_gain" not in style and "ink_gain" not in json.loads((style_dir / "config.json").read_text())

    assert cli_main(["train", "finetune", "--base", str(base_style), "--data", str(tiny_dataset), "--name", "x",
                     "--select-by", "speed"]) == 2
    assert "--select-by" in capsys.readouterr().err


def test_a_cancelled_finetune_keeps_its_run_and_says_where(tiny_dataset, skeleton_gan, base_style, tmp_path,
                                                           monkeypatch):
    """The cancel carries the kept run, typed (FinetuneCancelled.result is a FinetuneResult); no style is made."""
    from segan_core.finetune import FinetuneCancelled, FinetuneRequest, finetune
    from segan_core.jobs import CancelToken

    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    token = CancelToken()
    request = FinetuneRequest(base=str(base_style), data=tiny_dataset, name="Stopped", max_steps=1000, threads=1,
                              skeleton_gan=skeleton_gan)  # fmt: skip
    with pytest.raises(FinetuneCancelled) as stopped:
        for event in finetune(request, token):
            if event.stage == "train" and event.done >= 2:
                token.cancel()
    kept = stopped.value.result
    assert kept.steps >= 2 and kept.run_dir == tmp_path / "home" / "runs" / "Stopped" and kept.verdict is None
    assert (kept.run_dir / "train_state.json").is_file() and stopped.value.exit_code == 130
    assert not (tmp_path / "home" / "models" / "Stopped").exists()


def _glyph_bounds(font_path: Path, char: str) -> tuple[int, int, int, int] | None:
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path))
    name = font.getBestCmap()[ord(char)]
    pen = BoundsPen(font.getGlyphSet())
    font.getGlyphSet()[name].draw(pen)
    return pen.bounds


def test_font_takes_the_written_glyphs_and_generates_the_rest(base_style, tmp_path):
    import shutil

    import cv2

    from segan_core.batch import BatchRequest, export_font
    from segan_core.glyphs.embox import EmBox

    style = tmp_path / "hand"
    shutil.copytree(base_style, style)
    (style / "written").mkdir()
    # the writer's 永: a square block in the middle of the em box at 256 px (impossible for the tiny model)
    paper = np.full((256, 256), 255, np.uint8)
    box = EmBox(256)
    lo, hi = box.margin + box.em_px // 4, box.margin + 3 * box.em_px // 4
    paper[lo:hi, lo:hi] = 0
    cv2.imwrite(str(style / "written" / "永.png"), paper)

    def export(use_written: bool, name: str) -> dict:
        request = BatchRequest(source=str(style), chars=tuple("永字"), out=tmp_path / name, workers=0,
                               cache_dir=tmp_path / "cache", use_written=use_written)
        return run_to_end(export_font(request)).report.to_json()  # the FONT.report.json object

    report = export(True, "hand.ttf")
    assert report["written_glyphs"]["count"] == 1 and report["written_glyphs"]["generated"] == 1
    ink = report["written_glyphs"]["ink"]
    assert ink["written"]["count"] == 1 and ink["generated"]["count"] == 1
    assert 0.2 < ink["written"]["ink_weight"] < 0.3  # a square half the em wide: a quarter of its area
    x0, y0, x1, y1 = _glyph_bounds(tmp_path / "hand.ttf", "永")
    assert abs((x1 - x0) - 500) < 20 and abs((y1 - y0) - 500) < 20  # half the 1000-unit em, traced at 256 px

    report = export(False, "generated.ttf")
    assert "written_glyphs" not in report
    assert _glyph_bounds(tmp_path / "generated.ttf", "永") != _glyph_bounds(tmp_path / "hand.ttf", "永")


def test_a_second_finetune_of_the_same_name_is_refused_while_one_runs(tiny_dataset, skeleton_gan, base_style,
                                                                        tmp_path, capsys, monkeypatch):
    from filelock import FileLock

    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    runs = tmp_path / "home" / "runs"
    runs.mkdir(parents=True)
    with FileLock(str(runs / ".Same.lock")):  # the first fine-tune of "Same" is running
        code = cli_main(["train", "finetune", "--base", str(base_style), "--data", str(tiny_dataset), "--name", "Same",
                         "--skeleton", str(skeleton_gan), "--max-steps", "2", "--threads", "1", "--quiet"])
    assert code == 2
    assert "another fine-tune of 'Same' is using" in capsys.readouterr().err
    assert not (runs / "Same").exists() and not (tmp_path / "home" / "models" / "Same").exists()


def test_a_name_that_shadows_a_bundled_style_is_refused(tiny_dataset, base_style, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    code = cli_main(["train", "finetune", "--base", str(base_style), "--data", str(tiny_dataset),
                     "--name", "Ma-Shan-Zheng", "--max-steps", "2", "--quiet"])
    assert code == 2
    assert "ma-shan-zheng" in capsys.readouterr().err.lower()
    assert not (tmp_path / "home" / "runs").exists()
