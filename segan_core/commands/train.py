"""``segan train skeleton``, ``segan train style`` and ``segan train baseline``."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

from segan_core import cli_args
from segan_core.commands.progress import cancel_on_signals, drive
from segan_core.config import SKIP_KINDS, BaselineConfig, LossWeights, ModelConfig, TrainConfig, with_overrides
from segan_core.errors import Cancelled, SeganError
from segan_core.evaluation.selection import CRITERIA
from segan_core.finetune import (
    DEFAULT_BASE,
    DEFAULT_CPU_BUDGET,
    DEFAULT_RECIPE,
    RECIPES,
    START_CODES,
    FinetuneCancelled,
    FinetuneRequest,
    describe_recipes,
    finetune,
)
from segan_core.jobs import Progress
from segan_core.model.device import BF16_SETTINGS, resolve_bf16
from segan_core.styles import BASES
from segan_core.training.engine import TrainingCancelled, TrainResult
from segan_core.training.presets import (
    PRESETS,
    default_preset,
)
from segan_core.training.run_configs import RunKind, resolve_run_configs
from segan_core.training.runs import (
    RunOptions,
    train_baseline,
    train_many_hands,
    train_skeleton_gan,
    train_style,
)
from segan_core.upscale.calibration import DEFAULT_MAX_INK_RATIO


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="checkpoint folder")
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default=None,
        help=f"model/training size (default: {default_preset()} here)",
    )
    parser.add_argument("--resume", action="store_true", help="continue the run in --out exactly where it stopped")
    parser.add_argument(
        "--overwrite", action="store_true", help="train into a non-empty --out that is not a training run"
    )
    parser.add_argument("--max-steps", type=cli_args.positive_int, help="stop after this many steps in total")
    parser.add_argument(
        "--time-budget", type=cli_args.minutes, metavar="MINUTES", help="stop cleanly with a checkpoint after this long"
    )
    parser.add_argument(
        "--cpu-budget",
        type=cli_args.minutes,
        metavar="MINUTES",
        help="stop once the whole run (all sessions, all threads) has used this much CPU time; for comparing "
        "models at equal compute",
    )
    parser.add_argument("--seed", type=cli_args.seed)
    parser.add_argument("--batch-size", type=cli_args.batch_size)
    parser.add_argument("--lr", type=cli_args.learning_rate, help="learning rate")
    parser.add_argument(
        "--lr-decay-start",
        type=float,
        metavar="FRACTION",
        help="keep the learning rate for this fraction of the budget (--cpu-budget, --time-budget or "
        "--max-steps, whichever stops the run first), then lower it linearly to 0 at the end; U-GAT-IT uses 0.5; "
        "default 1 = constant. Also taken on --resume: extend a run and let it end on a decayed rate",
    )
    parser.add_argument("--threads", type=cli_args.threads, help="CPU threads (default: all cores)")
    parser.add_argument(
        "--bf16",
        nargs="?",
        const="on",
        choices=BF16_SETTINGS,
        default=None,
        help="CPU bfloat16 autocast (fp32 master weights and optimizer state): auto (default for a new run) turns it "
        "on where the CPU has AVX512-BF16 or AMX; --bf16 alone = on",
    )
    parser.add_argument("--channels-last", action="store_true", default=None)
    parser.add_argument("--compile", action="store_true", default=None, help="torch.compile the networks")
    parser.add_argument("--checkpoint-every", type=cli_args.positive_int)
    parser.add_argument(
        "--keep-snapshots",
        action="store_true",
        default=None,
        help="also keep each checkpoint's model in OUT/snapshots/step-N/ (choose one with `segan eval select`)",
    )
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--quiet", action="store_true")


def register(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="train the skeleton GAN or a style model")
    train_sub = train.add_subparsers(dest="train_command", metavar="WHAT")
    train_sub.required = True

    skeleton = train_sub.add_parser("skeleton", help="pre-train the skeleton GAN on glyph/skeleton pairs")
    skeleton.add_argument("--data", type=Path, nargs="+", required=True, help="one or more dataset folders")
    _common(skeleton)
    skeleton.set_defaults(func=run_skeleton)

    style = train_sub.add_parser("style", help="train SE-GAN for one brush style")
    style.add_argument("--data", type=Path, required=True, help="dataset folder (segan data build)")
    style.add_argument("--skeleton", type=Path, required=True, help="skeleton GAN folder (segan train skeleton)")
    style.add_argument("--no-skeleton-encoder", action="store_true", help="ablation: w/o E_s")
    style.add_argument("--no-skeleton-discriminator", action="store_true", help="ablation: w/o D_s")
    style.add_argument(
        "--one-direction",
        action="store_true",
        help="train G_A (source -> brush) only, without G_B and the cycle loss: 2.9x cheaper steps",
    )
    style.add_argument("--attention", choices=("cam", "sram", "cram"), help="attention stack (default cram)")
    style.add_argument(
        "--skips",
        choices=SKIP_KINDS,
        help="U-Net skips into the decoder from the image or skeleton encoder (not in the paper; default: preset's)",
    )
    style.add_argument("--ngf", type=cli_args.positive_int, metavar="CHANNELS",
                       help="generator width: base channels (cpu-64: 16); inference cost grows about as its square")
    style.add_argument("--init-from", type=Path, metavar="MODEL_DIR",
                       help="fine-tune: start from a trained style's generator (same preset and flags)")
    style.add_argument(
        "--ema",
        type=float,
        metavar="DECAY",
        help="ship a moving average of the generator's weights with this per-step decay (e.g. 0.995; 0 = off)",
    )
    style.add_argument(
        "--loss",
        action="append",
        default=[],
        metavar="TERM=WEIGHT",
        help=f"set one loss weight (repeatable); terms: {', '.join(f.name for f in dataclasses.fields(LossWeights))}",
    )
    _common(style)
    style.set_defaults(func=run_style)

    base = train_sub.add_parser(
        "base",
        help="train the many-hands base: one SE-GAN over many fonts, each with its own learned style code",
        description="Train one SE-GAN on the training splits of many datasets (one per font: segan data build), "
        "each font a learned style code that joins the AdaLIN decoder's MLP. A new writer is then fitted from "
        "it with `segan train finetune --base RUN` (recipes code and code+adalin fit the writer's own code). Style "
        "code i is the i-th --data folder: resume with the same folders in the same order.",
    )
    base.add_argument("--data", type=Path, nargs="+", required=True, help="one dataset folder per font")
    base.add_argument("--skeleton", type=Path, required=True, help="skeleton GAN folder (segan train skeleton)")
    base.add_argument("--style-dim", type=cli_args.positive_int, metavar="N",
                      help="length of each font's style code (default 64)")
    base.add_argument("--ngf", type=cli_args.positive_int, metavar="CHANNELS",
                      help="generator width: base channels (cpu-64: 16)")
    base.add_argument("--ema", type=float, metavar="DECAY", help="ship a moving average of the generator's weights")
    base.add_argument("--init-from", type=Path, metavar="MODEL_DIR",
                      help="start from a trained one-style model (same preset): every font first draws as it")
    base.add_argument("--loss", action="append", default=[], metavar="TERM=WEIGHT",
                      help="set one loss weight (repeatable), as for `segan train style`")
    _common(base)
    base.set_defaults(func=run_base)

    finetune = train_sub.add_parser(
        "finetune",
        help="learn a new calligrapher's hand from a few hundred glyphs, starting from a base or a trained style",
        description="Fine-tune a base (by default the bundled many-hands base) or a trained style on a small dataset "
        "(segan scans import, or segan data build --target-dir) and install the result as your own style: it appears "
        "in `segan styles list`, the app's style picker and `segan batch --style NAME`. The snapshot is chosen on the "
        "dataset's dev characters.",
    )
    finetune.add_argument("--base", default=DEFAULT_BASE, metavar="STYLE_OR_DIR",
                          help=f"a bundled base ({', '.join(BASES)}), a style with a model, or a model folder "
                          f"(default {DEFAULT_BASE})")
    finetune.add_argument("--data", type=Path, required=True, help="the writer's dataset folder")
    finetune.add_argument("--name", required=True, help="name of the new style (its folder in your styles)")
    finetune.add_argument("--recipe", choices=sorted(RECIPES), default=DEFAULT_RECIPE,
                          help=f"few-shot recipe (default {DEFAULT_RECIPE}): {describe_recipes()}")
    finetune.add_argument("--cpu-budget", type=cli_args.minutes, default=DEFAULT_CPU_BUDGET, metavar="MINUTES",
                          help=f"stop once training has used this much CPU time (default {DEFAULT_CPU_BUDGET:g})")
    finetune.add_argument("--max-steps", type=cli_args.positive_int, help="stop after this many steps")
    finetune.add_argument("--threads", type=cli_args.threads, help="CPU threads (default: all cores)")
    finetune.add_argument("--skeleton", type=Path, help="skeleton GAN folder (default: the bundled one)")
    finetune.add_argument("--out", type=Path, help="model folder to write (default: your styles folder)")
    finetune.add_argument("--run-dir", type=Path, help="where the run and its snapshots go (default: your data folder)")
    finetune.add_argument("--resume", action="store_true", help="continue a stopped fine-tune of the same name")
    finetune.add_argument("--overwrite", action="store_true",
                          help="--out may be a folder that is not a fine-tuned style (only the style's own files "
                          "are replaced)")
    finetune.add_argument("--no-placement", action="store_true",
                          help="train on the writer's glyphs as they sit in the boxes (default: their median size and "
                          "position are taken off for training and put back on every glyph the style draws)")
    finetune.add_argument("--no-ink-match", action="store_true",
                          help="draw the fit's glyphs as the network leaves them (default: with the ink gain whose "
                          "glyphs of the writer's dev characters carry the most ink up to their own: the writer's "
                          "stroke weight)")
    finetune.add_argument("--start-code", choices=START_CODES, default="nearest",
                          help="from a many-hands base: start the writer's style code at the base's code whose glyphs "
                          "overlap the writer's most (nearest, the default) or at the mean of its codes (mean)")
    finetune.add_argument("--bf16", choices=BF16_SETTINGS, default="off",
                          help="CPU bfloat16 autocast (default off: it read 0.045 lower on the dev split, "
                          "docs/training.md); auto = on where the CPU has AVX512-BF16 or AMX")
    finetune.add_argument("--checkpoint-every", type=cli_args.positive_int, metavar="STEPS",
                          help="steps between the snapshots the choice is made from (default 50)")
    finetune.add_argument("--select-by", choices=sorted(CRITERIA), default="iou",
                          help="the dev score that chooses the snapshot (default iou: the closest ink among those "
                          "that read, see --select-min-ratio)")
    finetune.add_argument("--select-min-ratio", type=cli_args.ratio, default=0.9, metavar="R",
                          help="only snapshots whose dev characters read at least R x the writer's own glyphs "
                          "(default 0.9; 0: every snapshot; none does: the most readable)")
    finetune.add_argument("--without-start", action="store_true",
                          help="choose among the fit's own snapshots only, not the weights it started from (step 0): "
                          "for a style adapted on its whole font, whose start is another hand")
    finetune.add_argument("--quiet", action="store_true")
    finetune.set_defaults(func=run_finetune)

    upscaler = train_sub.add_parser(
        "upscaler",
        help="train a style's second stage: its 64 px glyphs redrawn crisp at 256 px",
        description="Train the upscaler of one style on its training characters: pairs of (the style model's "
        "64 px output or a degraded real glyph, the real glyph at 256 px). The run folder is resumable; --install "
        "copies the result into the style's model folder (<model>/upscaler/), where segan batch, the app's preview "
        "and segan eval upscaler find it.",
    )
    add_style_and_data(upscaler)
    upscaler.add_argument("--out", type=Path, required=True, help="run folder")
    upscaler.add_argument("--cpu-budget", type=cli_args.minutes, default=20.0, metavar="MINUTES",
                          help="stop once the training steps have used this much CPU time (default 20)")
    upscaler.add_argument("--max-steps", type=cli_args.positive_int, help="stop after this many steps in total")
    upscaler.add_argument("--threads", type=cli_args.threads, help="CPU threads (default: all cores)")
    upscaler.add_argument("--resume", action="store_true", help="continue the run in --out where it stopped")
    upscaler.add_argument("--overwrite", action="store_true",
                          help="train into a non-empty --out that is not a training run")
    upscaler.add_argument("--install", action="store_true",
                          help="when the run ends (not cancelled), copy it into the style's model folder as upscaler/")
    upscaler.add_argument("--max-chars", type=cli_args.count_or_all,
                          help="training characters to use (default 2000; 0 = all)")
    upscaler.add_argument("--real-fraction", type=cli_args.fraction,
                          help="share of inputs that are degraded real glyphs instead of generator outputs "
                          "(default 1.0: generator-output pairs teach the network to thicken strokes, which raises "
                          "ink IoU and lowers readability; docs/training.md section 5)")
    upscaler.add_argument("--snapshots", type=Path, nargs="+", default=[], metavar="MODEL_DIR",
                          help="earlier snapshots of the style's run: their outputs are inputs too")
    upscaler.add_argument("--channels", type=cli_args.positive_int, help="network width (default 32)")
    upscaler.add_argument("--blocks", type=cli_args.positive_int, help="residual blocks (default 3)")
    upscaler.add_argument("--no-source", action="store_true",
                          help="the network sees the generated glyph only, not the source glyph too")
    upscaler.add_argument("--batch-size", type=cli_args.batch_size)
    upscaler.add_argument("--lr", type=cli_args.learning_rate,
                          help="learning rate (default 0.001, decayed over the second half)")
    upscaler.add_argument("--seed", type=cli_args.seed)
    upscaler.add_argument("--max-ink-ratio", type=cli_args.ratio, default=DEFAULT_MAX_INK_RATIO, metavar="RATIO",
                          help="the ink gain calibrated at the end may make the glyphs at most this much heavier "
                          f"than the real font on the training characters (default {DEFAULT_MAX_INK_RATIO:g})")
    upscaler.add_argument("--quiet", action="store_true")
    upscaler.set_defaults(func=run_upscaler)

    calibrate = train_sub.add_parser(
        "calibrate-upscaler",
        help="calibrate an upscaler's ink gain to a style model (again, e.g. after the style model changed)",
        description="Generate the style's training characters, score the upscaler's output at every ink gain "
        "against the real glyphs (ink IoU and ink weight) and write the chosen gain into the upscaler's "
        "config.json: the best ink IoU among the gains whose glyphs are at most --max-ink-ratio x as heavy as "
        "the real font's. Training ends with this step; run it alone for an installed upscaler or a new model.",
    )
    add_style_and_data(calibrate)
    calibrate.add_argument("--upscaler", type=Path, metavar="DIR",
                           help="an upscaler run or folder (default: the style's own <model>/upscaler)")
    calibrate.add_argument("--max-ink-ratio", type=cli_args.ratio, default=DEFAULT_MAX_INK_RATIO, metavar="RATIO",
                           help="the heaviest allowed output, in x the real font's ink "
                           f"(default {DEFAULT_MAX_INK_RATIO:g})")
    calibrate.add_argument("--max-chars", type=cli_args.positive_int, default=500,
                           help="training characters to score (default 500)")
    calibrate.add_argument("--quiet", action="store_true")
    calibrate.set_defaults(func=run_calibrate_upscaler)

    baseline = train_sub.add_parser(
        "baseline", help="train the zi2zi-style pix2pix baseline (U-Net, PatchGAN, L1 x100) for comparisons"
    )
    baseline.add_argument(
        "--data", type=Path, nargs="+", required=True, help="dataset folder(s); several = one category each"
    )
    baseline.add_argument(
        "--no-category-embedding", action="store_true", help="pix2pix without zi2zi's style embedding (one dataset)"
    )
    _common(baseline)
    baseline.set_defaults(func=run_baseline)


def _configs(args: argparse.Namespace, kind: RunKind) -> tuple[ModelConfig | BaselineConfig, TrainConfig]:
    configs = resolve_run_configs(
        kind,
        args.out,
        resume=args.resume,
        preset=args.preset,
        categories=(0 if args.no_category_embedding else len(args.data)) if kind == "baseline" else 1,
        new_model=dict(
            skeleton_encoder=False if getattr(args, "no_skeleton_encoder", False) else None,
            skeleton_discriminator=False if getattr(args, "no_skeleton_discriminator", False) else None,
            attention=getattr(args, "attention", None),
            skips=getattr(args, "skips", None),
            ngf=args.ngf,
            style_codes=len(args.data) if args.func is run_base else None,
            style_dim=getattr(args, "style_dim", None),
        ) if kind == "segan" else None,
        new_train=dict(
            seed=args.seed,
            batch_size=args.batch_size,
            learning_rate=args.lr,
            compile=args.compile,
            channels_last=args.channels_last,
            # the many-hands base is one-way (G_A): its data are paired and the cycle would double the step
            bidirectional=False if getattr(args, "one_direction", False) or args.func is run_base else None,
            ema_decay=getattr(args, "ema", None),
        ),
        # a new run resolves auto now and records the choice; a resumed one keeps it unless --bf16 is given
        bf16=args.bf16 if getattr(args, "resume", False) else (args.bf16 or "auto"),
        always=dict(
            num_threads=args.threads,
            checkpoint_every=args.checkpoint_every,
            keep_snapshots=args.keep_snapshots,
            lr_decay_start=args.lr_decay_start,
        ),
        max_steps=args.max_steps,
    )
    if not getattr(args, "quiet", False):
        for note in configs.notes:
            print(f"segan: {note}", file=sys.stderr)
    train = configs.train
    if not configs.resumed:  # loss weights are relative to the recipe's own
        train = with_overrides(train, losses=_loss_weights(train.losses, getattr(args, "loss", [])))
    return configs.model, train


def _loss_weights(base: LossWeights, settings: list[str]) -> LossWeights | None:
    """``["cam=10", "pixel=50"]`` -> ``base`` with those weights; ``None`` when nothing is set."""
    if not settings:
        return None
    names = {f.name for f in dataclasses.fields(LossWeights)}
    changes: dict[str, float] = {}
    for setting in settings:
        name, sep, value = setting.partition("=")
        if not sep or name not in names:
            raise SeganError(f"--loss {setting!r}: expected TERM=WEIGHT with TERM one of {', '.join(sorted(names))}")
        try:
            changes[name] = float(value)
        except ValueError:
            raise SeganError(f"--loss {setting!r}: {value!r} is not a number") from None
        if not 0 <= changes[name] < float("inf"):  # NaN fails both comparisons
            raise SeganError(f"--loss {setting!r}: a weight is a finite number, 0 or more")
    return dataclasses.replace(base, **changes)


def _options(args: argparse.Namespace, train: TrainConfig) -> RunOptions:
    return RunOptions(
        out=args.out,
        max_steps=train.max_steps,
        time_budget_minutes=args.time_budget,
        cpu_budget_minutes=args.cpu_budget,
        resume=args.resume,
        device=args.device,
        init_from=getattr(args, "init_from", None),
        overwrite=args.overwrite,
    )


def _run(job: Iterator[Progress], quiet: bool) -> int:
    """Drive a training job; Ctrl-C ends it with a checkpoint, reported like any other stop (exit 0). A cancel
    before the first step kept nothing: that plain Cancelled goes on to the CLI (exit 130)."""
    try:
        result: TrainResult = drive(job, quiet=quiet)
    except TrainingCancelled as stopped:
        result = stopped.result
    return _report(result)


def _report(result: TrainResult) -> int:
    print(
        f"{result.reason}: step {result.step}, checkpoint in {result.out} "
        f"({result.seconds / 60:.1f} min of training, {result.cpu_seconds / 60:.1f} CPU min)"
    )
    return 0


def run_skeleton(args: argparse.Namespace) -> int:
    model, train = _configs(args, "skeleton-gan")
    job = train_skeleton_gan(args.data, model, train, _options(args, train), cancel_on_signals())
    return _run(job, args.quiet)


def run_style(args: argparse.Namespace) -> int:
    model, train = _configs(args, "segan")
    job = train_style(args.data, args.skeleton, model, train, _options(args, train), cancel_on_signals())
    return _run(job, args.quiet)


def run_base(args: argparse.Namespace) -> int:
    model, train = _configs(args, "segan")
    job = train_many_hands(args.data, args.skeleton, model, train, _options(args, train), cancel_on_signals())
    return _run(job, args.quiet)


def run_baseline(args: argparse.Namespace) -> int:
    model, train = _configs(args, "baseline")
    job = train_baseline(args.data, model, train, _options(args, train), cancel_on_signals())
    return _run(job, args.quiet)


def run_finetune(args: argparse.Namespace) -> int:
    request = FinetuneRequest(
        base=args.base,
        data=args.data,
        name=args.name,
        recipe=args.recipe,
        cpu_budget_minutes=args.cpu_budget,
        max_steps=args.max_steps,
        threads=args.threads or 0,
        skeleton_gan=args.skeleton,
        run_dir=args.run_dir,
        out=args.out,
        resume=args.resume,
        overwrite=args.overwrite,
        bf16=args.bf16,
        placement=not args.no_placement,
        match_ink=not args.no_ink_match,
        start_code=args.start_code,
        checkpoint_every=args.checkpoint_every,
        select_by=args.select_by,
        select_min_ratio=args.select_min_ratio or None,
        keep_start=not args.without_start,
    )
    if not args.quiet:
        print(f"segan: {resolve_bf16(args.bf16)[1]}", file=sys.stderr)
    try:
        result = drive(finetune(request, cancel_on_signals()), quiet=args.quiet)
    except FinetuneCancelled as stopped:  # a cancel while the data was prepared kept nothing: it goes on
        print(f"cancelled at step {stopped.result.steps}; resume with --resume (run in {stopped.result.run_dir})")
        return 130
    scores = ", ".join(f"{k} {v:g}" for k, v in result.dev_scores.items() if k in ("content_accuracy", "iou"))
    print(
        f"new style {result.out.name}: {result.snapshot} of {result.steps} steps, {result.cpu_minutes:.1f} CPU min; "
        f"dev {scores}; in {result.out}"
    )
    if result.ink is not None:
        print(f"stroke weight: {result.ink.describe()}")
    if result.verdict is not None:
        print(f"the new style {result.verdict.text}")
    return 0


def add_style_and_data(parser: argparse.ArgumentParser) -> None:
    """--style, --data and --target-font: the style model, its dataset, and the real font the dataset came from."""
    parser.add_argument("--style", required=True, metavar="STYLE_OR_DIR",
                        help="the style (a style with a model, or a model folder)")
    parser.add_argument("--data", type=Path, required=True,
                        help="the style's 64 px dataset folder (segan data build --target FONT)")
    parser.add_argument("--target-font", type=Path,
                        help="the dataset's target font file (default: found by the name in its manifest)")


def run_upscaler(args: argparse.Namespace) -> int:
    from segan_core.model.upscaler import UpscalerConfig
    from segan_core.styles import model_folder
    from segan_core.upscale.train import (
        DEFAULT_TRAIN,
        CalibrationCancelled,
        UpscalerRun,
        install_upscaler,
        train_upscaler,
    )

    folder = model_folder(args.style)
    network = with_overrides(
        UpscalerConfig(), channels=args.channels, blocks=args.blocks, inputs="generated" if args.no_source else None
    )
    train = with_overrides(
        DEFAULT_TRAIN, batch_size=args.batch_size, learning_rate=args.lr, seed=args.seed, num_threads=args.threads
    )
    defaults = UpscalerRun(model=folder, data=args.data, out=args.out)
    run = dataclasses.replace(
        defaults,
        network=network,
        train=train,
        max_chars=defaults.max_chars if args.max_chars is None else args.max_chars,
        real_fraction=defaults.real_fraction if args.real_fraction is None else args.real_fraction,
        extra_generators=tuple(args.snapshots),
        target_font=args.target_font,
        max_ink_ratio=args.max_ink_ratio,
        max_steps=args.max_steps,
        cpu_budget_minutes=args.cpu_budget,
        resume=args.resume,
        overwrite=args.overwrite,
    )
    if not 0.0 <= run.real_fraction <= 1.0:
        raise SeganError(f"--real-fraction {run.real_fraction:g}: give a share between 0 and 1")
    try:
        result = drive(train_upscaler(run, cancel_on_signals()), quiet=args.quiet)
    except CalibrationCancelled as stopped:  # trained and saved; only the calibration is missing
        _report(stopped.result)
        print(stopped)
        return _not_installed(args.install)
    except TrainingCancelled as stopped:
        _report(stopped.result)
        return _not_installed(args.install)
    except Cancelled:  # cancelled while the pairs were built: nothing to resume from yet
        print("cancelled before training started")
        return 130
    _report(result)
    _print_calibration(args.out)
    if args.install:
        print(f"installed the upscaler in {install_upscaler(args.out, folder)}")
    return 0


def _not_installed(install: bool) -> int:
    """A cancelled upscaler run is kept, never installed: exit 130 when --install was asked, else 0."""
    if install:
        print("cancelled: not installed; resume with --resume")
        return 130
    return 0


def _print_calibration(folder: Path) -> None:
    from segan_core.model.checkpoint import CONFIG_FILE, read_config
    from segan_core.upscale.calibration import format_calibration, read_calibration

    calibration = read_calibration(read_config(folder), f"{folder}/{CONFIG_FILE}")
    if calibration is not None:
        print(format_calibration(calibration))


def run_calibrate_upscaler(args: argparse.Namespace) -> int:
    from segan_core.styles import model_folder
    from segan_core.upscale.stage import upscaler_folder
    from segan_core.upscale.train import CalibrationRequest, calibrate_upscaler

    folder = model_folder(args.style)
    upscaler = args.upscaler or upscaler_folder(folder)
    if upscaler is None:
        raise SeganError(f"{folder} has no upscaler (expected {folder / 'upscaler'}); pass --upscaler DIR")
    if args.max_chars < 1:
        raise SeganError(f"--max-chars {args.max_chars}: give 1 or more")
    request = CalibrationRequest(model=folder, data=args.data, upscaler=Path(upscaler), max_chars=args.max_chars,
                                 max_ink_ratio=args.max_ink_ratio, target_font=args.target_font)  # fmt: skip
    try:
        drive(calibrate_upscaler(request, cancel_on_signals()), quiet=args.quiet)
    except Cancelled:
        print("cancelled: the upscaler's calibration is unchanged")
        return 130
    _print_calibration(Path(upscaler))
    return 0
