"""Few-shot fine-tuning: a new calligrapher's few hundred glyphs -> a style of their own.

``finetune`` is a job (it yields :class:`~segan_core.jobs.Progress`, returns :class:`FinetuneResult`):

1. resolve the base (a bundled style id or a model folder) and read its recipe from its ``config.json``;
2. apply a few-shot recipe (:data:`RECIPES`): which parts of the generator learn, the jitter of each
   written glyph, the learning rate and the loss weights; the base's own choices (one direction, L_dice,
   EMA) are inherited;
3. from a many-hands base, start the writer's style code at the base's code nearest their hand (or the mean of
   its codes), written as a one-code model beside the run (``<run>.start``, :func:`start_folder`);
4. train G_A from there on the writer's training characters with a CPU budget, keeping a snapshot at every
   checkpoint (``<data>/runs/<name>/``, resumable) and the start itself as step 0;
5. pick the snapshot on the writer's own dev characters (by default ink IoU among the snapshots that still
   read, as the bundled models are picked; ``select_by`` / ``select_min_ratio``), and copy it into the user's
   styles (``<data>/models/<name>/``) with a ``style.json`` saying where it came from.

From then on the style is listed by ``segan styles list``, offered by the app's style picker and taken by
``segan batch --style NAME``, like a bundled one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from segan_core import __version__
from segan_core.atomic import TEMP_TAG, atomic_dir, atomic_path
from segan_core.config import ModelConfig, TrainConfig, from_dict, to_dict
from segan_core.data.placed import is_placed_copy, write_placed_dataset, writer_placement
from segan_core.errors import Cancelled, SeganError
from segan_core.evaluation.selection import CRITERIA, SELECTION
from segan_core.glyphs.ink_gain import INK_GAIN_KEY, InkMatch, match_ink
from segan_core.glyphs.placement import Placement
from segan_core.jobs import CancelToken, Progress
from segan_core.model.checkpoint import config_body, read_config, set_config_entry, snapshot_step
from segan_core.model.device import resolve_bf16
from segan_core.model_folder import ModelFolder
from segan_core.outputs import Legacy, OutputKind, check_output_dir
from segan_core.resources import model_dir
from segan_core.styles import BASES, base_folder, check_style_name
from segan_core.userdata import data_dir, safe_name, user_model_path
from segan_core.written import WRITTEN_DIR

if TYPE_CHECKING:  # imported where a run starts: the CLI and the app need no training code to list recipes
    from segan_core.evaluation.selection import Selection
    from segan_core.model.style_codes import StartCode
    from segan_core.training.engine import TrainResult
    from segan_core.training.runs import RunOptions

STYLE_FILE = "style.json"
# a fine-tuned style: the selected model, its style.json and the writer's own glyphs (styles from before
# markers: their style.json, which says segan-studio made it)
USER_STYLE = OutputKind(
    "fine-tuned style", "segan-style", (STYLE_FILE, *SELECTION.owned, WRITTEN_DIR),
    (Legacy(STYLE_FILE, (("created_with", "segan-studio*"),)),),
)  # fmt: skip


@dataclass(frozen=True)
class FinetuneRecipe:
    """How a pretrained style learns a new hand from a few hundred glyphs."""

    name: str
    summary: str
    trainable_parts: str = "all"  # TrainConfig.trainable_parts
    augment: float = 0.0  # TrainConfig.augment
    learning_rate: float | None = None  # None: the base's own
    losses: tuple[tuple[str, float], ...] = ()  # LossWeights overrides on top of the base's
    checkpoint_every: int = 50


RECIPES: dict[str, FinetuneRecipe] = {
    recipe.name: recipe
    for recipe in (
        FinetuneRecipe(
            "decoder",
            "train the AdaLIN decoder only (encoders, CAM and attention frozen), jittered glyphs, no L_cls",
            trainable_parts="decoder",
            augment=1.0,
            learning_rate=2e-4,
            losses=(("cam", 0.0),),
        ),
        FinetuneRecipe(
            "all-nocam",
            "train the whole generator, jittered glyphs, no L_cls (its 1000x weight relearns the CAM for the new "
            "domain and wrecks the features)",
            augment=1.0,
            learning_rate=2e-4,
            losses=(("cam", 0.0),),
        ),
        FinetuneRecipe(
            "code",
            "many-hands base only: fit the writer's style code alone (64 numbers), jittered glyphs, no L_cls",
            trainable_parts="code",
            augment=1.0,
            learning_rate=5e-3,
            losses=(("cam", 0.0),),
        ),
        FinetuneRecipe(
            "code+adalin",
            "many-hands base only: the writer's style code and the MLP that turns it into AdaLIN's gamma and beta "
            "(with AdaLIN's rho); encoders, attention and convolutions frozen; jittered glyphs, no L_cls",
            trainable_parts="code+adalin",
            augment=1.0,
            learning_rate=5e-4,
            losses=(("cam", 0.0),),
        ),
        FinetuneRecipe(
            "base-recipe",
            "the base's own recipe unchanged on the new glyphs (what `segan train style --init-from` did)",
        ),
    )
}
DEFAULT_RECIPE = "all-nocam"  # chosen on 200 held-out dev characters of a simulated writer (docs/training.md)
# what a new writer is fitted from unless they choose another (the CLI's --base, the app's base picker): the bundled
# many-hands base (models/many-hands, segan train base, 26 fonts), from its code nearest the writer's hand; on the four
# dev hands its fits read >= 0.83 of each writer's own glyphs and drew their ink closer than a start from Ma Shan
# Zheng (IoU margin over the floors +0.075 against +0.036; docs/training.md, 6)
DEFAULT_BASE = BASES[0]
# CPU minutes: issue 32's "adaptation <= 10 CPU minutes"; on the dev hands 10 minutes chose the same snapshot as 6
# (steps 50-181 of 354-358: the fit's gain is in its first ~200 steps), so more buys nothing by default
DEFAULT_CPU_BUDGET = 10.0
CODE_RECIPES = ("code", "code+adalin")  # these fit a style code: a many-hands base only
START_CODES = ("nearest", "mean")  # FinetuneRequest.start_code


def start_folder(run_dir: Path) -> Path:
    """Where a fit from a many-hands base keeps the one-code model it started from (beside its run)."""
    return run_dir.with_name(f"{run_dir.name}.start")


def run_folder(name: str) -> Path:
    """Where the fine-tune of style ``name`` trains, keeps its snapshots and resumes: ``<data>/runs/<name>``."""
    return data_dir() / "runs" / safe_name(name)


def recipes_for(base_dir: Path | None) -> list[str]:
    """The recipes a fit from ``base_dir`` can use (the code recipes only from a many-hands base)."""
    many_hands = base_dir is not None and ModelFolder(base_dir).describe().is_base
    return [name for name in RECIPES if many_hands or name not in CODE_RECIPES]


@dataclass(frozen=True)
class FinetuneRequest:
    base: str  # a style id (bundled or the user's) or a model folder
    data: Path  # a dataset folder (segan data build / segan scans import)
    name: str  # the new style's name
    recipe: str = DEFAULT_RECIPE
    cpu_budget_minutes: float = DEFAULT_CPU_BUDGET
    max_steps: int | None = None
    threads: int = 0
    skeleton_gan: Path | None = None  # default: the bundled skeleton GAN
    run_dir: Path | None = None  # default: <data>/runs/<name>
    out: Path | None = None  # default: <data>/models/<name>
    resume: bool = False
    select_min_ratio: float | None = 0.9  # snapshots must read >= this x the writer's own glyphs (None: off)
    select_by: str = "iou"  # the dev score the snapshot is chosen by (among those reading >= select_min_ratio)
    checkpoint_every: int | None = None  # steps between snapshots (None: the recipe's)
    # the start as the step-0 snapshot, a candidate of the choice (a few-shot writer: their start may draw their hand
    # better than any step of the fit); off for a style adapted on its whole font, where the start is another hand
    keep_start: bool = True
    overwrite: bool = False  # replace a folder at ``out`` that is not a fine-tuned style (only our files)
    # train on the writer's glyphs with their median size and position taken off (one transform for the whole
    # hand), and put it back on every glyph the new style draws (glyphs/placement.py, issue 32)
    placement: bool = True
    # draw the writer's stroke weight: the ink gain whose glyphs of the writer's dev characters carry the most ink up to
    # their own (glyphs/ink_gain.py), kept in the style's config.json; off for a style adapted on a whole
    # font, whose second stage calibrates its own gain
    match_ink: bool = True
    # a many-hands base: start the writer's code at the base's code that draws their glyphs closest ("nearest"), or
    # at the mean of its codes ("mean"); the search's CPU time comes out of the budget (model/style_codes.py)
    start_code: str = "nearest"
    # CPU bf16 autocast: off by default here (on 200 dev characters a bf16 fine-tune read 0.045 lower than fp32 at
    # the same 12 CPU minutes, docs/training.md); auto = on where the CPU has it natively | on | off
    bf16: str = "off"


# a fitted style is usable when, on the writer's own dev characters, it reads at least this share of what the writer's
# own glyphs read; below it the style is installed as a draft (kept, listed as a draft, not offered for export)
USABLE_RATIO = 0.8


@dataclass(frozen=True)
class Verdict:
    """How the new style reads against the writer's own glyphs, in words a calligrapher can act on."""

    usable: bool
    read: int  # dev characters the style reads
    writer_read: int  # dev characters the writer's own glyphs read
    total: int  # dev characters

    @property
    def text(self) -> str:
        reads = f"reads {self.read} of the {self.writer_read} characters your own glyphs read"
        if self.usable:
            return f"{reads} (of {self.total} set aside to check it): ready to use"
        return (f"{reads} (of {self.total} set aside to check it): a draft, too unreadable to export; train longer "
                "(Start continues the run) or write more characters")

    def to_json(self) -> dict:
        return {"status": "usable" if self.usable else "draft", "read": self.read, "writer_read": self.writer_read,
                "total": self.total, "text": self.text}


