"""Ready-made training runs from dataset folders: the skeleton GAN, an SE-GAN style and the zi2zi baseline.

These are what ``segan train ...`` and the GUI's training view call. Each returns a job (a generator
of :class:`~segan_core.jobs.Progress` whose return value is a :class:`TrainResult`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from segan_core.config import BaselineConfig, ModelConfig, TrainConfig
from segan_core.data.store import GlyphDataset
from segan_core.errors import DatasetError, SeganError
from segan_core.jobs import CancelToken, Progress
from segan_core.model.device import configure_threads, pick_device
from segan_core.model.tensors import thicken_stack, to_tensor, to_uint8
from segan_core.training.data import Batch, PairedBatches
from segan_core.training.engine import Distributed, Preview, RunSpec, TrainResult, fit
from segan_core.training.segan_step import SeganTrainable
from segan_core.training.skeleton_step import SkeletonGanTrainable, load_skeleton_generator
from segan_core.training.zi2zi_step import BaselineTrainable

PREVIEW_COUNT = 8


@dataclass(frozen=True)
class RunOptions:
    out: Path
    max_steps: int | None = None  # None: the train config's max_steps
    time_budget_minutes: float | None = None
    cpu_budget_minutes: float | None = None  # CPU minutes of the whole run (equal-compute comparisons)
    resume: bool = False
    device: str = "auto"
    init_from: Path | None = None  # fine-tune: start G_A from this style model's weights (same model config)
    overwrite: bool = False  # train into a non-empty folder that is not a training run


def _seed_everything(seed: int, rank: int) -> None:
    torch.manual_seed(seed + rank)
    np.random.seed(seed + rank)
    import random

    random.seed(seed + rank)


def _preview(datasets: Sequence[GlyphDataset], skeleton_width: int) -> Preview[Batch] | None:
    dataset = datasets[0]
    split = dataset.split("dev")
    if len(split) == 0:
        split = dataset.split("train")
    n = min(PREVIEW_COUNT, len(split))
    if n == 0:
        return None
    batch = Batch(
        to_tensor(split.source[:n]),
        to_tensor(split.target[:n]),
        to_tensor(thicken_stack(split.source_skeleton[:n], skeleton_width)),
        to_tensor(thicken_stack(split.target_skeleton[:n], skeleton_width)),
    )
    return Preview(batch, split.chars[:n], to_uint8(batch.source), to_uint8(batch.target))


def _data_info(datasets: Sequence[GlyphDataset]) -> dict:
    if len(datasets) == 1:
        manifest = datasets[0].manifest
        return {
            "manifest_sha256": datasets[0].hash,
            "size": datasets[0].size,
            "source": manifest["source"],
            "target": manifest["target"],
            "splits": manifest["splits"],
        }
    combined = hashlib.sha256("".join(sorted(d.hash for d in datasets)).encode()).hexdigest()
    return {
        "manifest_sha256": combined,
        "size": datasets[0].size,
        "datasets": [
            {"manifest_sha256": d.hash, "source": d.manifest["source"], "target": d.manifest["target"]}
            for d in datasets
        ],
    }


def _open_datasets(folders: Sequence[Path | str], size: int) -> list[GlyphDataset]:
    if not folders:
        raise DatasetError("no dataset folder given")
    datasets = [GlyphDataset(f) for f in folders]
    for d in datasets:
        if d.size != size:
            raise DatasetError(f"dataset {d.folder} has {d.size} px glyphs but the model config needs {size} px")
    return datasets


def _prepare(train: TrainConfig, options: RunOptions) -> tuple[torch.device, Distributed]:
    device = pick_device(options.device)
    configure_threads(train.num_threads)
    dist = Distributed.from_env()
    _seed_everything(train.seed, dist.rank)
    return device, dist


def _train_batches(
    datasets: Sequence[GlyphDataset], train: TrainConfig, skeleton_width: int, dist: Distributed
) -> PairedBatches:
    """Shuffled batches over the training splits only (this rank's share under DDP)."""
    splits = [d.split("train") for d in datasets]
    return PairedBatches(
        splits, train.batch_size, skeleton_width, train.seed, dist.rank, dist.world_size, augment=train.augment
    )


def _spec(
    train: TrainConfig, options: RunOptions, datasets: Sequence[GlyphDataset], skeleton_width: int
) -> RunSpec[Batch]:
    return RunSpec(
        out=Path(options.out),
        max_steps=options.max_steps if options.max_steps is not None else train.max_steps,
        time_budget_s=options.time_budget_minutes * 60 if options.time_budget_minutes is not None else None,
        cpu_budget_s=options.cpu_budget_minutes * 60 if options.cpu_budget_minutes is not None else None,
        resume=options.resume,
        overwrite=options.overwrite,
        data_info=_data_info(datasets),
        preview=_preview(datasets, skeleton_width),
    )


def train_skeleton_gan(
    data: Sequence[Path | str],
    model: ModelConfig,
    train: TrainConfig,
    options: RunOptions,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, TrainResult]:
    """Pre-train SG on (glyph, skeleton) pairs of every given dataset (both source and target glyphs)."""
    device, dist = _prepare(train, options)
    datasets = _open_datasets(data, model.image_size)
    batches = _train_batches(datasets, train, model.skeleton_width, dist)
    trainable = SkeletonGanTrainable(model, train, device)
    return (
        yield from fit(
            trainable, batches, train, _spec(train, options, datasets, model.skeleton_width), cancel, dist, device
        )
    )


def train_style(
    data: Path | str,
    skeleton_gan: Path | str,
    model: ModelConfig,
    train: TrainConfig,
    options: RunOptions,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, TrainResult]:
    """Train SE-GAN on one style's training split, with a frozen pre-trained skeleton GAN."""
    return (yield from _train_segan([data], skeleton_gan, model, train, options, cancel))


def train_many_hands(
    data: Sequence[Path | str],
    skeleton_gan: Path | str,
    model: ModelConfig,
    train: TrainConfig,
    options: RunOptions,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, TrainResult]:
    """Train one SE-GAN on many fonts' training splits, each font its own learned style code (issue 32).

    Style code i is the i-th dataset: ``model.style_codes`` must equal the number of datasets, and a resume
    must see them in the same order (the run's data hash is the ordered one).
    """
    if model.style_codes != len(data):
        raise SeganError(f"{len(data)} datasets need a model with {len(data)} style codes, not {model.style_codes}")
    return (yield from _train_segan(data, skeleton_gan, model, train, options, cancel, ordered=True))


def _train_segan(
    data: Sequence[Path | str],
    skeleton_gan: Path | str,
    model: ModelConfig,
    train: TrainConfig,
    options: RunOptions,
    cancel: CancelToken | None,
    ordered: bool = False,
) -> Generator[Progress, None, TrainResult]:
    device, dist = _prepare(train, options)
    yield Progress("load", 0, 3, message=f"opening the training data ({len(data)} dataset{'s' * (len(data) > 1)})")
    datasets = _open_datasets(data, model.image_size)
    yield Progress("load", 1, 3, message="loading the skeleton GAN")
    sg, sg_model = load_skeleton_generator(skeleton_gan, device)
    if sg_model.image_size != model.image_size or sg_model.skeleton_width != model.skeleton_width:
        raise SeganError(
            f"skeleton GAN {skeleton_gan} was trained at {sg_model.image_size} px with skeleton width "
            f"{sg_model.skeleton_width}; this model needs {model.image_size} px, width {model.skeleton_width}"
        )
    # the SG's shape is part of the SE-GAN's config so resume checks see it
    model = dataclasses.replace(
        model, skeleton_gan_ngf=sg_model.skeleton_gan_ngf, skeleton_gan_res_blocks=sg_model.skeleton_gan_res_blocks
    )
    yield Progress("load", 2, 3, message=f"building the networks ({sum(len(d.split('train')) for d in datasets)} "
                   "training glyphs)")
    batches = _train_batches(datasets, train, model.skeleton_width, dist)
    trainable = SeganTrainable(model, train, sg, device)
    spec = _spec(train, options, datasets, model.skeleton_width)
    if ordered:
        spec.data_info["manifest_sha256"] = _ordered_hash(datasets)
    if options.init_from is not None and not options.resume:
        yield Progress("load", 3, 3, message=f"loading the base style's weights ({Path(options.init_from).name})")
        spec.data_info["init_from"] = _start_from(trainable, Path(options.init_from), model)
    elif options.resume:  # where the run started from stays in its config.json (provenance, licences)
        spec.data_info.update(_recorded_start(Path(options.out)))
    return (yield from fit(trainable, batches, train, spec, cancel, dist, device))


def _recorded_start(run: Path) -> dict:
    from segan_core.model.checkpoint import read_config

    try:
        data = read_config(run).get("data")
    except SeganError:
        return {}  # the resume itself says what is wrong with the folder
    return {"init_from": data["init_from"]} if isinstance(data, dict) and "init_from" in data else {}


def _ordered_hash(datasets: Sequence[GlyphDataset]) -> str:
    """The data hash of a run whose i-th dataset means something (a category, a style code)."""
    return hashlib.sha256("".join(d.hash for d in datasets).encode()).hexdigest()


def train_baseline(
    data: Sequence[Path | str],
    model: BaselineConfig,
    train: TrainConfig,
    options: RunOptions,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, TrainResult]:
    """Train the zi2zi-style baseline on the training split of one dataset (or several: one category each)."""
    device, dist = _prepare(train, options)
    datasets = _open_datasets(data, model.image_size)
    if model.categories and len(datasets) > model.categories:
        raise SeganError(f"{len(datasets)} datasets need a category embedding with at least {len(datasets)} rows")
    if not model.categories and len(datasets) > 1:
        raise SeganError("several datasets need the category embedding (categories > 0)")
    batches = _train_batches(datasets, train, 1, dist)
    trainable = BaselineTrainable(model, train, device)
    spec = _spec(train, options, datasets, 1)
    if len(datasets) > 1:  # category i is the i-th dataset: a resume must see them in the same order
        spec.data_info["manifest_sha256"] = _ordered_hash(datasets)
    return (yield from fit(trainable, batches, train, spec, cancel, dist, device))


def _start_from(trainable: SeganTrainable, base: Path, model: ModelConfig) -> dict:
    """Load a trained style's generator into G_A (fine-tuning); the base must have the same shape.

    Style codes may differ (issue 32): started from a many-hands base itself, a new writer's one-code model
    takes the mean of the base's codes (the centre of the style space it learned; `segan train finetune` starts
    from a one-code folder with the nearest code instead, ``finetune.start_folder``); a many-hands base
    may start from a one-style model (everything but the code table, the code's inputs to the AdaLIN MLP
    starting at 0, so every font first draws as that style).
    """
    from segan_core.config import from_dict, to_dict
    from segan_core.model.checkpoint import WEIGHTS_FILE, load_module, load_tensors, read_config, weights_hash
    from segan_core.model.style_codes import fit_style_codes

    saved = read_config(base, kind="segan")
    saved_config = from_dict(ModelConfig, saved.get("model", {}), f"{base}/config.json model")
    ignored = ("skeleton_gan_ngf", "skeleton_gan_res_blocks", "style_codes", "style_dim")  # the SG is not in G_A
    saved_model, wanted = to_dict(saved_config), to_dict(model)
    for key in ignored:
        saved_model.pop(key, None)
        wanted.pop(key, None)
    if saved_model != wanted:
        differing = sorted(k for k in wanted if saved_model.get(k) != wanted[k])
        raise SeganError(f"cannot fine-tune from {base}: its model differs in {', '.join(differing)}")
    fresh = trainable.g_a.style_embedding.weight if trainable.g_a.style_embedding is not None else None
    tensors = fit_style_codes(load_tensors(base / WEIGHTS_FILE), saved_config, model, fresh, base)
    load_module(trainable.g_a, tensors, "generator", base / WEIGHTS_FILE)
    trainable.reset_average()
    return {"path": str(base), "weights_sha256": weights_hash(base)}
