"""Start-up options, the style picker, settings, About box, menus and error handling."""

from __future__ import annotations

from PySide6.QtCore import Qt

from segan_core.styles import load_styles


def test_model_option_and_text(qtbot, app_home, errors, tiny_models):
    from app.main import create_window, parse_args

    args = parse_args(["--model", str(tiny_models["style"]), "--text", "永字"])
    window = create_window(args)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.generate.grid.ready_chars() == ["永", "字"], timeout=30000)
    assert errors == []
    window.context.runner.shutdown()


def test_style_option_without_model_is_an_error_not_a_fake(qtbot, app_home, errors, style_without_model):
    from app.main import create_window, parse_args

    style = style_without_model
    window = create_window(parse_args(["--style", style.id]))
    qtbot.addWidget(window)
    assert errors and "no trained model" in errors[-1][1]
    assert window.generate.model is None
    window.context.runner.shutdown()


def test_picker_lists_bundled_styles_and_marks_missing_models(style_without_model, window):
    picker = window.generate.picker
    labels = {picker.item(i).data(Qt.ItemDataRole.UserRole): picker.item(i) for i in range(picker.count())}
    assert not style_without_model.has_model
    for style in load_styles():
        item = labels[f"style:{style.id}"]
        assert style.display_name in item.text() and style.script in item.text()
        if not style.has_model:
            assert "no model yet" in item.text()
            assert not item.flags() & Qt.ItemFlag.ItemIsEnabled
        else:
            assert item.flags() & Qt.ItemFlag.ItemIsEnabled
    opened = [i for k, i in labels.items() if k.startswith("dir:")]
    assert opened and opened[0].flags() & Qt.ItemFlag.ItemIsEnabled


def test_settings_persist_last_style_and_opened_models(qtbot, window, tiny_models):
    from app.main_window import MainWindow

    key = window.generate.entry.key
    window.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.context.settings.last_style == key
    assert second.generate.entry is not None and second.generate.entry.key == key
    second.context.runner.shutdown()


def test_about_lists_licences(window):
    from app.dialogs import about_html

    html = about_html()
    assert "ARPL-KaitiM-GB" in html and "OFL-1.1" in html


def test_menus_and_shortcuts(window):
    actions = {a.text().replace("&", ""): a for menu in window.menuBar().actions() for a in menu.menu().actions()}
    assert "Open model folder…" in actions and "About Segan Studio" in actions
    assert actions["Train"].shortcut().toString() == "Ctrl+3"
    actions["Train"].trigger()
    assert window.tabs.currentWidget() is window.train


def test_unexpected_error_is_a_dialog_not_a_traceback(window, errors):
    import logging

    from app.errors import show_error
    from app.main import setup_logging
    from app.settings import log_path

    path = setup_logging()
    try:
        show_error(window, RuntimeError("boom\nwith a second line"))
    finally:
        for handler in list(logging.getLogger().handlers):
            if isinstance(handler, logging.FileHandler) and handler.baseFilename == str(path):
                logging.getLogger().removeHandler(handler)
                handler.close()
    _title, message = errors[-1]
    assert "Unexpected error" in message and "Traceback" not in message
    assert "RuntimeError: boom" in log_path().read_text(encoding="utf-8")


def test_preferences_persist_and_reload_the_model(qtbot, window, monkeypatch):
    from app.dialogs import PreferencesDialog
    from app.settings import Settings

    def fake_exec(dialog):
        dialog.device.setCurrentIndex(1)  # CPU
        dialog.threads.setValue(1)
        return 1

    monkeypatch.setattr(PreferencesDialog, "exec", fake_exec)
    with qtbot.waitSignal(window.generate.model_ready, timeout=20000):
        window._preferences()
    assert Settings().device == "cpu" and Settings().threads == 1
    assert window.generate.model.device.type == "cpu"


def test_a_new_thread_count_remakes_the_style_s_sessions_and_keeps_its_glyphs(qtbot, window, monkeypatch):
    """The style's ONNX Runtime sessions are made for a thread count: two threads, two sessions of one
    (segan_core.session_streams); the Preferences' new count must reach them, not only torch, without loading the
    style again or losing the glyphs drawn."""
    from app.dialogs import PreferencesDialog
    from segan_core.model.device import configure_threads
    from segan_core.session_streams import SessionStreams

    view = window.generate
    view.set_text("永和")
    qtbot.waitUntil(lambda: view.grid.ready_chars() == ["永", "和"], timeout=30000)
    model, cache = view.model, view.cache
    model.generate("九")  # its sessions exist, made for one thread (the fixture's count)
    assert not any(isinstance(c.cell_contents, SessionStreams) for c in model._forward.__closure__)

    def fake_exec(dialog):
        dialog.threads.setValue(2)  # the device stays as it was
        return 1

    monkeypatch.setattr(PreferencesDialog, "exec", fake_exec)
    try:
        window._preferences()
        qtbot.waitUntil(lambda: model._forward is None, timeout=30000)  # released on a worker
        assert view.model is model and view.cache is cache and {"永", "和"} <= set(cache)
        model.generate("年")
        assert model.backend == "onnx"
        assert any(isinstance(c.cell_contents, SessionStreams) for c in model._forward.__closure__)
    finally:
        configure_threads(1)


def test_a_new_device_does_not_open_a_style_closed_while_hidden(qtbot, window, monkeypatch):
    """The Generate view closed its style while another view was shown: Preferences leave it closed; it opens when
    shown again, with the new settings."""
    from app.dialogs import PreferencesDialog

    view = window.generate
    view.release_timer.setInterval(50)
    window.tabs.setCurrentWidget(window.batch)
    with qtbot.waitSignal(view.model_released, timeout=10000):
        pass

    def fake_exec(dialog):
        dialog.device.setCurrentIndex(1)  # CPU
        return 1

    monkeypatch.setattr(PreferencesDialog, "exec", fake_exec)
    window._preferences()
    qtbot.waitUntil(lambda: not window.context.runner.busy, timeout=30000)
    assert view.source is None and view._reopen is not None  # still closed, and still to open when shown
    with qtbot.waitSignal(view.model_ready, timeout=30000):
        window.tabs.setCurrentWidget(view)
    assert view.model.device.type == "cpu"


def test_picker_lists_trained_and_added_models_like_the_cli(qtbot, app_home, errors, tiny_models, tmp_path,
                                                             monkeypatch):
    import shutil

    from app.main_window import MainWindow
    from segan_core.styles import user_styles

    added = tmp_path / "added"
    shutil.copytree(tiny_models["style"], added / "their-hand")
    shutil.copytree(tiny_models["style"], app_home / "models" / "my-hand")
    monkeypatch.setenv("SEGAN_MODELS_DIR", str(added))
    window = MainWindow()
    qtbot.addWidget(window)
    picker = window.generate.picker
    texts = [picker.item(i).text() for i in range(picker.count())]
    assert any(t.startswith("my-hand") and "trained" in t for t in texts)
    assert any(t.startswith("their-hand") and "added" in t for t in texts)
    listed = {k.removeprefix("dir:") for k in (picker.item(i).data(Qt.ItemDataRole.UserRole)
                                              for i in range(picker.count())) if k.startswith("dir:")}
    assert {str(p.resolve()) for p in user_styles()} <= listed  # the same models as `segan styles list`
    assert all(s.has_model for s in load_styles() if s.id in ("ma-shan-zheng", "zhi-mang-xing"))
    assert errors == []
    window.context.runner.shutdown()
