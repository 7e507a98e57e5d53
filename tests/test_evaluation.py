"""Evaluation: content accuracy, Fréchet distance, paired metrics, reports and model/data checks."""

from __future__ import annotations

import itertools
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from segan_core.charset import gb2312_level1
from segan_core.data.build import BuildRequest, build_dataset
from segan_core.data.split import split_of
from segan_core.data.store import GlyphDataset
from segan_core.errors import Cancelled, SeganError
from segan_core.evaluation import EvaluationError
from segan_core.evaluation.frechet import frechet_distance
from segan_core.evaluation.paired import chamfer, paired_metrics, skeletons, ssim
from segan_core.evaluation.report import Candidate, EvalOptions, evaluate, format_table, write_report
from segan_core.glyph_source import FontGlyphSource
from segan_core.jobs import CancelToken, run_to_end
from segan_core.resources import PROJECT_ROOT, SOURCE_FONT

from .conftest import LONG_CANG, MA_SHAN_ZHENG

TARGET_FONT = MA_SHAN_ZHENG
OTHER_FONT = LONG_CANG
CLASSIFIER = Path(os.environ.get("SEGAN_TEST_CLASSIFIER", PROJECT_ROOT / "models" / "evaluator"))


def _eval_chars() -> tuple[str, ...]:
    """The 48 test-split characters among GB2312 level 1's first 400, with 24 train and 6 dev ones."""
    chars = gb2312_level1()[:400]
    by_split = {name: [c for c in chars if split_of(c) == name] for name in ("train", "dev", "test")}
    keep = set(by_split["test"] + by_split["train"][:24] + by_split["dev"][:6])
    return tuple(c for c in chars if c in keep)


EVAL_CHARS = _eval_chars()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> GlyphDataset:
    out = tmp_path_factory.mktemp("eval") / "msz"
    chars = EVAL_CHARS
    run_to_end(build_dataset(BuildRequest(source=SOURCE_FONT, out=out, chars=chars, size=64, target=TARGET_FONT)))
    return GlyphDataset(out)


class SplitSource:
    """A GlyphSource returning the dataset's real targets, optionally with Gaussian noise."""

    def __init__(self, dataset: GlyphDataset, noise: float = 0.0, split: str = "test", size: int | None = None):
        self.table = dict(zip(dataset.split(split).chars, dataset.split(split).target, strict=True))
        self.noise = noise
        self._size = size or dataset.size

    size = property(lambda self: self._size)
    identity = property(lambda self: f"split-noise-{self.noise}")
    name = property(lambda self: f"noise {self.noise}")

    def missing(self, chars):
        return {c: "not in split" for c in chars if c not in self.table}

    def generate(self, chars, batch_size=64):
        out = np.stack([self.table[c] for c in chars]).astype(np.float32)
        if self.noise:
            rng = np.random.default_rng([ord(c) for c in chars])
            out = out + rng.normal(0.0, self.noise * 255.0, out.shape)
        return np.clip(out, 0, 255).astype(np.uint8)


class HeatmapSource(SplitSource):
    def heatmaps(self, chars):
        maps = self.generate(chars).astype(np.float32) / 255.0
        return {"cam": maps, "sram": 1.0 - maps, "cram": maps * 0.5}


def run(candidates, dataset, **options):
    return run_to_end(evaluate(candidates, dataset, EvalOptions(classifier_dir=CLASSIFIER, **options)))


# ------------------------------------------------------------------------------------------ the job


def test_perfect_model_matches_the_real_font(dataset):
    report = run([Candidate(SplitSource(dataset), "perfect")], dataset)
    model, reference, floor = report.rows
    m = model.metrics
    assert m["content_accuracy"] == pytest.approx(reference.metrics["content_accuracy"])
    assert m["content_accuracy_ratio"] == pytest.approx(1.0)
    assert reference.metrics["content_accuracy"] > 0.8  # Ma Shan Zheng is legible
    assert m["frechet"] == pytest.approx(0.0, abs=1e-6)
    assert m["ssim"] == pytest.approx(1.0)
    assert m["l1"] == 0.0 and m["iou"] == 1.0
    assert m["skeleton_chamfer"] == 0.0 and m["skeleton_iou"] == 1.0
    # the do-nothing floor (Kai source glyphs) is readable but far from the target's shapes
    assert floor.metrics["iou"] < 0.6 and floor.metrics["frechet"] > m["frechet"]
    assert model.unreadable == reference.unreadable


