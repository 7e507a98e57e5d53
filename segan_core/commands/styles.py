"""``segan styles list``: the brush styles, and which have a trained model."""

from __future__ import annotations

import argparse
import json

from segan_core.resources import BUNDLED_MODELS_DIR
from segan_core.styles import load_styles, user_styles
from segan_core.userdata import user_models_dir


def register(sub: argparse._SubParsersAction) -> None:
    styles = sub.add_parser("styles", help="list brush styles")
    styles_sub = styles.add_subparsers(dest="styles_command", metavar="ACTION")
    styles_sub.required = True
    listing = styles_sub.add_parser("list", help="print the style registry")
    listing.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    rows = [("id", "name", "script", "font", "model", "content acc. ratio")]
    for style in load_styles():
        metrics = style.metrics()
        ratio = metrics.get("content_accuracy_ratio")
        rows.append(
            (
                style.id,
                style.display_name,
                style.script,
                "installed" if style.font_path() else "not installed",
                _where(style.model_dir) if style.has_model else "no model yet",
                f"{ratio:.3f}" if isinstance(ratio, (int, float)) else "-",
            )
        )
    mine = user_models_dir().resolve()
    for folder in user_styles():  # styles the user trained (segan train finetune, the app), then $SEGAN_MODELS_DIR's
        ratio = _json(folder / "metrics.json").get("content_accuracy_ratio")
        base = _json(folder / "style.json").get("base", {}).get("spec", "")
        whose = "yours" if folder.parent.resolve() == mine else "added"
        rows.append(
            (
                folder.name,
                f"{folder.name} ({whose}{', from ' + base if base else ''})",
                "user",
                "-",
                str(folder),
                f"{ratio:.3f}" if isinstance(ratio, (int, float)) else "-",
            )
        )
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _where(folder) -> str:
    """``models/<name>`` for a bundled model, the full path for one from a $SEGAN_MODELS_DIR folder."""
    return f"models/{folder.name}" if folder.parent == BUNDLED_MODELS_DIR else str(folder)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _json(path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
