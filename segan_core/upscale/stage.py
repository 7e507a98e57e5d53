"""Running a style's upscaler: find it, load it, and draw the style's glyphs at 256 px with it.

A style's upscaler lives in its model folder::

    models/<style>/upscaler/weights.safetensors   the network (kind "upscaler", fp32)
    models/<style>/upscaler/config.json           its UpscalerConfig, training settings and data, and its
                                                  calibration to the style model (the ink gain, see
                                                  :mod:`segan_core.upscale.calibration`)

A style without that folder works exactly as before (64 px glyphs, traced with the 64 px settings). A style is
opened with its second stage by :func:`segan_core.style_source.open_style`; this module only runs the network.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from segan_core.errors import CheckpointError
from segan_core.glyphs.ink_gain import apply_gain
from segan_core.inference import StyleModel
from segan_core.model.checkpoint import CONFIG_FILE, WEIGHTS_FILE, read_config, weights_hash
from segan_core.model.tensors import to_tensor, to_uint8
from segan_core.model.upscaler import UPSCALER_KIND, Upscaler, load_upscaler
from segan_core.upscale.calibration import Calibration, read_calibration
from segan_core.vectorize.trace import TraceConfig

UPSCALER_DIR = "upscaler"
# how the network runs: "onnx" (ONNX Runtime, fp32, the generator's default backend too) or "eager" (PyTorch);
# bench/bench_upscaler.py times both. onnx falls back to eager when onnxruntime is missing or the export fails.
UPSCALER_BACKENDS = ("onnx", "eager")
DEFAULT_UPSCALER_BACKEND = "onnx"


def upscaler_folder(model_folder: Path | str) -> Path | None:
    """``<model_folder>/upscaler`` when it holds an upscaler (either of its files), else ``None``."""
    folder = Path(model_folder) / UPSCALER_DIR
    if (folder / CONFIG_FILE).is_file() or (folder / WEIGHTS_FILE).is_file():
        return folder
    return None


def upscaled_trace(base: TraceConfig, size: int) -> TraceConfig:
    """The trace settings for ``size`` px upscaler output, from ``base`` (tuned at 64 px).

    The same effective resolution as the 64 px path (``upsample`` 4 at 64 px = 1 at 256 px, speckles
    of the same area in em units); the 256 px bitmap is already sharp, so no bicubic step is needed.
    """
    return base.at_size(size)


class SecondStage:
    """A loaded upscaler: uint8 64 px glyphs (+ their source glyphs) in, uint8 256 px glyphs out."""

    def __init__(
        self,
        folder: Path,
        network: Upscaler,
        calibration: Calibration | None = None,
        backend: str = DEFAULT_UPSCALER_BACKEND,
        model_sha256: str | None = None,
        busy_wait: bool = True,
    ) -> None:
        if backend not in UPSCALER_BACKENDS:
            raise CheckpointError(f"unknown upscaler backend {backend!r}; choose one of {', '.join(UPSCALER_BACKENDS)}")
        self.folder = folder
        self.network = network
        self.calibration = calibration
        self.model_sha256 = model_sha256  # the style model it runs after (None: not known)
        gain = self.ink_gain
        self.identity = f"up-{weights_hash(folder)[:16]}" + (f"-g{gain:g}" if gain != 1.0 else "")
        self.requested_backend = backend
        self.busy_wait = busy_wait  # as the style model's (segan_core.inference.open_session)
        self.backend = "eager"  # the one in use, once the first glyphs have gone through
        self._forward: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor] | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, folder: Path | str, backend: str = DEFAULT_UPSCALER_BACKEND, model_sha256: str | None = None,
        busy_wait: bool = True,
    ) -> SecondStage:
        """The upscaler in ``folder``; with ``model_sha256`` (:attr:`StyleModel.weights_sha256`), its
        calibration applies only if it was measured for those style-model weights."""
        folder = Path(folder)
        network = load_upscaler(folder)
        config = read_config(folder, kind=UPSCALER_KIND)
        return cls(folder, network, read_calibration(config, f"{folder}/{CONFIG_FILE}"), backend, model_sha256,
                   busy_wait)

    @property
    def calibration_matches(self) -> bool:
        """False when the calibration was measured for other weights than the style model's."""
        if self.calibration is None or self.model_sha256 is None:
            return True
        return self.calibration.generator_sha256 == self.model_sha256

    @property
    def ink_gain(self) -> float:
        """The generated glyph's ink is multiplied by this before the network: the calibrated gain, or 1
        when the stage is not calibrated or was calibrated for another style model's weights."""
        if self.calibration is None or not self.calibration_matches:
            return 1.0
        return self.calibration.ink_gain

    @property
    def input_size(self) -> int:
        return self.network.config.image_size

    @property
    def output_size(self) -> int:
        return self.network.config.output_size

    def release(self) -> None:
        """Drop the backend's state (its ONNX Runtime sessions and their arenas); the next call rebuilds it, for the
        thread budget in force then."""
        with self._lock:
            self._forward = None

    def upscale(
        self, generated: np.ndarray, source: np.ndarray | None = None, batch_size: int = 64, calibrated: bool = True
    ) -> np.ndarray:
        """(N, s, s) uint8 generated glyphs (and source glyphs) -> (N, S, S) uint8 glyphs at the output size.

        ``calibrated``: apply the ink gain (for the style model's glyphs; ``False`` for other inputs, such
        as the real font's own 64 px glyphs).
        """
        size = self.input_size
        if generated.ndim != 3 or generated.shape[1:] != (size, size):
            raise CheckpointError(
                f"the upscaler in {self.folder} works on {size} px glyphs, got images of shape {generated.shape[1:]}"
            )
        if self.network.uses_source and (source is None or source.shape != generated.shape):
            raise CheckpointError(f"the upscaler in {self.folder} needs the source glyphs beside the generated ones")
        if calibrated:
            generated = apply_gain(generated, self.ink_gain)
        out = np.zeros((len(generated), self.output_size, self.output_size), np.uint8)
        with self._lock, torch.inference_mode():
            if self._forward is None:
                self._forward, self.backend = upscaler_forward(self.network, self.requested_backend, self.busy_wait)
            for start in range(0, len(generated), batch_size):
                g = to_tensor(generated[start : start + batch_size])
                s = to_tensor(source[start : start + batch_size]) if self.network.uses_source else None
                out[start : start + len(g)] = to_uint8(self._forward(g, s))
        return out