def test_noise_degrades_every_metric_monotonically(dataset):
    levels = (0.0, 0.45, 0.8)
    report = run([Candidate(SplitSource(dataset, noise), f"noise {noise}") for noise in levels], dataset)
    rows = [row.metrics for row in report.models]
    for key, higher_is_better in [("content_accuracy", True), ("frechet", False), ("l1", False), ("ssim", True),
                                  ("iou", True), ("skeleton_chamfer", False), ("skeleton_iou", True)]:
        values = [row[key] for row in rows]
        ordered = values if not higher_is_better else [-v for v in values]
        assert all(a < b for a, b in itertools.pairwise(ordered)), (key, values)


def test_compare_cli_writes_one_row_per_model_plus_real_font(dataset, tmp_path, capsys):
    from segan_core.cli import main

    out = tmp_path / "report"
    code = main(["eval", "compare", f"font:{TARGET_FONT}", f"font:{OTHER_FONT}", "--data", str(dataset.folder),
                 "--out", str(out), "--limit", "12", "--classifier", str(CLASSIFIER), "--quiet"])
    assert code == 0
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    names = [row["name"] for row in data["rows"]]
    kinds = [row["kind"] for row in data["rows"]]
    assert names[:2] == ["Ma Shan Zheng (font)", "Long Cang (font)"]
    assert kinds == ["model", "model", "real font", "source glyphs (floor)"]
    assert data["characters"] == 12
    long_cang = data["rows"][1]["metrics"]
    assert 0.0 < long_cang["iou"] < 1.0 and long_cang["frechet"] > 0
    assert data["rows"][0]["metrics"]["ssim"] == pytest.approx(1.0)
    markdown = (out / "report.md").read_text(encoding="utf-8")
    for name in names:
        assert name in markdown
    assert "not comparable to Inception FID" in markdown
    assert (out / "samples.png").is_file() and not (out / "heatmaps.png").exists()
    assert "Long Cang (font)" in capsys.readouterr().out


def test_heatmaps_figure_when_the_model_has_heatmaps(dataset, tmp_path):
    report = run([Candidate(HeatmapSource(dataset), "attention")], dataset, ocr=False, limit=6)
    assert set(report.models[0].heatmaps) == {"cam", "sram", "cram"}
    assert "content_accuracy" not in report.models[0].metrics
    write_report(report, tmp_path / "r")
    from PIL import Image

    figure = Image.open(tmp_path / "r" / "heatmaps.png")
    assert figure.size[1] > 5 * 48  # source, output, three heatmap rows
    assert "content acc" not in format_table(report)


# ------------------------------------------------------------------------------------- mismatches


def test_size_mismatch_is_a_clear_error(dataset):
    with pytest.raises(EvaluationError, match=r"makes 32 px glyphs but dataset .* is 64 px"):
        run([Candidate(FontGlyphSource(OTHER_FONT, 32), "small")], dataset)


def test_model_trained_on_the_evaluated_split_is_refused(dataset):
    test_chars = "".join(dataset.chars("test"))
    leaky = {"size": 64, "manifest_sha256": dataset.hash, "splits": {"train": test_chars[:5] + "永"}}
    with pytest.raises(EvaluationError, match=r"trained on 5 characters of the test split"):
        run([Candidate(SplitSource(dataset), "leaky", training_data=leaky)], dataset)
    foreign = {"size": 64, "manifest_sha256": "0" * 64, "splits": {"train": ""}}
    with pytest.raises(EvaluationError, match="trained on another dataset"):
        run([Candidate(SplitSource(dataset), "foreign", training_data=foreign)], dataset)
    other_size = {"size": 128, "manifest_sha256": dataset.hash, "splits": {"train": ""}}
    with pytest.raises(EvaluationError, match="trained on 128 px glyphs"):
        run([Candidate(SplitSource(dataset), "big", training_data=other_size)], dataset)
    several = {"size": 64, "manifest_sha256": "1" * 64, "datasets": [{"manifest_sha256": "2" * 64}]}
    with pytest.raises(EvaluationError, match="trained on 1 other datasets"):
        run([Candidate(SplitSource(dataset), "multi", training_data=several)], dataset)
    several["datasets"].append({"manifest_sha256": dataset.hash})  # among them: fine on test, refused on train
    with pytest.raises(EvaluationError, match="characters of the train split"):
        run([Candidate(SplitSource(dataset, split="train"), "multi", training_data=several)], dataset, split="train")
    fine = {"size": 64, "manifest_sha256": dataset.hash, "splits": {"train": "".join(dataset.chars("train"))}}
    report = run([Candidate(SplitSource(dataset), "fine", training_data=fine),
                  Candidate(SplitSource(dataset), "multi", training_data=several)], dataset, ocr=False, limit=4)
    assert [row.metrics["l1"] for row in report.models] == [0.0, 0.0]


