"""``segan train upscaler``: train a style's second stage on its training characters.

The pairs (see :mod:`segan_core.training.upscaler_data`) come from

- the style model (and any ``extra_generators``, e.g. snapshots from earlier in its training) run on
  the dataset's *training* characters that the style model also trained on — never dev or test ones;
- the real glyphs of the dataset's target font (found by its file name, checked by its SHA-256),
  rendered at 256 px on the same em box, as the targets and, degraded, as the other half of the inputs.

The run folder is an ordinary training run (``weights.safetensors`` + ``config.json`` + a resumable
train state). When the training ends (not when it is cancelled), the finished network is calibrated to
the style model on training characters (the ink gain, :mod:`segan_core.upscale.calibration`) and the
calibration is written into the run's ``config.json``; ``segan train calibrate-upscaler`` does that again
for another style model. Install a finished run with ``segan train upscaler --install``, which copies the
two inference files into ``<model folder>/upscaler/``.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from segan_core.atomic import atomic_dir
from segan_core.config import TrainConfig, from_dict
from segan_core.data.store import GlyphDataset
from segan_core.errors import Cancelled, DatasetError, FontError, SeganError
from segan_core.glyphs.render import FontRenderer
from segan_core.inference import REFERENCE_BACKEND, StyleModel
from segan_core.jobs import CancelToken, Progress
from segan_core.model.checkpoint import CHECKPOINT_FORMAT, CONFIG_FILE, STATE_JSON, WEIGHTS_FILE, read_config
from segan_core.model.device import configure_threads, pick_device
from segan_core.model.upscaler import UPSCALER_KIND, UpscalerConfig, load_upscaler
from segan_core.outputs import Legacy, OutputKind
from segan_core.sampling import spread
from segan_core.styles import find_target_font
from segan_core.training.engine import Distributed, RunSpec, TrainingCancelled, TrainResult, fit
from segan_core.training.upscaler_data import UpscaleBatch, UpscaleBatches, UpscalePairs
from segan_core.training.upscaler_step import UpscalerLoss, UpscalerTrainable
from segan_core.upscale.calibration import (
    DEFAULT_MAX_INK_RATIO,
    Calibration,
    calibrate,
    check_max_ink_ratio,
    write_calibration,
)
from segan_core.upscale.stage import UPSCALER_DIR, SecondStage


class CalibrationCancelled(TrainingCancelled):
    """Cancelled after the training finished and was saved, while its ink gain was being calibrated: ``result`` is
    the finished training's."""

# a short run's defaults: one learning rate for ~10k small steps, decayed over the second half
DEFAULT_TRAIN = TrainConfig(
    batch_size=16, learning_rate=1e-3, max_steps=1_000_000, checkpoint_every=250, sample_every=1_000_000,
    log_every=25, save_fp16=False, lr_decay_start=0.5, bidirectional=False,
)  # fmt: skip
# what degraded real glyphs start from (recorded in a run's config, checked on resume: older runs shrank
# the 256 px target, a different batch stream)
DEGRADED_FROM = "dataset-64px"
# training characters the ink gain is calibrated on (evenly spread over the run's; ~3 CPU s a gain)
CALIBRATION_CHARS = 500
# <model folder>/upscaler/ as `--install` writes it (only these two names are ever replaced there); one installed
# before markers is recognised by its config.json: an upscaler's checkpoint, not a style model's
INSTALLED_UPSCALER = OutputKind(
    "style upscaler folder", "segan-upscaler", (CONFIG_FILE, WEIGHTS_FILE),
    (Legacy.with_format(CONFIG_FILE, CHECKPOINT_FORMAT, ("kind", UPSCALER_KIND)),),
)  # fmt: skip


