"""``segan eval train-classifier``: the evaluator's glyph classifier, trained by the training engine.

The classifier is one more :class:`~segan_core.training.contract.Trainable` (kind ``"classifier"``):
the engine gives it checkpoints, ``--resume``, the time and CPU budgets, cancel (``TrainingCancelled`` with
the result and a checkpoint), progress and the NaN guard. What is the classifier's own stays here:
the augmentation (in :mod:`.classifier_data`'s batches), the two-head cross-entropy with label
smoothing, AdamW with a warm-up + cosine schedule (:func:`~segan_core.training.schedule.warmup_cosine`)
and the validation after every epoch (character and font accuracy on the held-out glyphs).

The run folder is an ordinary training run; its ``config.json`` + ``weights.safetensors`` (fp16) are
what :func:`~segan_core.evaluation.classifier.load_classifier` reads, so it is an evaluator folder as it
stands (ship those two files; ``train_state.*`` and ``log.jsonl`` only serve resuming and the history).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from segan_core.charset import gb2312_level1
from segan_core.config import TrainConfig, from_dict, to_dict
from segan_core.data.split import split_of
from segan_core.errors import CheckpointError
from segan_core.evaluation.checks import EvaluationError
from segan_core.evaluation.classifier import (
    CLASSIFIER_KIND,
    INPUT_SIZE,
    ClassifierConfig,
    build_network,
    forget_classifier,
)
from segan_core.evaluation.classifier_data import (
    ClassifierBatch,
    ClassifierBatches,
    GlyphSet,
    as_input,
    discover_fonts,
    render_training_set,
)
from segan_core.jobs import CancelToken, Progress
from segan_core.model.checkpoint import CONFIG_FILE, STATE_JSON, read_config
from segan_core.training.contract import GradientSync, optimise
from segan_core.training.engine import Distributed, RunSpec, fit
from segan_core.training.schedule import warmup_cosine

LABEL_SMOOTHING = 0.05
DEFAULT_EPOCHS = 10
FEATURE_NOTE = "global-average-pooled last conv stage (feature_dim values)"
FID_NOTE = "Fréchet distances in this feature space are not comparable to Inception FID."


@dataclass(frozen=True)
class TrainClassifierRequest:
    fonts_dir: Path
    out: Path
    epochs: int | None = None  # None: DEFAULT_EPOCHS, or on --resume the run's own
    batch_size: int = 128
    learning_rate: float = 3e-3
    seed: int = 0
    threads: int = 2
    holdout: float = 0.03  # fraction of (font, char) pairs kept out for validation
    max_chars: int = 0  # 0 = every train-split GB2312 level-1 character (small values for tests)
    max_minutes: float = 0.0  # 0 = no limit; else stop (with a checkpoint) once this session has run this long
    cpu_budget_minutes: float | None = None  # stop once the whole run has used this much CPU time
    resume: bool = False  # continue the run in ``out`` with its own settings (``epochs`` may extend it)
    overwrite: bool = False  # write into a non-empty folder that is not a training run (own files only)
    command: str = ""  # the command line, recorded in config.json
    widths: tuple[int, ...] = field(default=(32, 64, 128))
    feature_dim: int = 128


def default_train_config(request: TrainClassifierRequest) -> TrainConfig:
    """The engine's settings for a fresh run (max_steps and checkpoint_every are set from the data)."""
    return TrainConfig(
        batch_size=request.batch_size, learning_rate=request.learning_rate, beta1=0.9, beta2=0.999,
        weight_decay=1e-4, seed=request.seed, num_threads=request.threads, log_every=25, sample_every=1_000_000_000,
        save_fp16=True, channels_last=True, bidirectional=False,
    )  # fmt: skip


