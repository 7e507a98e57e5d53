"""A small glyph classifier whose pooled features define the evaluator's Fréchet distance.

Trained on CPU from the fonts in ``shared/fonts`` (print, brush and the source Kai): one head names the
character, one names the font, so the 128-d pooled feature is sensitive to both content and style.
It only ever sees characters of the *train* split (``segan_core.data.split``), so no test character
is known to it. Shipped as ``models/evaluator/weights.safetensors`` + ``config.json``; reproduce it
with ``segan eval train-classifier`` (the exact command is recorded in the config).

This feature space is the project's own: its Fréchet distances are *not* comparable to Inception FID.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from segan_core.atomic import atomic_dir
from segan_core.charset import gb2312_level1
from segan_core.data.split import split_of
from segan_core.evaluation.checks import EvaluationError
from segan_core.jobs import CancelToken, Progress, Stopwatch
from segan_core.model_folder import ModelFolder
from segan_core.outputs import CLASSIFIER, check_output_dir

CLASSIFIER_FORMAT = "segan-glyph-classifier"
CLASSIFIER_VERSION = 1
INPUT_SIZE = 64
FONT_GROUPS = ("source", "print", "brush")


@dataclass(frozen=True)
class ClassifierConfig:
    """Shape of the network and its class lists: enough to rebuild it."""

    input_size: int = INPUT_SIZE
    widths: tuple[int, ...] = (32, 64, 128)
    feature_dim: int = 128
    chars: str = ""  # content classes, in head order
    fonts: tuple[str, ...] = ()  # style classes (font file names), in head order

    def to_json(self) -> dict:
        data = asdict(self)
        data["widths"] = list(self.widths)
        data["fonts"] = list(self.fonts)
        return data

    @classmethod
    def from_json(cls, data: dict) -> ClassifierConfig:
        return cls(
            input_size=int(data["input_size"]),
            widths=tuple(int(w) for w in data["widths"]),
            feature_dim=int(data["feature_dim"]),
            chars=str(data["chars"]),
            fonts=tuple(str(f) for f in data["fonts"]),
        )


def build_network(config: ClassifierConfig):
    """The CNN: a stride-2 stem and pool (64 -> 16 px), two conv stages with pooling, a last conv, global average
    pool, and two linear heads (character, font)."""
    import torch
    from torch import nn

    class GlyphNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            w = config.widths
            layers: list[nn.Module] = [
                nn.Conv2d(1, w[0], 5, stride=2, padding=2, bias=False), nn.BatchNorm2d(w[0]), nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            previous = w[0]
            for width in w[1:]:
                layers += [
                    nn.Conv2d(previous, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                    nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                    nn.MaxPool2d(2),
                ]
                previous = width
            layers += [nn.Conv2d(previous, config.feature_dim, 3, padding=1, bias=False),
                       nn.BatchNorm2d(config.feature_dim), nn.ReLU(inplace=True)]
            self.body = nn.Sequential(*layers)
            self.dropout = nn.Dropout(0.2)
            self.char_head = nn.Linear(config.feature_dim, max(1, len(config.chars)))
            self.font_head = nn.Linear(config.feature_dim, max(1, len(config.fonts)))

        def features(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x).mean(dim=(2, 3))

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            feats = self.features(x)
            dropped = self.dropout(feats)
            return feats, self.char_head(dropped), self.font_head(dropped)

    return GlyphNet()


def to_input(images: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """uint8 ink images (N, S, S) -> float32 (N, 1, size, size) in [0, 1]."""
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"expected (N, S, S) images, got shape {images.shape}")
    if images.shape[-1] != size:
        interp = cv2.INTER_AREA if images.shape[-1] > size else cv2.INTER_LINEAR
        images = np.stack([cv2.resize(img, (size, size), interpolation=interp) for img in images]) if len(images) \
            else np.zeros((0, size, size), np.uint8)
    return (images.astype(np.float32) / 255.0)[:, None]


# ---------------------------------------------------------------------------------------------- loading


class GlyphClassifier:
    """The trained classifier, in eval mode, turning glyph images into feature vectors."""

    def __init__(self, net, config: ClassifierConfig, folder: Path | None = None, meta: dict | None = None) -> None:
        self.net = net.eval()
        self.config = config
        self.folder = folder
        self.meta = meta or {}

    @classmethod
    def load(cls, folder: Path | str) -> GlyphClassifier:
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        model = ModelFolder(folder)
        folder, config_path, weights_path = model.path, model.config_path, model.weights_path
        missing = model.missing()
        if missing:
            raise EvaluationError(f"evaluator classifier file missing: {folder / missing[0]} "
                                  "(rebuild it with `segan eval train-classifier`)")
        try:
            meta = json.loads(config_path.read_text(encoding="utf-8"))
            if meta.get("format") != CLASSIFIER_FORMAT:
                raise EvaluationError(f"not a Segan glyph-classifier config: {config_path}")
            config = ClassifierConfig.from_json(meta["model"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise EvaluationError(f"glyph-classifier config is damaged: {config_path} ({exc})") from None
        try:
            state = load_file(str(weights_path))
        except (SafetensorError, OSError) as exc:
            raise EvaluationError(f"glyph-classifier weights are damaged: {weights_path} ({exc})") from None
        net = build_network(config)
        try:
            net.load_state_dict({k: v.float() for k, v in state.items()})
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise EvaluationError(f"glyph-classifier weights do not match {config_path}: {first}") from None
        return cls(net, config, folder, meta)

    def features(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """(N, S, S) uint8 ink images -> (N, feature_dim) float64 pooled features."""
        import torch

        x = to_input(images, self.config.input_size)
        out = np.zeros((len(x), self.config.feature_dim), np.float64)
        with torch.inference_mode():
            for start in range(0, len(x), batch_size):
                batch = torch.from_numpy(x[start:start + batch_size])
                out[start:start + len(batch)] = self.net.features(batch).double().numpy()
        return out

    def predict(self, images: np.ndarray, batch_size: int = 256) -> tuple[list[str], list[str]]:
        """Predicted character and font for each image (characters only from the train split)."""
        import torch

        x = to_input(images, self.config.input_size)
        chars, fonts = [], []
        with torch.inference_mode():
            for start in range(0, len(x), batch_size):
                _, char_logits, font_logits = self.net(torch.from_numpy(x[start:start + batch_size]))
                chars += [self.config.chars[i] for i in char_logits.argmax(1).tolist()]
                fonts += [self.config.fonts[i] for i in font_logits.argmax(1).tolist()]
        return chars, fonts


_CACHE: dict[Path, GlyphClassifier] = {}


def default_classifier_dir() -> Path:
    from segan_core.resources import model_dir

    return model_dir("evaluator")  # one in a $SEGAN_MODELS_DIR folder first, else the shipped one


def load_classifier(folder: Path | str | None = None) -> GlyphClassifier:
    """The classifier in ``folder`` (default: the shipped ``models/evaluator``), loaded once per process."""
    folder = Path(folder) if folder is not None else default_classifier_dir()
    key = folder.resolve()
    if key not in _CACHE:
        _CACHE[key] = GlyphClassifier.load(folder)
    return _CACHE[key]


# ---------------------------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainClassifierRequest:
    fonts_dir: Path
    out: Path
    epochs: int = 8
    batch_size: int = 128
    learning_rate: float = 3e-3
    seed: int = 0
    threads: int = 2
    holdout: float = 0.03  # fraction of (font, char) pairs kept out for validation
    max_chars: int = 0  # 0 = every train-split GB2312 level-1 character (small values for tests)
    max_minutes: float = 0.0  # 0 = no limit; else stop (and save) after the epoch that passes it
    resume: bool = False
    overwrite: bool = False  # write into a non-empty folder that is not a classifier (own files only)
    command: str = ""  # the command line, recorded in config.json
    widths: tuple[int, ...] = field(default=(32, 64, 128))
    feature_dim: int = 128


def discover_fonts(fonts_dir: Path) -> list[tuple[str, Path]]:
    """``(group/file.ttf, path)`` for every font under fonts_dir/{source,print,brush}, sorted."""
    found = []
    for group in FONT_GROUPS:
        for path in sorted((fonts_dir / group).glob("*.[to]tf")):
            found.append((f"{group}/{path.name}", path))
    if not found:
        raise EvaluationError(f"no fonts found under {fonts_dir}/{{{','.join(FONT_GROUPS)}}}")
    return found


def render_training_set(fonts: list[tuple[str, Path]], chars: Sequence[str], size: int = INPUT_SIZE):
    """Images (N, size, size) uint8, char labels, font labels for every (font, char) with real ink."""
    from segan_core.glyphs.render import FontRenderer

    images, char_labels, font_labels = [], [], []
    for font_index, (_, path) in enumerate(fonts):
        renderer = FontRenderer(path)
        for char_index, char in enumerate(chars):
            image, missing = renderer.render_checked(char, size)
            if missing is None:
                images.append(image)
                char_labels.append(char_index)
                font_labels.append(font_index)
    return np.stack(images), np.array(char_labels, np.int64), np.array(font_labels, np.int64)


def augment(x, generator):
    """Random affine (scale, rotation, shear, shift), stroke weight and blur on a (B,1,H,W) batch."""
    import torch
    import torch.nn.functional as F

    b = x.shape[0]

    def uniform(lo: float, hi: float):
        return torch.rand(b, generator=generator) * (hi - lo) + lo

    scale = uniform(0.85, 1.12)
    angle = uniform(-0.12, 0.12)
    shear = uniform(-0.15, 0.15)
    aspect = uniform(0.9, 1.1)
    tx, ty = uniform(-0.08, 0.08), uniform(-0.08, 0.08)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = cos / (scale * aspect)
    theta[:, 0, 1] = (-sin + shear) / (scale * aspect)
    theta[:, 1, 0] = sin / scale
    theta[:, 1, 1] = cos / scale
    theta[:, 0, 2], theta[:, 1, 2] = tx, ty
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # stroke weight: dilate a third, erode a sixth
    pick = torch.rand(b, generator=generator)
    dilated = F.max_pool2d(x, 3, 1, 1)
    eroded = -F.max_pool2d(-x, 3, 1, 1)
    x = torch.where((pick < 0.33)[:, None, None, None], dilated, x)
    x = torch.where((pick > 0.83)[:, None, None, None], eroded, x)
    # light blur on a quarter
    blur = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, 1)
    x = torch.where((torch.rand(b, generator=generator) < 0.25)[:, None, None, None], blur, x)
    return x.clamp_(0.0, 1.0)


def train_classifier(request: TrainClassifierRequest, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Train the evaluator's glyph classifier; yields Progress; returns the saved config dict."""
    import torch

    threads_before = torch.get_num_threads()
    if request.threads:
        torch.set_num_threads(request.threads)
    try:
        return (yield from _train(request, cancel or CancelToken()))
    finally:
        torch.set_num_threads(threads_before)


