"""A style from a folder of per-character images: build (or reuse) the dataset, then train SE-GAN on it.

The Train view's "From a folder of images" runs this one job: the chain of the dataset build
(:func:`segan_core.data.build.build_dataset`) and the training run
(:func:`segan_core.training.runs.train_style`), with one progress stream and one cancel token.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from segan_core.config import ModelConfig, TrainConfig
from segan_core.data.build import BuildRequest, build_dataset
from segan_core.data.images import scan_image_folder
from segan_core.jobs import CancelToken, Progress
from segan_core.resources import SOURCE_FONT
from segan_core.training.runs import RunOptions, train_style


@dataclass(frozen=True)
class ImagesTrainRequest:
    images: Path  # folder of <char>.png
    skeleton_gan: Path
    out: Path  # the new model folder
    dataset: Path  # where the built dataset goes
    model: ModelConfig
    train: TrainConfig
    max_steps: int | None
    minutes: float | None
    resume: bool
    device: str
    init_from: Path | None = None  # fine-tune from this trained style (the chosen base), else from scratch
    source_font: Path = SOURCE_FONT


def train_from_images(request: ImagesTrainRequest, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Build (or, when resuming, reuse) the dataset, then train; yields Progress, returns a TrainResult."""
    cancel = cancel or CancelToken()
    if not (request.resume and (request.dataset / "manifest.json").is_file()):
        chars = tuple(scan_image_folder(request.images))
        yield Progress("dataset", 0, len(chars), message=f"building a dataset of {len(chars)} characters")
        yield from build_dataset(BuildRequest(source=request.source_font, out=request.dataset, chars=chars,
                                              size=request.model.image_size, target_dir=request.images), cancel)
    options = RunOptions(out=request.out, max_steps=request.max_steps, time_budget_minutes=request.minutes,
                         resume=request.resume, device=request.device, init_from=request.init_from)
    return (yield from train_style(request.dataset, request.skeleton_gan, request.model, request.train,
                                   options, cancel))
