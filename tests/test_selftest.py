"""The installation self-check's failure paths (tests/app/test_selftest.py runs the whole check)."""

from __future__ import annotations

import numpy as np
import pytest

from segan_core import resources, selftest


def test_missing_models_fail_their_steps_without_raising(tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "BUNDLED_MODELS_DIR", tmp_path / "models")
    monkeypatch.delenv("SEGAN_MODELS_DIR", raising=False)
    lines: list[str] = []
    result = selftest.run_self_test(echo=lines.append)
    assert not result.ok
    by_name = {s.name: s for s in result.steps}
    assert by_name["source font"].ok
    assert not by_name["bundled style models"].ok and "none found" in by_name["bundled style models"].detail
    for name in ("load: skeleton-gan", "load + 10 glyphs: many-hands", "load: evaluator", "generate with heatmaps",
                 "export a 10-glyph TTF"):
        assert not by_name[name].ok
    assert "validate the TTF" not in by_name  # nothing to validate
    assert lines[-1].startswith("self-test FAILED")


@pytest.mark.parametrize("ink", [0.0, 1.0])
def test_blank_or_solid_glyphs_fail(ink):
    images = np.full((10, 64, 64), 255 * ink, np.uint8)
    with pytest.raises(AssertionError, match="blank or solid"):
        selftest._check_glyphs(images, 10)