@dataclass(frozen=True)
class UpscalerRun:
    """One ``segan train upscaler`` run."""

    model: Path  # the style's model folder (the 64 px generator)
    data: Path  # its 64 px dataset folder (segan data build): training characters and the target font
    out: Path  # the run folder
    network: UpscalerConfig = field(default_factory=UpscalerConfig)
    train: TrainConfig = DEFAULT_TRAIN
    loss: UpscalerLoss = field(default_factory=UpscalerLoss)
    max_chars: int = 2000  # training characters used (evenly spread over the split); 0 = all
    # share of inputs that are degraded real glyphs rather than generator outputs: 1.0, because pairs of
    # (generator output, real glyph) teach the network to thicken strokes (ink IoU up, readability down;
    # docs/training.md section 5)
    real_fraction: float = 1.0
    extra_generators: tuple[Path, ...] = ()  # more model folders (earlier snapshots) whose outputs are inputs too
    target_font: Path | None = None  # None: found by the file name in the dataset's manifest
    max_ink_ratio: float = DEFAULT_MAX_INK_RATIO  # the calibration's cap on the output's ink (x the real font's)
    max_steps: int | None = None
    cpu_budget_minutes: float | None = 20.0
    resume: bool = False
    overwrite: bool = False
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_max_ink_ratio(self.max_ink_ratio)


def training_chars(model: StyleModel, dataset: GlyphDataset) -> list[str]:
    """The dataset's training characters the style model trained on too (none of its dev or test ones)."""
    chars = list(dataset.chars("train"))
    splits = model.config.get("data", {}).get("splits")
    if isinstance(splits, dict) and "train" in splits:
        trained = set(splits["train"])
        held_out = set(splits.get("dev", "")) | set(splits.get("test", ""))
        chars = [c for c in chars if c in trained and c not in held_out]
    if not chars:
        raise DatasetError(f"{dataset.folder} has no training character the style model {model.folder} trained on")
    return chars


def target_font(dataset: GlyphDataset, path: Path | None = None) -> FontRenderer:
    """The dataset's target font (``path``, or found by its file name), checked against the manifest's SHA-256."""
    target = dataset.manifest.get("target", {})
    if "file" not in target:
        raise DatasetError(f"{dataset.folder} was built from an image folder; the upscaler needs a target font "
                           "(segan data build --target FONT)")  # fmt: skip
    if path is not None and not Path(path).is_file():
        raise FontError(f"font file not found: {path}")
    renderer = FontRenderer(path or find_target_font(str(target["file"])))
    if target.get("sha256") and renderer.sha256 != target["sha256"]:
        raise FontError(
            f"{renderer.path} is not the font {dataset.folder} was built from (SHA-256 differs from the manifest)"
        )
    return renderer


def build_pairs(
    model: StyleModel,
    generators: Sequence[StyleModel],
    font: FontRenderer,
    real_small: np.ndarray,
    chars: Sequence[str],
    output_size: int,
    cancel: CancelToken,
    chunk: int = 64,
) -> Generator[Progress, None, UpscalePairs]:
    """Generator outputs, source glyphs and 256 px real glyphs for ``chars``; returns :class:`UpscalePairs`.

    The cancel token is checked before every generator run and every real-glyph chunk (a fraction of a
    CPU second each), so Ctrl-C stops pair building at once instead of after the whole set.
    """
    n = len(chars)
    generated = np.zeros((len(generators), n, model.size, model.size), np.uint8)
    source = np.zeros((n, model.size, model.size), np.uint8)
    target = np.zeros((n, output_size, output_size), np.uint8)
    for start in range(0, n, chunk):
        part = list(chars[start : start + chunk])
        yield Progress("pairs", start, n, "generating and rendering the training pairs")
        for g, generator in enumerate(generators):
            cancel.raise_if_cancelled("upscaler training")
            run = generator.run(part)
            generated[g, start : start + len(part)] = run.generated
            if g == 0:
                source[start : start + len(part)] = run.source
        cancel.raise_if_cancelled("upscaler training")
        for i, char in enumerate(part):
            target[start + i] = font.render(char, output_size)
    yield Progress("pairs", n, n)
    return UpscalePairs(tuple(chars), generated, source, target, real_small)


