"""Print the models/README.md table of each style's per-style model (the paper's row) against the same style adapted
from the many-hands base (issue 32, `bash models/train.sh adapt ID MINUTES`): both scored by `segan eval` on the
same 200 test characters, and which one ships, decided on the dev split by the rule that chose the per-style
model's snapshot.

    .venv/bin/python docs/make_adapted_table.py [--runs ../runs] [--models models]
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

from segan_core.evaluation.report import KIND_FLOOR, KIND_MODEL, Row
from segan_core.evaluation.selection import pick_with_fallback
from segan_core.styles import load_styles

PER_STYLE = "per-style"  # models/<style>/per-style/: the per-style model where the adapted one ships


@dataclass(frozen=True)
class Candidate:
    """One model of a style: its test metrics, its chosen snapshot's dev scores and its training CPU."""

    label: str
    test: dict
    dev: dict[str, float]
    selection: dict
    cpu_minutes: float  # the weights' own training CPU (the chosen snapshot's)
    start: str = ""  # the many-hands code the adaptation started from
    budget: float | None = None  # the adaptation's whole run, in CPU minutes (its start's search included)

    @property
    def floor(self) -> dict[str, float]:
        refs = {ref["kind"]: ref["metrics"] for ref in self.test.get("reference", [])}
        return refs.get(KIND_FLOOR, {})

    def cells(self) -> str:
        margin = self.test["iou"] - self.floor.get("iou", math.nan)
        budget = "" if self.budget is None else f" of {self.budget:.1f}"
        return (f"{self.test['content_accuracy_ratio']:.3f} | {margin:+.3f} | {self.test['frechet']:.2f} "
                f"| {self.cpu_minutes:.1f}{budget}")


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def load(folder: Path, label: str) -> Candidate | None:
    try:
        test, selection, config = (_json(folder / name) for name in ("metrics.json", "selection.json", "config.json"))
    except (OSError, ValueError):
        return None
    dev = next((row for row in selection.get("snapshots", []) if row.get("snapshot") == selection.get("chosen")), None)
    if dev is None or "iou" not in test:
        return None
    style = _json(folder / "style.json") if (folder / "style.json").is_file() else {}
    start = (style.get("start_code") or {}).get("font", "")
    cpu = config.get("train_seconds", {}).get("cpu", 0.0) / 60
    return Candidate(label, test, {k: v for k, v in dev.items() if k != "snapshot"}, selection, cpu, start,
                     style.get("cpu_minutes"))


def ships(shipped: Candidate, adapted: Candidate) -> Candidate:
    """The style's own snapshot rule (its metric among those reading >= its min ratio on dev, else the most
    readable) applied to the two models' dev scores."""
    rows = [Row(c.label, KIND_MODEL, c.label, c.dev) for c in (shipped, adapted)]
    best, _ = pick_with_fallback(rows, shipped.selection["metric"], shipped.selection.get("min_ratio"),
                                 "content_accuracy")
    return shipped if best.spec == shipped.label else adapted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("../runs"))
    parser.add_argument("--models", type=Path, default=Path("models"))
    args = parser.parse_args()
    print("| style | per-style: ratio | IoU margin | Fréchet | CPU min | adapted: ratio | IoU margin | Fréchet "
          "| CPU min (start code) | dev rule | ships |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for style in load_styles():
        folder = args.models / style.model
        # once the adaptation ships (models/train.sh ship-adapted), the per-style model is kept beside it
        shipped = load(folder / PER_STYLE if (folder / PER_STYLE).is_dir() else folder, "per-style")
        adapted = load(args.runs / "adapted" / style.model, "adapted")
        if shipped is None or adapted is None:
            print(f"| {style.display_name} | {'no adaptation yet' if shipped else 'no model'} |||||||||")
            continue
        rule = f"`{shipped.selection['metric']}`"
        if shipped.selection.get("min_ratio") is not None:
            rule += f" ≥ {shipped.selection['min_ratio']:g} ×"
        print(f"| {style.display_name} | {shipped.cells()} | {adapted.cells()} ({adapted.start or '?'}) | {rule} "
              f"| {ships(shipped, adapted).label} |")


if __name__ == "__main__":
    main()
