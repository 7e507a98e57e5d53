"""The int8 path (issue 29): a style's generator quantized by ONNX Runtime, used only where it was shown to draw
the same glyphs as fp32.

- **The recipe** (:data:`RECIPE`): static quantization in the QOperator format (``QLinearConv``), int8
  weights per output channel and uint8 activations calibrated (min-max) on :data:`CALIBRATION_GLYPHS` source
  glyphs of training-split characters. Every convolution of the image and skeleton encoders, CAM and the
  attention is quantized; the decoder (whose AdaLIN gives each glyph its own scale) and every norm, softmax
  and matrix product stay float. Measured on Ma Shan Zheng, 128 test glyphs, one thread, AVX512-VNNI:
  1.29x the fp32 graph at ink IoU 0.989 against it; quantizing the decoder's convolutions too gave 1.47x but
  IoU 0.976, below the gate (docs/benchmarks.md).
- **Where it runs** (:func:`choose_backend`): a style folder holds ``int8.json``, the gate's measurement for
  its weights (ink IoU against fp32 at 64 px and after the second stage at 256 px, content accuracy on the 200
  test characters; ``bench/bench_int8.py --write``). The path is taken only when that file says it passed for
  these very weights and this recipe, and the CPU has int8 dot products (VNNI or AMX). Everywhere else the
  generator runs the fp32 ONNX graph, and the reason is said in the bench line and the export log.
- **The cache**: quantizing takes a few seconds, so the quantized graph is kept in the glyph cache folder
  (``int8/``), named by the weights' hash, the recipe and the ONNX Runtime version; a damaged file is made again.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segan_core.atomic import atomic_file, write_text_atomic
from segan_core.errors import SeganError
from segan_core.model.device import cpu_flags

RECIPE = "qoperator-perchannel-encoder-convs-minmax-v1"  # changes whenever the quantization settings change
CALIBRATION_GLYPHS = 128
CHECK_FILE = "int8.json"  # beside a style's weights: the gate's measurement
CHECK_FORMAT = "segan-int8-check"
INT8_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")  # int8 dot products in one instruction
# the gate (issue 29): the fast path's glyphs against fp32's
MIN_IOU = 0.98
MAX_ACCURACY_DELTA = 0.01

Feeds = dict[str, np.ndarray]


def int8_flags() -> list[str]:
    """The CPU's int8 dot-product flags (empty on an AVX2-only CPU, where the path is not taken)."""
    return [flag for flag in INT8_FLAGS if flag in cpu_flags()]


@dataclass(frozen=True)
class Int8Check:
    """``int8.json``: what the gate measured for one style's weights."""

    weights_sha256: str
    recipe: str
    iou_64: float  # mean ink IoU of int8 against fp32 glyphs at 64 px
    iou_256: float | None  # the same after the style's second stage (None: the style has none)
    accuracy_fp32: float  # content accuracy of the fp32 glyphs on the test characters
    accuracy_int8: float
    chars: int
    measured_on: str  # the CPU flags of the machine that measured it
    onnxruntime: str = ""  # the quantizer's version (major.minor): another one may quantize otherwise

    @property
    def current(self) -> bool:
        """Measured with this recipe and the quantizer installed here."""
        return self.recipe == RECIPE and self.onnxruntime == quantizer_version()

    @property
    def measured_with_int8_instructions(self) -> bool:
        """Measured where the path runs (VNNI/AMX): elsewhere ONNX Runtime's int8 kernels compute otherwise (on an
        AVX2-only CPU Ma Shan Zheng's int8 glyphs were 0.923-0.935 IoU from fp32's, on AVX512-VNNI 0.989)."""
        return any(flag in self.measured_on.split() for flag in INT8_FLAGS)

    @property
    def passed(self) -> bool:
        return (self.iou_64 >= MIN_IOU and (self.iou_256 is None or self.iou_256 >= MIN_IOU)
                and round(abs(self.accuracy_int8 - self.accuracy_fp32), 6) <= MAX_ACCURACY_DELTA)  # fmt: skip

    def to_json(self) -> dict:
        return {"format": CHECK_FORMAT, "passed": self.passed, **self.__dict__}

    def summary(self) -> str:
        up = f", {self.iou_256:.3f} at 256 px" if self.iou_256 is not None else ""
        return (f"IoU {self.iou_64:.3f} at 64 px{up}, content accuracy {self.accuracy_int8:.3f} "
                f"(fp32 {self.accuracy_fp32:.3f}) on {self.chars} test characters")  # fmt: skip


def write_check(folder: Path, check: Int8Check) -> Path:
    path = Path(folder) / CHECK_FILE
    write_text_atomic(path, json.dumps(check.to_json(), indent=1) + "\n")
    return path


