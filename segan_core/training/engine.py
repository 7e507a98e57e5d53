"""The training engine: steps, progress events, checkpoints, exact resume, budgets, cancel, NaN guard, DDP.

``fit`` is a generator yielding :class:`~segan_core.jobs.Progress`; the CLI prints the events and the
GUI's worker relays them. It works for any :class:`~segan_core.training.contract.Trainable` with the
:class:`~segan_core.training.contract.Batches` it steps on (the GANs', the upscaler's, the glyph classifier's).

Under ``torchrun`` every rank runs ``fit``; each draws its own shard of every epoch (DistributedSampler)
and gradients are averaged across ranks after each backward (what DistributedDataParallel does, done
explicitly because a GAN step calls each network several times per backward). Rank 0 alone writes
checkpoints and yields progress.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TextIO

import numpy as np
import torch
import torch.distributed as torch_dist
from torch import nn

from segan_core import __version__
from segan_core.atomic import claim_output_dir, disk_errors, ensure_writable_dir, write_text_atomic
from segan_core.config import TrainConfig, to_dict
from segan_core.errors import Cancelled, CheckpointError, TrainingError
from segan_core.jobs import CancelToken, Progress
from segan_core.model.checkpoint import (
    CHECKPOINT_FORMAT,
    CONFIG_FILE,
    SNAPSHOTS_DIR,
    STATE_FILE,
    STATE_JSON,
    WEIGHTS_FILE,
    load_module,
    load_optimizer,
    load_tensors,
    module_tensors,
    optimizer_tensors,
    read_config,
    save_tensors_atomic,
    snapshot_folder,
    write_config,
)
from segan_core.outputs import Legacy, OutputKind, check_output_dir
from segan_core.training.contract import Batches, BatchT, Trainable
from segan_core.training.schedule import budget_fraction, decay_factor, remember_initial_rates, set_rates
from segan_core.training.state_file import read_train_state

LOG_FILE = "log.jsonl"
# a training run's folder, claimed as it starts. Every model folder has a config.json: a run from before
# markers is recognised by its train state beside it, which only a run writes
TRAINING_RUN = OutputKind(
    "training run", "segan-training-run",
    (CONFIG_FILE, WEIGHTS_FILE, STATE_JSON, STATE_FILE, LOG_FILE, SNAPSHOTS_DIR),
    (Legacy.with_format(CONFIG_FILE, CHECKPOINT_FORMAT), Legacy(STATE_JSON, (("step", None), ("optimizers", None)))),
)  # fmt: skip
# a step that is not logged is still reported once this long has passed since the last report: a run whose
# losses come every 10 steps of 10 s each shows it moves (and the budget it spends) in between
HEARTBEAT_S = 1.0


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> Distributed:
        """Join the process group when started by ``torchrun`` (WORLD_SIZE > 1)."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        if not torch_dist.is_initialized():
            backend = "nccl" if torch.cuda.is_available() else "gloo"
            torch_dist.init_process_group(backend=backend)
        return cls(rank=torch_dist.get_rank(), world_size=torch_dist.get_world_size())

    def average_gradients(self, module: nn.Module) -> None:
        if self.world_size <= 1:
            return
        for p in module.parameters():
            if p.grad is not None:
                torch_dist.all_reduce(p.grad, op=torch_dist.ReduceOp.SUM)
                p.grad.div_(self.world_size)

    def broadcast_parameters(self, module: nn.Module) -> None:
        if self.world_size <= 1:
            return
        for tensor in module.state_dict().values():
            torch_dist.broadcast(tensor, src=0)

    def maximum(self, value: float) -> float:
        """The largest ``value`` over the ranks, on every rank (so all ranks step with one learning rate)."""
        if self.world_size <= 1:
            return value
        tensor = torch.tensor([value], dtype=torch.float64)
        torch_dist.all_reduce(tensor, op=torch_dist.ReduceOp.MAX)
        return float(tensor.item())

    def any(self, flag: bool) -> bool:
        """True on every rank if ``flag`` is true on any rank (ranks stop together)."""
        if self.world_size <= 1:
            return flag
        value = torch.tensor([1.0 if flag else 0.0])
        torch_dist.all_reduce(value, op=torch_dist.ReduceOp.MAX)
        return bool(value.item() > 0)


