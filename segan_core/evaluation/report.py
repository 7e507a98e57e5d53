"""The evaluation job and its report (the SE-GAN paper's Table 1, Fig. 4 and Fig. 5b).

``evaluate`` is a job: it yields :class:`~segan_core.jobs.Progress` and returns an
:class:`EvalReport` with one row per model, the real font's row (the ceiling) and the source glyphs'
row (the do-nothing floor). ``write_report`` turns it into ``report.md``, ``report.json`` and figures.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from segan_core.atomic import atomic_dir, write_text_atomic
from segan_core.data.store import GlyphDataset, GlyphSplit
from segan_core.evaluation.checks import EvaluationError, check_compatible
from segan_core.evaluation.paired import paired_metrics
from segan_core.glyph_source import GlyphSource
from segan_core.jobs import CancelToken, Progress, Stopwatch
from segan_core.model_folder import ModelFolder
from segan_core.outputs import Legacy, OutputKind
from segan_core.style_source import open_style
from segan_core.styles import StyleRef, model_folder, parse_style_ref

if TYPE_CHECKING:  # loaded lazily: an evaluation without OCR or Fréchet needs neither
    from segan_core.evaluation.classifier import GlyphClassifier
    from segan_core.recognizer import GlyphRecognizer

REPORT_FORMAT = "segan-eval-report"
REPORT_JSON, REPORT_MD, SAMPLES_PNG, HEATMAPS_PNG = "report.json", "report.md", "samples.png", "heatmaps.png"
# what segan eval writes (write_report); its report.json's format tells it from a scan import's report.json
EVAL_REPORT = OutputKind(
    "evaluation report", "segan-eval-report", (REPORT_JSON, REPORT_MD, SAMPLES_PNG, HEATMAPS_PNG),
    (Legacy.with_format(REPORT_JSON, REPORT_FORMAT),),
)  # fmt: skip
# metric key -> (column title, higher is better?, format)
COLUMNS: dict[str, tuple[str, bool, str]] = {
    "content_accuracy": ("content acc.", True, "{:.3f}"),
    "content_accuracy_ratio": ("acc. ratio", True, "{:.3f}"),
    "frechet": ("Fréchet (glyph clf.)", False, "{:.2f}"),
    "frechet_inception": ("Inception FID", False, "{:.2f}"),
    "l1": ("L1", False, "{:.4f}"),
    "ssim": ("SSIM", True, "{:.4f}"),
    "iou": ("ink IoU", True, "{:.4f}"),
    "skeleton_chamfer": ("skel. chamfer px", False, "{:.3f}"),
    "skeleton_iou": ("skel. IoU", True, "{:.4f}"),
}
KIND_MODEL, KIND_REAL, KIND_FLOOR = "model", "real font", "source glyphs (floor)"



@dataclass(frozen=True)
class EvalOptions:
    split: str = "test"
    limit: int | None = None  # only the first N characters of the split
    classifier_dir: Path | None = None  # glyph classifier for the Fréchet distance (default models/evaluator)
    inception_weights: Path | None = None  # pytorch-fid weights file: adds Inception FID
    ocr: bool = True
    frechet: bool = True
    batch_size: int = 64
    sample_count: int = 16  # characters shown in the sample figures
    cross_dataset: bool = False  # allow models trained on another target (never on these characters)


@dataclass
class Candidate:
    """A glyph source to evaluate, and what it was trained on (``None`` for a real font)."""

    source: GlyphSource
    name: str
    spec: str = ""
    training_data: dict | None = None


@dataclass
class Row:
    name: str
    kind: str
    spec: str
    metrics: dict[str, float]
    unreadable: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    samples: np.ndarray | None = None  # (sample_count, S, S) ink
    heatmaps: dict[str, np.ndarray] | None = None  # {"cam", "sram", "cram"}: (sample_count, S, S) in [0, 1]


@dataclass
class EvalReport:
    dataset: str
    dataset_hash: str
    style: str
    split: str
    size: int
    chars: tuple[str, ...]
    sample_chars: tuple[str, ...]
    models: list[Row]
    reference: Row
    floor: Row
    info: dict
    source_samples: np.ndarray

    @property
    def rows(self) -> list[Row]:
        """Models first, then the real font (ceiling), then the source glyphs (floor)."""
        return [*self.models, self.reference, self.floor]

    def to_json(self) -> dict:
        return {
            "format": REPORT_FORMAT,
            "dataset": self.dataset,
            "dataset_manifest_sha256": self.dataset_hash,
            "style": self.style,
            "split": self.split,
            "size": self.size,
            "characters": len(self.chars),
            "sample_characters": "".join(self.sample_chars),
            "rows": [
                {
                    "name": row.name,
                    "kind": row.kind,
                    "spec": row.spec,
                    "metrics": {k: _json_number(v) for k, v in row.metrics.items()},
                    "unreadable": "".join(row.unreadable),
                    "missing": row.missing,
                }
                for row in self.rows
            ],
            "info": self.info,
        }


def _json_number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 6)


# ----------------------------------------------------------------------------------------- candidates


def model_label(config: dict) -> str:
    """The row label of a checkpoint, in the paper's terms: "SE-GAN", "SE-GAN w/o E_s", "zi2zi baseline"..."""
    if config.get("kind") == "baseline":
        return "zi2zi baseline"
    model = config.get("model", {}) if isinstance(config.get("model"), dict) else {}
    missing = [name for key, name in (("skeleton_encoder", "E_s"), ("skeleton_discriminator", "D_s"))
               if model.get(key) is False]
    label = "SE-GAN" + (f" w/o {', '.join(missing)}" if missing else "")
    if model.get("attention", "cram") != "cram" and model.get("skeleton_encoder", True):
        label += f" ({str(model['attention']).upper()} only)"
    if model.get("skips", "none") != "none":
        label += f" + {model['skips']} skips"
    return label


