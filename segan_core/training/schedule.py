"""The learning-rate schedule: constant, then a linear decay to 0 over the last part of the run's budget.

(Or, for a trainable that asks for it through ``RunSpec.lr_schedule``, a linear warm-up and a cosine
decay over the budget: :func:`warmup_cosine`, the glyph classifier's schedule.)

U-GAT-IT (its ``decay_flag``) keeps the rate for the first half of training and lowers it linearly
to 0 over the second half; ``TrainConfig.lr_decay_start`` says where the decay begins (1 = never).
Here "training" is whatever budget binds first (``--max-steps``, ``--cpu-budget`` or ``--time-budget``),
so a run stopped by CPU minutes still ends on a fully decayed rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch

INITIAL_LR = "initial_lr"  # the undecayed rate, kept in each param group (and so in the train state)


def budget_fraction(
    step: int,
    max_steps: int,
    cpu_seconds: float = 0.0,
    cpu_budget_s: float | None = None,
    session_seconds: float = 0.0,
    time_budget_s: float | None = None,
) -> float:
    """How far the run is through the budget that will stop it first: 0 at the start, 1 at the end.

    The CPU budget counts every session of a run; the time budget, like ``--time-budget``, this session only.
    """
    parts = [step / max_steps if max_steps > 0 else 1.0]
    if cpu_budget_s is not None:
        parts.append(cpu_seconds / cpu_budget_s if cpu_budget_s > 0 else 1.0)
    if time_budget_s is not None:
        parts.append(session_seconds / time_budget_s if time_budget_s > 0 else 1.0)
    return min(1.0, max(parts))


def decay_factor(fraction: float, decay_start: float) -> float:
    """1 until ``decay_start`` of the budget, then linearly down to 0 at its end (``decay_start`` 1 = constant)."""
    if fraction <= decay_start:
        return 1.0
    return max(0.0, (1.0 - fraction) / (1.0 - decay_start))


def warmup_cosine(warmup_steps: int) -> Callable[[int, float], float]:
    """A schedule for ``RunSpec.lr_schedule``: (step, budget fraction) -> factor of the initial rate.

    A linear warm-up over the first ``warmup_steps`` steps (from 1/warmup_steps to 1), then half a cosine from
    1 to 0 over the run's budget (the fraction of ``budget_fraction``, so a budget-bound run ends decayed too).
    """

    def factor(step: int, fraction: float) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, fraction)))

    return factor


def remember_initial_rates(optimizers: Iterable[torch.optim.Optimizer]) -> None:
    """Record each group's undecayed rate once; a resumed run finds it in the restored param groups."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group.setdefault(INITIAL_LR, group["lr"])


def set_rates(optimizers: Iterable[torch.optim.Optimizer], factor: float) -> float:
    """Scale every group to ``factor`` × its initial rate; returns the first group's new rate (for the log)."""
    rates = []
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] = group[INITIAL_LR] * factor
            rates.append(group["lr"])
    return float(rates[0]) if rates else 0.0