def _verdict_on_test(style: Path, data: Path) -> Verdict | None:
    """The verdict of the style in ``style`` on the writer's own test characters (None: none, or no recognizer)."""
    from segan_core.data.store import GlyphDataset
    from segan_core.recognizer import content_accuracy, quality_gate_available
    from segan_core.style_source import open_style

    test = GlyphDataset(data).split("test")
    if len(test) == 0 or not quality_gate_available():
        return None
    # a few dozen glyphs, the reference backend, as the model draws them (no second stage, not the writer's own)
    generated = open_style(f"dir:{style}", device="cpu", backend="eager", second_stage=False,
                           written=False).generate(test.chars)  # fmt: skip
    accuracy, writer = content_accuracy(test.chars, generated), content_accuracy(test.chars, test.target)
    if not (accuracy == accuracy and writer == writer):  # the recognizer knows none of them
        return None
    return verdict({"content_accuracy": accuracy, "content_accuracy_ratio": accuracy / writer if writer else 0.0},
                   len(test))


def verdict(dev_scores: dict[str, float], total: int) -> Verdict:
    """The verdict from the chosen snapshot's dev scores (content accuracy and its ratio to the writer's glyphs)."""
    accuracy, ratio = dev_scores.get("content_accuracy"), dev_scores.get("content_accuracy_ratio")
    if accuracy is None or ratio is None or not ratio > 0:  # no recognizer, or the writer's glyphs read nothing
        return Verdict(accuracy is not None and accuracy > 0, round((accuracy or 0) * total), 0, total)
    writer_read = round(accuracy / ratio * total)
    return Verdict(ratio >= USABLE_RATIO, min(writer_read, round(accuracy * total)), writer_read, total)