def load_candidate(spec: str, size: int) -> Candidate:
    """``font:PATH`` (a real font as a model, rendered at ``size``) or a checkpoint folder, opened by
    :func:`~segan_core.style_source.open_style` as the generator alone (no second stage, no written glyphs) on
    the reference backend: a model's numbers are the same on any CPU."""
    ref = parse_style_ref(spec)
    if ref.kind == "font":
        font = open_style(ref, size=size).model
        return Candidate(font, f"{font.name} (font)", spec, None)
    if not ref.explicit:  # a bare spec is a folder here (a style name is only taken with its style: prefix)
        ref = StyleRef("dir", spec)
    checkpoint = ModelFolder(model_folder(ref)) if ref.kind == "style" else ModelFolder(ref.path)
    if not checkpoint.has_config:
        raise EvaluationError(f"not a model folder (no config.json): {checkpoint.path}; use font:PATH for a font file")
    config = checkpoint.raw_config()
    from segan_core.inference import REFERENCE_BACKEND

    model = open_style(ref, second_stage=False, written=False, backend=REFERENCE_BACKEND).model
    name = f"{config.get('name') or model_label(config)} ({checkpoint.path.name})"
    data = config.get("data") if isinstance(config.get("data"), dict) else None
    return Candidate(model, name, spec, data)