def test_cli_errors_exit_2_with_one_line(dataset, tmp_path, capsys):
    from segan_core.cli import main

    code = main(["eval", "--model", str(tmp_path / "nope"), "--data", str(dataset.folder), "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "not a model folder" in err and "\n" not in err
    weights = tmp_path / "pt_inception.pth"
    weights.write_bytes(b"not really")
    code = main(["eval", "--model", f"font:{OTHER_FONT}", "--data", str(dataset.folder), "--out", str(tmp_path / "o"),
                 "--limit", "3", "--no-ocr", "--inception-weights", str(weights), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "Inception" in err


def test_cancel_stops_the_job(dataset):
    token = CancelToken()
    token.cancel()
    job = evaluate([Candidate(SplitSource(dataset), "x")], dataset, EvalOptions(classifier_dir=CLASSIFIER), token)
    with pytest.raises(Cancelled):
        run_to_end(job)
    assert issubclass(Cancelled, SeganError)


# ---------------------------------------------------------------------------------- building blocks


def test_unreadable_flags_blank_and_wrong_glyphs(dataset):
    from segan_core.recognizer import get_recognizer, unreadable

    split = dataset.split("test")
    recognizer = get_recognizer()
    good = [c for c, ok in zip(split.chars, recognizer.correct(split.chars, split.target), strict=True) if ok][:4]
    images = np.stack([split.target[split.chars.index(c)] for c in good])
    images[1] = 0  # blank
    images[2] = images[3]  # another character's glyph
    assert unreadable(good, images) == [good[1], good[2]]


def test_frechet_distance_math():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 8))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    shifted = a + 3.0  # same covariance, mean moved by 3 in 8 dimensions
    assert frechet_distance(a, shifted) == pytest.approx(72.0, rel=1e-6)
    scaled = a * 2.0  # covariance 4x: trace term sum (1 + 4 - 2*2) per dimension ~ 8
    assert frechet_distance(a, scaled) == pytest.approx(8.0, rel=0.15)


def test_paired_metrics_edge_cases(dataset):
    target = dataset.split("test").target[:3]
    blank = np.zeros_like(target)
    assert ssim(target, target) == pytest.approx(np.ones(3))
    assert chamfer(skeletons(blank), skeletons(target)) == pytest.approx(np.full(3, 64.0))
    assert chamfer(skeletons(blank), skeletons(blank)) == pytest.approx(np.zeros(3))
    metrics = paired_metrics(blank, target)
    assert (metrics["iou"] == 0).all() and (metrics["l1"] > 0).all()


def test_classifier_trains_saves_and_reloads(tmp_path):
    from segan_core.evaluation.classifier import load_classifier
    from segan_core.evaluation.classifier_training import TrainClassifierRequest, train_classifier

    fonts = tmp_path / "fonts"
    (fonts / "source").mkdir(parents=True)
    (fonts / "brush").mkdir()
    (fonts / "source" / "kai.ttf").symlink_to(SOURCE_FONT)
    (fonts / "brush" / "msz.ttf").symlink_to(TARGET_FONT)
    request = TrainClassifierRequest(fonts_dir=fonts, out=tmp_path / "clf", epochs=1, batch_size=16, max_chars=12,
                                     command="test")
    meta = run_to_end(train_classifier(request))
    assert meta["training"]["epochs_done"] == 1 and meta["training"]["glyphs"] == 24
    classifier = load_classifier(tmp_path / "clf")
    assert classifier.config.fonts == ("source/kai.ttf", "brush/msz.ttf")
    images = FontGlyphSource(TARGET_FONT, 64).generate(["永", "和"])
    assert classifier.features(images).shape == (2, classifier.config.feature_dim)
    chars, fonts_ = classifier.predict(images)
    assert len(chars) == 2 and set(fonts_) <= set(classifier.config.fonts)


def test_shipped_classifier_is_small_and_documented():
    config = json.loads((CLASSIFIER / "config.json").read_text(encoding="utf-8"))
    assert (CLASSIFIER / "weights.safetensors").stat().st_size < 8 * 1024 * 1024
    assert config["training"]["command"].startswith("segan eval train-classifier")
    assert "Inception" in config["note"]


def test_missing_classifier_is_a_clear_error(tmp_path):
    from segan_core.evaluation.classifier import load_classifier

    with pytest.raises(EvaluationError, match="train-classifier"):
        load_classifier(tmp_path)



def test_compare_has_a_baseline_row_and_paper_labels(dataset, tmp_path):
    from segan_core.cli import main
    from segan_core.config import BaselineConfig
    from segan_core.evaluation.report import model_label
    from segan_core.training.presets import get_baseline_preset
    from segan_core.training.runs import RunOptions, train_baseline

    _, train = get_baseline_preset("tiny-32")
    model = BaselineConfig(image_size=64, ngf=4, ndf=4, embedding_dim=4)
    folder = tmp_path / "msz-baseline"
    run_to_end(train_baseline([dataset.folder], model, train, RunOptions(out=folder, max_steps=2)))
    out = tmp_path / "report"
    code = main(["eval", "compare", str(folder), f"font:{OTHER_FONT}", "--data", str(dataset.folder),
                 "--out", str(out), "--limit", "8", "--classifier", str(CLASSIFIER), "--quiet"])
    assert code == 0
    rows = json.loads((out / "report.json").read_text(encoding="utf-8"))["rows"]
    assert rows[0]["name"] == "zi2zi baseline (msz-baseline)"
    assert 0.0 <= rows[0]["metrics"]["iou"] <= 1.0 and rows[0]["metrics"]["frechet"] > 0
    assert [r["kind"] for r in rows][-2:] == ["real font", "source glyphs (floor)"]

    # a model's own metrics.json (what `segan styles list` reads), with how it was trained
    code = main(["eval", "--model", str(folder), "--data", str(dataset.folder), "--out", str(tmp_path / "one"),
                 "--limit", "8", "--classifier", str(CLASSIFIER), "--quiet", "--write-metrics"])
    assert code == 0
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["characters"] == 8 and metrics["row"] == rows[0]["name"]
    assert metrics["content_accuracy_ratio"] == pytest.approx(rows[0]["metrics"]["content_accuracy_ratio"])
    assert metrics["training"]["kind"] == "baseline" and metrics["training"]["steps"] == 2
    assert metrics["training"]["cpu_minutes"] is not None
    assert [r["kind"] for r in metrics["reference"]] == ["real font", "source glyphs (floor)"]

    segan = {"kind": "segan", "model": {"skeleton_encoder": True, "skeleton_discriminator": True, "attention": "cram"}}
    assert model_label(segan) == "SE-GAN"
    no_es = {"kind": "segan", "model": {"skeleton_encoder": False, "skeleton_discriminator": True, "attention": "sram"}}
    assert model_label(no_es) == "SE-GAN w/o E_s"
    no_ds = {"kind": "segan", "model": {**segan["model"], "skeleton_discriminator": False}}
    assert model_label(no_ds) == "SE-GAN w/o D_s"
    with_skips = {"kind": "segan", "model": {**no_es["model"], "skips": "image"}}
    assert model_label(with_skips) == "SE-GAN w/o E_s + image skips"


def test_selection_picks_the_most_faithful_snapshot_that_still_reads():
    from segan_core.evaluation.report import Row
    from segan_core.evaluation.selection import pick_best

    def row(name: str, ratio: float, iou: float) -> Row:
        return Row(name, "segan", name, {"content_accuracy": ratio * 0.8, "content_accuracy_ratio": ratio, "iou": iou})

    rows = [row("early", 1.10, 0.37), row("middle", 0.96, 0.39), row("late", 0.90, 0.41)]
    assert pick_best(rows, "content_accuracy").name == "early"
    assert pick_best(rows, "iou").name == "late"
    assert pick_best(rows, "iou", min_ratio=0.95).name == "middle"
    with pytest.raises(EvaluationError, match=r"at least 1.2 x the real font \(the best, early, reads 1.100x\)"):
        pick_best(rows, "iou", min_ratio=1.2)
    no_ocr = [Row("x", "segan", "x", {"content_accuracy": math.nan, "content_accuracy_ratio": math.nan, "iou": 0.4})]
    with pytest.raises(EvaluationError, match="OCR"):
        pick_best(no_ocr, "iou", min_ratio=0.9)


def test_fixed_rows_are_scored_once_per_split_in_the_cache_given(dataset):
    from segan_core.evaluation.report import FixedRowsCache

    cache = FixedRowsCache()
    options = EvalOptions(ocr=False, frechet=False)

    def scored_rows() -> list[str]:
        job = evaluate([Candidate(SplitSource(dataset), "perfect")], dataset, options, cache=cache)
        names = []
        try:
            while True:
                event = next(job)
                if event.stage == "paired":
                    names.append(event.message)
        except StopIteration as stop:
            assert stop.value.reference.metrics["iou"] == stop.value.models[0].metrics["iou"]
        return names

    assert scored_rows() == ["real font", "source glyphs", "perfect"]
    assert scored_rows() == ["perfect"]  # the real font and source rows come from the cache
    cache.clear()
    assert scored_rows() == ["real font", "source glyphs", "perfect"]
