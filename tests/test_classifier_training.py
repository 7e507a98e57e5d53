"""The evaluator's glyph classifier on the training engine: loss, resume, cancel, loading, the shipped one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from segan_core.errors import Cancelled
from segan_core.evaluation import EvaluationError
from segan_core.evaluation.classifier import GlyphClassifier, build_network, load_classifier
from segan_core.evaluation.classifier_data import as_input, discover_fonts, render_training_set
from segan_core.evaluation.classifier_training import TrainClassifierRequest, train_classifier
from segan_core.glyph_source import FontGlyphSource
from segan_core.jobs import CancelToken, run_to_end
from segan_core.model.checkpoint import STATE_FILE, STATE_JSON, load_tensors
from segan_core.resources import PROJECT_ROOT, SOURCE_FONT
from segan_core.training.schedule import warmup_cosine

from .conftest import MA_SHAN_ZHENG

SHIPPED = PROJECT_ROOT / "models" / "evaluator"
TINY = {"batch_size": 8, "max_chars": 12, "widths": (8, 16), "feature_dim": 16, "threads": 1, "command": "test"}


@pytest.fixture
def fonts(tmp_path) -> Path:
    folder = tmp_path / "fonts"
    (folder / "source").mkdir(parents=True)
    (folder / "brush").mkdir()
    (folder / "source" / "kai.ttf").symlink_to(SOURCE_FONT)
    (folder / "brush" / "msz.ttf").symlink_to(MA_SHAN_ZHENG)
    return folder


def _loss(net, fonts_dir: Path) -> float:
    """Cross-entropy of both heads on every training glyph, unaugmented, in eval mode."""
    import torch
    import torch.nn.functional as F

    glyphs = run_to_end(render_training_set(discover_fonts(fonts_dir), _chars(), 64, CancelToken()))
    with torch.inference_mode():
        _, c, f = net.eval()(as_input(glyphs.images))
        return float(F.cross_entropy(c, torch.from_numpy(glyphs.char_labels))
                     + F.cross_entropy(f, torch.from_numpy(glyphs.font_labels)))


def _chars() -> str:
    from segan_core.charset import gb2312_level1
    from segan_core.data.split import split_of

    return "".join(c for c in gb2312_level1() if split_of(c) == "train")[: TINY["max_chars"]]


def test_training_lowers_the_loss_and_the_folder_loads(fonts, tmp_path):
    import torch

    out = tmp_path / "clf"
    meta = run_to_end(train_classifier(TrainClassifierRequest(fonts_dir=fonts, out=out, epochs=30, **TINY)))
    assert meta["format"] == "segan-checkpoint" and meta["kind"] == "classifier"
    training = meta["training"]
    assert training["epochs_done"] == 30 and training["glyphs"] == 24 and training["validation_glyphs"] == 1
    assert 0.0 <= training["val_char_acc"] <= 1.0 and 0.0 <= training["val_font_acc"] <= 1.0
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert sum("val_font_acc" in r for r in log) == 30  # one validation per epoch

    classifier = load_classifier(out)
    assert classifier.config.fonts == ("source/kai.ttf", "brush/msz.ttf") and classifier.config.widths == (8, 16)
    torch.manual_seed(0)
    untrained = build_network(classifier.config)  # the run's initial weights (same seed)
    assert _loss(classifier.net, fonts) < 0.95 * _loss(untrained, fonts)  # measured: 2.76 vs 3.19
    images = FontGlyphSource(MA_SHAN_ZHENG, 64).generate(list(_chars()[:4]))
    assert classifier.features(images).shape == (4, 16)
    chars, fonts_ = classifier.predict(images)
    assert set(chars) <= set(_chars()) and set(fonts_) <= {"source/kai.ttf", "brush/msz.ttf"}


def test_cancel_keeps_a_checkpoint_and_resume_matches_an_unbroken_run(fonts, tmp_path):
    unbroken = tmp_path / "unbroken"
    run_to_end(train_classifier(TrainClassifierRequest(fonts_dir=fonts, out=unbroken, epochs=3, **TINY)))

    out = tmp_path / "broken"
    token = CancelToken()
    job = train_classifier(TrainClassifierRequest(fonts_dir=fonts, out=out, epochs=3, **TINY), token)
    with pytest.raises(Cancelled) as stopped:
        for event in job:
            if event.stage == "checkpoint":  # the end of the first epoch
                token.cancel()
    steps_per_epoch = 3  # 23 training glyphs, batches of 8
    assert stopped.value.result.reason == "cancelled" and stopped.value.result.step == steps_per_epoch
    assert (out / STATE_JSON).is_file()
    assert load_classifier(out).config.chars == _chars()  # a cancelled run is a usable evaluator folder too

    meta = run_to_end(train_classifier(TrainClassifierRequest(fonts_dir=fonts, out=out, resume=True, **TINY)))
    assert meta["step"] == 3 * steps_per_epoch and meta["training"]["epochs_done"] == 3
    resumed, straight = load_tensors(out / STATE_FILE), load_tensors(unbroken / STATE_FILE)
    for name in (n for n in straight if n.startswith("net.")):
        assert np.array_equal(resumed[name].numpy(), straight[name].numpy()), name


def test_max_minutes_only_stops_the_run_it_does_not_bend_the_schedule(fonts, tmp_path, monkeypatch):
    """--max-minutes is a per-session stop: the warm-up + cosine sees the share of the steps done, never the
    session's clock (which would restart the schedule on every resume)."""
    import segan_core.evaluation.classifier_training as training

    seen: list[tuple[int, float]] = []

    def spying(warmup_steps: int):
        schedule = warmup_cosine(warmup_steps)

        def factor(step: int, fraction: float) -> float:
            seen.append((step, fraction))
            return schedule(step, fraction)

        return factor

    monkeypatch.setattr(training, "warmup_cosine", spying)
    request = TrainClassifierRequest(fonts_dir=fonts, out=tmp_path / "timed", epochs=2, max_minutes=60, **TINY)
    meta = run_to_end(train_classifier(request))
    assert seen and len(seen) == meta["step"]
    assert all(fraction == step / meta["step"] for step, fraction in seen)