def evaluate_specs(specs: Sequence[str], data: Path | str, options: EvalOptions | None = None,
                   cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Load the dataset and every model spec, then run :func:`evaluate`; returns the report."""
    options = options or EvalOptions()
    dataset = GlyphDataset(data)
    candidates = [load_candidate(spec, dataset.size) for spec in specs]
    # the models were loaded here and are used once: free each backend once its model is scored
    return (yield from evaluate(candidates, dataset, options, cancel, release_models=True))


# ----------------------------------------------------------------------------------------------- job


Scored = tuple[dict[str, float], list[str]]  # (metrics, characters the recognizer could not read)


class FixedRowsCache:
    """The real-font and source-glyph scores of the last split evaluated, reused while the split stays the same.

    Those two rows cost as much as a model's and do not change between evaluations of new checkpoints on
    one split (the GUI, snapshot selection): :func:`evaluate` takes a cache and, by default, shares
    :data:`FIXED_ROWS` across a process. It holds one entry.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._rows: tuple[Scored, Scored] | None = None

    def get(self, key: tuple) -> tuple[Scored, Scored] | None:
        if key != self._key or self._rows is None:
            return None
        (ref, ref_unread), (floor, floor_unread) = self._rows
        return (dict(ref), list(ref_unread)), (dict(floor), list(floor_unread))

    def put(self, key: tuple, reference: Scored, floor: Scored) -> None:
        self._key = key
        self._rows = ((dict(reference[0]), list(reference[1])), (dict(floor[0]), list(floor[1])))

    def clear(self) -> None:
        self._key = self._rows = None


FIXED_ROWS = FixedRowsCache()  # the process-wide default of evaluate()


@dataclass
class Scorer:
    """The shared scoring pieces of one evaluation (recognizer, glyph classifier, reference features)."""

    chars: tuple[str, ...]
    target: np.ndarray  # the real font's glyphs of the split: paired metrics compare against them
    options: EvalOptions
    cancel: CancelToken
    clock: Stopwatch
    recognizer: GlyphRecognizer | None = None
    known: np.ndarray | None = None  # characters the recognizer knows
    classifier: GlyphClassifier | None = None
    reference_features: np.ndarray | None = None
    inception_reference: np.ndarray | None = None

    def score(self, name: str, images: np.ndarray) -> Iterator[Progress]:
        """Every metric of ``images`` (the split's glyphs in order); returns (metrics, unread characters)."""
        metrics: dict[str, float] = {}
        unread: list[str] = []
        if self.recognizer is not None:
            metrics["content_accuracy"], unread = yield from self._content_accuracy(name, images)
        if self.reference_features is not None:
            from segan_core.evaluation.frechet import frechet_distance

            metrics["frechet"] = frechet_distance(self.classifier.features(images), self.reference_features)
        if self.inception_reference is not None:
            from segan_core.evaluation.frechet import frechet_distance, inception_features

            metrics["frechet_inception"] = frechet_distance(
                inception_features(images, self.options.inception_weights), self.inception_reference)
        self.cancel.raise_if_cancelled("evaluation")
        yield Progress("paired", 0, 1, message=name, elapsed_s=self.clock.elapsed)
        per_glyph = paired_metrics(images, self.target)
        metrics.update({key: float(values.mean()) for key, values in per_glyph.items()})
        return metrics, unread

    def _content_accuracy(self, name: str, images: np.ndarray) -> Iterator[Progress]:
        chars, known = self.chars, self.known
        ok = np.zeros(len(chars), bool)
        bs = max(16, self.options.batch_size)
        for start in range(0, len(chars), bs):
            self.cancel.raise_if_cancelled("evaluation")
            stop = min(len(chars), start + bs)
            ok[start:stop] = self.recognizer.correct(chars[start:stop], images[start:stop])
            yield Progress("ocr", stop, len(chars), message=name, elapsed_s=self.clock.elapsed)
        accuracy = float(ok[known].mean()) if known.any() else float("nan")
        return accuracy, [c for c, good, k in zip(chars, ok, known, strict=False) if k and not good]


def evaluate(candidates: Sequence[Candidate], dataset: GlyphDataset, options: EvalOptions | None = None,
             cancel: CancelToken | None = None, release_models: bool = False,
             cache: FixedRowsCache | None = None) -> Iterator[Progress]:
    """Evaluate every candidate on one split of ``dataset``; yields Progress, returns an :class:`EvalReport`.

    ``release_models``: call each model's ``release()`` once it is scored (for callers that own the models:
    22 snapshots' ONNX sessions alive at once took 12 GB); models the caller keeps using stay ready.
    ``cache``: where the real-font and source rows are kept between calls (default: :data:`FIXED_ROWS`).
    """
    options = options or EvalOptions()
    cancel = cancel or CancelToken()
    clock = Stopwatch()
    split = _split(dataset, options)
    chars = split.chars
    _check_candidates(candidates, dataset, chars, options)
    sample_idx = _sample_indices(len(chars), options.sample_count)
    sample_chars = tuple(chars[i] for i in sample_idx)
    scorer = yield from _load_scorer(split, options, cancel, clock)
    reference, floor = yield from _ceiling_and_floor(scorer, dataset, split, sample_idx,
                                                     cache if cache is not None else FIXED_ROWS)
    rows: list[Row] = []
    for number, cand in enumerate(candidates):
        rows.append((yield from _model_row(scorer, cand, split, sample_idx, sample_chars, reference.metrics,
                                           f"{cand.name} ({number + 1}/{len(candidates)})")))
        release = getattr(cand.source, "release", None)
        if release_models and callable(release):
            release()
    info = _info(scorer, clock)
    yield Progress("done", 1, 1, elapsed_s=clock.elapsed)
    return EvalReport(
        dataset=str(dataset.folder), dataset_hash=dataset.hash, style=dataset.style_name, split=options.split,
        size=dataset.size, chars=chars, sample_chars=sample_chars, models=rows,
        reference=reference,
        floor=floor, info=info, source_samples=split.source[sample_idx],
    )


def _check_candidates(candidates: Sequence[Candidate], dataset: GlyphDataset, chars: tuple[str, ...],
                      options: EvalOptions) -> None:
    """Every candidate makes glyphs of the dataset's size and was not trained on the evaluated split."""
    for cand in candidates:
        check_compatible(cand.name, cand.source.size, cand.training_data, dataset.size, dataset.hash,
                         str(dataset.folder), options.split, chars, options.cross_dataset)


def _ceiling_and_floor(scorer: Scorer, dataset: GlyphDataset, split: GlyphSplit, sample_idx: list[int],
                       cache: FixedRowsCache) -> Iterator[Progress]:
    """The real font's row (content accuracy ratio 1 by definition) and the source glyphs' row."""
    (reference_metrics, reference_unread), (floor_metrics, floor_unread) = yield from _fixed_rows(
        scorer, dataset, split, cache)
    reference_acc = reference_metrics.get("content_accuracy", float("nan"))
    reference_metrics["content_accuracy_ratio"] = 1.0 if scorer.recognizer is not None else float("nan")
    if scorer.recognizer is not None:
        floor_metrics["content_accuracy_ratio"] = _ratio(floor_metrics["content_accuracy"], reference_acc)
    reference = Row(f"{dataset.style_name} (real font)", KIND_REAL, "dataset target", _ordered(reference_metrics),
                    reference_unread, samples=split.target[sample_idx])
    floor = Row(f"{dataset.manifest['source']['name']} (source glyphs, do nothing)", KIND_FLOOR, "dataset source",
                _ordered(floor_metrics), floor_unread, samples=split.source[sample_idx])
    return reference, floor


def _model_row(scorer: Scorer, cand: Candidate, split: GlyphSplit, sample_idx: list[int],
               sample_chars: tuple[str, ...], reference: dict[str, float], label: str) -> Iterator[Progress]:
    """Generate the split with one candidate and score it; its content accuracy is also given as a ratio of
    the real font's (``reference``)."""
    images, missing = yield from _generate(cand, split, scorer.options.batch_size, scorer.cancel, scorer.clock,
                                           label)
    metrics, unread = yield from scorer.score(cand.name, images)
    if scorer.recognizer is not None:
        metrics["content_accuracy_ratio"] = _ratio(metrics["content_accuracy"],
                                                   reference.get("content_accuracy", float("nan")))
    return Row(cand.name, KIND_MODEL, cand.spec, _ordered(metrics), unread, missing,
               images[sample_idx], _heatmaps(cand.source, sample_chars))


def _split(dataset: GlyphDataset, options: EvalOptions) -> GlyphSplit:
    """The evaluated split (its first ``limit`` characters); at least two characters."""
    split = dataset.split(options.split)
    if options.limit:
        split = split.subset(split.chars[: options.limit])
    if len(split) < 2:
        raise EvaluationError(f"the {options.split} split of {dataset.folder} has {len(split)} characters; need 2+")
    return split


def _load_scorer(split: GlyphSplit, options: EvalOptions, cancel: CancelToken, clock: Stopwatch) -> Iterator[Progress]:
    """The shared pieces, the cheapest checks first: Inception, the recognizer, the classifier, the real features."""
    scorer = Scorer(split.chars, split.target, options, cancel, clock, known=np.ones(len(split.chars), bool))
    if options.inception_weights is not None:
        from segan_core.evaluation.frechet import inception_features

        scorer.inception_reference = inception_features(split.target, options.inception_weights)
    if options.ocr:
        from segan_core.recognizer import get_recognizer

        yield Progress("load", 0, 1, message="OCR recognizer", elapsed_s=clock.elapsed)
        scorer.recognizer = recognizer = get_recognizer()
        scorer.known = np.array([recognizer.knows(c) for c in split.chars], bool)
    if options.frechet:
        from segan_core.evaluation.classifier import load_classifier

        yield Progress("load", 0, 1, message="glyph classifier", elapsed_s=clock.elapsed)
        scorer.classifier = classifier = load_classifier(options.classifier_dir)
        scorer.reference_features = classifier.features(split.target)
    return scorer


def _fixed_rows(scorer: Scorer, dataset: GlyphDataset, split: GlyphSplit,
                cache: FixedRowsCache) -> Iterator[Progress]:
    """The real font (the ceiling, and the accuracy every ratio divides by) and the source glyphs (the floor)."""
    options = scorer.options
    key = (dataset.hash, options.split, split.chars, options.ocr, options.frechet,
           str(options.classifier_dir), str(options.inception_weights))
    cached = cache.get(key)
    if cached is not None:
        return cached
    reference = yield from scorer.score("real font", split.target)
    floor = yield from scorer.score("source glyphs", split.source)
    cache.put(key, reference, floor)
    return (dict(reference[0]), reference[1]), (dict(floor[0]), floor[1])


def _info(scorer: Scorer, clock: Stopwatch) -> dict:
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "elapsed_s": round(clock.elapsed, 2),
        "ocr": _ocr_info(scorer.recognizer, scorer.known, scorer.chars),
        "frechet": _frechet_info(scorer.options),
        "paired": {"ink_threshold": 128, "skeleton": "Zhang-Suen after binarize+open/close (dataset defaults)",
                   "skeleton_iou_tolerance_px": 3},
    }