@dataclass(frozen=True)
class Preview(Generic[BatchT]):
    """A fixed batch drawn at every sample event, beside the source and target glyphs it shows (uint8 ink)."""

    batch: BatchT
    chars: tuple[str, ...]
    source: np.ndarray
    target: np.ndarray


@dataclass(frozen=True)
class RunSpec(Generic[BatchT]):
    """Where and how long to train."""

    out: Path
    max_steps: int
    time_budget_s: float | None = None  # wall-clock seconds of this session
    cpu_budget_s: float | None = None  # CPU seconds of the whole run (all sessions, all threads): fair comparisons
    resume: bool = False
    overwrite: bool = False  # a non-empty folder that is not a training run may be used (own files only)
    data_info: dict[str, Any] = field(default_factory=dict)  # manifest hash, size, splits: goes to config.json
    preview: Preview[BatchT] | None = None  # what the sample images show
    # the learning rate as a factor of the initial one, from (step, budget fraction); None: the linear decay
    # of TrainConfig.lr_decay_start (e.g. schedule.warmup_cosine for the glyph classifier)
    lr_schedule: Callable[[int, float], float] | None = None
    # validation: called with the step every ``validate_every`` steps and before the last checkpoint; its
    # metrics go to the log and a Progress("evaluate") event (the trainable may keep them for config.json)
    validate: Callable[[int], dict[str, float]] | None = None
    validate_every: int = 0


@dataclass(frozen=True)
class TrainResult:
    step: int
    reason: str  # "max_steps" | "time_budget" | "cpu_budget" | "cancelled"
    out: Path
    seconds: float
    cpu_seconds: float = 0.0


class TrainingCancelled(Cancelled[TrainResult]):
    """A training run stopped by its cancel token, after its checkpoint: ``result`` says where it stopped and
    where the checkpoint that resumes it is."""


def _rng_json() -> dict[str, Any]:
    np_state = np.random.get_state()
    return {
        "python": [random.getstate()[0], list(random.getstate()[1]), random.getstate()[2]],
        "numpy": [np_state[0], np_state[1].tolist(), int(np_state[2]), int(np_state[3]), float(np_state[4])],
    }


def _restore_rng_json(state: dict[str, Any]) -> None:
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    npy = state["numpy"]
    np.random.set_state((npy[0], np.array(npy[1], dtype=np.uint32), npy[2], npy[3], npy[4]))


def save_checkpoint(
    trainable: Trainable[BatchT],
    config: TrainConfig,
    spec: RunSpec[BatchT],
    batches: Batches[BatchT],
    step: int,
    elapsed_s: float,
    cpu_s: float = 0.0,
    stopped_by: str | None = None,
) -> None:
    """weights + config.json, then the train state; each file written atomically, the JSON last.

    ``stopped_by``: why the run ended at this checkpoint ("cancelled" for a run stopped before its budget, which
    the app never calls trained); None at the checkpoints on the way.
    """
    out = spec.out
    ensure_writable_dir(out)
    meta = {"step": str(step)}
    dtype = torch.float16 if config.save_fp16 else torch.float32
    inference = trainable.inference_tensors(dtype)
    body = {
        **trainable.config_body(),
        "data": spec.data_info,
        "step": step,
        "train_seconds": {"wall": round(elapsed_s, 1), "cpu": round(cpu_s, 1)},
        **({"stopped_by": stopped_by} if stopped_by else {}),
        "created_with": f"segan-studio {__version__}",
    }
    folders = [out, snapshot_folder(out, step)] if config.keep_snapshots else [out]
    for folder in folders:  # each one a complete inference model folder
        save_tensors_atomic(folder / WEIGHTS_FILE, inference, metadata=meta)
        write_config(folder, trainable.kind, body)
    tensors: dict[str, torch.Tensor] = {}
    for name, module in trainable.networks().items():
        tensors |= module_tensors(f"net.{name}", module)
    optimizer_meta = {}
    for name, optimizer in trainable.optimizers().items():
        opt_tensors, optimizer_meta[name] = optimizer_tensors(f"opt.{name}", optimizer)
        tensors |= opt_tensors
    tensors["rng.torch"] = torch.get_rng_state()
    save_tensors_atomic(out / STATE_FILE, tensors, metadata=meta)
    write_text_atomic(
        out / STATE_JSON,
        json.dumps(
            {
                "step": step,
                "elapsed_s": elapsed_s,
                "cpu_s": cpu_s,
                "batches": batches.state(),
                "optimizers": optimizer_meta,
                "rng": _rng_json(),
                "train": to_dict(config),
            }
        ),
    )