def test_cli_trains_resumes_and_refuses_a_second_fresh_run(fonts, tmp_path, capsys):
    from segan_core.cli import main

    out = tmp_path / "clf"
    common = ["eval", "train-classifier", "--fonts-dir", str(fonts), "--out", str(out), "--max-chars", "12",
              "--batch-size", "8", "--threads", "1", "--quiet"]
    assert main([*common, "--epochs", "1"]) == 0
    assert "1 epochs" in capsys.readouterr().out
    assert main([*common, "--epochs", "2", "--resume", "--cpu-budget", "30"]) == 0
    assert "2 epochs" in capsys.readouterr().out
    assert main([*common, "--epochs", "1"]) == 2  # a run is there: --resume or another --out
    assert "--resume" in capsys.readouterr().err


def test_a_classifier_from_before_the_engine_cannot_be_resumed(fonts, tmp_path, capsys):
    from segan_core.cli import main

    legacy = tmp_path / "legacy"
    legacy.mkdir()
    for name in ("config.json", "weights.safetensors", "training.json"):
        (legacy / name).write_bytes((SHIPPED / name).read_bytes())
    code = main(["eval", "train-classifier", "--fonts-dir", str(fonts), "--out", str(legacy), "--resume", "--quiet"])
    assert code == 2 and "cannot be resumed" in capsys.readouterr().err


# measured with the loader before the classifier moved onto the engine (commit 50b994d)
SHIPPED_FEATURE_SUMS = [93.2075, 91.8033, 86.3412, 87.8995, 67.5701, 123.3153]
SHIPPED_PREDICTIONS = (["冰", "冲", "二", "冰", "分", "巴"], [
    "source/ARPL-KaitiM-GB.ttf", "brush/KouzanMouhitsu.ttf", "source/ARPL-KaitiM-GB.ttf",
    "brush/MaShanZheng-Regular.ttf", "brush/ZhiMangXing-Regular.ttf", "print/WenQuanYiMicroHei.ttf",
])