@dataclass(frozen=True)
class FinetuneResult:
    out: Path  # the new style's model folder
    run_dir: Path
    snapshot: str  # the chosen snapshot
    steps: int
    cpu_minutes: float
    dev_scores: dict[str, float]
    verdict: Verdict | None = None  # None: cancelled before a style was made
    ink: InkMatch | None = None  # the writer's stroke weight the style draws with (None: not matched)


class FinetuneCancelled(Cancelled[FinetuneResult]):
    """A fine-tune stopped by its cancel token before it made a style: ``result`` names the run kept to resume
    from, with its steps and CPU minutes so far (no snapshot, no scores)."""


def _stopped(run_dir: Path, result: TrainResult | None) -> FinetuneResult:
    """What a fine-tune cancelled before it made a style keeps: its run (``result`` None: nothing trained yet)."""
    if result is None:
        return FinetuneResult(run_dir, run_dir, "", 0, 0.0, {})
    return FinetuneResult(run_dir, run_dir, "", result.step, result.cpu_seconds / 60, {})


def finetune_configs(base_dir: Path, recipe: FinetuneRecipe) -> tuple[ModelConfig, TrainConfig]:
    """The base's model config, and its training config with the few-shot recipe applied."""
    saved = read_config(base_dir, kind="segan")
    model = from_dict(ModelConfig, saved["model"], f"{base_dir}/config.json model")
    if recipe.name in CODE_RECIPES and not model.is_many_hands:
        raise SeganError(f"the {recipe.name} recipe fits a style code, which {base_dir} does not have: use a "
                         "many-hands base (segan train base), or the recipe all-nocam or decoder")
    model = model.for_writer()  # a many-hands base: the writer gets one style code of their own
    train = from_dict(TrainConfig, saved.get("train", {}), f"{base_dir}/config.json train")
    losses = dataclasses.replace(train.losses, **dict(recipe.losses))
    train = dataclasses.replace(
        train,
        trainable_parts=recipe.trainable_parts,
        augment=recipe.augment,
        learning_rate=recipe.learning_rate or train.learning_rate,
        losses=losses,
        keep_snapshots=True,
        checkpoint_every=recipe.checkpoint_every,
        sample_every=recipe.checkpoint_every,
        max_steps=1_000_000,
        lr_decay_start=1.0,
        bidirectional=False,  # the product is G_A; a few hundred pairs do not need the cycle
    )
    return model, train


