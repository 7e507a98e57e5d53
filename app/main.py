"""``segan-studio``: start the desktop application.

    segan-studio [--style ID] [--model DIR] [--text TEXT]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def setup_logging() -> Path:
    from app.settings import log_path

    path = log_path()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not any(isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="segan-studio", description="Segan Studio desktop application")
    parser.add_argument("--style", help="style id to open (see `segan styles`)")
    parser.add_argument("--model", type=Path, help="a model folder (config.json + weights.safetensors) to open")
    parser.add_argument("--text", help="characters to show in the Generate view")
    args, _qt_args = parser.parse_known_args(argv)
    return args


def install_excepthook() -> None:
    """Uncaught exceptions in Qt slots: log them and show the error dialog instead of a traceback."""
    log = logging.getLogger("segan_studio")

    def hook(kind, value, tb) -> None:
        log.error("uncaught exception", exc_info=(kind, value, tb))
        try:
            from app.errors import show_error

            show_error(None, value.with_traceback(tb))
        except Exception:
            sys.__excepthook__(kind, value, tb)

    sys.excepthook = hook


def create_window(args: argparse.Namespace):
    from app.main_window import MainWindow
    from app.settings import Settings
    from segan_core.training.device import configure_threads

    window = MainWindow()
    configure_threads(Settings().threads)
    if args.model is not None:
        window.generate.open_model(args.model)
    elif args.style:
        window.generate.select_style(args.style)
    if args.text:
        window.generate.set_text(args.text)
    return window


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    argv = sys.argv if argv is None else ["segan-studio", *argv]
    args = parse_args(argv[1:])
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Segan Studio")
    app.setOrganizationName("Segan Studio")
    setup_logging()
    install_excepthook()
    window = create_window(args)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
