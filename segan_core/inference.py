"""Inference: load a style model once, then turn characters into brush glyphs (and attention heatmaps).

``StyleModel`` implements :class:`~segan_core.glyph_source.GlyphSource`. The batch exporter, ``segan generate``,
the evaluator and the GUI open a style through :func:`segan_core.style_source.open_style`, which loads the
model here and adds the style's second stage and the writer's glyphs; on its own::

    model = StyleModel.load("models/ma-shan-zheng")
    images = model.generate("永字八法")                  # (4, 64, 64) uint8 ink
    result = model.run("永字八法", heatmaps=True)        # + source, skeleton, CAM/SRAM/CRAM maps
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from segan_core.baselines.zi2zi import UNetGenerator
from segan_core.charset import gb2312_hanzi
from segan_core.config import BaselineConfig, ModelConfig, from_dict
from segan_core.data.split import split_of
from segan_core.errors import CheckpointError, SeganError
from segan_core.glyphs.ink_gain import INK_GAIN_KEY, InkMatch, apply_gain
from segan_core.glyphs.placement import Placement
from segan_core.glyphs.render import FontRenderer
from segan_core.glyphs.skeleton import skeletonize
from segan_core.int8 import CALIBRATION_GLYPHS, choose_backend, quantize, quantized_path, quantized_session
from segan_core.model.checkpoint import WEIGHTS_FILE, load_module, load_tensors, read_config, weights_hash
from segan_core.model.device import pick_device, thread_budget
from segan_core.model.segan import Generator
from segan_core.model.tensors import thicken_stack, to_tensor, to_uint8
from segan_core.resources import SOURCE_FONT
from segan_core.sampling import spread
from segan_core.session_streams import OnnxRunner, SessionStreams

HEATMAP_KINDS = ("cam", "sram", "cram")
# execution variants of the generator forward pass; bench/bench_infer.py measures them
BACKENDS = ("eager", "channels_last", "bf16", "compile", "onnx", "int8")
# "auto": int8 where the style passed its int8 check and the CPU has VNNI/AMX, else onnx (fp32), the fastest
# fp32 path measured (1.55x eager at 64 px; docs/benchmarks.md); see segan_core.int8
DEFAULT_BACKEND = "auto"
# the fp32 path every measurement of a model uses (evaluation, the second stage's training and calibration), so
# its numbers are the model's on any CPU; the int8 path is checked against it
REFERENCE_BACKEND = "onnx"


@dataclass(frozen=True)
class Generation:
    """What the GUI's detail panel shows for each character."""

    chars: tuple[str, ...]
    source: np.ndarray  # (N, S, S) uint8 ink: the source-font glyph
    source_skeleton: np.ndarray  # (N, S, S) uint8: its 1-px Zhang-Suen skeleton
    generated: np.ndarray  # (N, S, S) uint8 ink: the brush glyph
    heatmaps: dict[str, np.ndarray]  # "cam"/"sram"/"cram" -> (N, S, S) float32 in [0, 1]; empty unless asked


def normalise_heatmap(maps: torch.Tensor, size: int) -> np.ndarray:
    """(N, 1, h, w) raw channel sums -> (N, size, size) float32 in [0, 1], bilinear upsampling, per-image min-max."""
    up = F.interpolate(maps.float(), size=(size, size), mode="bilinear", align_corners=False).squeeze(1)
    low = up.amin(dim=(1, 2), keepdim=True)
    high = up.amax(dim=(1, 2), keepdim=True)
    return ((up - low) / (high - low).clamp_min(1e-8)).cpu().numpy().astype(np.float32)


def _build_network(folder: Path, config: dict) -> tuple[ModelConfig | BaselineConfig, torch.nn.Module]:
    """The inference network of a checkpoint folder: SE-GAN's G_A, or the zi2zi baseline's U-Net."""
    kind = config.get("kind")
    if kind == "baseline":
        model = from_dict(BaselineConfig, config.get("model", {}), f"{folder}/config.json model")
        network: torch.nn.Module = UNetGenerator(model)
    elif kind == "segan":
        model = from_dict(ModelConfig, config.get("model", {}), f"{folder}/config.json model")
        network = Generator(model)
    else:
        raise CheckpointError(f"{folder} holds a {kind!r} model, not a style model (segan or baseline)")
    load_module(network, load_tensors(folder / WEIGHTS_FILE), "generator", folder / WEIGHTS_FILE)
    return model, network