def finetune(request: FinetuneRequest, cancel: CancelToken | None = None) -> Generator[Progress, None, FinetuneResult]:
    """Fine-tune ``request.base`` on ``request.data`` and install the result as a user style.

    A cancel raises :class:`FinetuneCancelled` once the run is kept to resume from (a plain
    :class:`~segan_core.errors.Cancelled` while its training data is still being prepared)."""
    from segan_core.config import with_overrides
    from segan_core.training.runs import RunOptions

    cancel = cancel or CancelToken()
    if request.recipe not in RECIPES:
        raise SeganError(f"unknown fine-tuning recipe {request.recipe!r}; choose one of {', '.join(RECIPES)}")
    check_style_name(request.name)  # letters or digits, and never a bundled style's name (it would be shadowed)
    if request.select_by not in CRITERIA:
        raise SeganError(f"unknown selection score {request.select_by!r}; choose one of {', '.join(CRITERIA)}")
    if request.start_code not in START_CODES:
        raise SeganError(f"unknown start code {request.start_code!r}; choose one of {', '.join(START_CODES)}")
    if request.checkpoint_every is not None and request.checkpoint_every < 1:
        raise SeganError(f"checkpoint_every must be 1 or more steps, not {request.checkpoint_every}")
    recipe = _recipe(request)
    base_dir = base_folder(request.base)
    model, train = finetune_configs(base_dir, recipe)
    train = with_overrides(train, num_threads=request.threads or None, bf16=resolve_bf16(request.bf16)[0])
    run_dir = request.run_dir or run_folder(request.name)
    out = request.out or user_model_path(request.name)
    options = RunOptions(
        out=run_dir,
        max_steps=request.max_steps if request.max_steps is not None else train.max_steps,
        cpu_budget_minutes=request.cpu_budget_minutes,
        resume=request.resume,
        init_from=None if request.resume else base_dir,
    )
    check_output_dir(out, USER_STYLE, request.overwrite, name=request.name)  # before hours of training, not after
    with _one_fit_at_a_time(run_dir, request.name), _one_fit_at_a_time(out, request.name):
        return (yield from _fit_and_install(request, base_dir, model, train, options, run_dir, out, cancel))


def _recipe(request: FinetuneRequest) -> FinetuneRecipe:
    """The request's recipe, with its own snapshot interval where it sets one."""
    recipe = RECIPES[request.recipe]
    if request.checkpoint_every is None:
        return recipe
    return dataclasses.replace(recipe, checkpoint_every=request.checkpoint_every)


