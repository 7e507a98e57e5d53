"""$SEGAN_MODELS_DIR adds model folders in front of the bundled ones; the user's models show everywhere."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from segan_core.cli import main as cli_main
from segan_core.resources import BUNDLED_MODELS_DIR, find_model, model_dir, models_path
from segan_core.styles import find_style_model, get_style, user_styles


def _fake_model(folder: Path, kind: str = "segan") -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"kind": kind}), encoding="utf-8")
    (folder / "weights.safetensors").write_bytes(b"")
    return folder


@pytest.fixture
def two_folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    _fake_model(first / "ma-shan-zheng")  # shadows the bundled model of a registry style
    _fake_model(first / "skeleton-gan", kind="skeleton-gan")
    _fake_model(second / "my-hand")  # a model no registry style names
    (second / "not-a-model").mkdir(parents=True)
    monkeypatch.setenv("SEGAN_MODELS_DIR", os.pathsep.join([str(first), "", str(second)]))
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    return first, second


def test_without_the_variable_only_the_bundled_models(monkeypatch):
    monkeypatch.delenv("SEGAN_MODELS_DIR", raising=False)
    assert models_path() == [BUNDLED_MODELS_DIR]
    assert get_style("ma-shan-zheng").model_dir == BUNDLED_MODELS_DIR / "ma-shan-zheng"
    assert find_model("skeleton-gan") == BUNDLED_MODELS_DIR / "skeleton-gan"


def test_the_variable_adds_folders_in_front_of_the_bundled_models(two_folders):
    first, second = two_folders
    assert models_path() == [first, second, BUNDLED_MODELS_DIR]
    assert get_style("ma-shan-zheng").model_dir == first / "ma-shan-zheng"
    zhi = get_style("zhi-mang-xing")  # not in the added folders: the bundled one is still found
    assert zhi.has_model and zhi.model_dir == BUNDLED_MODELS_DIR / "zhi-mang-xing"
    assert model_dir("skeleton-gan") == first / "skeleton-gan"
    assert model_dir("evaluator") == BUNDLED_MODELS_DIR / "evaluator"
    assert find_model("not-a-model") is None


def test_added_and_trained_models_are_listed_as_styles(two_folders, tmp_path, capsys):
    _, second = two_folders
    trained = _fake_model(tmp_path / "home" / "models" / "my-brush")
    assert user_styles() == [trained, second / "my-hand"]  # not the skeleton GAN, not the shadowing model
    assert find_style_model("my-hand") == second / "my-hand"
    assert cli_main(["styles", "list"]) == 0
    out = capsys.readouterr().out
    assert "my-brush (yours)" in out and "my-hand (added)" in out
    assert str(two_folders[0] / "ma-shan-zheng") in out and "models/zhi-mang-xing" in out
    assert "skeleton-gan" not in out
