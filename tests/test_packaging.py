"""The wheel's layout in pyproject.toml: every package listed, resources/ and models/ carried as data packages.

(packaging/test_wheel.sh builds the wheel, installs it in a fresh venv and runs it from another folder.)
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from segan_core import resources

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
DATA_PACKAGES = {"segan_core._bundled.resources": "resources", "segan_core._bundled.models": "models",
                 "segan_core._bundled.docs": "docs"}


def _shipped(package: str) -> set[str]:
    folder = ROOT / SETUPTOOLS["package-dir"][package]
    patterns = SETUPTOOLS["package-data"][package]
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    return {f for f in files if any(fnmatch(f, pattern) and f.count("/") == pattern.count("/") for pattern in patterns)}


def test_every_python_package_is_listed():
    tree = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("segan_core", "app")
        for p in (ROOT / top).rglob("__init__.py")
    }
    listed = set(SETUPTOOLS["packages"])
    assert listed - set(DATA_PACKAGES) == tree
    assert SETUPTOOLS["package-dir"] == DATA_PACKAGES


def test_the_wheel_carries_the_registry_the_source_font_and_every_bundled_model():
    shipped = _shipped("segan_core._bundled.resources")
    assert {"styles.toml", "fonts/ARPL-KaitiM-GB.ttf", "fonts/ARPL-KaitiM-GB.LICENSE.txt",
            "icons/segan-studio.png"} <= shipped
    models = _shipped("segan_core._bundled.models")
    folders = [p for p in (ROOT / "models").iterdir() if resources.is_model_folder(p)]
    assert len(folders) >= 4  # two styles, the skeleton GAN, the evaluator
    for folder in folders:
        for name in (*resources.MODEL_FILES, *(p.name for p in folder.glob("*.json"))):
            assert f"{folder.name}/{name}" in models


def test_a_checkout_reads_the_top_level_folders():
    assert resources.IN_CHECKOUT
    assert resources.RESOURCES_DIR == ROOT / "resources" and resources.BUNDLED_MODELS_DIR == ROOT / "models"
    assert resources.SOURCE_FONT.is_file() and resources.APP_ICON.is_file()


def test_the_wheel_carries_the_manual_and_its_screenshots():
    """Help > User manual reads docs/gui.md and its img/gui-*.png from the installed data package."""
    import re

    shipped = _shipped("segan_core._bundled.docs")
    manual = (ROOT / "docs" / "gui.md").read_text(encoding="utf-8")
    pictures = set(re.findall(r"\]\((img/[^)]+\.png)\)", manual))
    assert "gui.md" in shipped and pictures and pictures <= shipped
