"""``segan styles list``: the brush styles, and which have a trained model."""

from __future__ import annotations

import argparse
from pathlib import Path

from segan_core.resources import BUNDLED_MODELS_DIR
from segan_core.styles import parse_style_ref, style_catalogue


def register(sub: argparse._SubParsersAction) -> None:
    styles = sub.add_parser("styles", help="list brush styles")
    styles_sub = styles.add_subparsers(dest="styles_command", metavar="ACTION")
    styles_sub.required = True
    listing = styles_sub.add_parser("list", help="print the style registry")
    listing.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    rows = [("id", "name", "script", "font", "model", "content acc. ratio")]
    for entry in style_catalogue():  # the bundled styles, then the user's own and $SEGAN_MODELS_DIR's (as the app)
        ratio = entry.metrics().get("content_accuracy_ratio")
        ratio_text = f"{ratio:.3f}" if isinstance(ratio, (int, float)) else "-"
        if entry.origin == "bundled":
            model = _where(entry.model_dir) if entry.available and entry.model_dir else "no model yet"
            rows.append((parse_style_ref(entry.key).value, entry.name, entry.script,
                         "installed" if entry.sample_font else "not installed", model, ratio_text))  # fmt: skip
            continue
        folder = entry.model_dir
        assert folder is not None  # a user's style is a model folder
        whose = "yours" if entry.origin == "trained" else "added"
        rows.append((folder.name, f"{folder.name} ({whose}{', from ' + entry.base if entry.base else ''})", "user",
                     "-", str(folder), ratio_text))  # fmt: skip
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _where(folder: Path) -> str:
    """``models/<name>`` for a bundled model, the full path for one from a $SEGAN_MODELS_DIR folder."""
    return f"models/{folder.name}" if folder.parent == BUNDLED_MODELS_DIR else str(folder)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