@contextmanager
def _one_fit_at_a_time(folder: Path, name: str) -> Iterator[None]:
    """Two fine-tunes sharing a run folder or a style folder would lose one result: the second is refused."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder.parent / f".{folder.name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise SeganError(
            f"another fine-tune of {name!r} is using {folder}: wait for it to end, or choose another --name"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _fit_and_install(request: FinetuneRequest, base_dir: Path, model: ModelConfig, train: TrainConfig,
                     options: RunOptions,
                     run_dir: Path, out: Path, cancel: CancelToken) -> Generator[Progress, None, FinetuneResult]:
    data, placement, start, result = yield from _fit(request, base_dir, model, train, options, run_dir, cancel)
    if request.keep_start:
        _start_snapshot(run_dir)
    check_output_dir(out, USER_STYLE, request.overwrite, name=request.name)  # refused before the evaluation, not after
    out.parent.mkdir(parents=True, exist_ok=True)
    # a temp name the atomic writers' sweep knows: a fine-tune killed while selecting leaves nothing for good
    with tempfile.TemporaryDirectory(prefix=f".{out.name}{TEMP_TAG}{os.getpid()}-select-", dir=out.parent) as scratch:
        selection = yield from _select(request, run_dir, data, Path(scratch) / "selected", cancel)
        chosen = next(row for row in selection.report.models if Path(row.spec) == selection.chosen)
        dev_scores = {k: round(float(v), 4) for k, v in chosen.metrics.items() if v == v}
        style = {
            "name": request.name,
            "base": {"spec": request.base, "path": str(base_dir),
                     "target": read_config(base_dir).get("data", {}).get("target", {})},
            "recipe": dataclasses.asdict(_recipe(request)),
            "train": to_dict(train),
            "data": str(request.data),
            "snapshot": selection.chosen.name,
            "dev": dev_scores,
            "cpu_minutes": round((result.cpu_seconds + (start.cpu_seconds if start else 0.0)) / 60, 2),
            "start_code": start.to_json() if start is not None else None,
            "placement": placement.to_json() if placement is not None else None,
            "created_with": f"segan-studio {__version__}",
        }
        chosen_name = selection.chosen.name
        if snapshot_step(selection.chosen) == 0:
            chosen_name += ": the start, which drew your dev characters better than every step of the fit"
        yield Progress("write", 0, 1, message=f"installing the style {request.name} (snapshot {chosen_name})")
        judged, ink = yield from _install(request, selection.out, out, placement, style,
                                          verdict(dev_scores, len(selection.report.chars)))  # fmt: skip
    return FinetuneResult(out, run_dir, selection.chosen.name, result.step, style["cpu_minutes"], dev_scores, judged,
                          ink)  # fmt: skip


def _fit(request: FinetuneRequest, base_dir: Path, model: ModelConfig, train: TrainConfig, options: RunOptions,
         run_dir: Path, cancel: CancelToken,
         ) -> Generator[Progress, None, tuple[Path, Placement | None, StartCode | None, TrainResult]]:
    """Job step: the training data, the writer's start and the fit itself; a cancel keeps the run to resume."""
    from segan_core.training.engine import TrainingCancelled, check_new_run
    from segan_core.training.runs import train_style

    if not request.resume:  # refused before the start is written beside the run: a run kept to resume keeps its own
        check_new_run(run_dir)
    data, placement = yield from _training_data(request, run_dir)
    options, start = yield from _writer_start(request, base_dir, data, options, run_dir)
    try:
        result = yield from train_style(data, request.skeleton_gan or model_dir("skeleton-gan"), model, train, options,
                                        cancel)  # fmt: skip
    except TrainingCancelled as exc:  # the run is kept to resume from; no style is made
        raise FinetuneCancelled(str(exc), _stopped(run_dir, exc.result)) from None
    except Cancelled as exc:  # stopped before its first step
        raise FinetuneCancelled(str(exc), _stopped(run_dir, None)) from None
    return data, placement, start, result


def _select(request: FinetuneRequest, run_dir: Path, data: Path, out: Path,
            cancel: CancelToken) -> Generator[Progress, None, Selection]:
    """Job step: the snapshot (step 0, the start, among them) that draws the writer's dev characters best, by the
    request's rule, copied to ``out``."""
    from segan_core.evaluation.report import EvalOptions
    from segan_core.evaluation.selection import select_snapshot

    yield Progress("evaluate", 0, None, message="choosing the snapshot that draws the writer's dev characters best")
    return (yield from select_snapshot(
        run_dir, data, out, EvalOptions(split="dev", sample_count=1), metric=request.select_by, cancel=cancel,
        min_ratio=request.select_min_ratio, fallback_metric="content_accuracy", min_step=0 if request.keep_start else 1,
    ))  # fmt: skip