def upscaler_forward(network: Upscaler, backend: str, busy_wait: bool = True):
    """(the network's forward pass as ``backend`` runs it, the backend in use): ONNX falls back to eager."""
    if backend == "onnx":
        try:
            return _onnx_forward(network, busy_wait), "onnx"
        except Exception:  # no onnxruntime, or an export problem: eager gives the same images
            pass
    return network, "eager"


def _onnx_forward(network: Upscaler, busy_wait: bool = True):
    from segan_core.inference import onnx_session

    size = network.config.image_size
    example = torch.zeros(1, 1, size, size)
    names = ["generated", "source"] if network.uses_source else ["generated"]
    session = onnx_session(network, (example,) * len(names), names, ["image"], busy_wait)

    def forward(generated: torch.Tensor, source: torch.Tensor | None) -> torch.Tensor:
        feeds = {"generated": generated.numpy()}
        if source is not None:
            feeds["source"] = source.numpy()
        return torch.from_numpy(session.run(None, feeds)[0])

    return forward


def load_second_stage(model: StyleModel) -> SecondStage | None:
    """The upscaler of a style model's folder, or ``None`` when the style has none."""
    folder = upscaler_folder(model.folder)
    if folder is None:
        return None
    return SecondStage.load(folder, model_sha256=model.weights_sha256, busy_wait=model.busy_wait)