class StyleModel:
    """A trained style translator (source Kai -> brush style) with its source font.

    The network is SE-GAN's G_A or, for comparisons, the zi2zi baseline's U-Net (``kind``); both take
    (glyph, skeleton) and give a glyph, the baseline ignoring the skeleton and having no heatmaps.
    """

    def __init__(
        self,
        folder: Path,
        config: dict,
        model: ModelConfig | BaselineConfig,
        generator: torch.nn.Module,
        device: torch.device,
        source_font: FontRenderer,
        backend: str = DEFAULT_BACKEND,
        busy_wait: bool = True,
    ) -> None:
        self.folder = folder
        self.config = config
        self.model_config = model
        self.generator = generator
        self.device = device
        self.source_font = source_font
        self.kind = str(config.get("kind", "segan"))
        self.weights_sha256 = weights_hash(folder)  # also what a second stage's calibration is checked against
        self._identity = f"{self.kind}-{self.weights_sha256[:16]}"
        self._lock = threading.Lock()  # one forward pass at a time (GUI workers may share the model)
        self.backend_reason = f"{backend} (asked for)"
        if backend == "auto":
            backend, self.backend_reason = choose_backend(folder, self.weights_sha256) if device.type == "cpu" else (
                "onnx", "fp32 ONNX")
        self.requested_backend = backend
        self.busy_wait = busy_wait  # ONNX Runtime threads spin between operators (see open_session)
        self._forward, self.backend = _make_forward(generator, backend, device, self._quantized,
                                                    busy_wait)  # fmt: skip  # backend: the one in use
        if self.backend != backend:  # a fallback: say so, and rebuild the same way after release()
            self.backend_reason = f"{self.backend} (the {backend} path could not be made here)"
            self.requested_backend = self.backend
        if self.backend == "int8":  # other glyphs (IoU >= 0.98 to fp32's, not equal): another cache key
            self._identity = f"{self._identity}-int8"
        # a writer's style: their median size and position on the em, put back on every glyph (issue 32)
        raw_placement = config.get("placement")
        self.placement = Placement.from_json(raw_placement, f"{folder}/config.json") if raw_placement else Placement()
        if not self.placement.is_identity:  # the same weights placed otherwise draw other glyphs: another cache key
            placed = hashlib.sha256(json.dumps(self.placement.to_json(), sort_keys=True).encode()).hexdigest()[:8]
            self._identity = f"{self._identity}-placed-{placed}"
        # and the ink gain that gives its glyphs the writer's stroke weight (glyphs/ink_gain.py), after the placement
        raw_gain = config.get(INK_GAIN_KEY)
        self.ink_match = InkMatch.from_json(raw_gain, f"{folder}/config.json") if raw_gain is not None else None
        if self.ink_gain != 1.0:  # other glyphs again: another cache key
            self._identity = f"{self._identity}-ink-{self.ink_gain:g}"

    @classmethod
    def load(
        cls,
        folder: Path | str,
        device: str = "auto",
        source_font: Path | str | None = None,
        backend: str = DEFAULT_BACKEND,
        category: int = 0,
        busy_wait: bool = True,
    ) -> StyleModel:
        """``category``: which style a model trained on several datasets writes (its i-th ``--data``): a baseline's
        category, or a many-hands base's style code. ``busy_wait``: see :func:`open_session` (``False`` in the batch
        export, whose trace workers share the cores)."""
        folder = Path(folder)
        config = read_config(folder)
        model, generator = _build_network(folder, config)
        if category:
            count = getattr(model, "categories", 0) or getattr(model, "style_codes", 0)
            if not 0 <= category < count:
                raise SeganError(f"{folder} has {count or 'no'} style categories; category {category} does not exist")
            generator.default_category = category
        torch_device = pick_device(device)
        generator = generator.to(torch_device).eval()
        for p in generator.parameters():
            p.requires_grad_(False)
        font = FontRenderer(source_font or SOURCE_FONT)
        if backend not in (*BACKENDS, "auto"):
            raise SeganError(f"unknown inference backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        return cls(folder, config, model, generator, torch_device, font, backend, busy_wait)

    # -- GlyphSource -------------------------------------------------------------------------------

    @property
    def ink_gain(self) -> float:
        """What every glyph's ink is multiplied by (1: none; a writer's style: the gain matched to their ink)."""
        return self.ink_match.gain if self.ink_match is not None else 1.0

    @property
    def size(self) -> int:
        return self.model_config.image_size

    @property
    def attention(self) -> str:
        """The attention stack ("cram", "sram", "cam"), or "none" for the baseline."""
        return getattr(self.model_config, "attention", "none")

    @property
    def skeleton_width(self) -> int:
        """Width the skeleton is drawn at for the network (the baseline ignores the skeleton)."""
        return getattr(self.model_config, "skeleton_width", 1)

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def name(self) -> str:
        target = self.config.get("data", {}).get("target", {})
        return str(target.get("name") or self.folder.name)

    def missing(self, chars: Sequence[str]) -> dict[str, str]:
        out = {}
        for char in chars:
            why = self.source_font.check(char)
            if why:
                out[char] = f"source font: {why.reason}"
        return out

    def release(self) -> None:
        """Drop the backend's state (an ONNX session keeps a memory arena of a few hundred MB); the next
        call rebuilds it. Evaluating many snapshots in one process releases each one after scoring it."""
        with self._lock:
            self._forward = None

    def generate(self, chars: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self.run(chars, batch_size=batch_size).generated

    # -- the full picture --------------------------------------------------------------------------

    def source_glyphs(self, chars: Sequence[str]) -> np.ndarray:
        missing = self.missing(chars)
        if missing:
            char, reason = next(iter(missing.items()))
            raise SeganError(f"cannot generate {char} (U+{ord(char):04X}): {reason}")
        if not chars:
            return np.zeros((0, self.size, self.size), np.uint8)
        return np.stack([self.source_font.render(c, self.size) for c in chars])

    def run(self, chars: Sequence[str], batch_size: int = 64, heatmaps: bool = False) -> Generation:
        chars = tuple(chars)
        source = self.source_glyphs(chars)
        skeletons = np.stack([skeletonize(s) for s in source]) if len(source) else source.copy()
        generated, maps = self.translate(source, skeletons, batch_size, heatmaps)
        return Generation(chars, source, skeletons, generated, maps)

    def translate(
        self, source: np.ndarray, skeletons: np.ndarray, batch_size: int = 64, heatmaps: bool = False
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Source ink images + their 1-px skeletons -> generated ink images (+ heatmaps)."""
        if source.ndim != 3 or source.shape[1:] != (self.size, self.size):
            raise SeganError(f"this model works on {self.size} px glyphs, got images of shape {source.shape[1:]}")
        wide = thicken_stack(skeletons, self.skeleton_width) if self.generator.uses_skeleton else source
        outputs: list[np.ndarray] = []
        maps: dict[str, list[np.ndarray]] = {}
        with self._lock, torch.inference_mode():
            if self._forward is None:  # released: rebuild the backend
                self._forward, self.backend = _make_forward(self.generator, self.requested_backend, self.device,
                                                            self._quantized, self.busy_wait)  # fmt: skip
            for start in range(0, len(source), batch_size):
                x = to_tensor(source[start : start + batch_size]).to(self.device)
                s = to_tensor(wide[start : start + batch_size]).to(self.device)
                image, raw_maps = self._forward(x, s)
                outputs.append(to_uint8(image))
                if heatmaps:
                    for kind, value in raw_maps.items():
                        maps.setdefault(kind, []).append(normalise_heatmap(value, self.size))
        empty = np.zeros((0, self.size, self.size), np.uint8)
        generated = apply_gain(self.placement.apply(np.concatenate(outputs)), self.ink_gain) if outputs else empty
        return generated, {k: np.concatenate(v) for k, v in maps.items()}

    # -- the int8 path (segan_core.int8) -------------------------------------------------------------

    def calibration_chars(self, count: int = CALIBRATION_GLYPHS) -> list[str]:
        """``count`` training-split characters spread evenly over GB2312 (never a dev or test character)."""
        train = [c for c in gb2312_hanzi() if split_of(c) == "train" and self.source_font.check(c) is None]
        return spread(train, count)

    def calibration_feeds(self, count: int = CALIBRATION_GLYPHS, batch: int = 16) -> Iterator[dict[str, np.ndarray]]:
        """The network's inputs for :meth:`calibration_chars`, in batches: what the int8 quantizer calibrates its
        activation ranges on."""
        chars = self.calibration_chars(count)
        for start in range(0, len(chars), batch):
            source = self.source_glyphs(chars[start : start + batch])
            feeds = {"x": to_tensor(source).numpy()}
            if self.generator.uses_skeleton:  # a graph without E_s has no "s" input
                skeletons = np.stack([skeletonize(s) for s in source])
                feeds["s"] = to_tensor(thicken_stack(skeletons, self.skeleton_width)).numpy()
            yield feeds

    def int8_key(self) -> str:
        """What the quantized graph depends on, hashed: the weights, the model config, the style code the graph
        draws, the source font the calibration glyphs come from and how many there are, torch (the exporter)."""
        parts = {"weights": self.weights_sha256, "model": self.config.get("model"),
                 "code": getattr(self.generator, "default_category", 0), "font": self.source_font.sha256,
                 "calibration": CALIBRATION_GLYPHS, "torch": torch.__version__}  # fmt: skip
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]

    def _quantized(self):
        """The int8 session of this model's generator (quantized once, then read from the cache)."""
        from segan_core.cache import default_cache_dir

        def make(path: Path) -> None:
            fp32 = onnx_bytes(*_flat_generator(self.generator))
            quantize(fp32, self.calibration_feeds(), path)

        return quantized_session(quantized_path(default_cache_dir(), self.int8_key()), make, self.busy_wait)


Forward = "Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, dict[str, torch.Tensor]]]"


def _make_forward(generator: torch.nn.Module, backend: str, device: torch.device,
                  quantized: Callable[[], Any] | None = None, busy_wait: bool = True):  # fmt: skip
    """(forward pass as run by ``backend``, the backend actually used): same inputs and outputs for each.

    The onnx backend falls back to channels_last when the export fails, int8 to onnx when quantizing fails;
    the second value says so. ``quantized`` makes the int8 session.
    """
    if backend == "int8":
        try:
            if quantized is None:
                raise SeganError("the int8 backend needs a style model (its calibration glyphs)")
            return _session_forward(quantized(), generator.heatmap_kinds), "int8"
        except Exception:  # quantizing is an optimization: the fp32 graph draws the reference glyphs
            backend = "onnx"
    forward = _backend_forward(generator, backend, device, busy_wait)
    if forward is None:
        return _backend_forward(generator, "channels_last", device), "channels_last"
    return forward, backend


def _backend_forward(generator: torch.nn.Module, backend: str, device: torch.device, busy_wait: bool = True):
    uses_skeleton = generator.uses_skeleton

    def eager(x: torch.Tensor, s: torch.Tensor):
        out = generator(x, s if uses_skeleton else None)
        return out.image, out.heatmaps

    if backend == "eager":
        return eager
    if backend == "channels_last":
        generator.to(memory_format=torch.channels_last)

        def channels_last(x: torch.Tensor, s: torch.Tensor):
            return eager(
                x.contiguous(memory_format=torch.channels_last), s.contiguous(memory_format=torch.channels_last)
            )

        return channels_last
    if backend == "bf16":

        def bf16(x: torch.Tensor, s: torch.Tensor):
            with torch.autocast(device.type, dtype=torch.bfloat16):
                image, maps = eager(x, s)
            return image.float(), {k: v.float() for k, v in maps.items()}

        return bf16
    if backend == "compile":
        compiled = torch.compile(generator, dynamic=False)

        def compiled_forward(x: torch.Tensor, s: torch.Tensor):
            out = compiled(x, s if uses_skeleton else None)
            return out.image, out.heatmaps

        return compiled_forward
    if backend == "onnx":
        try:
            return _onnx_forward(generator, busy_wait)
        except SeganError:
            raise
        except Exception:  # an export problem must not stop generation: the eager path gives the same images
            return None
    raise SeganError(f"unknown inference backend {backend!r}")


_ONNX_EXPORT_LOCK = threading.Lock()


class _Flat(torch.nn.Module):
    """The generator with positional tensor outputs, for ONNX export."""

    def __init__(self, generator: torch.nn.Module, kinds: tuple[str, ...]) -> None:
        super().__init__()
        self.generator = generator
        self.kinds = kinds

    def forward(self, x: torch.Tensor, s: torch.Tensor):
        out = self.generator(x, s if self.generator.uses_skeleton else None)
        return (out.image, *(out.heatmaps[k] for k in self.kinds))


def onnx_bytes(module: torch.nn.Module, examples: tuple[torch.Tensor, ...], input_names: list[str],
               output_names: list[str]) -> bytes:
    """``module`` exported to an ONNX graph (batch dimension dynamic). One export at a time (the exporter keeps
    global state)."""
    import io

    buffer = io.BytesIO()
    with _ONNX_EXPORT_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's notes on instance norm and shape inference
        torch.onnx.export(module.eval(), examples, buffer, input_names=input_names, output_names=output_names,
                          dynamic_axes={name: {0: "n"} for name in input_names}, dynamo=False)  # fmt: skip
    return buffer.getvalue()


def _onnxruntime():
    """The onnxruntime module; a missing one is a :class:`SeganError`."""
    try:
        import onnxruntime
    except ImportError:
        raise SeganError("the onnx backend needs onnxruntime (pip install onnxruntime)") from None
    return onnxruntime


def open_session(model: bytes, busy_wait: bool = True) -> OnnxRunner:
    """An ONNX Runtime CPU session over a serialized graph or, where the process's thread budget
    (:func:`~segan_core.model.device.thread_budget`: every CPU it may run on, or the app's Preferences › CPU threads)
    has two threads or more, :class:`~segan_core.session_streams.SessionStreams` of it: two sessions of half the
    threads, each drawing half of a batch at once (issue 29: the app's 10-glyph preview 21-23 % sooner on 2 cores).
    A missing onnxruntime is a :class:`SeganError`.

    ``busy_wait``: the session's threads spin between operators (the fastest for a process that has the cores to
    itself: the app's previews); ``False`` where other work shares the cores (the export's trace workers), which
    also drops the memory pattern (a long job's peak RSS over a few percent of speed)."""
    onnxruntime = _onnxruntime()

    def make(intra_op_threads: int):
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = intra_op_threads
        if not busy_wait:  # spinning threads took the cores of the export's trace workers: its GB2312 run with the
            # second stage took 89.1 s (4 runs) without, 97.5 s (3 runs) with them (docs/benchmarks.md)
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            # and no memory pattern (one block for every intermediate of a batch, kept): the export's main process
            # peaked at 790-802 MB without it, 1,082 MB with it, in the same time (83.1 / 84.8 s against 85.4 s)
            options.enable_mem_pattern = False
        return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    return SessionStreams.open(make, thread_budget())


def onnx_session(module: torch.nn.Module, examples: tuple[torch.Tensor, ...], input_names: list[str],
                 output_names: list[str], busy_wait: bool = True) -> OnnxRunner:
    """``module`` exported to ONNX (batch dimension dynamic) and opened in ONNX Runtime on the CPU."""
    _onnxruntime()  # before the export: a missing runtime is the message, not the export's
    return open_session(onnx_bytes(module, examples, input_names, output_names), busy_wait)


ExportSpec = tuple[torch.nn.Module, tuple[torch.Tensor, ...], list[str], list[str]]


def _flat_generator(generator: torch.nn.Module) -> ExportSpec:
    """(module, example inputs, input names, output names) of the generator as the ONNX paths export it."""
    kinds = generator.heatmap_kinds
    example = torch.zeros(1, 1, generator.config.image_size, generator.config.image_size)
    return _Flat(generator, kinds), (example, example), ["x", "s"], ["image", *kinds]


def _onnx_forward(generator: torch.nn.Module, busy_wait: bool):
    return _session_forward(onnx_session(*_flat_generator(generator), busy_wait=busy_wait), generator.heatmap_kinds)


def _session_forward(session: OnnxRunner, kinds: tuple[str, ...]):
    """The generator's forward pass through an ONNX Runtime session of its :func:`_flat_generator` graph."""
    input_names = {i.name for i in session.get_inputs()}

    def forward(x: torch.Tensor, s: torch.Tensor):
        feeds = {"x": x.cpu().numpy()}
        if "s" in input_names:
            feeds["s"] = s.cpu().numpy()
        outputs = session.run(None, feeds)
        return torch.from_numpy(outputs[0]), {k: torch.from_numpy(v) for k, v in zip(kinds, outputs[1:], strict=True)}

    return forward