def load_train_state(
    trainable: Trainable[BatchT], spec: RunSpec[BatchT], batches: Batches[BatchT]
) -> tuple[int, float, float]:
    """Restore everything saved by :func:`save_checkpoint`; returns (step, wall seconds, CPU seconds)."""
    out = spec.out
    config = read_config(out, kind=trainable.kind)
    if config.get("model") != trainable.config_body().get("model"):
        raise CheckpointError(f"{out}: cannot resume, the model configuration differs from the checkpoint's")
    saved_hash = config.get("data", {}).get("manifest_sha256")
    if saved_hash and saved_hash != spec.data_info.get("manifest_sha256"):
        raise CheckpointError(f"{out}: cannot resume on different data (dataset manifest hash differs)")
    state_json = out / STATE_JSON
    if not state_json.is_file():
        raise CheckpointError(f"{out} has no {STATE_JSON}: it is an inference-only model and cannot be resumed")
    state = read_train_state(state_json, trainable.optimizers())  # every field checked: one line if damaged
    tensors = load_tensors(out / STATE_FILE)
    for name, module in trainable.networks().items():
        load_module(module, tensors, f"net.{name}", out / STATE_FILE)
    for name, optimizer in trainable.optimizers().items():
        load_optimizer(optimizer, f"opt.{name}", tensors, state["optimizers"][name], out / STATE_FILE)
    torch.set_rng_state(tensors["rng.torch"])
    _restore_rng_json(state["rng"])
    batches.restore(state["batches"])
    return int(state["step"]), float(state.get("elapsed_s", 0.0)), float(state.get("cpu_s", 0.0))


@contextlib.contextmanager
def _appending(path: Path) -> Iterator[TextIO]:
    """Append to the run's log; a full disk is one line (the last checkpoint stays good)."""
    with disk_errors(path), open(path, "a", encoding="utf-8") as handle:
        yield handle


def _sample_payload(trainable: Trainable[BatchT], spec: RunSpec[BatchT]) -> dict[str, Any] | None:
    preview = spec.preview
    if preview is None:
        return None
    return {
        "kind": "samples",
        "chars": preview.chars,
        "source": preview.source,
        "target": preview.target,
        "generated": trainable.sample(preview.batch),
    }


def _validation(validate: Callable[[int], dict[str, float]], step: int, max_steps: int, log_path: Path) -> Progress:
    """Run ``validate`` at ``step``, log its metrics; the event that reports them."""
    metrics = validate(step)
    with _appending(log_path) as handle:
        handle.write(json.dumps({"step": step, **metrics}) + "\n")
    return Progress("evaluate", step, max_steps, message="validation", metrics=metrics)


def _minutes(seconds: float) -> str:
    return f"{round(seconds / 60, 1):g}"


def budget_share(step: int, spec: RunSpec, cpu_seconds: float, session_seconds: float) -> tuple[float | None, str]:
    """How far the run is through the budget that will stop it first, and that budget in words ("15 CPU min");
    (None, "") while its step count will stop it first (its done / total says how far it is)."""
    shares: list[tuple[float, str]] = []
    if spec.cpu_budget_s is not None:
        shares.append((cpu_seconds / spec.cpu_budget_s if spec.cpu_budget_s > 0 else 1.0,
                       f"{_minutes(spec.cpu_budget_s)} CPU min"))
    if spec.time_budget_s is not None:
        shares.append((session_seconds / spec.time_budget_s if spec.time_budget_s > 0 else 1.0,
                       f"{_minutes(spec.time_budget_s)} min"))
    fraction, label = max(shares, default=(0.0, ""), key=lambda share: share[0])
    steps = step / spec.max_steps if spec.max_steps > 0 else 1.0
    if not label or steps >= fraction:
        return None, ""
    return min(1.0, fraction), label


