"""is_model_folder (the one "is this a model folder?"), ModelFolder, and parse_style_ref (the one style-reference
parser)."""

import json
from pathlib import Path

import pytest

from segan_core.errors import CheckpointError, StyleError
from segan_core.model_folder import ModelFolder
from segan_core.resources import is_model_folder
from segan_core.styles import StyleRef, model_folder, parse_style_ref

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "models" / "ma-shan-zheng"


def test_a_shipped_model_is_a_model_folder():
    folder = ModelFolder(SHIPPED)
    assert is_model_folder(SHIPPED) and folder.missing() == [] and folder.validate() is folder
    assert folder.read_config(kind="segan")["kind"] == "segan"
    info = folder.describe()
    assert info.kind == "segan" and info.is_style and info.target_name
    assert not ModelFolder(ROOT / "models" / "skeleton-gan").describe().is_style


def test_incomplete_and_broken_folders(tmp_path):
    assert not is_model_folder(None) and not is_model_folder(tmp_path / "nowhere")
    with pytest.raises(CheckpointError, match="model folder not found"):
        ModelFolder(tmp_path / "nowhere").validate()
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    folder = ModelFolder(tmp_path)
    assert folder.has_config and folder.missing() == ["weights.safetensors"]
    with pytest.raises(StyleError, match=r"is not a style model folder \(missing weights.safetensors\)"):
        folder.validate(StyleError, "style model folder")
    with pytest.raises(CheckpointError, match="is not valid JSON"):
        folder.read_config()
    assert folder.describe().kind is None and folder.describe().target_name == tmp_path.name
    (tmp_path / "config.json").write_text(json.dumps({"format": "other"}), encoding="utf-8")
    with pytest.raises(CheckpointError, match="not a Segan Studio checkpoint config"):
        folder.read_config()


def test_style_references(tmp_path):
    assert parse_style_ref("style:ma-shan-zheng") == StyleRef("style", "ma-shan-zheng", explicit=True)
    assert parse_style_ref("dir:/x/y").kind == "dir" and parse_style_ref("font:/a.ttf").path == Path("/a.ttf")
    assert parse_style_ref("preset:cpu-64").key == "preset:cpu-64"
    assert parse_style_ref(str(tmp_path)) == StyleRef("dir", str(tmp_path))  # a bare folder that exists
    assert parse_style_ref("no-such-thing").kind == "style"  # anything else is a style name
    assert model_folder("ma-shan-zheng") == model_folder("style:ma-shan-zheng") == SHIPPED
    assert model_folder(f"dir:{SHIPPED}") == SHIPPED
    with pytest.raises(StyleError, match="not a style model folder"):
        model_folder(str(tmp_path))
    with pytest.raises(StyleError, match="names a font"):
        model_folder("font:/a.ttf")
