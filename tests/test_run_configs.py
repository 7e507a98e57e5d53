"""resolve_run_configs: the one rule for which configs a run uses (segan train ... and the Train view)."""

from pathlib import Path

import pytest

from segan_core.config import BaselineConfig, ModelConfig
from segan_core.errors import CheckpointError
from segan_core.model.checkpoint import read_config
from segan_core.training.presets import get_baseline_preset, get_preset, get_skeleton_preset
from segan_core.training.run_configs import resolve_run_configs

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "models" / "ma-shan-zheng"


def test_a_new_run_takes_the_named_preset_per_kind(tmp_path):
    segan = resolve_run_configs("segan", tmp_path / "run", preset="cpu-64")
    assert (segan.model, segan.train) == get_preset("cpu-64") and not segan.resumed
    skeleton = resolve_run_configs("skeleton-gan", tmp_path / "run", preset="cpu-64")
    assert (skeleton.model, skeleton.train) == get_skeleton_preset("cpu-64")
    baseline = resolve_run_configs("baseline", tmp_path / "run", preset="cpu-64", categories=2)
    assert isinstance(baseline.model, BaselineConfig)
    assert (baseline.model, baseline.train) == get_baseline_preset("cpu-64", 2)


def test_new_run_changes_and_the_sram_rule(tmp_path):
    configs = resolve_run_configs("segan", tmp_path / "run", preset="cpu-64",
                                  new_model={"skeleton_encoder": False, "skips": None},
                                  new_train={"seed": 7, "batch_size": None},
                                  always={"num_threads": 1}, max_steps=5)
    assert isinstance(configs.model, ModelConfig)
    assert configs.model.skeleton_encoder is False and configs.model.attention == "sram"
    assert configs.model.skips == get_preset("cpu-64")[0].skips  # None = not set
    assert configs.train.seed == 7 and configs.train.num_threads == 1 and configs.train.max_steps == 5
    named = resolve_run_configs("segan", tmp_path / "run", new_model={"skeleton_encoder": False, "attention": "cam"})
    assert named.model.attention == "cam"


def test_bf16_is_resolved_for_a_new_run_with_a_note(tmp_path):
    configs = resolve_run_configs("segan", tmp_path / "run", bf16="on")
    assert configs.train.bf16 is True and len(configs.notes) == 1


def test_a_base_style_gives_its_recorded_recipe(tmp_path):
    saved = read_config(SHIPPED, kind="segan")
    configs = resolve_run_configs("segan", tmp_path / "new", base=SHIPPED, always={"num_threads": 2})
    assert (configs.model.image_size, configs.model.ngf) == (saved["model"]["image_size"], saved["model"]["ngf"])
    assert configs.train.num_threads == 2 and not configs.resumed


def test_resume_keeps_the_saved_configs_and_ignores_new_run_changes(tmp_path):
    configs = resolve_run_configs("segan", SHIPPED, resume=True, new_train={"seed": 12345}, always={"num_threads": 3})
    saved = read_config(SHIPPED, kind="segan")
    assert configs.resumed and configs.notes == []
    assert configs.train.bf16 == saved["train"]["bf16"]
    assert configs.train.seed == saved["train"]["seed"] and configs.train.num_threads == 3
    with pytest.raises(CheckpointError, match="expected 'baseline'"):
        resolve_run_configs("baseline", SHIPPED, resume=True)


@pytest.mark.parametrize("asked", ["on", "off"])
def test_a_bf16_given_again_on_resume_is_resolved_for_this_cpu(asked):
    """A run that moves to another machine may turn bf16 on (AVX512-BF16 there) or off (emulated there)."""
    saved = read_config(SHIPPED, kind="segan")["train"]["bf16"]
    configs = resolve_run_configs("segan", SHIPPED, resume=True, bf16=asked)
    assert configs.train.bf16 is (asked == "on")
    assert len(configs.notes) == (1 if configs.train.bf16 != saved else 0)