def test_the_shipped_evaluator_loads_and_scores_as_before():
    config = json.loads((SHIPPED / "config.json").read_text(encoding="utf-8"))
    assert config["format"] == "segan-glyph-classifier" and config["version"] == 1  # the files are not converted
    classifier = GlyphClassifier.load(SHIPPED)
    images = np.concatenate([FontGlyphSource(SOURCE_FONT, 64).generate(list("永和之")),
                             FontGlyphSource(MA_SHAN_ZHENG, 64).generate(list("永和之"))])
    assert classifier.features(images).sum(1) == pytest.approx(SHIPPED_FEATURE_SUMS, abs=1e-3)
    assert classifier.predict(images) == SHIPPED_PREDICTIONS


def test_unknown_classifier_formats_are_refused(tmp_path):
    folder = tmp_path / "clf"
    folder.mkdir()
    (folder / "weights.safetensors").write_bytes((SHIPPED / "weights.safetensors").read_bytes())
    config = json.loads((SHIPPED / "config.json").read_text(encoding="utf-8"))
    (folder / "config.json").write_text(json.dumps(config | {"version": 2}), encoding="utf-8")
    with pytest.raises(EvaluationError, match="version 2"):
        GlyphClassifier.load(folder)
    (folder / "config.json").write_text(json.dumps({"format": "segan-checkpoint", "version": 1, "kind": "segan"}))
    with pytest.raises(EvaluationError, match="not a Segan glyph-classifier"):
        GlyphClassifier.load(folder)


def test_warmup_cosine_schedule():
    factor = warmup_cosine(4)
    assert [factor(s, 0.0) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert factor(10, 0.5) == pytest.approx(0.5) and factor(10, 1.0) == pytest.approx(0.0)
    assert warmup_cosine(0)(0, 0.0) == 1.0


class _CancelAfter(CancelToken):
    """A Ctrl-C that arrives after the engine has checked the token ``polls`` times (once per step)."""

    def __init__(self, polls: int) -> None:
        super().__init__()
        self.polls = polls

    @property
    def cancelled(self) -> bool:
        self.polls -= 1
        return self.polls < 0


def test_cli_ctrl_c_keeps_a_checkpoint_to_resume(fonts, tmp_path, capsys, monkeypatch):
    import segan_core.commands.evaluate as evaluate_command
    from segan_core.cli import main

    out = tmp_path / "clf"
    common = ["eval", "train-classifier", "--fonts-dir", str(fonts), "--out", str(out), "--max-chars", "12",
              "--batch-size", "8", "--threads", "1", "--epochs", "2", "--quiet"]
    monkeypatch.setattr(evaluate_command, "cancel_on_signals", lambda: _CancelAfter(2))
    assert main(common) == 0
    printed = capsys.readouterr().out
    assert "cancelled at step 2; resume with --resume" in printed and "0.67 epochs" in printed
    monkeypatch.setattr(evaluate_command, "cancel_on_signals", CancelToken)
    assert main([*common, "--resume"]) == 0
    assert "2 epochs" in capsys.readouterr().out


def test_a_spent_cpu_budget_stops_with_a_checkpoint_that_resumes(fonts, tmp_path):
    out = tmp_path / "clf"
    meta = run_to_end(train_classifier(TrainClassifierRequest(fonts_dir=fonts, out=out, epochs=2,
                                                              cpu_budget_minutes=0.0, **TINY)))
    assert meta["step"] == 0 and meta["training"]["epochs_done"] == 0 and (out / STATE_JSON).is_file()
    meta = run_to_end(train_classifier(TrainClassifierRequest(fonts_dir=fonts, out=out, resume=True, **TINY)))
    assert meta["step"] == 6 and meta["training"]["epochs_planned"] == 2
