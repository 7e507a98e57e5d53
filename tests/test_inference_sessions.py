"""How the ONNX Runtime sessions run: the app's previews let their threads spin between operators (fastest alone);
the batch export does not, since its trace workers share the cores (issue 29, docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

from segan_core.batch import BatchRequest, open_source
from segan_core.style_source import StyleSource, open_style

STYLE = Path(__file__).resolve().parents[1] / "models" / "ma-shan-zheng"
SPIN = "session.intra_op.allow_spinning"


def _spinning(session) -> str:
    try:
        return session.get_session_options().get_session_config_entry(SPIN)
    except Exception:  # not set: ONNX Runtime's default, spinning on
        return "1"


def _sessions(source: StyleSource) -> list:
    """The ONNX Runtime sessions behind a style (its generator, and its second stage when it has one)."""
    source.generate("永")
    model = source.style_model
    found = [cell.cell_contents for cell in model._forward.__closure__ if type(cell.cell_contents).__name__ ==
             "InferenceSession"]  # fmt: skip
    stage = source.stage
    if stage is not None:
        found += [c.cell_contents for c in stage._forward.__closure__ if type(c.cell_contents).__name__ ==
                  "InferenceSession"]  # fmt: skip
    return found


def test_the_export_does_not_busy_wait_and_the_preview_does():
    exported = open_source(BatchRequest(source=f"dir:{STYLE}", chars=("永",), out=Path("unused.ttf")))
    sessions = _sessions(exported)
    assert len(sessions) == 2 and all(_spinning(s) == "0" for s in sessions)
    assert not any(s.get_session_options().enable_mem_pattern for s in sessions)
    preview = open_style(f"dir:{STYLE}")  # as the app's Generate view opens it
    sessions = _sessions(preview)
    assert len(sessions) == 2 and all(_spinning(s) == "1" for s in sessions)
    assert all(s.get_session_options().enable_mem_pattern for s in sessions)
