"""Style codes of a many-hands generator (``ModelConfig.style_codes``, issue 32), between checkpoints.

A many-hands base has one learned code per training font. A new writer's model has one code, its own,
which starts at the code of the base that draws the writer's glyphs closest (:func:`nearest_code`: ink IoU
on a few of the writer's training glyphs, the mean of the codes, the centre of the style space, among the
candidates); a many-hands base may start from a one-style model, whose AdaLIN MLP then sees the codes
through new input columns set to 0, so every font first draws as that style.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from segan_core.config import ModelConfig, from_dict
from segan_core.data.store import GlyphDataset
from segan_core.errors import SeganError
from segan_core.glyphs.ink import ink_iou
from segan_core.model.checkpoint import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    config_body,
    load_module,
    load_tensors,
    read_config,
    save_tensors_atomic,
    write_config,
)
from segan_core.model.segan import Generator
from segan_core.model.tensors import thicken_stack, to_tensor, to_uint8

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
        tensors[CODES] = tensors[CODES].float().mean(dim=0, keepdim=True)  # write_writer_start may choose another
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


MEAN_CODE = "mean"  # the centre of the base's style space, the start when no writer's glyphs are at hand
START_GLYPHS = 32  # the writer's training glyphs each candidate code draws (27 codes x 32 glyphs: ~12 CPU s)


@dataclass(frozen=True)
class StartCode:
    """Where a new writer's code starts: one of the base's codes (its font's index and name) or their mean."""

    index: int | None  # None: the mean code
    font: str  # the training font whose code it is, or MEAN_CODE
    iou: float  # ink IoU of its glyphs against the writer's, on the glyphs tried
    mean_iou: float  # the same for the mean code (the centre of the base's style space, --start-code mean)
    glyphs: int
    cpu_seconds: float

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def base_fonts(config: dict) -> list[str]:
    """The names of a many-hands base's training fonts, in code order (its i-th dataset is code i)."""
    datasets = config.get("data", {}).get("datasets", [])
    return [str(d.get("target", {}).get("name", f"font {i}")) for i, d in enumerate(datasets)]


def _many_hands_config(base: Path) -> tuple[dict, ModelConfig]:
    """``base``'s config.json and model config, refused when it has no style codes."""
    config = read_config(base, kind="segan")
    saved = from_dict(ModelConfig, config["model"], f"{base}/{CONFIG_FILE} model")
    if not saved.is_many_hands:
        raise SeganError(f"{base} is not a many-hands base (it has {saved.style_codes} style codes)")
    return config, saved


def nearest_code(base: Path, data: Path, glyphs: int = START_GLYPHS) -> StartCode:
    """The base's code (or the mean of its codes) whose glyphs overlap the writer's training glyphs most.

    ``data`` is what the fit trains on (the writer's glyphs with their placement taken off). The encoders
    run once; only the AdaLIN decoder runs again for each candidate code.
    """
    started = time.process_time()
    config, saved = _many_hands_config(base)
    generator = Generator(saved)
    load_module(generator, load_tensors(base / WEIGHTS_FILE), "generator", base / WEIGHTS_FILE)
    generator.eval()
    train = GlyphDataset(data).split("train")
    if not len(train):
        raise SeganError(f"{data} has no training glyphs to choose a start from")
    rows = np.unique(np.linspace(0, len(train) - 1, min(glyphs, len(train))).round().astype(int))
    source = to_tensor(train.source[rows])
    skeleton = to_tensor(thicken_stack(train.source_skeleton[rows], saved.skeleton_width))
    codes = generator.style_embedding.weight.detach()
    candidates = torch.cat([codes, codes.mean(dim=0, keepdim=True)])
    scores = []
    with torch.inference_mode():
        features = generator.encode(source, skeleton)
        for code in candidates:
            drawn = to_uint8(generator.decode(features, code.expand(len(rows), -1)))
            scores.append(float(ink_iou(drawn, train.target[rows]).mean()))
    best, mean = int(np.argmax(scores)), len(codes)
    names = base_fonts(config)
    return StartCode(
        index=None if best == mean else best,
        font=MEAN_CODE if best == mean else (names[best] if best < len(names) else f"font {best}"),
        iou=round(scores[best], 4), mean_iou=round(scores[mean], 4), glyphs=len(rows),
        cpu_seconds=round(time.process_time() - started, 2),
    )  # fmt: skip


def recorded_start(folder: Path) -> StartCode | None:
    """The start code a writer's start folder (:func:`write_writer_start`) was made with; None: none there, or the
    mean code."""
    if not (folder / CONFIG_FILE).is_file():
        return None
    code = read_config(folder, kind="segan").get("base", {}).get("code")
    if not isinstance(code, dict):
        return None
    try:
        return StartCode(**{f.name: code[f.name] for f in dataclasses.fields(StartCode)})
    except (KeyError, TypeError):
        return None


def write_writer_start(base: Path, out: Path, start: StartCode | None = None) -> Path:
    """A one-code model folder from the many-hands ``base``: what a new writer's fit starts from.

    Its code is ``start``'s (:func:`nearest_code`), or the mean of the base's codes, the base's "average hand",
    which the new-hand benchmark scores as the un-tuned base.
    """
    config, saved = _many_hands_config(base)
    model = saved.for_writer()
    trained = load_tensors(base / WEIGHTS_FILE)
    tensors = fit_style_codes(trained, saved, model, None, base)
    if start is not None and start.index is not None:
        tensors[CODES] = trained[CODES].float()[start.index : start.index + 1].clone()
    out.mkdir(parents=True, exist_ok=True)
    save_tensors_atomic(out / WEIGHTS_FILE, {k: v.contiguous() for k, v in tensors.items()})
    body = config_body(config)
    code = start.to_json() if start is not None else MEAN_CODE
    write_config(out, "segan", body | {"model": dataclasses.asdict(model), "base": {"path": str(base), "code": code}})
    return out