def saved_run(out: Path) -> tuple[UpscalerConfig, TrainConfig, UpscalerLoss, dict]:
    """The settings of the run in ``out`` (resume continues with exactly these)."""
    saved = read_config(out, kind=UPSCALER_KIND)
    where = f"{out}/{CONFIG_FILE}"
    network = from_dict(UpscalerConfig, saved.get("model", {}), f"{where} model")
    train = from_dict(TrainConfig, saved.get("train", {}), f"{where} train")
    loss = from_dict(UpscalerLoss, saved.get("loss", {}), f"{where} loss")
    return network, train, loss, saved.get("data", {})


def train_upscaler(run: UpscalerRun, cancel: CancelToken | None = None) -> Generator[Progress, None, TrainResult]:
    """Build the pairs, then train (resumable, within the CPU budget); returns the engine's TrainResult."""
    cancel = cancel or CancelToken()
    network, train, loss = run.network, run.train, run.loss
    max_chars, real_fraction = run.max_chars, run.real_fraction
    if run.resume:
        if not (run.out / STATE_JSON).is_file():
            raise SeganError(f"{run.out} holds no upscaler training run to resume")
        network, train, loss, data = saved_run(run.out)
        if data.get("degraded_from") != DEGRADED_FROM:
            raise SeganError(f"{run.out} was started before degraded inputs came from the dataset's 64 px glyphs; "
                             "its batches cannot be reproduced: start a new run")  # fmt: skip
        max_chars = int(data.get("max_chars", max_chars))
        real_fraction = float(data.get("real_fraction", real_fraction))
    if run.max_steps is not None:
        train = dataclasses.replace(train, max_steps=run.max_steps)
    configure_threads(train.num_threads)
    torch.manual_seed(train.seed)
    device = pick_device(run.device)

    cpu0 = time.process_time()
    model = StyleModel.load(run.model, device="cpu", backend=REFERENCE_BACKEND)
    if not run.resume:  # the network runs at the generator's grid
        network = dataclasses.replace(network, image_size=model.size)
    dataset = GlyphDataset(run.data)
    if dataset.size != model.size or network.image_size != model.size:
        raise DatasetError(
            f"{run.data} has {dataset.size} px glyphs, the style model {run.model} draws {model.size} px and the "
            f"upscaler takes {network.image_size} px; they must agree"
        )
    font = target_font(dataset, run.target_font)
    cancel.raise_if_cancelled("upscaler training")
    chars = spread(training_chars(model, dataset), max_chars)
    generators = [model, *(StyleModel.load(folder, device="cpu", backend=REFERENCE_BACKEND)
                           for folder in run.extra_generators)]
    real_small = dataset.split("train").subset(chars).target  # the real glyphs on the generator's grid
    pairs = yield from build_pairs(model, generators, font, real_small, chars, network.output_size, cancel)
    for generator in generators:
        generator.release()
    pairs_cpu = time.process_time() - cpu0

    data_info = {
        "manifest_sha256": dataset.hash,
        "size": dataset.size,
        "target": dataset.manifest["target"],
        "style_model": {"path": str(run.model), "weights_sha256": model.weights_sha256},
        "extra_generators": [str(p) for p in run.extra_generators],
        "characters": len(chars),
        "max_chars": max_chars,
        "real_fraction": real_fraction,
        "degraded_from": DEGRADED_FROM,
        "pairs_cpu_s": round(pairs_cpu, 1),
    }
    spec: RunSpec[UpscaleBatch] = RunSpec(
        out=Path(run.out),
        max_steps=train.max_steps,
        cpu_budget_s=run.cpu_budget_minutes * 60 if run.cpu_budget_minutes is not None else None,
        resume=run.resume,
        overwrite=run.overwrite,
        data_info=data_info,
    )
    batches = UpscaleBatches(pairs, train.batch_size, train.seed, real_fraction)
    trainable = UpscalerTrainable(network, train, loss, device)
    result = yield from fit(trainable, batches, train, spec, cancel, Distributed(), device)
    rows = spread(range(len(chars)), CALIBRATION_CHARS)
    try:
        calibration = yield from calibrate(
            SecondStage.load(run.out), pairs.generated[0][rows], pairs.source[rows], pairs.target[rows],
            data_info["style_model"]["weights_sha256"], run.max_ink_ratio, cancel=cancel,
        )  # fmt: skip
    except Cancelled:  # the training is done and saved: only its calibration is missing
        raise CalibrationCancelled("cancelled while calibrating: the trained run is saved, uncalibrated (gain 1); "
                        "`segan train calibrate-upscaler --upscaler RUN` calibrates it", result=result) from None
    write_calibration(Path(run.out), calibration)
    return result


