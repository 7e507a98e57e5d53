"""Content accuracy: does an independent OCR recognizer read each glyph as its character?

Used by the evaluation (content accuracy), the batch export's quality gate and the scan importer's
label check; it sits below all three in the core's layers (it needs no evaluation or scan code).

The recognizer is PP-OCRv4's Chinese text-line recognizer (CRNN/SVTR, CTC output over 6,623
characters), whose ONNX weights ship inside the ``rapidocr-onnxruntime`` wheel; it runs offline on
CPU with onnxruntime. Only the recognizer is used (no text detection): each glyph alone, cropped to
its ink, scaled to 48 px high, black on white, and padded into a 48 x 64 line; batches of many
glyphs go through one session call.

Only the ``.onnx`` file of that wheel is used, never its Python code, so it can be installed with
``--no-deps`` (its dependency on ``opencv-python`` would shadow ``opencv-contrib-python-headless``).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from segan_core.errors import EvaluationError

REC_MODEL_FILE = "ch_PP-OCRv4_rec_infer.onnx"
LINE_HEIGHT = 48
LINE_WIDTH = 64  # the glyph fills the left 48 x 48 square, the rest is neutral padding
INK_FLOOR = 32  # pixels with at least this much ink decide the crop box
_INSTALL_HINT = "pip install --no-deps rapidocr-onnxruntime==1.4.4 and pip install onnxruntime"


def default_model_path() -> Path:
    """The PP-OCRv4 recognizer in the installed rapidocr-onnxruntime wheel (``SEGAN_OCR_MODEL`` overrides)."""
    override = os.environ.get("SEGAN_OCR_MODEL")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        raise EvaluationError(f"content accuracy needs the PP-OCR recognizer weights: {_INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / REC_MODEL_FILE


def prepare(images: np.ndarray) -> np.ndarray:
    """uint8 ink glyphs (N, S, S) -> the recognizer's input (N, 3, 48, 64) float32 in [-1, 1].

    Each glyph is cropped to its ink box, centred in a square, scaled to 48 x 48 black-on-white and
    placed at the left of the line; the rest of the line is the neutral padding (0) that PaddleOCR's
    own pre-processing uses.
    """
    images = np.asarray(images)
    n = len(images)
    line = np.zeros((n, LINE_HEIGHT, LINE_WIDTH), np.float32)
    for i in range(n):
        square = _ink_square(images[i])
        glyph = cv2.resize(square, (LINE_HEIGHT, LINE_HEIGHT), interpolation=cv2.INTER_AREA)
        line[i, :, :LINE_HEIGHT] = (255.0 - glyph.astype(np.float32)) / 127.5 - 1.0
    return np.repeat(line[:, None], 3, axis=1)


def _ink_square(ink: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(ink >= INK_FLOOR)
    if len(rows) == 0:
        return ink
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    side = max(h, w) + 2 * max(1, max(h, w) // 24)
    square = np.zeros((side, side), np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    square[top:top + h, left:left + w] = crop
    return square


class GlyphRecognizer:
    """One onnxruntime session over the PP-OCRv4 recognizer; thread-safe ``read``."""

    def __init__(self, model_path: Path | str | None = None, threads: int = 0) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise EvaluationError(f"content accuracy needs onnxruntime: {_INSTALL_HINT}") from None
        self.model_path = Path(model_path) if model_path else default_model_path()
        if not self.model_path.is_file():
            raise EvaluationError(f"OCR recognizer weights not found: {self.model_path} ({_INSTALL_HINT})")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        # no busy-waiting worker threads: on a shared CPU, spinning costs more than it saves
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(self.model_path), options, providers=["CPUExecutionProvider"])
            keys = self.session.get_modelmeta().custom_metadata_map.get("character", "")
        except Exception as exc:  # onnxruntime raises its own exception types
            raise EvaluationError(f"cannot load OCR recognizer {self.model_path}: {exc}") from None
        if not keys:
            raise EvaluationError(f"OCR recognizer has no character list in its metadata: {self.model_path}")
        self.alphabet = ["", *keys.splitlines(), " "]  # CTC blank first, space last (PaddleOCR's layout)
        self.vocabulary = frozenset(self.alphabet[1:-1])
        self.input_name = self.session.get_inputs()[0].name
        self._lock = threading.Lock()

    def knows(self, char: str) -> bool:
        """Whether the recognizer can output ``char`` at all."""
        return char in self.vocabulary

    def read(self, images: np.ndarray, batch_size: int = 64) -> list[str]:
        """The text read from each glyph image (usually one character; "" when nothing is read)."""
        x = prepare(images)
        out: list[str] = []
        for start in range(0, len(x), batch_size):
            with self._lock:
                probs = self.session.run(None, {self.input_name: x[start:start + batch_size]})[0]
            for row in probs.argmax(axis=2):
                chars, previous = [], -1
                for index in row.tolist():
                    if index != previous and index != 0:
                        chars.append(self.alphabet[index])
                    previous = index
                out.append("".join(chars).strip())
        return out

    def candidates(self, images: np.ndarray, k: int = 5, batch_size: int = 64) -> list[list[tuple[str, float]]]:
        """The ``k`` most likely single characters for each glyph, with their probabilities, best first.

        A character's score is its highest probability at any time step of the CTC output (the
        blank and the space are left out), so a glyph read as one character ranks it first and
        near-misses follow.
        """
        x = prepare(images)
        out: list[list[tuple[str, float]]] = []
        for start in range(0, len(x), batch_size):
            with self._lock:
                probs = self.session.run(None, {self.input_name: x[start:start + batch_size]})[0]
            best = probs[:, :, 1:-1].max(axis=1)  # (n, classes): peak probability of each character
            for row in best:
                top = np.argsort(-row)[:k]
                out.append([(self.alphabet[i + 1], float(row[i])) for i in top])
        return out

    def correct(self, chars: Sequence[str], images: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Boolean array: glyph i is read as exactly ``chars[i]``."""
        if len(chars) != len(images):
            raise ValueError(f"{len(chars)} characters but {len(images)} images")
        return np.array([text == char for text, char in zip(self.read(images, batch_size), chars, strict=False)], bool)