def _generate(cand: Candidate, split: GlyphSplit, batch_size: int, cancel: CancelToken, clock: Stopwatch,
              label: str) -> Iterator[Progress]:
    """All glyphs of the split from one candidate; characters it cannot make stay blank (and fail)."""
    chars = split.chars
    size = split.size
    missing = dict(cand.source.missing(chars))
    todo = [i for i, c in enumerate(chars) if c not in missing]
    images = np.zeros((len(chars), size, size), np.uint8)
    for start in range(0, len(todo), batch_size):
        cancel.raise_if_cancelled("evaluation")
        rows = todo[start:start + batch_size]
        out = np.asarray(cand.source.generate([chars[i] for i in rows], batch_size=batch_size))
        if out.shape != (len(rows), size, size):
            raise EvaluationError(f"model {cand.name} returned images of shape {out.shape}, "
                                  f"expected {(len(rows), size, size)}")
        images[rows] = out.astype(np.uint8, copy=False)
        yield Progress("generate", start + len(rows), len(todo), message=label, elapsed_s=clock.elapsed)
    return images, missing


def _heatmaps(source: GlyphSource, chars: Sequence[str]) -> dict[str, np.ndarray] | None:
    method = getattr(source, "heatmaps", None)
    if callable(method):
        maps = method(list(chars))
    elif callable(getattr(source, "run", None)):  # StyleModel.run(chars, heatmaps=True).heatmaps
        try:
            maps = source.run(list(chars), heatmaps=True).heatmaps
        except TypeError:
            return None
    else:
        return None
    if not isinstance(maps, dict) or not maps:
        return None
    return {k: np.clip(np.asarray(v, np.float32), 0.0, 1.0) for k, v in maps.items() if v is not None}


