"""Training engine: loss goes down, exact resume, checkpoints fail clearly, DDP on 2 CPU processes, inference."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from segan_core.cli import main as cli_main
from segan_core.errors import Cancelled, CheckpointError, TrainingError
from segan_core.jobs import CancelToken, run_to_end
from segan_core.model.skeleton_gan import SkeletonGenerator
from segan_core.training.runs import RunOptions, train_style

ROOT = Path(__file__).resolve().parents[1]


def _losses(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]


def test_twenty_steps_on_sixteen_pairs_lower_pixel_loss(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    from segan_core.data.store import GlyphDataset

    model, train = tiny_configs
    train = dataclasses.replace(train, learning_rate=1e-3, batch_size=16)
    assert len(GlyphDataset(tiny_dataset).split("train")) >= 16
    out = tmp_path / "style"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=20)))
    pixel = [row["pixel"] for row in _losses(out)]
    assert len(pixel) == 20
    assert np.mean(pixel[-3:]) < 0.8 * np.mean(pixel[:3])


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(str(folder / "train_state.safetensors"))


@pytest.mark.parametrize("ema_decay", [0.0, 0.9], ids=["raw", "ema"])
def test_cancel_and_resume_equal_an_uninterrupted_run(tiny_dataset, skeleton_gan, tiny_configs, tmp_path, ema_decay):
    model, train = tiny_configs
    train = dataclasses.replace(train, ema_decay=ema_decay)
    straight = tmp_path / "straight"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=straight, max_steps=6)))

    split = tmp_path / "split"
    token = CancelToken()
    job = train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=split, max_steps=6), cancel=token)
    for event in job:
        if event.stage == "train" and event.done == 3:
            token.cancel()
            break
    with pytest.raises(Cancelled) as stopped:  # every job's cancel; training keeps a checkpoint to resume
        run_to_end(job)
    result = stopped.value.result
    assert result.reason == "cancelled" and result.step == 3
    assert json.loads((split / "train_state.json").read_text())["step"] == 3
    resumed = run_to_end(
        train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=split, max_steps=6, resume=True))
    )
    assert resumed.step == 6
    a, b = _weights(straight), _weights(split)
    assert a.keys() == b.keys()
    for key in a:
        if key.startswith(("net.", "opt.")):
            assert torch.equal(a[key], b[key]), key
    assert [r["g_total"] for r in _losses(straight)] == [r["g_total"] for r in _losses(split)]
    assert ("net.g_a_ema.decoder.to_gamma.weight" in a) == (ema_decay > 0)


def test_ema_generator_is_the_shipped_one(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    from segan_core.training.segan_step import SeganTrainable

    model, train = tiny_configs
    train = dataclasses.replace(train, ema_decay=0.9, bidirectional=False, learning_rate=1e-3)
    out = tmp_path / "ema"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=8)))
    state, shipped = _weights(out), load_file(str(out / "weights.safetensors"))
    raw_g, ema_g = "net.g_a.decoder.to_gamma.weight", "net.g_a_ema.decoder.to_gamma.weight"
    assert not torch.equal(state[raw_g], state[ema_g])  # the average lags the raw weights
    assert torch.equal(shipped["generator.decoder.to_gamma.weight"], state[ema_g].half())

    # warm-up: after one update the average is (1 - 2/11) of the way from the old weights to the new ones
    trainable = SeganTrainable(
        model, train, SkeletonGenerator(model.skeleton_gan_ngf, model.skeleton_gan_res_blocks), torch.device("cpu")
    )
    param = next(trainable.g_a.parameters())
    before = param.detach().clone()
    trainable.opt_g.state[param]["step"] = torch.tensor(1.0)
    with torch.no_grad():
        param.add_(1.0)
    trainable._update_ema()
    assert torch.allclose(next(trainable.g_a_ema.parameters()), before + 9 / 11, atol=1e-6)


def test_time_budget_stops_with_a_checkpoint(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    model, train = tiny_configs
    out = tmp_path / "budget"
    result = run_to_end(
        train_style(
            tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=10_000, time_budget_minutes=0.0)
        )
    )
    assert result.reason == "time_budget" and result.step == 0
    assert (out / "weights.safetensors").is_file() and (out / "train_state.json").is_file()


def test_cpu_budget_counts_every_session_of_a_run(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    model, train = tiny_configs
    out = tmp_path / "cpu"
    first = run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=3)))
    assert first.cpu_seconds > 0
    saved = json.loads((out / "config.json").read_text())["train_seconds"]
    assert saved["cpu"] == pytest.approx(first.cpu_seconds, abs=0.1)
    # a budget the first session already spent stops the resumed run before any step
    options = RunOptions(out=out, max_steps=10_000, resume=True, cpu_budget_minutes=first.cpu_seconds / 60 / 2)
    again = run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, options))
    assert again.reason == "cpu_budget" and again.step == 3


def test_progress_reports_the_cpu_budget_not_the_step_limit(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    """A run that a CPU budget stops long before --max-steps shows how far through the budget it is."""
    from segan_core.commands.progress import render_line

    model, train = tiny_configs
    train = dataclasses.replace(train, log_every=1)
    options = RunOptions(out=tmp_path / "eta", max_steps=1_000_000, cpu_budget_minutes=10.0)
    job = train_style(tiny_dataset, skeleton_gan, model, train, options)
    event = next(e for e in job if e.stage == "train" and e.metrics)
    job.close()
    assert event.budget_fraction is not None and 0 < event.fraction < 0.5
    assert event.fraction > 10 * event.done / event.total  # not step / 1,000,000
    assert event.eta_s is not None and event.eta_s < 3600
    assert "step 1" in render_line(event) and "/1000000" not in render_line(event)


def test_one_direction_trains_only_the_source_to_brush_half(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    model, train = tiny_configs
    train = dataclasses.replace(train, bidirectional=False, learning_rate=1e-3, batch_size=16)
    out = tmp_path / "one-way"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=12)))
    state = _weights(out)
    networks = {key.split(".")[1] for key in state if key.startswith("net.")}
    assert networks == {"g_a", "d_a", "ds_a", "skeleton_gan"}
    rows = _losses(out)
    assert "cycle" not in rows[0] and "dice" not in rows[0]  # L_dice is off unless asked for
    assert np.mean([r["pixel"] for r in rows[-3:]]) < 0.8 * np.mean([r["pixel"] for r in rows[:3]])
    assert json.loads((out / "config.json").read_text())["train"]["bidirectional"] is False


def test_ink_dice_loss_is_logged_and_falls_when_switched_on(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    model, train = tiny_configs
    losses = dataclasses.replace(train.losses, dice=20.0)
    train = dataclasses.replace(train, bidirectional=False, learning_rate=1e-3, batch_size=16, losses=losses)
    out = tmp_path / "dice"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=12)))
    rows = _losses(out)
    assert all(0.0 <= r["dice"] <= 1.0 for r in rows)
    assert np.mean([r["dice"] for r in rows[-3:]]) < np.mean([r["dice"] for r in rows[:3]])
    assert json.loads((out / "config.json").read_text())["train"]["losses"]["dice"] == 20.0


def test_learning_rate_decays_linearly_over_the_end_of_the_budget():
    from segan_core.training.schedule import budget_fraction, decay_factor

    assert [decay_factor(f, 0.5) for f in (0.0, 0.5, 0.75, 1.0)] == [1.0, 1.0, 0.5, 0.0]
    assert decay_factor(0.99, 1.0) == 1.0  # the default: constant
    # whichever budget stops the run first sets the pace: here 30 of 60 CPU seconds, step 10 of 1000
    assert budget_fraction(10, 1000, cpu_seconds=30.0, cpu_budget_s=60.0) == 0.5
    assert budget_fraction(10, 1000, session_seconds=90.0, time_budget_s=60.0) == 1.0
    assert budget_fraction(250, 1000) == 0.25


def test_lr_decay_is_logged_and_survives_a_resume(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    model, train = tiny_configs
    train = dataclasses.replace(train, bidirectional=False, learning_rate=1e-3, lr_decay_start=0.5)
    out = tmp_path / "decay"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=4)))
    # steps 1-4 start at fractions 0, 1/4, 2/4, 3/4 of 4 steps: constant, then half the rate
    assert [r["lr"] for r in _losses(out)] == pytest.approx([1e-3, 1e-3, 1e-3, 5e-4])
    # extended to 8 steps, the rate restarts from the undecayed 1e-3 kept in the train state, not from 5e-4
    options = RunOptions(out=out, max_steps=8, resume=True)
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, options))
    assert [r["lr"] for r in _losses(out)][4:] == pytest.approx([1e-3, 0.75e-3, 0.5e-3, 0.25e-3])
    assert json.loads((out / "config.json").read_text())["train"]["lr_decay_start"] == 0.5


def test_refuses_to_overwrite_a_run_without_resume(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    model, train = tiny_configs
    out = tmp_path / "run"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=1)))
    with pytest.raises(CheckpointError, match="--resume"):
        run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=2)))


def test_nan_loss_stops_with_clear_error(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    model, train = tiny_configs
    out = tmp_path / "nan"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=2)))
    before = (out / "weights.safetensors").read_bytes()
    poisoned = dataclasses.replace(train, losses=dataclasses.replace(train.losses, pixel=float("nan")))
    with pytest.raises(TrainingError, match="NaN"):
        run_to_end(
            train_style(tiny_dataset, skeleton_gan, model, poisoned, RunOptions(out=out, max_steps=5, resume=True))
        )
    assert json.loads((out / "train_state.json").read_text())["step"] == 2
    assert (out / "weights.safetensors").read_bytes() == before


def test_inference_and_checkpoint_errors(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    from segan_core.inference import StyleModel

    model, train = tiny_configs
    out = tmp_path / "m"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=2)))
    loaded = StyleModel.load(out)
    gen = loaded.run("永字八法", heatmaps=True)
    assert gen.generated.shape == (4, 32, 32) and gen.generated.dtype == np.uint8
    for kind in ("cam", "sram", "cram"):
        maps = gen.heatmaps[kind]
        assert maps.shape == (4, 32, 32)
        assert float(maps.max()) == pytest.approx(1.0) and float(maps.min()) == pytest.approx(0.0)
        assert maps.std() > 0.01
    assert np.array_equal(loaded.generate("永字"), gen.generated[:2])
    assert loaded.missing("永\U00020000") == {"\U00020000": "source font: not in cmap"}
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["manifest_sha256"] and set(config["data"]["splits"]) == {"train", "dev", "test"}

    # truncated weights
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((out / "config.json").read_text())
    (broken / "weights.safetensors").write_bytes((out / "weights.safetensors").read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated"):
        StyleModel.load(broken)
    # config that does not match the weights
    mismatched = json.loads((out / "config.json").read_text())
    mismatched["model"]["ngf"] = 16
    (broken / "weights.safetensors").write_bytes((out / "weights.safetensors").read_bytes())
    (broken / "config.json").write_text(json.dumps(mismatched))
    with pytest.raises(CheckpointError, match="shape"):
        StyleModel.load(broken)
    # foreign files
    (broken / "config.json").write_text('{"hello": 1}')
    with pytest.raises(CheckpointError, match="not a Segan Studio checkpoint"):
        StyleModel.load(broken)
    (broken / "config.json").write_text(json.dumps({**config, "version": 99}))
    with pytest.raises(CheckpointError, match="version 99"):
        StyleModel.load(broken)
    with pytest.raises(CheckpointError, match="skeleton-gan"):
        StyleModel.load(skeleton_gan)


def test_cli_train_style_with_ablation_flags(tiny_dataset, skeleton_gan, tmp_path, capsys):
    out = tmp_path / "noes"
    code = cli_main(
        [
            "train",
            "style",
            "--data",
            str(tiny_dataset),
            "--skeleton",
            str(skeleton_gan),
            "--out",
            str(out),
            "--preset",
            "tiny-32",
            "--max-steps",
            "1",
            "--no-skeleton-encoder",
            "--no-skeleton-discriminator",
            "--quiet",
        ]
    )
    assert code == 0
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["skeleton_encoder"] is False and config["model"]["attention"] == "sram"
    state = load_file(str(out / "train_state.safetensors"))
    assert not any(k.startswith("net.ds_a.") for k in state)
    assert not any(k.startswith("net.g_a.skeleton_encoder.") for k in state)
    # resuming continues from the saved config
    assert (
        cli_main(
            [
                "train",
                "style",
                "--data",
                str(tiny_dataset),
                "--skeleton",
                str(skeleton_gan),
                "--out",
                str(out),
                "--resume",
                "--max-steps",
                "2",
                "--quiet",
            ]
        )
        == 0
    )
    assert json.loads((out / "train_state.json").read_text())["step"] == 2
    # bad dataset folder: one clear line, exit 2
    capsys.readouterr()
    code = cli_main(
        [
            "train",
            "style",
            "--data",
            str(tmp_path / "nope"),
            "--skeleton",
            str(skeleton_gan),
            "--out",
            str(tmp_path / "x"),
            "--preset",
            "tiny-32",
            "--quiet",
        ]
    )
    assert code == 2 and "not a dataset folder" in capsys.readouterr().err
    # skips: the flag reaches the saved config; skeleton skips without E_s is one clear line
    common = ["train", "style", "--data", str(tiny_dataset), "--skeleton", str(skeleton_gan), "--preset", "tiny-32",
              "--max-steps", "1", "--quiet"]
    assert cli_main([*common, "--out", str(tmp_path / "skips"), "--skips", "image"]) == 0
    assert json.loads((tmp_path / "skips" / "config.json").read_text())["model"]["skips"] == "image"
    assert cli_main([*common, "--out", str(tmp_path / "wide"), "--ngf", "12"]) == 0
    assert json.loads((tmp_path / "wide" / "config.json").read_text())["model"]["ngf"] == 12
    capsys.readouterr()
    code = cli_main([*common, "--out", str(tmp_path / "bad"), "--skips", "skeleton", "--no-skeleton-encoder"])
    assert code == 2 and "skeleton skips need the skeleton encoder" in capsys.readouterr().err
    assert not (tmp_path / "bad" / "config.json").exists()


def _train_style_args(data: Path, skeleton: Path, out: Path, max_steps: int) -> list[str]:
    """``-m segan_core.cli train style`` on the tiny preset, one thread, for subprocess tests."""
    return [
        "-m",
        "segan_core.cli",
        "train",
        "style",
        "--data",
        str(data),
        "--skeleton",
        str(skeleton),
        "--out",
        str(out),
        "--preset",
        "tiny-32",
        "--max-steps",
        str(max_steps),
        "--threads",
        "1",
    ]


def test_ddp_two_cpu_processes_with_gloo(tiny_dataset, skeleton_gan, tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    import socket

    with socket.socket() as probe:  # a free port: a fixed one can still be held by an earlier run
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    launcher = ["-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", str(port)]
    cmd = [sys.executable, *launcher, *_train_style_args(tiny_dataset, skeleton_gan, out, max_steps=3), "--quiet",
           "--lr-decay-start", "0.5"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((out / "train_state.json").read_text())["step"] == 3
    rows = _losses(out)
    assert len(rows) == 3 and rows[-1]["images_per_s"] > 0
    assert [r["lr"] / rows[0]["lr"] for r in rows] == pytest.approx([1.0, 1.0, 2 / 3])  # ranks agree on the pace


def test_inference_backends_agree(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    from segan_core.inference import BACKENDS, StyleModel

    model, train = tiny_configs
    out = tmp_path / "m"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=1)))
    reference = StyleModel.load(out, backend="eager").run("永字八法", heatmaps=True)
    for backend in BACKENDS:
        if backend in ("compile", "int8"):
            continue  # compiling takes a minute (bench/bench_infer.py); int8 draws glyphs within a gate (test_int8.py)
        loaded = StyleModel.load(out, backend=backend)
        result = loaded.run("永字八法", heatmaps=True)
        tolerance = 8 if backend == "bf16" else 1
        assert np.abs(result.generated.astype(int) - reference.generated).max() <= tolerance, backend
        loaded.release()  # drops the backend (an ONNX session); the next call rebuilds it
        assert loaded._forward is None
        assert np.array_equal(loaded.run("永字八法").generated, result.generated), backend
        for kind in ("cam", "sram", "cram"):
            assert np.abs(result.heatmaps[kind] - reference.heatmaps[kind]).max() < (
                0.05 if backend == "bf16" else 1e-3
            )


def test_ctrl_c_stops_training_with_a_checkpoint(tiny_dataset, skeleton_gan, tmp_path):
    import signal
    import time

    out = tmp_path / "interrupted"
    cmd = [sys.executable, *_train_style_args(tiny_dataset, skeleton_gan, out, max_steps=100000)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not (out / "log.jsonl").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr[-1000:]
    assert "cancelled" in stdout
    step = json.loads((out / "train_state.json").read_text())["step"]
    assert 0 < step < 100000


def test_fine_tune_starts_from_a_trained_style(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    from segan_core.errors import SeganError

    model, train = tiny_configs
    base = tmp_path / "base"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=base, max_steps=2)))
    tuned = tmp_path / "tuned"
    run_to_end(
        train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=tuned, max_steps=0, init_from=base))
    )
    a, b = load_file(str(base / "weights.safetensors")), load_file(str(tuned / "weights.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert json.loads((tuned / "config.json").read_text())["data"]["init_from"]["path"] == str(base)
    other = dataclasses.replace(model, skeleton_encoder=False, attention="sram")
    with pytest.raises(SeganError, match="differs in attention, skeleton_encoder"):
        run_to_end(
            train_style(
                tiny_dataset, skeleton_gan, other, train, RunOptions(out=tmp_path / "bad", max_steps=0, init_from=base)
            )
        )


def test_models_load_concurrently_with_the_onnx_backend(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from segan_core.inference import StyleModel

    model, train = tiny_configs
    out = tmp_path / "m"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=1)))
    with ThreadPoolExecutor(4) as pool:
        models = list(pool.map(lambda _: StyleModel.load(out, backend="onnx"), range(4)))
    images = [m.generate("永字") for m in models]
    assert all(np.array_equal(images[0], other) for other in images[1:])


def test_snapshots_and_dev_split_selection(tiny_dataset, skeleton_gan, tmp_path, capsys):
    from segan_core.resources import PROJECT_ROOT

    run, chosen = tmp_path / "run", tmp_path / "chosen"
    base = [*_train_style_args(tiny_dataset, skeleton_gan, run, 4)[2:], "--checkpoint-every", "2",
            "--keep-snapshots", "--quiet", "--loss", "cam=10", "--loss", "pixel=50"]
    assert cli_main(base) == 0
    assert cli_main([*base, "--max-steps", "5", "--resume"]) == 0  # the end of a run is a snapshot too
    snapshots = sorted(p.name for p in (run / "snapshots").iterdir())
    assert snapshots == ["step-000002", "step-000004", "step-000005"]
    for name in snapshots:
        config = json.loads((run / "snapshots" / name / "config.json").read_text())
        assert config["step"] == int(name[-6:]) and config["train"]["losses"]["cam"] == 10.0
        assert config["train"]["losses"]["pixel"] == 50.0 and config["train"]["keep_snapshots"] is True
    capsys.readouterr()

    evaluator = str(PROJECT_ROOT / "models" / "evaluator")
    select = ["eval", "select", str(run), "--data", str(tiny_dataset), "--out", str(chosen), "--by", "l1",
              "--no-ocr", "--classifier", evaluator, "--quiet"]
    assert cli_main(select) == 0
    summary = json.loads((chosen / "selection.json").read_text())
    assert summary["split"] == "dev" and [s["snapshot"] for s in summary["snapshots"]] == snapshots
    best = min(summary["snapshots"], key=lambda s: s["l1"])["snapshot"]
    assert summary["chosen"] == best and best in capsys.readouterr().out
    copied = (chosen / "weights.safetensors").read_bytes()
    assert copied == (run / "snapshots" / best / "weights.safetensors").read_bytes()
    from segan_core.inference import StyleModel

    assert StyleModel.load(chosen).generate("永字").shape == (2, 32, 32)
    # each snapshot's scores are kept beside it: choosing again by another rule scores no snapshot twice,
    # and new weights in a snapshot folder are scored afresh
    from segan_core.evaluation import selection
    from segan_core.evaluation.report import EvalOptions

    options = EvalOptions(split="dev", ocr=False, classifier_dir=Path(evaluator))
    job = selection.select_snapshot(run, tiny_dataset, chosen, options, metric="ssim")
    first = next(job)
    assert first.stage == "evaluate" and first.total == 0 and "3 snapshots scored before" in first.message
    again = run_to_end(job)
    by_ssim = json.loads((chosen / "selection.json").read_text())
    assert [s["l1"] for s in by_ssim["snapshots"]] == [s["l1"] for s in summary["snapshots"]]
    assert by_ssim["chosen"] == max(by_ssim["snapshots"], key=lambda s: s["ssim"])["snapshot"]
    assert again.chosen.name == by_ssim["chosen"]
    os.utime(run / "snapshots" / "step-000004" / "weights.safetensors", ns=(0, 0))
    first = next(selection.select_snapshot(run, tiny_dataset, chosen, options, metric="ssim"))
    assert "2 snapshots scored before" in first.message
    # equal compute: only the snapshots within a CPU-time budget take part
    first_cpu = json.loads((run / "snapshots" / "step-000002" / "config.json").read_text())["train_seconds"]["cpu"]
    assert cli_main([*select, "--max-cpu-minutes", str(first_cpu / 60)]) == 0
    assert json.loads((chosen / "selection.json").read_text())["chosen"] == "step-000002"
    assert cli_main([*select, "--max-cpu-minutes", "0"]) == 2 and "within 0 CPU" in capsys.readouterr().err
    assert cli_main([*select, "--min-ratio", "0.9"]) == 2 and "OCR" in capsys.readouterr().err

    # choosing on the test split, a run without snapshots, a bad --loss: one clear line each, exit 2
    assert cli_main([*select[:-1], "--split", "test", "--quiet"]) == 2
    assert "dev" in capsys.readouterr().err
    assert cli_main(["eval", "select", str(skeleton_gan), *select[3:]]) == 2
    assert "--keep-snapshots" in capsys.readouterr().err
    assert cli_main([*base[:-4], "--out", str(tmp_path / "bad"), "--loss", "cma=1"]) == 2
    assert "cma=1" in capsys.readouterr().err
    assert cli_main([*base[:-4], "--out", str(tmp_path / "bad"), "--ema", "1.5"]) == 2
    assert "ema_decay" in capsys.readouterr().err
    assert cli_main([*base[:-4], "--out", str(tmp_path / "bad"), "--lr-decay-start", "1.5"]) == 2
    assert "lr_decay_start" in capsys.readouterr().err
