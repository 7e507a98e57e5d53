"""Print the models/README.md table of every shipped style from its own files (metrics.json, config.json,
selection.json), so the table says exactly what `segan eval` measured.

    .venv/bin/python docs/make_models_table.py [models]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from segan_core.styles import load_styles


def _row(folder: Path, name: str) -> str | None:
    try:
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        selection = json.loads((folder / "selection.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    refs = {ref["kind"]: ref["metrics"] for ref in metrics.get("reference", [])}
    real = refs.get("real font", {})
    floor = refs.get("source glyphs (floor)", {})
    cpu = config.get("train_seconds", {}).get("cpu", 0.0) / 60
    rule = f"`--by {selection.get('metric')}`"
    if selection.get("min_ratio") is not None:
        rule += f" `--min-ratio {selection['min_ratio']:g}`"
    iou, floor_iou = metrics["iou"], floor.get("iou", float("nan"))
    return (
        f"| {name} | {metrics['content_accuracy']:.3f} ({real.get('content_accuracy', float('nan')):.3f}) "
        f"| {metrics['content_accuracy_ratio']:.3f} | {metrics['frechet']:.2f} "
        f"| {iou:.4f} ({floor_iou:.4f}; +{iou - floor_iou:.3f}) "
        f"| {cpu:.1f} (step {config.get('step', 0):,}) | {rule} |"
    )


def main() -> None:
    models = Path(sys.argv[1] if len(sys.argv) > 1 else "models")
    print("| style | content accuracy (real font) | ratio | Fréchet | ink IoU (source floor; margin) "
          "| CPU min (snapshot) | snapshot rule (dev) |")
    print("|---|---|---|---|---|---|---|")
    for style in load_styles():
        row = _row(models / style.model, style.display_name)
        print(row if row else f"| {style.display_name} | no model | | | | | |")


if __name__ == "__main__":
    main()