def _ratio(value: float, reference: float) -> float:
    if reference is None or math.isnan(reference) or reference == 0:
        return float("nan")
    return value / reference


def _ordered(metrics: dict[str, float]) -> dict[str, float]:
    return {k: metrics[k] for k in COLUMNS if k in metrics}


def _sample_indices(n: int, count: int) -> list[int]:
    """``count`` indices spread evenly over ``range(n)``, first and last included."""
    if n <= count:
        return list(range(n))
    if count <= 1:
        return [0][:count]
    return [round(i * (n - 1) / (count - 1)) for i in range(count)]


def _ocr_info(recognizer, known: np.ndarray, chars: Sequence[str]) -> dict:
    if recognizer is None:
        return {"enabled": False}
    return {
        "enabled": True,
        "recognizer": f"PP-OCRv4 rec (ONNX) {recognizer.model_path.name}",
        "input": "glyph cropped to ink, 48x48 black on white, left of a 48x64 line",
        "characters_scored": int(known.sum()),
        "outside_vocabulary": "".join(c for c, k in zip(chars, known, strict=False) if not k),
    }


def _frechet_info(options: EvalOptions) -> dict:
    if not options.frechet:
        return {"enabled": False}
    from segan_core.evaluation.classifier import load_classifier

    clf = load_classifier(options.classifier_dir)
    info = {
        "enabled": True,
        "features": f"glyph classifier, {clf.config.feature_dim}-d pooled features",
        "classifier": str(clf.folder),
        "classifier_val_char_acc": clf.meta.get("training", {}).get("val_char_acc"),
        "note": "not comparable to Inception FID",
    }
    if options.inception_weights is not None:
        info["inception_weights"] = str(options.inception_weights)
    return info


