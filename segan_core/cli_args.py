"""Argument checks shared by every ``segan`` command: a bad number is refused at the door.

Each validator is an argparse ``type=`` function. A value out of range raises
:class:`argparse.ArgumentTypeError`; :class:`SeganArgumentParser` turns that (and every other
usage error) into a :class:`UsageError`, which the CLI prints as one ``segan: error:`` line naming
the flag, exit code 2, before any folder is made or any file is read.

Each flag's range is declared here once; ``train style``, ``train base``, ``train skeleton``,
``train baseline``, ``train finetune``, ``train upscaler`` and ``eval`` share them.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import NoReturn

from segan_core.errors import SeganError

MAX_BATCH_SIZE = 1024  # a batch beyond this would not fit in memory at 64 px (a whole GB2312 train split is ~5,400)
MAX_SEED = 2**32 - 1  # numpy's legacy seeding takes 0 .. 2**32 - 1
MAX_THREADS = 1024
MAX_LEARNING_RATE = 1.0


class UsageError(SeganError):
    """A command line argparse refused: a missing, unknown or out-of-range argument."""


class SeganArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (a :class:`UsageError`), not usage text and exit 2.

    Sub-parsers inherit the class (``add_subparsers`` uses ``type(self)``)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _number(text: str, kind: type[int] | type[float]) -> int | float:
    try:
        value = kind(text)
    except ValueError:
        expected = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def int_range(low: int, high: int | None = None, note: str = "") -> Callable[[str], int]:
    """An integer in ``[low, high]`` (no upper bound when ``high`` is None)."""

    def check(text: str) -> int:
        value = int(_number(text, int))
        if value < low or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"must be {span}{note}, got {value}")
        return value

    return check


def float_range(
    low: float, high: float | None = None, low_open: bool = False, note: str = ""
) -> Callable[[str], float]:
    """A finite number in ``[low, high]`` (``(low, high]`` when ``low_open``; no upper bound when ``high`` is None)."""

    def check(text: str) -> float:
        value = float(_number(text, float))
        if value < low or (low_open and value == low) or (high is not None and value > high):
            bottom = f"above {low:g}" if low_open else f"at least {low:g}"
            span = f"{bottom} and at most {high:g}" if high is not None else bottom
            raise argparse.ArgumentTypeError(f"must be {span}{note}, got {text!r}")
        return value

    return check


# -- the shared validators: one per kind of flag ----------------------------------------------------------

positive_int = int_range(1)  # --checkpoint-every, --max-steps, --epochs, --ngf, --channels, --blocks ...
count_or_all = int_range(0, note=" (0 = all)")  # eval --limit, --max-chars
batch_size = int_range(1, MAX_BATCH_SIZE)
seed = int_range(0, MAX_SEED)
threads = int_range(0, MAX_THREADS, note=" (0 = all cores)")
learning_rate = float_range(0.0, MAX_LEARNING_RATE, low_open=True)
minutes = float_range(0.0, low_open=True)  # --cpu-budget, --time-budget, --max-cpu-minutes
minutes_or_unlimited = float_range(0.0, note=" (0 = no limit)")  # train-classifier --max-minutes
fraction = float_range(0.0, 1.0)  # --real-fraction
ratio = float_range(0.0)  # --min-ratio, --max-ink-ratio
non_negative = float_range(0.0)  # eval select --max-cpu-minutes
