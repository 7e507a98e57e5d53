"""``segan eval``: evaluate models against a dataset split (the SE-GAN paper's Table 1).

    segan eval --model DIR|font:PATH --data DIR [--split test] --out REPORT_DIR
    segan eval compare MODEL... --data DIR --out REPORT_DIR
    segan eval select RUN --data DIR --out MODEL_DIR [--split dev] [--by content_accuracy] [--min-ratio R]
    segan eval train-classifier --out models/evaluator
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from segan_core import cli_args
from segan_core.commands.progress import cancel_on_signals, drive
from segan_core.data.split import SPLITS
from segan_core.model_folder import CONFIG_FILE
from segan_core.outputs import check_output_dir
from segan_core.styles import parse_style_ref


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser(
        "eval",
        help="evaluate models: content accuracy, Fréchet distance, paired metrics",
        description="Evaluate a model (a checkpoint folder, or font:PATH for a real font) on a dataset split.",
    )
    ev.add_argument("--model", help="checkpoint folder, or font:PATH to evaluate a real font as a model")
    ev.add_argument("--write-metrics", action="store_true",
                    help="also write metrics.json into the model folder (read by `segan styles list`)")
    _add_common(ev)
    ev.set_defaults(func=run_eval)
    ev_sub = ev.add_subparsers(dest="eval_command", metavar="ACTION")
    ev_sub.required = False

    compare = ev_sub.add_parser("compare", help="one table with a row per model plus the real font")
    compare.add_argument("models", nargs="+", help="checkpoint folders and/or font:PATH entries")
    _add_common(compare)
    compare.set_defaults(func=run_compare)

    select = ev_sub.add_parser(
        "select",
        help="evaluate a run's snapshots (--keep-snapshots) on the dev split; copy the best to --out",
    )
    select.add_argument("run", type=Path, help="training run folder with snapshots/")
    select.add_argument(
        "--by",
        default="content_accuracy",
        help="metric to maximise (ties: ink IoU); content_accuracy, iou, ssim, or frechet / l1 (minimised)",
    )
    select.add_argument("--max-cpu-minutes", type=cli_args.non_negative, metavar="MINUTES",
                        help="only snapshots taken within this much training CPU time (equal-compute comparisons)")
    select.add_argument("--min-ratio", type=cli_args.ratio, metavar="R",
                        help="only snapshots whose content accuracy is at least R x the real font's "
                             "(e.g. --by iou --min-ratio 0.95: the most faithful snapshot that still reads)")
    _add_common(select)
    select.set_defaults(func=run_select, split="dev")

    upscaler = ev_sub.add_parser(
        "upscaler",
        help="score a style's second stage at 256 px: bicubic vs upscaler vs the real font through the 64 px path",
        description="Ink IoU (of the bitmap the tracer gets, and of the traced outline filled again) and content "
        "accuracy at 256 px, em-aligned against the real glyphs rendered at 256 px, on a split of the style's "
        "dataset (default: the first 200 test characters).",
    )
    upscaler.add_argument("--style", required=True, metavar="STYLE_OR_DIR", help="the style (model folder or name)")
    upscaler.add_argument("--data", type=Path, required=True, help="the style's 64 px dataset folder")
    upscaler.add_argument("--split", default="test", choices=SPLITS)
    upscaler.add_argument("--limit", type=cli_args.count_or_all, default=200,
                          help="the first N characters of the split (0 = all)")
    upscaler.add_argument("--upscaler", type=Path, metavar="DIR",
                          help="an upscaler run or folder (default: the style's own <model>/upscaler)")
    upscaler.add_argument("--target-font", type=Path, help="the real font (default: found by the dataset's manifest)")
    upscaler.add_argument("--no-trace", action="store_true", help="skip the traced-outline IoU")
    upscaler.add_argument("--no-ocr", action="store_true", help="skip content accuracy")
    upscaler.add_argument("--json", type=Path, metavar="FILE",
                          help="also write the scores as JSON (a new file, or a previous one of this command)")
    upscaler.add_argument("--overwrite", action="store_true", help="replace an existing --json file that is not "
                          "a previous report of segan eval upscaler")
    upscaler.add_argument("--quiet", action="store_true")
    upscaler.set_defaults(func=run_upscaler_eval)

    train = ev_sub.add_parser("train-classifier", help="train the glyph classifier behind the Fréchet distance")
    from segan_core.resources import SHARED_FONTS_DIR

    train.add_argument("--fonts-dir", type=Path, default=SHARED_FONTS_DIR,
                       help="folder with source/, print/ and brush/ fonts (default: shared/fonts)")
    train.add_argument("--out", type=Path, default=Path("models/evaluator"),
                       help="run folder; its config.json + weights.safetensors are the evaluator")
    train.add_argument("--epochs", type=cli_args.positive_int,
                       help="passes over the training glyphs (default 10; on --resume: the run's own, or more to "
                       "extend it)")
    train.add_argument("--batch-size", type=cli_args.batch_size, default=128)
    train.add_argument("--lr", type=cli_args.learning_rate, default=3e-3,
                       help="peak learning rate (warm-up, then cosine to 0)")
    train.add_argument("--seed", type=cli_args.seed, default=0)
    train.add_argument("--threads", type=cli_args.threads, default=2)
    train.add_argument("--max-chars", type=cli_args.count_or_all, default=0,
                       help="use only this many characters (0 = all)")
    train.add_argument("--max-minutes", type=cli_args.minutes_or_unlimited, default=0.0,
                       help="stop cleanly with a checkpoint after this long (this session; 0 = no limit)")
    train.add_argument("--cpu-budget", type=cli_args.minutes, metavar="MINUTES",
                       help="stop once the whole run (all sessions, all threads) has used this much CPU time")
    train.add_argument("--resume", action="store_true",
                       help="continue the run in --out where it stopped, with its own settings")
    train.add_argument("--overwrite", action="store_true",
                       help="write into a non-empty --out folder that is not a training run (own files only)")
    train.add_argument("--quiet", action="store_true")
    train.set_defaults(func=run_train_classifier)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, help="dataset folder (from `segan data build`)")
    parser.add_argument("--split", default="test", choices=SPLITS)
    parser.add_argument("--out", type=Path, help="report folder to write (report.md, report.json, figures)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write into a non-empty --out that is not a report (only its own files are replaced)")
    parser.add_argument("--limit", type=cli_args.count_or_all, default=0,
                        help="evaluate only the first N characters of the split (0 = all)")
    parser.add_argument("--classifier", type=Path, default=None,
                        help="glyph-classifier folder for the Fréchet distance (default: models/evaluator)")
    parser.add_argument("--inception-weights", type=Path, default=None,
                        help="pytorch-fid's pt_inception weights file: also compute Inception FID")
    parser.add_argument("--no-ocr", action="store_true", help="skip content accuracy")
    parser.add_argument("--cross-dataset", action="store_true",
                        help="allow models trained on another target's dataset (e.g. a base style scored against a "
                        "new writer's glyphs); characters a model trained on are still refused")
    parser.add_argument("--batch-size", type=cli_args.batch_size, default=64)
    parser.add_argument("--quiet", action="store_true")


def run_eval(args: argparse.Namespace) -> int:
    if not args.model:
        print("segan eval: give --model (or use `segan eval compare` / `segan eval train-classifier`)",
              file=sys.stderr)
        return 2
    if args.write_metrics and parse_style_ref(args.model).kind == "font":
        print("segan eval: --write-metrics needs a model folder, not a font", file=sys.stderr)
        return 2
    return _evaluate([args.model], args)


def run_compare(args: argparse.Namespace) -> int:
    return _evaluate(args.models, args)


def run_select(args: argparse.Namespace) -> int:
    from segan_core.evaluation.report import EvalOptions, format_table
    from segan_core.evaluation.selection import select_snapshot

    if args.data is None or args.out is None:
        print("segan eval select: --data and --out are required", file=sys.stderr)
        return 2
    options = EvalOptions(
        split=args.split,
        limit=args.limit or None,
        classifier_dir=args.classifier,
        ocr=not args.no_ocr,
        batch_size=args.batch_size,
    )
    job = select_snapshot(
        args.run, args.data, args.out, options, args.by, max_cpu_minutes=args.max_cpu_minutes, min_ratio=args.min_ratio,
        overwrite=args.overwrite,
    )
    selection = drive(job, quiet=args.quiet)
    print(format_table(selection.report))
    among = f" among those reading >= {args.min_ratio:g} x the real font" if args.min_ratio is not None else ""
    print(f"best by {selection.metric}{among} on {args.split}: {selection.chosen.name} -> {selection.out}")
    return 0


def _evaluate(models: list[str], args: argparse.Namespace) -> int:
    from segan_core.evaluation.report import (
        EVAL_REPORT,
        EvalOptions,
        evaluate_specs,
        format_table,
        write_model_metrics,
        write_report,
    )

    if args.data is None or args.out is None:
        print("segan eval: --data and --out are required", file=sys.stderr)
        return 2
    options = EvalOptions(
        split=args.split, limit=args.limit or None, classifier_dir=args.classifier,
        inception_weights=args.inception_weights, ocr=not args.no_ocr, batch_size=args.batch_size,
        cross_dataset=args.cross_dataset,
    )
    check_output_dir(args.out, EVAL_REPORT, args.overwrite)  # refused before the evaluation, not after
    report = drive(evaluate_specs(models, args.data, options), quiet=args.quiet)
    write_report(report, args.out, args.overwrite)
    print(format_table(report))
    print(f"wrote {args.out}/report.md, report.json and figures")
    if getattr(args, "write_metrics", False) and getattr(args, "model", None):
        print(f"wrote {write_model_metrics(report, Path(args.model))}")
    return 0


def run_train_classifier(args: argparse.Namespace) -> int:
    from segan_core.evaluation.classifier_training import TrainClassifierRequest, train_classifier
    from segan_core.training.engine import TrainingCancelled

    command = "segan " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["eval"] else ""
    request = TrainClassifierRequest(
        fonts_dir=args.fonts_dir, out=args.out, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=args.lr, seed=args.seed, threads=args.threads, max_chars=args.max_chars,
        max_minutes=args.max_minutes, cpu_budget_minutes=args.cpu_budget, resume=args.resume,
        overwrite=args.overwrite, command=command,
    )
    try:
        meta = drive(train_classifier(request, cancel_on_signals()), quiet=args.quiet)
    except TrainingCancelled as stopped:  # (a cancel while the glyphs were rendered kept nothing: it goes on)
        meta = json.loads((args.out / CONFIG_FILE).read_text(encoding="utf-8"))
        print(f"cancelled at step {stopped.result.step}; resume with --resume")
    training = meta["training"]
    print(
        f"wrote {args.out}: {training['epochs_done']} epochs, validation accuracy: character "
        f"{training['val_char_acc']}, font {training['val_font_acc']}"
    )
    return 0


def run_upscaler_eval(args: argparse.Namespace) -> int:
    from segan_core.atomic import write_text_atomic
    from segan_core.evaluation.upscaled import (
        UPSCALE_EVAL,
        UpscaleEvalRequest,
        compare_rows,
        evaluate_upscaler,
        format_upscale_table,
    )
    from segan_core.outputs import check_output_json
    from segan_core.styles import model_folder

    if args.json is not None:  # refused before the evaluation, not after
        check_output_json(args.json, UPSCALE_EVAL, args.overwrite)
    request = UpscaleEvalRequest(
        model=model_folder(args.style), data=args.data, split=args.split, limit=args.limit, upscaler=args.upscaler,
        target_font=args.target_font, traced=not args.no_trace, ocr=not args.no_ocr,
    )  # fmt: skip
    result = drive(evaluate_upscaler(request), quiet=args.quiet)
    print(format_upscale_table(result))
    for line in compare_rows(result):
        print(line)
    if args.json is not None:
        check_output_json(args.json, UPSCALE_EVAL, args.overwrite)
        write_text_atomic(args.json, json.dumps(result.to_json(), ensure_ascii=False, indent=1))
        print(f"wrote {args.json}")
    return 0
