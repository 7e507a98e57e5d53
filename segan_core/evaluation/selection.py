"""Model selection: pick a run's best snapshot on the dev split, never on the test split.

GAN training does not improve monotonically: on 2 CPU cores the shipped styles read best part-way through
the run (models/README.md). A run trained with ``--keep-snapshots`` keeps every checkpoint's inference files;
:func:`select_snapshot` evaluates them all on the dev split and copies the best one into a model folder,
with ``selection.json`` saying which snapshot won and how every snapshot scored.

Each snapshot's scores are also kept beside it (``scores.json``, keyed by the dataset, split and scoring
options), so choosing again with another rule, or after the run went on, scores only the new snapshots:
on 2 cores one snapshot costs about half a CPU minute on 692 dev characters.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from segan_core.atomic import atomic_dir, write_text_atomic
from segan_core.data.store import GlyphDataset
from segan_core.evaluation.checks import EvaluationError
from segan_core.evaluation.report import KIND_MODEL, EvalOptions, EvalReport, Row, evaluate_specs
from segan_core.jobs import CancelToken, Progress
from segan_core.model.checkpoint import CONFIG_FILE, WEIGHTS_FILE, list_snapshots, read_config, snapshot_step
from segan_core.outputs import Legacy, OutputKind, check_output_dir

SELECTION_FILE = "selection.json"
# a selected model folder as segan eval select writes it (selected models from before markers: their
# selection.json, which names the chosen snapshot)
SELECTION = OutputKind(
    "selected model", "segan-selection", (SELECTION_FILE, CONFIG_FILE, WEIGHTS_FILE),
    (Legacy(SELECTION_FILE, (("chosen", "*"),)),),
)  # fmt: skip
SCORES_FILE = "scores.json"  # beside each snapshot's weights: {scoring key: metrics}
# a --cpu-budget run stops at the first step boundary past its budget: its last snapshot is this much over
BUDGET_OVERSHOOT = 0.005
# what "best" can mean: metric -> higher is better
CRITERIA: dict[str, bool] = {
    "content_accuracy": True,
    "iou": True,
    "frechet": False,
    "l1": False,
    "ssim": True,
}


@dataclass(frozen=True)
class Selection:
    chosen: Path  # the winning snapshot folder
    out: Path  # the model folder it was copied to
    metric: str
    report: EvalReport  # every snapshot on the dev split


def _key(row: Row, metric: str) -> tuple[float, float]:
    """Sort key: the chosen metric (higher = better), then ink IoU (style fidelity) to break ties."""
    value = row.metrics.get(metric, math.nan)
    if math.isnan(value):
        raise EvaluationError(f"snapshot {row.spec} has no {metric} score")
    sign = 1.0 if CRITERIA[metric] else -1.0
    return sign * value, row.metrics.get("iou", 0.0)


def pick_best(rows: list[Row], metric: str, min_ratio: float | None = None) -> Row:
    """The best row by ``metric`` (ties: ink IoU) among those whose content-accuracy ratio (generated vs the
    real font, same characters) is at least ``min_ratio``: "the most faithful snapshot that still reads"."""
    if min_ratio is not None:
        ratios = [row.metrics.get("content_accuracy_ratio", math.nan) for row in rows]
        if any(math.isnan(r) for r in ratios):
            raise EvaluationError("--min-ratio needs content accuracy: evaluate with the OCR recognizer")
        readable = [row for row, ratio in zip(rows, ratios, strict=True) if ratio >= min_ratio]
        if not readable:
            top = max(range(len(rows)), key=ratios.__getitem__)
            raise EvaluationError(
                f"no snapshot reads at least {min_ratio:g} x the real font (the best, {Path(rows[top].spec).name}, "
                f"reads {ratios[top]:.3f}x); lower --min-ratio or select --by content_accuracy"
            )
        rows = readable
    return max(rows, key=lambda row: _key(row, metric))


def pick_with_fallback(rows: list[Row], metric: str, min_ratio: float | None,
                       fallback_metric: str | None) -> tuple[Row, bool]:
    """:func:`pick_best`; where no row reads ``min_ratio`` x the real font, the best by ``fallback_metric`` over all
    rows instead (when one is given), and whether it fell back."""
    try:
        return pick_best(rows, metric, min_ratio), False
    except EvaluationError:
        if fallback_metric is None or min_ratio is None:
            raise
        return pick_best(rows, fallback_metric), True


def _scoring_key(dataset: GlyphDataset, options: EvalOptions) -> str:
    """What a snapshot's scores depend on besides its weights: the data, the split and how it is scored."""
    what = {
        "dataset": dataset.hash,
        "split": options.split,
        "limit": options.limit,
        "ocr": options.ocr,
        "frechet": options.frechet,
        "classifier": str(options.classifier_dir or ""),
        "inception": str(options.inception_weights or ""),
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


def _weights_id(snapshot: Path) -> str:
    stat = (snapshot / WEIGHTS_FILE).stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _cached_scores(snapshot: Path, key: str) -> dict[str, float] | None:
    """The snapshot's scores under ``key``, if scored before with these very weights."""
    try:
        entry = json.loads((snapshot / SCORES_FILE).read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(entry, dict) or entry.get("weights") != _weights_id(snapshot):
        return None
    metrics = entry.get("metrics")
    if not isinstance(metrics, dict) or not all(isinstance(v, int | float) for v in metrics.values()):
        return None
    return {k: float(v) for k, v in metrics.items()}


def _remember_scores(row: Row, key: str) -> None:
    snapshot = Path(row.spec)
    path = snapshot / SCORES_FILE
    try:
        known = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        if not isinstance(known, dict):
            known = {}
        metrics = {k: v for k, v in row.metrics.items() if not math.isnan(v)}
        known[key] = {"weights": _weights_id(snapshot), "metrics": metrics}
        write_text_atomic(path, json.dumps(known, indent=1) + "\n")
    except OSError:
        pass  # a read-only run folder: the scores are only not remembered


def _cpu_minutes(snapshot: Path) -> float:
    seconds = read_config(snapshot).get("train_seconds", {})
    if not isinstance(seconds, dict) or "cpu" not in seconds:
        raise EvaluationError(f"{snapshot}/config.json does not record its training CPU time")
    return float(seconds["cpu"]) / 60


def select_snapshot(
    run: Path | str,
    data: Path | str,
    out: Path | str,
    options: EvalOptions | None = None,
    metric: str = "content_accuracy",
    cancel: CancelToken | None = None,
    max_cpu_minutes: float | None = None,
    min_ratio: float | None = None,
    fallback_metric: str | None = None,
    overwrite: bool = False,
    min_step: int = 0,
) -> Iterator[Progress]:
    """Evaluate every snapshot of ``run`` on ``options.split`` (dev by default) and copy the best to ``out``.

    ``max_cpu_minutes`` keeps only snapshots taken within that much training CPU time (equal-compute tables);
    the last checkpoint of a run stopped by ``--cpu-budget`` is a step past its budget and still counts.
    ``min_ratio`` ranks only the snapshots that read at least that fraction of the real font's accuracy;
    when none does, ``fallback_metric`` (if given) ranks them all instead of failing, and the summary says so.
    ``min_step`` leaves out the snapshots of earlier steps (1: a fine-tune's start, its step 0).
    """
    run, out = Path(run), Path(out)
    options = options or EvalOptions(split="dev")
    if options.split == "test":
        raise EvaluationError("choose snapshots on the dev (or train) split: picking on test would flatter its score")
    if metric not in CRITERIA:
        raise EvaluationError(f"unknown selection metric {metric!r}; choose one of {', '.join(CRITERIA)}")
    if (metric == "content_accuracy" or min_ratio is not None) and not options.ocr:
        raise EvaluationError("selecting by content accuracy needs the OCR recognizer (drop --no-ocr)")
    snapshots = [s for s in list_snapshots(run) if snapshot_step(s) >= min_step]
    if not snapshots:
        raise EvaluationError(f"{run} has no snapshots: train it with --keep-snapshots")
    if max_cpu_minutes is not None:
        snapshots = [s for s in snapshots if _cpu_minutes(s) <= max_cpu_minutes * (1 + BUDGET_OVERSHOOT)]
        if not snapshots:
            raise EvaluationError(f"{run} has no snapshot within {max_cpu_minutes:g} CPU minutes of training")
    if out.resolve() == run.resolve() or run.resolve() in out.resolve().parents:
        raise EvaluationError(f"--out {out} must be outside the run folder {run}")
    check_output_dir(out, SELECTION, overwrite)  # refused before the evaluation, not after
    key = _scoring_key(GlyphDataset(data), options)
    known = {s: _cached_scores(s, key) for s in snapshots}
    todo = [s for s in snapshots if known[s] is None]
    if len(todo) < len(snapshots):
        yield Progress("evaluate", 0, len(todo), message=f"{len(snapshots) - len(todo)} snapshots scored before")
    # heatmap and sample figures are not needed to rank snapshots (the real font is scored every time)
    report = yield from evaluate_specs([str(s) for s in todo], data, replace(options, sample_count=1), cancel)
    scored = {Path(row.spec): row for row in report.models}
    for row in report.models:
        _remember_scores(row, key)
    rows = [
        scored.get(s) or Row(name=s.name, kind=KIND_MODEL, spec=str(s), metrics=known[s] or {}) for s in snapshots
    ]
    report = replace(report, models=rows)
    best, fell_back = pick_with_fallback(report.models, metric, min_ratio, fallback_metric)
    chosen = Path(best.spec)
    summary = {
        "run": str(run),
        "chosen": chosen.name,
        "split": report.split,
        "characters": len(report.chars),
        "metric": metric,
        "max_cpu_minutes": max_cpu_minutes,
        "min_ratio": min_ratio,
        **({"min_step": min_step} if min_step else {}),
        **({"fallback_metric": fallback_metric} if fell_back else {}),
        "snapshots": [
            {"snapshot": Path(row.spec).name, **{k: round(v, 6) for k, v in row.metrics.items() if not math.isnan(v)}}
            for row in report.models
        ],
        "real_font": {k: round(v, 6) for k, v in report.reference.metrics.items() if not math.isnan(v)},
    }
    with atomic_dir(out, SELECTION, overwrite) as tmp:
        for name in (WEIGHTS_FILE, CONFIG_FILE):
            shutil.copy2(chosen / name, tmp / name)
        (tmp / SELECTION_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return Selection(chosen=chosen, out=out, metric=metric, report=report)