def _install(request: FinetuneRequest, selected: Path, out: Path, placement: Placement | None, style: dict,
             on_dev: Verdict) -> Generator[Progress, None, tuple[Verdict, InkMatch | None]]:
    """Job step: the selected model in ``selected`` installed as the user's style in ``out`` (atomically), with the
    writer's placement and stroke weight, their own glyphs and ``style.json`` (``style`` plus the verdict: on the
    writer's test characters where there are any, else ``on_dev``)."""
    with atomic_dir(out, USER_STYLE, request.overwrite, name=request.name) as tmp:
        for item in selected.iterdir():  # the selected model; its marker says "a selection", not ours
            if item.name != SELECTION.marker:
                shutil.copy2(item, tmp / item.name)
        if placement is not None:  # the style model puts the writer's size and position back on its glyphs
            set_config_entry(tmp, "placement", placement.to_json())
        match = None
        if request.match_ink:
            yield Progress("calibrate", 0, 1, message="matching your stroke weight on your dev characters")
            match = _match_ink(tmp, Path(request.data))
            style[INK_GAIN_KEY] = None  # asked for, nothing to match on: no dev characters
            if match is not None:
                set_config_entry(tmp, INK_GAIN_KEY, match.to_json())
                # (style["dev"] scores the choice of snapshot, before the gain; these are the dev glyphs as drawn)
                chosen = match.chosen
                style[INK_GAIN_KEY] = {"gain": match.gain, "characters": match.characters,
                                       "dev_iou": chosen.iou if chosen else None,
                                       "dev_ink_ratio": chosen.ink_ratio if chosen else None}  # fmt: skip
                yield Progress("calibrate", 1, 1, message=match.describe())
        style["written"] = _keep_written(Path(request.data), tmp)
        yield Progress("check", 0, 1, message="checking the new style on the writer's test characters")
        # judged on characters the choice of snapshot never saw, drawn as the installed style draws them
        judged = _verdict_on_test(tmp, Path(request.data)) or on_dev
        style["verdict"] = judged.to_json()
        (tmp / STYLE_FILE).write_text(json.dumps(style, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return judged, match


def _match_ink(style: Path, data: Path) -> InkMatch | None:
    """The ink gain that gives the style in ``style`` (placed, as it draws) the writer's ink on their dev characters
    (None: the dataset has none)."""
    from segan_core.data.store import GlyphDataset
    from segan_core.style_source import open_style

    dev = GlyphDataset(data).split("dev")
    if len(dev) == 0:
        return None
    generated = open_style(f"dir:{style}", device="cpu", backend="eager", second_stage=False,
                           written=False).generate(dev.chars)  # fmt: skip
    return match_ink(generated, dev.target)


def _training_data(request: FinetuneRequest, run_dir: Path) -> Generator[Progress, None, tuple[Path, Placement | None]]:
    """Job step: the dataset the fit trains and selects on, and the writer's placement (None: the dataset as it is).

    The placed copy lives beside the run (``<run>.placed-data``); a resumed run measures the same placement
    from the same glyphs and finds the same copy.
    """
    if not request.placement:
        return Path(request.data), None
    yield Progress("dataset", 0, 2, message="measuring the size and position of the writer's glyphs")
    placement = writer_placement(Path(request.data))
    placed = run_dir.with_name(f"{run_dir.name}.placed-data")
    if not is_placed_copy(placed, Path(request.data), placement):  # new, or the writer's glyphs changed since
        yield Progress("dataset", 1, 2, message="writing the training copy with the writer's placement taken off")
        write_placed_dataset(Path(request.data), placed, placement)  # (a resume on changed data is then refused)
    yield Progress("dataset", 2, 2, message="training data ready")
    return placed, placement


def _writer_start(request: FinetuneRequest, base_dir: Path, data: Path, options: RunOptions,
                  run_dir: Path) -> Generator[Progress, None, tuple[RunOptions, StartCode | None]]:
    """Job step: from a many-hands base, the code the writer's fit starts at, as a one-code model folder beside the
    run (``<run>.start``), which the fit then starts from; ``options`` with it and with the search's CPU time taken
    off the budget (``start_code="mean"``: no search, the mean code). A resumed run: the start recorded beside it,
    whose search time comes off the budget again (the budget is the whole run's). A one-style base: ``options`` as
    they are."""
    from segan_core.model.device import configure_threads
    from segan_core.model.style_codes import MEAN_CODE, nearest_code, recorded_start, write_writer_start

    folder = start_folder(run_dir)
    if options.init_from is None:  # a resumed run: the start it was made from, as recorded beside it
        start = recorded_start(folder)
    elif not ModelFolder(base_dir).describe().is_base:  # a style (one code or none): the fit starts from it as it is
        return options, None
    elif request.start_code == MEAN_CODE:  # the centre of the base's style space, as a folder the fit starts from
        return dataclasses.replace(options, init_from=write_writer_start(base_dir, folder, None)), None
    else:
        yield Progress("start", 0, 1, message="trying the base's hands on the writer's glyphs")
        configure_threads(request.threads)  # the search's CPU time comes off the budget: on the fit's threads
        start = nearest_code(base_dir, data)
        options = dataclasses.replace(options, init_from=write_writer_start(base_dir, folder, start))
        yield Progress("start", 1, 1, message=f"starting from {start.font}'s code (ink IoU {start.iou:.3f}, the "
                                              f"mean code's {start.mean_iou:.3f})")  # fmt: skip
    budget = options.cpu_budget_minutes
    if start is None or budget is None:
        return options, start
    return dataclasses.replace(options, cpu_budget_minutes=max(budget - start.cpu_seconds / 60, 0.1)), start


def _start_snapshot(run_dir: Path) -> None:
    """The weights the fit started from (the writer's start folder, or a one-style base: the run records which,
    with their hash) as the run's step-0 snapshot, so that the choice of snapshot keeps the start when no step of
    the fit draws the writer's dev characters better: from 150 written characters, every step of a 6-minute fit
    drew two dev hands worse than their start (docs/training.md 6). Nothing when those weights are gone, changed
    since, or not of the run's shape (a base whose code table the run made one code)."""
    from segan_core.model.checkpoint import WEIGHTS_FILE, list_snapshots, snapshot_folder, weights_hash, write_config

    snapshots = list_snapshots(run_dir)
    folder = snapshot_folder(run_dir, 0)
    if not snapshots or folder in snapshots:
        return
    config = read_config(snapshots[0])  # the run's own model, training and data record, at step 0
    started = config.get("data", {}).get("init_from") or {}
    start = Path(str(started.get("path", "")))
    if not started.get("path") or not (start / WEIGHTS_FILE).is_file():
        return
    if weights_hash(start) != started.get("weights_sha256"):  # replaced since the run began: not its start
        return
    if read_config(start).get("model") != config.get("model"):  # a start the run reshaped (a base's code table)
        return
    body = config_body(config, drop=("stopped_by",))
    folder.mkdir(parents=True, exist_ok=True)
    write_config(folder, str(config["kind"]), body | {"step": 0, "train_seconds": {"wall": 0.0, "cpu": 0.0},
                                                       "started_from": str(start)})  # fmt: skip
    with atomic_path(folder / WEIGHTS_FILE) as tmp:  # last: a snapshot counts once its weights are there
        shutil.copyfile(start / WEIGHTS_FILE, tmp)


def _keep_written(data: Path, out: Path) -> int:
    """A dataset built from the writer's images: keep every glyph they wrote with the style (for the font)."""
    from segan_core.data.store import read_manifest
    from segan_core.written import keep_written

    target = read_manifest(data).get("target", {})
    folder = Path(str(target.get("folder", ""))) if isinstance(target, dict) and target.get("folder") else None
    if folder is None or not folder.is_dir():
        return 0  # trained on a font: nothing was written by hand
    chars = [c for split in ("train", "dev", "test") for c in read_manifest(data)["splits"].get(split, "")]
    images = {c: folder / f"{c}.png" for c in chars if (folder / f"{c}.png").is_file()}
    return keep_written(images, out)


def describe_recipes() -> str:
    return "; ".join(f"{r.name}: {r.summary}" for r in RECIPES.values())