# -------------------------------------------------------------------------------------------- output


def format_table(report: EvalReport, markdown: bool = False) -> str:
    """The Table-1 style table: one row per model, then the real font and the source-glyph floor."""
    keys = [k for k in COLUMNS if any(k in row.metrics and not _isnan(row.metrics[k]) for row in report.rows)]
    header = ["model", *[f"{COLUMNS[k][0]} {'↑' if COLUMNS[k][1] else '↓'}" for k in keys]]
    body = []
    for row in report.rows:
        cells = [row.name]
        for key in keys:
            value = row.metrics.get(key)
            cells.append("-" if value is None or _isnan(value) else COLUMNS[key][2].format(value))
        body.append(cells)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(_width(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = []
    for cells in [header, *body]:
        lines.append("  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _isnan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def report_markdown(report: EvalReport, figures: Sequence[str] = ()) -> str:
    ocr = report.info.get("ocr", {})
    lines = [
        f"# Evaluation: {report.style}, {report.split} split",
        "",
        f"- dataset: `{report.dataset}` (manifest {report.dataset_hash[:12]}), {report.size} px, "
        f"{len(report.chars)} characters",
        f"- created {report.info.get('created')}, {report.info.get('elapsed_s')} s",
    ]
    if ocr.get("enabled"):
        lines.append(f"- content accuracy: {ocr['recognizer']}, {ocr['characters_scored']} characters scored"
                     + (f" ({len(ocr['outside_vocabulary'])} outside its vocabulary left out: "
                        f"{ocr['outside_vocabulary']})" if ocr.get("outside_vocabulary") else ""))
    fr = report.info.get("frechet", {})
    if fr.get("enabled"):
        lines.append(f"- Fréchet distance: {fr['features']} ({fr['classifier']}); **not comparable to Inception FID**")
    lines += ["", format_table(report, markdown=True), ""]
    lines.append("↑ higher is better, ↓ lower is better. The real font row is the ceiling (its content accuracy is "
                 "what the recognizer manages on the true glyphs: the ratio divides by it); the source-glyph row is "
                 "the do-nothing floor (the Kai input compared with the target).")
    for row in report.rows:
        notes = []
        if row.missing:
            notes.append(f"{len(row.missing)} characters it cannot make (scored as blank): "
                         + "".join(list(row.missing)[:40]))
        if row.unreadable:
            notes.append(f"{len(row.unreadable)} unreadable: " + "".join(row.unreadable[:60])
                         + ("…" if len(row.unreadable) > 60 else ""))
        if notes:
            lines += ["", f"**{row.name}**: " + "; ".join(notes)]
    if figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{Path(f).stem}]({f})" for f in figures]
    return "\n".join(lines) + "\n"


def write_report(report: EvalReport, out: Path | str, overwrite: bool = False) -> Path:
    """Write ``report.md``, ``report.json``, ``samples.png`` (and ``heatmaps.png``) into ``out``, atomically.

    ``out`` must be new, empty, a previous report, or ``overwrite`` (:mod:`segan_core.outputs`)."""
    from segan_core.evaluation.figures import heatmap_figure, sample_grid

    out = Path(out)
    with atomic_dir(out, EVAL_REPORT, overwrite) as tmp:
        figures = []
        sample_rows = [(report.floor.name.split(" (")[0] + " (source)", report.source_samples)]
        sample_rows += [(row.name, row.samples) for row in report.models if row.samples is not None]
        sample_rows.append((report.reference.name, report.reference.samples))
        sample_grid(sample_rows, report.sample_chars).save(tmp / SAMPLES_PNG)
        figures.append(SAMPLES_PNG)
        with_maps = [row for row in report.models if row.heatmaps]
        if with_maps:
            heatmap_figure(report.source_samples, with_maps, report.sample_chars).save(tmp / HEATMAPS_PNG)
            figures.append(HEATMAPS_PNG)
        (tmp / REPORT_JSON).write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        (tmp / REPORT_MD).write_text(report_markdown(report, figures), encoding="utf-8")
    return out


def model_metrics(report: EvalReport, row: Row, config: dict | None = None) -> dict:
    """The ``metrics.json`` of a model folder: one row's numbers, the reference rows and how it was trained.

    ``segan styles list`` reads ``content_accuracy_ratio`` from it; the rest lets anyone compare models
    without re-running the evaluation.
    """
    config = config or {}
    seconds = config.get("train_seconds", {}) if isinstance(config.get("train_seconds"), dict) else {}
    model = config.get("model", {}) if isinstance(config.get("model"), dict) else {}
    train = config.get("train", {}) if isinstance(config.get("train"), dict) else {}
    return {
        "style": report.style,
        "dataset_manifest_sha256": report.dataset_hash,
        "split": report.split,
        "characters": len(report.chars),
        "row": row.name,
        **{k: _json_number(v) for k, v in row.metrics.items()},
        "unreadable": "".join(row.unreadable),
        "reference": [
            {"name": r.name, "kind": r.kind, "metrics": {k: _json_number(v) for k, v in r.metrics.items()}}
            for r in (report.reference, report.floor)
        ],
        "training": {
            "kind": config.get("kind"),
            "label": model_label(config) if config else row.name,
            "steps": config.get("step"),
            "cpu_minutes": round(seconds["cpu"] / 60, 1) if "cpu" in seconds else None,
            "wall_minutes": round(seconds["wall"] / 60, 1) if "wall" in seconds else None,
            "image_size": model.get("image_size"),
            "batch_size": train.get("batch_size"),
            "bidirectional": train.get("bidirectional") if config.get("kind") == "segan" else None,
        },
    }


def write_model_metrics(report: EvalReport, folder: Path | str) -> Path:
    """Write ``metrics.json`` for the model folder evaluated as the report's first row (atomically)."""
    folder = Path(folder)
    row = next((r for r in report.models if Path(r.spec) == folder), None)
    if row is None:
        raise EvaluationError(f"{folder} is not one of the evaluated models")
    config = ModelFolder(folder).raw_config()
    path = folder / "metrics.json"
    write_text_atomic(path, json.dumps(model_metrics(report, row, config), ensure_ascii=False, indent=1) + "\n")
    return path