class ClassifierTrainable:
    """The glyph CNN with its two heads, AdamW and the validation the engine calls after each epoch."""

    kind = CLASSIFIER_KIND

    def __init__(
        self,
        config: ClassifierConfig,
        train: TrainConfig,
        validation: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        training: dict[str, Any],
        steps_per_epoch: int,
    ) -> None:
        self.model_config = config
        self.train_config = train
        self.network = build_network(config).to(memory_format=torch.channels_last)
        self.optimizer = torch.optim.AdamW(
            self.network.parameters(), lr=train.learning_rate, betas=(train.beta1, train.beta2),
            weight_decay=train.weight_decay,
        )  # fmt: skip
        self.validation = validation
        self.training = dict(training)  # the config.json "training" object; validate() keeps it current
        self.steps_per_epoch = steps_per_epoch

    def networks(self) -> dict[str, torch.nn.Module]:
        return {"classifier": self.network}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt": self.optimizer}

    def train_step(self, batch: ClassifierBatch, sync: GradientSync) -> dict[str, float]:
        self.network.train()
        _, char_logits, font_logits = self.network(batch.images)
        loss = F.cross_entropy(char_logits, batch.chars, label_smoothing=LABEL_SMOOTHING) + F.cross_entropy(
            font_logits, batch.fonts, label_smoothing=LABEL_SMOOTHING
        )
        optimise(loss, self.optimizer, [self.network], sync)
        return {"loss": loss.item()}

    def validate(self, step: int) -> dict[str, float]:
        """Character and font accuracy on the held-out glyphs (no augmentation); kept for config.json."""
        x, y_char, y_font = self.validation
        self.network.eval()
        correct_c = correct_f = 0
        with torch.inference_mode():
            for start in range(0, len(x), 512):
                _, c, f = self.network(x[start : start + 512])
                correct_c += int((c.argmax(1) == y_char[start : start + 512]).sum())
                correct_f += int((f.argmax(1) == y_font[start : start + 512]).sum())
        self.network.train()
        n = max(1, len(x))
        metrics = {"val_char_acc": round(correct_c / n, 4), "val_font_acc": round(correct_f / n, 4)}
        epochs = step / self.steps_per_epoch
        done = int(epochs) if epochs.is_integer() else round(epochs, 2)
        self.training |= metrics | {"steps": step, "epochs_done": done}
        return metrics

    def inference_tensors(self, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        # the layout GlyphClassifier.load reads: the network's own names, floats in ``dtype``, counters as they are
        return {
            k: v.detach().to(dtype) if v.is_floating_point() else v.detach()
            for k, v in self.network.state_dict().items()
        }

    def config_body(self) -> dict[str, Any]:
        return {
            "model": self.model_config.to_json(),
            "train": to_dict(self.train_config),
            "feature": FEATURE_NOTE,
            "training": self.training,
            "note": FID_NOTE,
        }

    @torch.no_grad()
    def sample(self, batch: ClassifierBatch) -> np.ndarray:
        """The augmented glyphs of a batch as uint8 ink: what the classifier is shown."""
        return (batch.images.float().clamp(0, 1) * 255).round().to(torch.uint8).squeeze(1).cpu().numpy()


def train_classifier(
    request: TrainClassifierRequest, cancel: CancelToken | None = None
) -> Generator[Progress, None, dict[str, Any]]:
    """Train (or resume) the evaluator's glyph classifier; yields Progress; returns the written config dict.

    A cancel keeps a checkpoint and raises the engine's :class:`~segan_core.training.engine.TrainingCancelled`.
    """
    threads_before = torch.get_num_threads()
    try:
        return (yield from _train(request, cancel or CancelToken()))
    finally:
        torch.set_num_threads(threads_before)


def _saved_run(out: Path) -> tuple[ClassifierConfig, TrainConfig, dict[str, Any]]:
    """The model, engine settings and training record of the classifier run in ``out``."""
    if not (out / STATE_JSON).is_file():
        raise EvaluationError(f"{out} holds no classifier training run to resume (no {STATE_JSON}; a classifier "
                              "trained before the engine cannot be resumed: train a new one)")  # fmt: skip
    try:
        saved = read_config(out, kind=CLASSIFIER_KIND)
        model = ClassifierConfig.from_json(saved["model"])
        train = from_dict(TrainConfig, saved.get("train", {}), f"{out}/{CONFIG_FILE} train")
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{out}/{CONFIG_FILE} is damaged ({exc})") from None
    return model, train, dict(saved.get("training", {}))


def _train(request: TrainClassifierRequest, cancel: CancelToken) -> Generator[Progress, None, dict[str, Any]]:
    out = Path(request.out)
    train = default_train_config(request)
    widths, feature_dim = tuple(request.widths), request.feature_dim
    fonts_dir, max_chars, holdout = Path(request.fonts_dir), request.max_chars, request.holdout
    command = request.command
    epochs = request.epochs or DEFAULT_EPOCHS
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if request.resume:  # the run's own settings; only the number of epochs may change
        saved_model, train, saved = _saved_run(out)
        widths, feature_dim = saved_model.widths, saved_model.feature_dim
        fonts_dir = Path(saved.get("fonts_dir", fonts_dir))
        max_chars, holdout = int(saved.get("max_chars", 0)), float(saved.get("holdout", holdout))
        command = str(saved.get("command", command))
        epochs = request.epochs or int(saved.get("epochs_planned", epochs))
        created = str(saved.get("created", created))
    if request.threads:
        train = dataclasses.replace(train, num_threads=request.threads)
    if train.num_threads:
        torch.set_num_threads(train.num_threads)

    fonts = discover_fonts(fonts_dir)
    chars = "".join(c for c in gb2312_level1() if split_of(c) == "train")
    if max_chars:
        chars = chars[:max_chars]
    glyphs: GlyphSet = yield from render_training_set(fonts, chars, INPUT_SIZE, cancel)
    train_rows, val_rows = glyphs.holdout(holdout, train.seed)
    config = ClassifierConfig(widths=widths, feature_dim=feature_dim, chars=chars, fonts=tuple(n for n, _ in fonts))
    batches = ClassifierBatches(glyphs, train_rows, train.batch_size, train.seed)
    steps_per_epoch = batches.steps_per_epoch
    train = dataclasses.replace(train, max_steps=epochs * steps_per_epoch, checkpoint_every=steps_per_epoch)
    training = {
        "command": command,
        "fonts_dir": str(fonts_dir),
        "epochs_planned": epochs,
        "steps_per_epoch": steps_per_epoch,
        "seed": train.seed,
        "batch_size": train.batch_size,
        "learning_rate": train.learning_rate,
        "glyphs": len(glyphs),
        "validation_glyphs": len(val_rows),
        "max_chars": max_chars,
        "holdout": holdout,
        "characters": (f"the first {max_chars} " if max_chars else "all ")
        + "train-split GB2312 level-1 characters (no dev/test character)",
        "created": created,
    }
    validation = (
        as_input(glyphs.images[val_rows]),
        torch.from_numpy(glyphs.char_labels[val_rows]),
        torch.from_numpy(glyphs.font_labels[val_rows]),
    )
    torch.manual_seed(train.seed)  # the network's initial weights
    trainable = ClassifierTrainable(config, train, validation, training, steps_per_epoch)
    spec: RunSpec[ClassifierBatch] = RunSpec(
        out=out,
        max_steps=train.max_steps,
        time_budget_s=request.max_minutes * 60 if request.max_minutes else None,
        cpu_budget_s=request.cpu_budget_minutes * 60 if request.cpu_budget_minutes is not None else None,
        resume=request.resume,
        overwrite=request.overwrite,
        data_info={"manifest_sha256": glyphs.fingerprint(chars, holdout), "fonts": [list(f) for f in glyphs.fonts]},
        lr_schedule=warmup_cosine(steps_per_epoch // 2),
        validate=trainable.validate,
        validate_every=steps_per_epoch,
    )
    try:
        yield from fit(trainable, batches, train, spec, cancel, Distributed())
    finally:
        forget_classifier(out)
    return json.loads((out / CONFIG_FILE).read_text(encoding="utf-8"))