_RECOGNIZER: GlyphRecognizer | None = None
_RECOGNIZER_LOCK = threading.Lock()


def get_recognizer() -> GlyphRecognizer:
    """The process-wide recognizer, loaded on first use."""
    global _RECOGNIZER
    with _RECOGNIZER_LOCK:
        if _RECOGNIZER is None:
            _RECOGNIZER = GlyphRecognizer()
        return _RECOGNIZER


def release_recognizer() -> bool:
    """Let go of the process-wide recognizer (its ONNX session and the buffers it grew: 100 MB and more); a use
    still running keeps its own reference, and the next :func:`get_recognizer` loads it again. True if one was
    loaded."""
    global _RECOGNIZER
    with _RECOGNIZER_LOCK:
        loaded, _RECOGNIZER = _RECOGNIZER is not None, None
    return loaded


def content_accuracy(chars: Sequence[str], images: np.ndarray, recognizer: GlyphRecognizer | None = None) -> float:
    """Fraction of glyphs read as their own character, over the characters the recognizer knows."""
    recognizer = recognizer or get_recognizer()
    keep = [i for i, c in enumerate(chars) if recognizer.knows(c)]
    if not keep:
        return float("nan")
    return float(recognizer.correct([chars[i] for i in keep], np.asarray(images)[keep]).mean())


def misread(chars: Sequence[str], images: np.ndarray) -> dict[str, str]:
    """The characters whose glyph the recognizer does not read as that character (a quality gate), each with what
    it read instead ("" for nothing), in the order given.

    Characters outside the recognizer's vocabulary are never reported: it could not read them anyway.
    """
    recognizer = get_recognizer()
    if len(chars) != len(images):
        raise ValueError(f"{len(chars)} characters but {len(images)} images")
    texts = recognizer.read(images)
    return {c: text for c, text in zip(chars, texts, strict=True) if text != c and recognizer.knows(c)}


def unreadable(chars: Sequence[str], images: np.ndarray) -> list[str]:
    """The characters of :func:`misread`, without what was read."""
    return list(misread(chars, images))


# the batch export's hook: (chars, images) -> {unreadable char: what the recognizer read instead ("" for nothing)}
QualityGate = Callable[[Sequence[str], np.ndarray], dict[str, str]]


def quality_gate_available() -> bool:
    """Whether the recognizer weights are installed (the app greys out its quality-gate box otherwise)."""
    try:
        return default_model_path().is_file()
    except Exception:  # the recognizer is an optional extra
        return False


def quality_gate() -> QualityGate:
    """The batch export's quality gate (``BatchRequest.quality_gate``): :func:`misread`.

    The recognizer is loaded here, so a missing one is a one-line error before the export starts.
    """
    get_recognizer()

    def gate(chars: Sequence[str], images: np.ndarray) -> dict[str, str]:
        return misread(chars, images)

    return gate