def _next_log(step: int, config: TrainConfig) -> int:
    return (step // config.log_every + 1) * config.log_every


def _start_message(step: int, resumed: bool, config: TrainConfig) -> str:
    """What the run does before its first losses: the first step is the slowest (warm-up)."""
    where = f"resumed at step {step}" if resumed else "started"
    return f"{where}; warm-up: the first step is the slowest, losses at step {_next_log(step, config)}"


def _between_logs(step: int, first: bool, spec: RunSpec, config: TrainConfig, cpu_seconds: float,
                  seconds: tuple[float, float], start_fraction: float) -> Progress:
    """The report of a step that is not logged: the step, the budget spent, when the next losses come.

    ``seconds``: the run's wall seconds (all sessions) and this session's; ``start_fraction``: how far the run
    was when this session began (the ETA follows this session's pace)."""
    share, budget = budget_share(step, spec, cpu_seconds, seconds[1])
    message = f"{'warm-up done; ' if first else ''}losses at step {_next_log(step, config)}"
    return Progress("train", step, spec.max_steps, message=message, elapsed_s=seconds[0], budget_fraction=share,
                    budget=budget, session_s=seconds[1], session_start_fraction=start_fraction)


def _start_fraction(step: int, spec: RunSpec, share: float | None) -> float:
    """How far a run is at its (re)start, in the measure its progress reports: the budget's share, or its steps."""
    if share is not None:
        return share
    return step / spec.max_steps if spec.max_steps > 0 else 0.0


def check_new_run(out: Path, overwrite: bool = False) -> None:
    """A new run may not start in a foreign, non-empty folder, nor over a run that could be resumed."""
    check_output_dir(out, TRAINING_RUN, overwrite)
    if (out / STATE_JSON).exists():
        raise CheckpointError(
            f"{out} already holds a training run: pass --resume to continue it, or choose another --out"
        )


def fit(
    trainable: Trainable[BatchT],
    batches: Batches[BatchT],
    config: TrainConfig,
    spec: RunSpec[BatchT],
    cancel: CancelToken | None = None,
    dist: Distributed | None = None,
    device: torch.device | None = None,
) -> Generator[Progress, None, TrainResult]:
    """Train until ``spec.max_steps`` or a budget; checkpoint on the way and at the end; returns a TrainResult.

    ``batches`` draws what ``trainable`` steps on (:class:`~segan_core.training.contract.Batches`). A cancel
    also checkpoints, then raises :class:`TrainingCancelled` (a :class:`~segan_core.errors.Cancelled`, like
    every other job's cancel) carrying the TrainResult (reason ``"cancelled"``) as ``result``.
    """
    cancel = cancel or CancelToken()
    dist = dist or Distributed()
    device = device or torch.device("cpu")
    start_step, elapsed_before, cpu_before = 0, 0.0, 0.0
    if spec.resume:
        yield Progress("load", 0, None, message=f"loading the checkpoint in {spec.out} to resume it")
        start_step, elapsed_before, cpu_before = load_train_state(trainable, spec, batches)
    elif dist.is_main:
        check_new_run(spec.out, spec.overwrite)
        claim_output_dir(spec.out, TRAINING_RUN)  # its marker: what it writes there is its own from now on
    for module in trainable.networks().values():
        dist.broadcast_parameters(module)
    optimizers = list(trainable.optimizers().values())
    remember_initial_rates(optimizers)

    clock_start = time.monotonic()
    cpu_start = time.process_time()

    def cpu_total() -> float:
        return cpu_before + time.process_time() - cpu_start

    step = start_step
    last_log_time, last_log_step = clock_start, step
    log_path = spec.out / LOG_FILE
    if dist.is_main:
        ensure_writable_dir(spec.out)
    reason = "max_steps"
    validated_at = -1
    share, budget = budget_share(step, spec, cpu_before, 0.0)
    start_fraction = _start_fraction(step, spec, share)
    yield Progress("train", step, spec.max_steps, message=_start_message(step, spec.resume, config),
                   elapsed_s=elapsed_before, budget_fraction=share, budget=budget)
    last_report = time.monotonic()
    while step < spec.max_steps:
        run_seconds = time.monotonic() - clock_start
        over_time = spec.time_budget_s is not None and run_seconds >= spec.time_budget_s
        over_cpu = spec.cpu_budget_s is not None and cpu_total() >= spec.cpu_budget_s
        stop = dist.any(cancel.cancelled or over_time or over_cpu)
        if stop:
            reason = "cancelled" if cancel.cancelled else "time_budget" if over_time else "cpu_budget"
            break
        factor = 1.0
        if spec.lr_schedule is not None or config.lr_decay_start < 1.0:
            # each rank has its own clocks: they agree on the furthest one. A trainable's own schedule
            # (the classifier's warm-up + cosine) follows the steps and the whole run's CPU budget only:
            # the time budget counts one session, and would restart the schedule on every resume.
            session_budget = None if spec.lr_schedule is not None else spec.time_budget_s
            fraction = budget_fraction(
                step, spec.max_steps, cpu_total(), spec.cpu_budget_s, run_seconds, session_budget
            )
            fraction = dist.maximum(fraction)
            if spec.lr_schedule is not None:
                factor = spec.lr_schedule(step, fraction)
            else:
                factor = decay_factor(fraction, config.lr_decay_start)
        learning_rate = set_rates(optimizers, factor)
        batch = batches.next().to(device, config.channels_last)
        metrics = trainable.train_step(batch, dist.average_gradients)
        step += 1
        bad = [k for k, v in metrics.items() if not np.isfinite(v)]
        if bad:
            raise TrainingError(
                f"training diverged at step {step}: {', '.join(bad)} became NaN/inf; the last good checkpoint "
                f"in {spec.out} is kept (resume it with a lower learning rate)"
            )
        if not dist.is_main:
            continue
        now = time.monotonic()
        logged = step % config.log_every == 0 or step == spec.max_steps
        if not logged and (step == start_step + 1 or now - last_report >= HEARTBEAT_S):  # it moves between logs
            last_report = now
            yield _between_logs(step, step == start_step + 1, spec, config, cpu_total(),
                                (elapsed_before + now - clock_start, now - clock_start), start_fraction)
        if logged:
            last_report = now
            images_per_s = (step - last_log_step) * config.batch_size * dist.world_size / max(1e-9, now - last_log_time)
            last_log_time, last_log_step = now, step
            with _appending(log_path) as handle:
                record = {
                    "step": step,
                    **metrics,
                    "lr": learning_rate,
                    "images_per_s": images_per_s,
                    "cpu_s": round(cpu_total(), 1),
                }
                handle.write(json.dumps(record) + "\n")
            total_elapsed = elapsed_before + (now - clock_start)
            share, budget = budget_share(step, spec, cpu_total(), now - clock_start)
            yield Progress(
                "train",
                step,
                spec.max_steps,
                metrics=metrics | {"img/s": images_per_s},
                elapsed_s=total_elapsed,
                budget_fraction=share,
                budget=budget,
                session_s=now - clock_start,
                session_start_fraction=start_fraction,
            )
        if spec.validate is not None and spec.validate_every > 0 and step % spec.validate_every == 0:
            validated_at = step
            yield _validation(spec.validate, step, spec.max_steps, log_path)
        if step % config.checkpoint_every == 0:
            wall = elapsed_before + time.monotonic() - clock_start
            save_checkpoint(trainable, config, spec, batches, step, wall, cpu_total())
            yield Progress("checkpoint", step, spec.max_steps, message=str(spec.out))
        if step % config.sample_every == 0:
            yield Progress("samples", step, spec.max_steps, payload=_sample_payload(trainable, spec))

    validated_now = dist.is_main and spec.validate is not None and validated_at != step
    if validated_now and spec.validate is not None:  # the last checkpoint carries the last step's validation
        yield _validation(spec.validate, step, spec.max_steps, log_path)
    total = elapsed_before + time.monotonic() - clock_start
    cpu_spent = cpu_total()  # one reading: the result reports exactly what the checkpoint records
    already_saved = step > start_step and step % config.checkpoint_every == 0 and reason == "max_steps"
    if dist.is_main and (validated_now or not already_saved):
        save_checkpoint(trainable, config, spec, batches, step, total, cpu_spent, stopped_by=reason)
        yield Progress("checkpoint", step, spec.max_steps, message=f"{reason}: {spec.out}")
        if step % config.sample_every:
            yield Progress("samples", step, spec.max_steps, payload=_sample_payload(trainable, spec))
    result = TrainResult(step=step, reason=reason, out=spec.out, seconds=total, cpu_seconds=cpu_spent)
    if reason == "cancelled":  # the one cancel convention; the checkpoint above is what was kept
        raise TrainingCancelled(f"training stopped at step {step}; the checkpoint in {spec.out} resumes it", result)
    return result
