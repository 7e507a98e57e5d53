"""Style codes of a many-hands generator (``ModelConfig.style_codes``, issue 32), between checkpoints.

A many-hands base has one learned code per training font. A new writer's model has one code, its own,
which starts at the mean of the base's codes (the centre of the style space the base learned); a
many-hands base may start from a one-style model, whose AdaLIN MLP then sees the codes through new input
columns set to 0, so every font first draws as that style.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from segan_core.config import ModelConfig, from_dict
from segan_core.errors import SeganError
from segan_core.model.checkpoint import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    load_tensors,
    read_config,
    save_tensors_atomic,
    write_config,
)

CODES = "generator.style_embedding.weight"
MLP_INPUT = "generator.decoder.mlp.0.weight"


def fit_style_codes(
    tensors: dict[str, torch.Tensor],
    saved: ModelConfig,
    model: ModelConfig,
    fresh_codes: torch.Tensor | None,
    where: Path,
) -> dict[str, torch.Tensor]:
    """``saved``'s generator tensors reshaped for ``model``'s style codes.

    ``fresh_codes``: the (style_codes, style_dim) table a many-hands model starts with when ``saved`` has none.
    """
    if saved.style_codes == model.style_codes and (not model.style_codes or saved.style_dim == model.style_dim):
        return tensors
    tensors = dict(tensors)
    if saved.style_codes and model.style_codes == 1 and saved.style_dim == model.style_dim:  # a new writer
        tensors[CODES] = tensors[CODES].float().mean(dim=0, keepdim=True)
    elif not saved.style_codes and model.style_codes and fresh_codes is not None:  # a many-hands base from one style
        weight = tensors[MLP_INPUT].float()
        tensors[MLP_INPUT] = torch.cat([weight, weight.new_zeros(weight.shape[0], model.style_dim)], dim=1)
        tensors[CODES] = fresh_codes.detach().clone()
    else:
        raise SeganError(
            f"cannot start a model with {model.style_codes} style codes of {model.style_dim} from {where} "
            f"({saved.style_codes} codes of {saved.style_dim})"
        )
    return tensors


def write_writer_start(base: Path, out: Path) -> Path:
    """A one-code model folder from the many-hands ``base``: what a new writer's fit starts from (its mean code).

    It draws the base's "average hand"; the new-hand benchmark scores it as the un-tuned base.
    """
    config = read_config(base, kind="segan")
    saved = from_dict(ModelConfig, config["model"], f"{base}/{CONFIG_FILE} model")
    if not saved.is_many_hands:
        raise SeganError(f"{base} is not a many-hands base (it has {saved.style_codes} style codes)")
    model = saved.for_writer()
    tensors = fit_style_codes(load_tensors(base / WEIGHTS_FILE), saved, model, None, base)
    out.mkdir(parents=True, exist_ok=True)
    save_tensors_atomic(out / WEIGHTS_FILE, {k: v.contiguous() for k, v in tensors.items()})
    body = {k: v for k, v in config.items() if k not in ("format", "version", "kind")}
    write_config(out, "segan", body | {"model": dataclasses.asdict(model), "base": {"path": str(base), "code": "mean"}})
    return out
