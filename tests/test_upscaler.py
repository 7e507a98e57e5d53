"""The second stage (issue 20): the upscaler network, its training run, and where the app uses it."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from segan_core.errors import Cancelled, CheckpointError, SeganError
from segan_core.jobs import CancelToken, run_to_end
from segan_core.model.upscaler import Upscaler, UpscalerConfig, bicubic, load_upscaler
from segan_core.style_source import open_style
from segan_core.training.upscaler_data import degrade
from segan_core.upscale.stage import UPSCALER_DIR, SecondStage, upscaler_folder
from segan_core.upscale.train import DEFAULT_TRAIN, UpscalerRun, install_upscaler, train_upscaler

TINY = UpscalerConfig(image_size=32, channels=8, blocks=1)


@pytest.fixture(scope="module")
def tiny_style(tiny_dataset, skeleton_gan, tiny_configs, tmp_path_factory) -> Path:
    """A 32 px style model trained 2 steps on the tiny dataset."""
    from segan_core.training.runs import RunOptions, train_style

    model, train = tiny_configs
    out = tmp_path_factory.mktemp("style") / "style"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=2)))
    return out


def tiny_run(style: Path, data: Path, out: Path, **kw) -> UpscalerRun:
    train = dataclasses.replace(DEFAULT_TRAIN, batch_size=4, log_every=1, checkpoint_every=1000, num_threads=1)
    return UpscalerRun(model=style, data=data, out=out, network=TINY, train=train, max_steps=kw.pop("max_steps", 6),
                       cpu_budget_minutes=None, **kw)  # fmt: skip


@pytest.fixture(scope="module")
def trained(tiny_style, tiny_dataset, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("up") / "run"
    result = run_to_end(train_upscaler(tiny_run(tiny_style, tiny_dataset, out)))
    assert result.step == 6
    return out


def test_shapes_and_the_untrained_network_is_the_bicubic_contour():
    network = Upscaler(UpscalerConfig(image_size=32, channels=8, blocks=2))
    generated = torch.rand(3, 1, 32, 32) * 2 - 1
    source = torch.rand(3, 1, 32, 32) * 2 - 1
    out = network(generated, source)
    assert out.shape == (3, 1, 128, 128)
    assert out.abs().max() <= 1.0
    # the last conv starts at zero: the 50 % contour is the bicubic upsample's
    assert torch.equal(out > 0, bicubic(generated, 4) > 0)
    with pytest.raises(ValueError, match="source glyph"):
        network(generated)
    alone = Upscaler(UpscalerConfig(image_size=32, channels=8, blocks=0, inputs="generated"))
    assert alone(generated).shape == (3, 1, 128, 128)


def test_degraded_real_glyphs_look_like_generator_outputs():
    rng = np.random.default_rng(0)
    real = np.zeros((32, 32), np.uint8)
    real[8:25, 14:19] = 255
    small = degrade(real, 4, rng)
    assert small.shape == (32, 32) and small.dtype == np.uint8
    ink = small >= 128
    assert ink[10:22, 15:17].any() and not ink[:5].any()  # the stroke stays where it was
    # on the same grid as the real glyph: over many draws, the ink's centre does not move
    centres = []
    for seed in range(20):
        image = degrade(real, 4, np.random.default_rng(seed)).astype(float)
        ys, xs = np.mgrid[0:32, 0:32]
        centres.append(((image * ys).sum() / image.sum(), (image * xs).sum() / image.sum()))
    assert np.abs(np.mean(centres, axis=0) - (16.0, 16.0)).max() < 0.15


def test_training_lowers_the_loss_saves_and_loads(trained, tiny_style):
    log = [json.loads(line) for line in (trained / "log.jsonl").read_text().splitlines()]
    assert len(log) == 6 and all(np.isfinite(r["l1"]) and np.isfinite(r["dice"]) for r in log)
    config = json.loads((trained / "config.json").read_text())
    assert config["kind"] == "upscaler" and config["model"]["image_size"] == 32
    # training characters only: none of the style model's dev or test characters
    style_splits = json.loads((tiny_style / "config.json").read_text())["data"]["splits"]
    assert config["data"]["characters"] <= len(style_splits["train"])
    network = load_upscaler(trained)
    assert network.config == TINY
    stage = SecondStage.load(trained)
    out = stage.upscale(np.zeros((2, 32, 32), np.uint8), np.zeros((2, 32, 32), np.uint8))
    assert out.shape == (2, 128, 128) and out.dtype == np.uint8


def test_resume_continues_the_run(trained, tiny_style, tiny_dataset, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(trained, out)
    result = run_to_end(train_upscaler(tiny_run(tiny_style, tiny_dataset, out, max_steps=8, resume=True)))
    assert result.step == 8


def test_resume_refuses_a_run_from_before_the_64px_degradation(trained, tiny_style, tiny_dataset, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(trained, old)
    config = json.loads((old / "config.json").read_text(encoding="utf-8"))
    del config["data"]["degraded_from"]  # what a run started before the change recorded
    (old / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(SeganError, match="start a new run"):
        run_to_end(train_upscaler(tiny_run(tiny_style, tiny_dataset, old, resume=True, max_steps=8)))


def test_training_refuses_a_run_folder_without_a_run(tiny_style, tiny_dataset, tmp_path):
    with pytest.raises(SeganError, match="no upscaler training run"):
        run_to_end(train_upscaler(tiny_run(tiny_style, tiny_dataset, tmp_path / "none", resume=True)))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda c: c["model"].update(channels="wide"), "channels"),
        (lambda c: c["model"].update(inputs="skeleton"), "inputs"),
        (lambda c: c.update(kind="segan"), "expected 'upscaler'"),
        (lambda c: c["model"].update(blocks=2), "does not match its config.json"),
    ],
)
def test_a_bad_checkpoint_config_is_one_clear_error(trained, tmp_path, change, match):
    folder = tmp_path / "bad"
    shutil.copytree(trained, folder)
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=match):
        load_upscaler(folder)


def test_install_and_open_style_with_its_second_stage(trained, tiny_style, tmp_path):
    style = tmp_path / "style"
    shutil.copytree(tiny_style, style)
    plain = open_style(f"dir:{style}", backend="eager")
    assert upscaler_folder(style) is None
    assert plain.stage is None and plain.identity == plain.model.identity  # no upscaler: exactly as before
    assert install_upscaler(trained, style) == style / UPSCALER_DIR
    source = open_style(f"dir:{style}", backend="eager")
    assert source.stage is not None and source.folder == style
    assert source.size == 128 and source.identity != plain.identity and source.identity.startswith(plain.identity)
    assert source.generate("永字").shape == (2, 128, 128)
    assert open_style(f"dir:{style}", backend="eager", second_stage=False).stage is None
    # a broken upscaler folder is refused with the file named, not silently skipped
    (style / UPSCALER_DIR / "weights.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"weights\.safetensors"):
        open_style(f"dir:{style}", backend="eager")


def test_cancel_while_the_pairs_are_built_stops_before_training(tiny_style, tiny_dataset, tmp_path):
    """Ctrl-C during pair building (tens of CPU seconds on a real style) stops within one small chunk."""
    token = CancelToken()
    job = train_upscaler(tiny_run(tiny_style, tiny_dataset, tmp_path / "run"), token)
    seen = []
    with pytest.raises(Cancelled) as stopped:
        for event in job:
            seen.append(event.stage)
            if event.stage == "pairs":
                token.cancel()
    assert stopped.value.result is None  # nothing trained yet, nothing to resume
    assert seen == ["pairs"] and "train" not in seen
    assert not (tmp_path / "run" / "train_state.json").exists()


def test_cancel_stops_with_a_checkpoint(tiny_style, tiny_dataset, tmp_path):
    token = CancelToken()
    job = train_upscaler(tiny_run(tiny_style, tiny_dataset, tmp_path / "run", max_steps=1000), token)
    with pytest.raises(Cancelled) as stopped:  # the one cancel convention: raised, with what was kept
        for event in job:
            if event.stage == "train" and event.done >= 2:
                token.cancel()
    assert stopped.value.result.reason == "cancelled" and stopped.value.result.step >= 2
    assert (tmp_path / "run" / "train_state.json").is_file()


def test_cancel_while_calibrating_keeps_the_trained_run(tiny_style, tiny_dataset, tmp_path):
    from segan_core.upscale.train import CalibrationCancelled

    token = CancelToken()
    job = train_upscaler(tiny_run(tiny_style, tiny_dataset, tmp_path / "run"), token)
    with pytest.raises(CalibrationCancelled) as stopped:
        for event in job:
            if event.stage == "calibrate":
                token.cancel()
    assert stopped.value.result.step >= 1 and "calibrate-upscaler" in str(stopped.value)
    assert (tmp_path / "run" / "weights.safetensors").is_file()


@pytest.fixture(scope="module")
def upscaled_style(trained, tiny_style, tmp_path_factory) -> Path:
    """A copy of the tiny style with the tiny upscaler installed."""
    style = tmp_path_factory.mktemp("upstyle") / "style"
    shutil.copytree(tiny_style, style)
    install_upscaler(trained, style)
    return style


def export(style: Path, out: Path, **kw) -> dict:
    from segan_core.batch import BatchRequest, export_font

    request = BatchRequest(source=str(style), chars=tuple("永字八法"), out=out / "Up.ttf", cache_dir=out / "cache",
                           workers=0, chunk_size=4, batch_size=4, timestamp=1_700_000_000, **kw)  # fmt: skip
    return run_to_end(export_font(request)).report.to_json()  # the FONT.report.json object


def test_batch_uses_the_upscaler_when_the_style_has_one(upscaled_style, tiny_style, tmp_path):
    from segan_core.upscale.stage import upscaled_trace
    from segan_core.vectorize.trace import TraceConfig

    with_stage = export(upscaled_style, tmp_path / "with")
    assert with_stage["source"]["image_size"] == 128 and ".up-" in with_stage["source"]["identity"]
    assert with_stage["trace_config"] == dataclasses.asdict(upscaled_trace(TraceConfig(), 128))
    assert with_stage["font"]["hanzi_written"] == 4
    assert all("ok" in check for checks in with_stage["validation"].values() for check in checks)
    # turned off, and a style without one: the 32 px glyphs and the request's own trace settings
    for report in (export(upscaled_style, tmp_path / "off", upscaler=False), export(tiny_style, tmp_path / "none")):
        assert report["source"]["image_size"] == 32 and ".up-" not in report["source"]["identity"]
        assert report["trace_config"] == dataclasses.asdict(TraceConfig())


def test_cli_no_upscaler_flag(upscaled_style, tmp_path, capsys):
    from segan_core.cli import main as cli_main

    common = ["batch", "--style", str(upscaled_style), "--text", "永字", "--workers", "0", "--quiet",
              "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    assert cli_main([*common, "--out", str(tmp_path / "a" / "A.ttf")]) == 0
    assert cli_main([*common, "--out", str(tmp_path / "b" / "B.ttf"), "--no-upscaler"]) == 0
    sizes = [json.loads((tmp_path / d / f"{d.upper()}.report.json").read_text())["source"]["image_size"] for d in "ab"]
    assert sizes == [128, 32]


def test_cli_train_upscaler_and_install(tiny_style, tiny_dataset, tmp_path, capsys):
    from segan_core.cli import main as cli_main

    style = tmp_path / "style"
    shutil.copytree(tiny_style, style)
    out = tmp_path / "run"
    argv = ["train", "upscaler", "--style", str(style), "--data", str(tiny_dataset), "--out", str(out),
            "--max-steps", "2", "--threads", "1", "--channels", "8", "--blocks", "1", "--batch-size", "2", "--quiet"]
    assert cli_main([*argv, "--real-fraction", "2"]) == 2
    assert "--real-fraction" in capsys.readouterr().err
    assert cli_main([*argv, "--install"]) == 0
    assert "installed the upscaler" in capsys.readouterr().out
    assert load_upscaler(style / UPSCALER_DIR).config.channels == 8
    assert cli_main([*argv, "--data", str(tmp_path / "nowhere")]) == 2  # a missing dataset: one line, exit 2


def test_traced_outlines_fill_back_onto_the_em_box():
    from segan_core.evaluation.paired import ink_iou
    from segan_core.evaluation.upscaled import fill_outline
    from segan_core.glyphs.render import FontRenderer
    from segan_core.vectorize.trace import TraceConfig, trace_glyph

    from .conftest import MA_SHAN_ZHENG

    font = FontRenderer(MA_SHAN_ZHENG)
    real = np.stack([font.render(c, 128) for c in "永国"])
    filled = np.stack([fill_outline(trace_glyph(im, TraceConfig(upsample=2)).cubic, 128) for im in real])
    assert ink_iou(filled, real).min() > 0.9  # same place, same size, holes (国) kept open


def test_eval_upscaler_scores_the_four_rows(upscaled_style, tiny_dataset, capsys):
    from segan_core.cli import main as cli_main
    from segan_core.evaluation.upscaled import ROWS, UpscaleEvalRequest, evaluate_upscaler

    result = run_to_end(evaluate_upscaler(UpscaleEvalRequest(upscaled_style, tiny_dataset, limit=3)))
    assert set(result.rows) == set(ROWS) and len(result.chars) == 3 and result.size == 128
    assert all(0.0 <= row["content_accuracy"] <= 1.0 for row in result.rows.values())  # the recognizer ran
    assert all(0.0 <= row["iou"] <= 1.0 and 0.0 <= row["iou_traced"] <= 1.0 for row in result.rows.values())
    assert result.rows[ROWS[2]]["iou"] > 0.8  # the real font through the 32 px path stays close to itself
    assert 0.0 <= result.rows[ROWS[3]]["iou"] <= 1.0 and len(ROWS) == 4  # and through the upscaler
    assert result.ink_gain == SecondStage.load(upscaled_style / UPSCALER_DIR).ink_gain
    assert result.to_json()["ink_gain"] == result.ink_gain
    argv = ["eval", "upscaler", "--style", str(upscaled_style), "--data", str(tiny_dataset), "--limit", "2",
            "--no-ocr", "--no-trace", "--quiet"]  # fmt: skip
    assert cli_main(argv) == 0
    assert "generator + upscaler" in capsys.readouterr().out
    assert cli_main([*argv[:3], str(tiny_dataset), *argv[4:]]) == 2  # not a model folder: one line


# -- the calibrated ink gain -------------------------------------------------------------------------


def untrained_stage(folder: Path, size: int = 32) -> SecondStage:
    """An upscaler whose output is exactly the sharpened bicubic contour (its last conv is zero)."""
    from segan_core.config import to_dict
    from segan_core.model.checkpoint import WEIGHTS_FILE, save_tensors_atomic, write_config
    from segan_core.model.upscaler import UPSCALER_KIND

    config = UpscalerConfig(image_size=size, channels=8, blocks=1)
    folder.mkdir(parents=True)
    write_config(folder, UPSCALER_KIND, {"model": to_dict(config)})
    save_tensors_atomic(folder / WEIGHTS_FILE, {f"upscaler.{k}": v for k, v in Upscaler(config).state_dict().items()})
    return SecondStage.load(folder)


def test_choose_gain_keeps_the_ink_cap_and_prefers_the_smaller_gain():
    from segan_core.glyphs.ink_gain import GainScore, apply_gain, choose_gain

    scores = [GainScore(1.0, 0.50, 0.95), GainScore(2.0, 0.53, 1.05), GainScore(4.0, 0.53, 1.08),
              GainScore(8.0, 0.56, 1.20)]  # fmt: skip
    assert choose_gain(scores, 1.10) == 2.0  # 8 is heavier than allowed; 2 and 4 tie: the lighter one
    assert choose_gain(scores, 1.25) == 8.0
    assert choose_gain([GainScore(1.0, 0.5, 1.3), GainScore(2.0, 0.6, 1.4)], 1.1) == 1.0  # gain 1 is always allowed
    image = np.array([[0, 40, 100, 200]], np.uint8)
    assert apply_gain(image, 2.0).tolist() == [[0, 80, 200, 255]] and apply_gain(image, 1.0) is image


def test_calibration_finds_the_ink_a_light_generator_leaves_grey(tmp_path):
    """Glyphs drawn at 40 % ink vanish at the 50 % threshold; the calibration restores them, within the cap."""
    from segan_core.upscale.calibration import calibrate, write_calibration

    stage = untrained_stage(tmp_path / "up")
    real = np.zeros((6, 32, 32), np.uint8)
    for i in range(6):
        real[i, 6 + i : 20 + i, 10:16] = 255
    light = (real * 0.4).astype(np.uint8)
    target = stage.upscale(real, np.zeros_like(real))  # the full-ink glyphs at 128 px
    job = calibrate(stage, light, np.zeros_like(light), target, "sha", max_ink_ratio=1.10)
    calibration = run_to_end(job)
    scores = {s.gain: s for s in calibration.scores}
    assert scores[1.0].iou == 0.0 and scores[1.0].ink_ratio == 0.0  # nothing reaches 50 %
    assert calibration.ink_gain > 1.0 and scores[calibration.ink_gain].iou > 0.9
    assert scores[calibration.ink_gain].ink_ratio <= 1.10
    # written into config.json, read back by the stage, which applies it to the style model's glyphs only
    write_calibration(tmp_path / "up", calibration)
    calibrated = SecondStage.load(tmp_path / "up")
    assert calibrated.ink_gain == calibration.ink_gain and calibrated.identity != stage.identity
    zeros = np.zeros_like(light)
    assert (calibrated.upscale(light, zeros) >= 128).any()
    assert not (calibrated.upscale(light, zeros, calibrated=False) >= 128).any()
    with pytest.raises(SeganError, match="max-ink-ratio"):
        run_to_end(calibrate(stage, light, zeros, target, "sha", max_ink_ratio=0.9))
    with pytest.raises(SeganError, match="max-ink-ratio"):
        run_to_end(calibrate(stage, light, zeros, target, "sha", max_ink_ratio=float("nan")))


def test_training_ends_with_a_calibration(trained, tiny_style):
    from segan_core.glyphs.ink_gain import GAINS
    from segan_core.model.checkpoint import weights_hash

    calibration = json.loads((trained / "config.json").read_text())["calibration"]
    assert [s["gain"] for s in calibration["scores"]] == list(GAINS)
    assert calibration["ink_gain"] in GAINS and calibration["generator_sha256"] == weights_hash(tiny_style)
    assert SecondStage.load(trained).ink_gain == calibration["ink_gain"]


def test_a_bad_calibration_is_one_clear_error(trained, tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(trained, folder)
    config = json.loads((folder / "config.json").read_text())
    config["calibration"]["ink_gain"] = "heavy"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"config\.json.*calibration"):
        SecondStage.load(folder)


def test_cli_calibrate_upscaler(upscaled_style, tiny_dataset, tmp_path, capsys):
    from segan_core.cli import main as cli_main

    style = tmp_path / "style"
    shutil.copytree(upscaled_style, style)
    argv = ["train", "calibrate-upscaler", "--style", str(style), "--data", str(tiny_dataset), "--max-chars", "4",
            "--quiet"]  # fmt: skip
    assert cli_main([*argv, "--max-ink-ratio", "0.5"]) == 2
    assert "--max-ink-ratio" in capsys.readouterr().err
    before = (style / UPSCALER_DIR / "config.json").read_text()
    assert cli_main(argv) == 0
    assert "<- chosen" in capsys.readouterr().out
    config = json.loads((style / UPSCALER_DIR / "config.json").read_text())
    assert config["calibration"]["characters"] == 4 and config["model"] == json.loads(before)["model"]
    assert cli_main(["train", "calibrate-upscaler", "--style", str(tmp_path / "nowhere"), "--data",
                     str(tiny_dataset)]) == 2  # fmt: skip


def test_onnx_and_eager_draw_the_same_glyphs(trained):
    rng = np.random.default_rng(1)
    generated = rng.integers(0, 256, (5, 32, 32), dtype=np.uint8)
    source = rng.integers(0, 256, (5, 32, 32), dtype=np.uint8)
    onnx, eager = SecondStage.load(trained), SecondStage.load(trained, backend="eager")
    a, b = onnx.upscale(generated, source, batch_size=2), eager.upscale(generated, source)
    assert onnx.backend == "onnx" and eager.backend == "eager"
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1  # fp32 both ways: rounding at most
    with pytest.raises(CheckpointError, match="unknown upscaler backend"):
        SecondStage.load(trained, backend="tpu")


@pytest.mark.parametrize(
    "style",
    ["ma-shan-zheng", "zhi-mang-xing", "long-cang", "liu-jian-mao-cao", "kouzan-mouhitsu", "kouzan-mouhitsu-gyosho"],
)
def test_the_shipped_upscalers_are_calibrated_to_the_shipped_models(style):
    from segan_core.model.checkpoint import weights_hash
    from segan_core.resources import model_dir

    folder = model_dir(style)
    stage = SecondStage.load(folder / UPSCALER_DIR)
    assert stage.calibration is not None and stage.ink_gain > 1.0
    # a retrained style model needs `segan train calibrate-upscaler`: the gain was measured for these weights
    assert stage.calibration.generator_sha256 == weights_hash(folder)
    assert stage.input_size == 64 and stage.output_size == 256


def with_calibration(folder: Path, gain: float, generator_sha256: str) -> None:
    from segan_core.glyphs.ink_gain import GainScore
    from segan_core.upscale.calibration import Calibration, write_calibration

    write_calibration(folder, Calibration(gain, 1.1, 4, generator_sha256, (GainScore(gain, 0.5, 1.0),)))


def test_the_gain_reaches_the_export_and_only_for_the_weights_it_was_measured_for(upscaled_style, tmp_path):
    from segan_core.glyphs.ink_gain import apply_gain
    from segan_core.model.checkpoint import weights_hash

    style = tmp_path / "style"
    shutil.copytree(upscaled_style, style)
    with_calibration(style / UPSCALER_DIR, 4.0, weights_hash(style))
    source = open_style(f"dir:{style}", backend="eager")
    assert source.stage is not None and source.stage.ink_gain == 4.0 and source.identity.endswith("-g4")
    run = source.style_model.run("永字")
    expected = source.stage.upscale(apply_gain(run.generated, 4.0), run.source, calibrated=False)
    assert np.array_equal(source.generate("永字"), expected)
    # measured for other weights: the stage runs at gain 1, and its glyphs are cached apart
    with_calibration(style / UPSCALER_DIR, 4.0, "0" * 64)
    other = open_style(f"dir:{style}", backend="eager")
    assert other.stage is not None and other.stage.ink_gain == 1.0 and not other.stage.calibration_matches
    assert "-g" not in other.identity.rpartition(".")[2]


def test_eval_applies_the_gain_to_the_generator_row_only(upscaled_style, tiny_dataset, tmp_path):
    from segan_core.evaluation.upscaled import ROWS, UpscaleEvalRequest, evaluate_upscaler, format_upscale_table
    from segan_core.model.checkpoint import weights_hash

    style = tmp_path / "style"
    shutil.copytree(upscaled_style, style)
    rows = {}
    for gain in (1.0, 8.0):
        with_calibration(style / UPSCALER_DIR, gain, weights_hash(style))
        request = UpscaleEvalRequest(style, tiny_dataset, limit=4, ocr=False, traced=False)
        result = run_to_end(evaluate_upscaler(request))
        assert result.ink_gain == gain and result.calibration_matches
        rows[gain] = result.rows
    assert rows[1.0][ROWS[3]] == rows[8.0][ROWS[3]]  # the real font's glyphs: never the gain
    assert rows[1.0][ROWS[0]] == rows[8.0][ROWS[0]]
    assert rows[1.0][ROWS[1]] != rows[8.0][ROWS[1]]  # the generator's glyphs: with it
    with_calibration(style / UPSCALER_DIR, 8.0, "0" * 64)
    stale = run_to_end(evaluate_upscaler(UpscaleEvalRequest(style, tiny_dataset, limit=4, ocr=False, traced=False)))
    assert stale.ink_gain == 1.0 and "calibrate-upscaler" in format_upscale_table(stale)


def test_a_bad_max_ink_ratio_is_refused_before_training(tiny_style, tiny_dataset, tmp_path):
    for bad in (0.9, float("nan")):
        with pytest.raises(SeganError, match="max-ink-ratio"):
            tiny_run(tiny_style, tiny_dataset, tmp_path / "run", max_ink_ratio=bad)


def test_cache_key_names_the_cache_the_export_used(upscaled_style, tmp_path):
    """Regenerating in the Batch view forgets glyphs in this cache: with the second stage, its 256 px trace key."""
    from segan_core.batch import BatchRequest, cache_key
    from segan_core.cache import GlyphCache

    export(upscaled_style, tmp_path)
    request = BatchRequest(source=str(upscaled_style), chars=tuple("永字八法"), out=tmp_path / "Up.ttf",
                           cache_dir=tmp_path / "cache")  # fmt: skip
    identity, trace_key = cache_key(request)
    assert ".up-" in identity
    with GlyphCache(tmp_path / "cache", identity, trace_key) as cache:
        assert cache.outline_chars() == set("永字八法")
        cache.forget(("永",))
        assert cache.outline_chars() == set("字八法")


def test_batch_view_regenerate_loads_the_style_once(upscaled_style, tmp_path, monkeypatch):
    """The Batch view's "regenerate" names the cache and exports with one load of the style (and its stage)."""
    import segan_core.batch
    from app import batch_api
    from segan_core.batch import BatchRequest, cache_key
    from segan_core.cache import GlyphCache

    export(upscaled_style, tmp_path)
    loads = []
    real = segan_core.batch.open_style
    monkeypatch.setattr(segan_core.batch, "open_style", lambda *a, **kw: loads.append(a) or real(*a, **kw))
    request = BatchRequest(source=str(upscaled_style), chars=tuple("永字八法"), out=tmp_path / "Up.ttf",
                           cache_dir=tmp_path / "cache", workers=0, overwrite=True)  # fmt: skip
    result = run_to_end(batch_api.run(request, regenerate=("永",)))
    assert len(loads) == 1 and result.report.hanzi_written == 4
    with GlyphCache(tmp_path / "cache", *cache_key(request)) as cache:
        assert cache.outline_chars() == set("永字八法")  # 永 is back in the cache the export uses


@pytest.mark.parametrize(("size", "scale"), [(16, 2), (32, 4), (64, 4), (48, 3)])
def test_the_matrix_bicubic_is_torchs_bicubic(size, scale):
    """The upscaler's base is bicubic as two matrix products (fast in ONNX Runtime); it must stay the same numbers
    as the bicubic the stage was trained and calibrated with, borders included."""
    import torch.nn.functional as F

    from segan_core.model.upscaler import BicubicUpsample

    x = torch.rand(3, 1, size, size, generator=torch.Generator().manual_seed(size)) * 2 - 1
    reference = F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)
    assert torch.allclose(BicubicUpsample(size, scale)(x), reference, atol=1e-5)