@dataclass(frozen=True)
class CalibrationRequest:
    """``segan train calibrate-upscaler``: calibrate an upscaler (a run or an installed one) to a style model."""

    model: Path  # the style's model folder
    data: Path  # its 64 px dataset: the training characters and the target font
    upscaler: Path  # the upscaler folder whose config.json gets the calibration
    max_chars: int = CALIBRATION_CHARS
    max_ink_ratio: float = DEFAULT_MAX_INK_RATIO
    target_font: Path | None = None

    def __post_init__(self) -> None:
        check_max_ink_ratio(self.max_ink_ratio)


def calibrate_upscaler(
    request: CalibrationRequest, cancel: CancelToken | None = None
) -> Generator[Progress, None, Calibration]:
    """Generate the training characters, score every ink gain, write the choice; returns a :class:`Calibration`."""
    cancel = cancel or CancelToken()
    stage = SecondStage.load(request.upscaler)
    model = StyleModel.load(request.model, device="cpu", backend=REFERENCE_BACKEND)
    dataset = GlyphDataset(request.data)
    if not dataset.size == model.size == stage.input_size:
        raise DatasetError(
            f"{request.data} has {dataset.size} px glyphs, the style model {request.model} draws {model.size} px "
            f"and the upscaler takes {stage.input_size} px; they must agree"
        )
    font = target_font(dataset, request.target_font)
    chars = spread(training_chars(model, dataset), request.max_chars)
    real_small = dataset.split("train").subset(chars).target
    pairs = yield from build_pairs(model, [model], font, real_small, chars, stage.output_size, cancel)
    model.release()
    calibration: Calibration = yield from calibrate(
        stage, pairs.generated[0], pairs.source, pairs.target, model.weights_sha256,
        request.max_ink_ratio, cancel=cancel,
    )  # fmt: skip
    write_calibration(Path(request.upscaler), calibration)
    return calibration


def install_upscaler(run_dir: Path | str, model_folder: Path | str) -> Path:
    """Copy a finished run's ``weights.safetensors`` + ``config.json`` into ``<model_folder>/upscaler/``.

    The run is loaded first (a broken one is refused) and the folder is replaced as a whole, so the
    style never holds half an upscaler.
    """
    run_dir, model_folder = Path(run_dir), Path(model_folder)
    network = load_upscaler(run_dir)  # CheckpointError for a foreign or broken run
    model = StyleModel.load(model_folder, device="cpu", backend="eager")
    if network.config.image_size != model.size:
        raise SeganError(f"the upscaler in {run_dir} takes {network.config.image_size} px glyphs, the style model "
                         f"{model_folder} draws {model.size} px")  # fmt: skip
    dest = model_folder / UPSCALER_DIR
    with atomic_dir(dest, INSTALLED_UPSCALER, overwrite=True) as tmp:
        for name in (WEIGHTS_FILE, CONFIG_FILE):
            shutil.copy2(run_dir / name, tmp / name)
    return dest
