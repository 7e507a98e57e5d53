"""The writer's stroke weight: the ink gain a fine-tune matches on the writer's dev characters, and the style model
that draws every glyph with it (segan_core/glyphs/ink_gain.py)."""

import numpy as np
import pytest

from segan_core.errors import CheckpointError
from segan_core.glyphs.ink_gain import GainScore, InkMatch, match_ink, writer_gain


def strokes(count: int, value: int, width: int) -> np.ndarray:
    """``count`` 32 px glyphs: one vertical stroke of ``width`` px at ``value`` ink, with a 1 px grey edge either
    side (a third of the ink, as a generator draws ink it is unsure of)."""
    glyphs = np.zeros((count, 32, 32), np.uint8)
    for i in range(count):
        left = 8 + i % 6
        glyphs[i, 4:28, left : left + width] = value
        glyphs[i, 4:28, left - 1] = glyphs[i, 4:28, left + width] = value // 3
    return glyphs


def test_a_light_fit_is_given_the_writers_ink_and_no_more():
    light = np.where(strokes(8, 255, 2) == 85, 110, strokes(8, 255, 2))  # its grey edges just under half ink
    writer = np.where(light > 0, 255, 0).astype(np.uint8)  # the writer inks the edges too: twice the width
    match = match_ink(light, writer)
    scores = {s.gain: s for s in match.scores}
    assert scores[1.0].ink_ratio == 0.5 and match.gain == 1.25 and scores[1.25].ink_ratio == 1.0
    assert match.characters == 8 and match.chosen == scores[1.25] and scores[1.25].iou == 1.0
    # a style already as heavy as the writer keeps gain 1: the match never draws bolder than the writer writes
    assert match_ink(writer, writer).gain == 1.0
    assert match_ink(light, light[:, :, ::-1]).gain == 1.0  # the same ink, elsewhere: no gain either
    # too few of the writer's glyphs carry ink to measure: gain 1, said so
    few = match_ink(light[:3], writer[:3])
    assert few.gain == 1.0 and few.characters == 0 and "too few" in few.describe()
    with pytest.raises(ValueError, match="same characters"):
        match_ink(light[:3], writer)


def test_the_writers_gain_gives_the_most_ink_within_theirs():
    scores = [GainScore(1.0, 0.3, 0.8), GainScore(1.25, 0.32, 0.97), GainScore(1.5, 0.33, 1.03),
              GainScore(2.0, 0.4, 1.3)]  # fmt: skip
    assert writer_gain(scores) == 1.25  # 1.5 is nearer the writer's ink, but heavier: bolder glyphs read worse
    assert writer_gain([GainScore(1.0, 0.3, 0.5), GainScore(1.25, 0.3, 1.0), GainScore(2.0, 0.3, 1.0)]) == 1.25
    assert writer_gain([GainScore(1.0, 0.3, 1.4), GainScore(2.0, 0.35, 1.8)]) == 1.0  # heavier already: as drawn
    assert writer_gain([]) == 1.0


def test_the_match_round_trips_and_a_bad_one_is_one_clear_error():
    match = InkMatch(1.5, 20, (GainScore(1.0, 0.3, 0.8), GainScore(1.5, 0.33, 1.02)))
    assert InkMatch.from_json(match.to_json(), "here") == match
    assert "ink gain 1.5" in match.describe() and "0.80" in match.describe()
    for bad in ({"gain": "heavy", "characters": 3, "scores": []}, {"gain": 0.5, "characters": 3, "scores": []},
                {"gain": 2.0}, [1, 2], {}, 0, {"gain": 2.0, "characters": float("inf"), "scores": []},
                {"gain": 10**400, "characters": 3, "scores": []}):  # fmt: skip
        with pytest.raises(CheckpointError, match=r"config\.json: the style's ink_gain is not readable"):
            InkMatch.from_json(bad, "x/config.json")