def _train(request: TrainClassifierRequest, cancel: CancelToken) -> Iterator[Progress]:
    import torch
    import torch.nn.functional as F
    from safetensors.torch import load_file, save_file

    clock = Stopwatch()
    torch.manual_seed(request.seed)
    fonts = discover_fonts(Path(request.fonts_dir))
    chars = [c for c in gb2312_level1() if split_of(c) == "train"]
    if request.max_chars:
        chars = chars[: request.max_chars]
    yield Progress("render", 0, len(fonts), message="rendering training glyphs", elapsed_s=clock.elapsed)
    images, char_labels, font_labels = render_training_set(fonts, chars)
    yield Progress("render", len(fonts), len(fonts), message=f"{len(images)} glyphs", elapsed_s=clock.elapsed)

    rng = np.random.default_rng(request.seed)
    order = rng.permutation(len(images))
    n_val = max(1, round(request.holdout * len(images)))
    val_idx, train_idx = order[:n_val], order[n_val:]
    config = ClassifierConfig(
        widths=tuple(request.widths), feature_dim=request.feature_dim, chars="".join(chars),
        fonts=tuple(name for name, _ in fonts),
    )
    net = build_network(config)
    out = check_output_dir(request.out, CLASSIFIER, request.overwrite)
    start_epoch = 0
    progress_path = out / "training.json"
    if request.resume and (out / "weights.safetensors").is_file() and progress_path.is_file():
        state = load_file(str(out / "weights.safetensors"))
        net.load_state_dict({k: v.float() for k, v in state.items()})
        start_epoch = int(json.loads(progress_path.read_text())["epochs_done"])
    net = net.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), lr=request.learning_rate, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(train_idx) / request.batch_size)
    total_steps = steps_per_epoch * request.epochs

    def lr_at(step: int) -> float:
        warm = steps_per_epoch // 2
        if step < warm:
            return request.learning_rate * (step + 1) / warm
        return request.learning_rate * 0.5 * (1 + math.cos(math.pi * min(1.0, step / max(1, total_steps))))

    x_all = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]
    y_char = torch.from_numpy(char_labels)
    y_font = torch.from_numpy(font_labels)
    gen = torch.Generator().manual_seed(request.seed)
    history: list[dict] = []
    if start_epoch and progress_path.is_file():
        history = json.loads(progress_path.read_text()).get("history", [])
    epochs_done = start_epoch
    for epoch in range(start_epoch, request.epochs):
        net.train()
        perm = torch.from_numpy(train_idx)[torch.randperm(len(train_idx), generator=gen)]
        running, seen = 0.0, 0
        for i in range(steps_per_epoch):
            if i % 20 == 0:
                cancel.raise_if_cancelled("classifier training")
            rows = perm[i * request.batch_size:(i + 1) * request.batch_size]
            step = epoch * steps_per_epoch + i
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            x = augment(x_all[rows], gen).contiguous(memory_format=torch.channels_last)
            _, char_logits, font_logits = net(x)
            loss = F.cross_entropy(char_logits, y_char[rows], label_smoothing=0.05) + F.cross_entropy(
                font_logits, y_font[rows], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            running += loss.item() * len(rows)
            seen += len(rows)
            if i % 25 == 0 or i == steps_per_epoch - 1:
                yield Progress("train", step + 1, total_steps, message=f"epoch {epoch + 1}/{request.epochs}",
                               metrics={"loss": running / max(1, seen)}, elapsed_s=clock.elapsed)
        char_acc, font_acc = _validate(net, x_all[val_idx], y_char[val_idx], y_font[val_idx])
        epochs_done = epoch + 1
        history.append({"epoch": epochs_done, "loss": round(running / max(1, seen), 4),
                        "val_char_acc": round(char_acc, 4), "val_font_acc": round(font_acc, 4),
                        "elapsed_s": round(clock.elapsed, 1)})
        meta = _save(out, net, config, request, history, len(images), n_val, save_file)
        yield Progress("epoch", epochs_done, request.epochs, metrics={"val_char_acc": char_acc,
                       "val_font_acc": font_acc}, elapsed_s=clock.elapsed)
        if request.max_minutes and clock.elapsed > request.max_minutes * 60:
            break
    if epochs_done == start_epoch:
        meta = _save(out, net, config, request, history, len(images), n_val, save_file)
    _CACHE.pop(out.resolve(), None)
    return meta


def _validate(net, x, y_char, y_font) -> tuple[float, float]:
    import torch

    net.eval()
    correct_c = correct_f = 0
    with torch.inference_mode():
        for start in range(0, len(x), 512):
            _, c, f = net(x[start:start + 512])
            correct_c += int((c.argmax(1) == y_char[start:start + 512]).sum())
            correct_f += int((f.argmax(1) == y_font[start:start + 512]).sum())
    n = max(1, len(x))
    return correct_c / n, correct_f / n


def _save(out: Path, net, config: ClassifierConfig, request: TrainClassifierRequest, history: list[dict],
          n_images: int, n_val: int, save_file) -> dict:
    state = {k: v.detach().to(dtype=v.dtype if not v.is_floating_point() else _half()).contiguous()
             for k, v in net.state_dict().items()}
    last = history[-1] if history else {}
    meta = {
        "format": CLASSIFIER_FORMAT,
        "version": CLASSIFIER_VERSION,
        "model": config.to_json(),
        "feature": "global-average-pooled last conv stage (feature_dim values)",
        "training": {
            "command": request.command,
            "fonts_dir": str(request.fonts_dir),
            "epochs_done": last.get("epoch", 0),
            "epochs_planned": request.epochs,
            "seed": request.seed,
            "batch_size": request.batch_size,
            "learning_rate": request.learning_rate,
            "glyphs": n_images,
            "validation_glyphs": n_val,
            "characters": (f"the first {request.max_chars} " if request.max_chars else "all ")
            + "train-split GB2312 level-1 characters (no dev/test character)",
            "val_char_acc": last.get("val_char_acc"),
            "val_font_acc": last.get("val_font_acc"),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        "note": "Fréchet distances in this feature space are not comparable to Inception FID.",
    }
    with atomic_dir(out, CLASSIFIER, request.overwrite) as tmp:
        save_file(state, str(tmp / "weights.safetensors"))
        (tmp / "config.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        (tmp / "training.json").write_text(json.dumps({"epochs_done": last.get("epoch", 0), "history": history},
                                                      indent=1), encoding="utf-8")
    return meta


def _half():
    import torch

    return torch.float16