def read_check(folder: Path) -> Int8Check | None:
    """The style's ``int8.json``, or None when it has none or it cannot be read (then the path is not taken)."""
    path = Path(folder) / CHECK_FILE
    try:
        if not path.is_file() or path.stat().st_size > 64_000:
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("format") != CHECK_FORMAT:
            return None
        fields = {k: raw[k] for k in Int8Check.__dataclass_fields__ if k in raw}
        check = Int8Check(**fields)
        numbers = (check.iou_64, check.accuracy_fp32, check.accuracy_int8, check.chars,
                   0.0 if check.iou_256 is None else check.iou_256)  # fmt: skip
        if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
            return None
        texts = (check.weights_sha256, check.recipe, check.onnxruntime, check.measured_on)
        if not all(isinstance(v, str) for v in texts):
            return None
        return check
    except (OSError, ValueError, KeyError, TypeError):
        return None


def choose_backend(folder: Path, weights_sha256: str) -> tuple[str, str]:
    """("int8" or "onnx", why) for a style model asked to run on the fastest path that draws its glyphs."""
    check = read_check(folder)
    if check is None:
        return "onnx", "fp32 ONNX (no int8 check for this style)"
    if check.weights_sha256 != weights_sha256 or not check.current:
        return "onnx", ("fp32 ONNX (the int8 check was made for other weights, another recipe or another ONNX "
                        f"Runtime than {quantizer_version()})")
    flags = int8_flags()
    if not flags:
        return "onnx", "fp32 ONNX (this CPU has no VNNI/AMX int8 instructions)"
    if not check.passed and not check.measured_with_int8_instructions:
        return "onnx", (f"fp32 ONNX (this style's int8 check was measured on a CPU without VNNI/AMX "
                        f"({check.measured_on or 'flags not recorded'}), whose int8 kernels draw other glyphs; "
                        f"measure it on this CPU: bench/bench_int8.py --styles {folder.name} --write)")  # fmt: skip
    if not check.passed:
        return "onnx", f"fp32 ONNX (int8 failed this style's check: {check.summary()})"
    return "int8", f"int8 ONNX ({', '.join(flags)}; checked: {check.summary()})"


def quantizer_version() -> str:
    """ONNX Runtime's major.minor version here ("" without it)."""
    try:
        import onnxruntime
    except ImportError:
        return ""
    return ".".join(onnxruntime.__version__.split(".")[:2])


def quantized_path(cache_root: Path, graph_key: str) -> Path:
    """Where the quantized graph of ``graph_key`` (everything the graph depends on: the weights, the config, the
    style code, the calibration glyphs; :meth:`StyleModel.int8_key`) is kept."""
    import onnxruntime

    return Path(cache_root) / "int8" / f"{graph_key}-{RECIPE}-ort{onnxruntime.__version__}.onnx"


def quantize(fp32_model: bytes, calibration: Iterator[Feeds], out: Path) -> None:
    """Quantize the fp32 ONNX graph ``fp32_model`` with :data:`RECIPE`, calibrated on ``calibration``'s batches,
    into ``out`` (written whole or not at all)."""
    try:
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as exc:
        raise SeganError(f"the int8 path needs onnxruntime's quantization tools ({exc})") from None

    class Reader(CalibrationDataReader):
        def get_next(self) -> Feeds | None:
            return next(calibration, None)

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="segan-int8-") as tmp:
        raw, prepared, quantized = Path(tmp) / "fp32.onnx", Path(tmp) / "prepared.onnx", Path(tmp) / "int8.onnx"
        raw.write_bytes(fp32_model)
        quant_pre_process(str(raw), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(quantized), Reader(), quant_format=QuantFormat.QOperator,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=["Conv"], nodes_to_exclude=_float_nodes(prepared))  # fmt: skip
        with atomic_file(out) as handle:
            handle.write(quantized.read_bytes())


def _float_nodes(model: Path) -> list[str]:
    """The convolutions the recipe keeps float: the decoder's (the exporter names nodes by module path). None found
    means the exporter named them otherwise: quantizing would take the decoder too, which fails the gate."""
    import onnx

    nodes = [n.name for n in onnx.load(str(model)).graph.node if n.op_type == "Conv" and "/decoder/" in n.name]
    if not nodes:
        raise SeganError("the exported graph names no decoder convolution: the int8 recipe cannot keep them float")
    return nodes


def quantized_session(path: Path, make: Callable[[Path], None], busy_wait: bool = True):
    """An ONNX Runtime session over the quantized graph at ``path``, made by ``make(path)`` when it is missing or
    cannot be opened (a damaged cache file is replaced)."""
    from segan_core.inference import open_session

    if path.is_file():
        try:
            return open_session(path.read_bytes(), busy_wait)
        except Exception:  # a truncated or foreign file in the cache: quantize again
            pass
    make(path)
    return open_session(path.read_bytes(), busy_wait)
