"""``segan-studio``: start the desktop application.

    segan-studio [--style ID] [--model DIR] [--text TEXT]
    segan-studio --version      # the same line as `segan --version`
    segan-studio --self-test    # check this installation: every bundled model, glyphs, a font, the window
    segan-studio --self-test --data-folder   # ... and the real data folder (writable, log and settings files)
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from segan_core.errors import SeganError

LOG_MAX_BYTES = 1_000_000  # the log rotates at 1 MB ...
LOG_BACKUPS = 3  # ... keeping segan-studio.log.1 .. .3
DATA_FILES = ("segan-studio.log", "settings.ini")  # what the app writes in the data folder besides models/


def setup_logging(max_bytes: int = LOG_MAX_BYTES, backups: int = LOG_BACKUPS) -> Path:
    """Log to the data folder's ``segan-studio.log``, rotated so it never grows without bound."""
    from logging.handlers import RotatingFileHandler

    from app.settings import log_path
    from segan_core.errors import OutputError

    path = log_path()
    root = logging.getLogger()
    if not any(isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path for h in root.handlers):
        try:
            handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write the log file {path}: {exc.strerror or exc}") from None
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def version_text() -> str:
    """What ``--version`` prints: the same line as ``segan --version``."""
    from segan_core import __version__

    return f"segan-studio {__version__}"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="segan-studio", description="Segan Studio desktop application")
    parser.add_argument("--style", help="style id to open (see `segan styles`)")
    parser.add_argument("--model", type=Path, help="a model folder (config.json + weights.safetensors) to open")
    parser.add_argument("--text", help="characters to show in the Generate view")
    parser.add_argument("--version", action="version", version=version_text())
    parser.add_argument("--self-test", action="store_true",
                        help="load every bundled model, generate glyphs with heatmaps, export and validate a "
                             "10-glyph font, open the window; exit 0 if all passed (works offscreen)")
    parser.add_argument("--data-folder", action="store_true",
                        help="with --self-test: also check the real data folder (the self-test itself runs in a "
                             "temporary one): writable, its log and settings files usable")
    parser.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)  # bench_bundle.py
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
    from segan_core.model.device import configure_threads

    window = MainWindow()
    configure_threads(Settings().threads)
    if args.model is not None:
        window.generate.open_model(args.model)
    elif args.style:
        window.generate.select_style(args.style)
    if args.text:
        window.generate.set_text(args.text)
    return window


def set_window_icon(app) -> None:
    from PySide6.QtGui import QIcon

    from segan_core.resources import APP_ICON

    if APP_ICON.is_file():
        app.setWindowIcon(QIcon(str(APP_ICON)))


def check_data_folder() -> Path:
    """The data folder, usable by the app (see :func:`segan_core.userdata.check_data_folder`)."""
    from segan_core.userdata import check_data_folder as check

    return check(DATA_FILES)


def refuse_start(app, message: str) -> int:
    """Exit code 2 with one line on stderr and, on a screen, the same line in a dialog; never a traceback."""
    print(f"segan-studio: error: {message}", file=sys.stderr, flush=True)
    if app.platformName() not in ("offscreen", "minimal"):  # no one to close a dialog there
        from app.errors import ErrorBox

        ErrorBox(None, "Segan Studio cannot start", message).exec()
    return 2


def main(argv: list[str] | None = None) -> int:
    from app.workers import prepare_child_processes

    prepare_child_processes()
    argv = sys.argv if argv is None else ["segan-studio", *argv]
    args = parse_args(argv[1:])  # --version / --help print and exit here, before Qt starts
    if args.self_test:
        from app.selftest import run

        return run(argv, data_folder=args.data_folder)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Segan Studio")
    app.setOrganizationName("Segan Studio")
    set_window_icon(app)
    try:
        check_data_folder()
        setup_logging()
    except SeganError as exc:  # a read-only data folder, a folder named segan-studio.log, SEGAN_STUDIO_HOME a file
        return refuse_start(app, str(exc))
    install_excepthook()
    window = create_window(args)
    window.show()
    if args.exit_when_shown:  # start-up benchmark: say when the window is up, then close it
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: (print("window shown", flush=True), window.close(), app.quit()))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
