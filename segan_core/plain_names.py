"""Plain words for what a training run reports: loss names and fine-tuning recipes.

The logs, ``config.json`` and the command line keep the technical names (``adv``, ``g_total``, ``all-nocam``);
whatever a person reads on screen says what the number or recipe means, with the paper's term beside it
(the app puts it in a tooltip). This is the one mapping; the app imports it (the core never imports Qt).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlainName:
    plain: str  # what it means, for someone who never read the paper
    term: str  # the technical name and the paper's term


METRICS: dict[str, PlainName] = {
    "adv": PlainName("looks real (adversarial)",
                     "adv: L_adv, the adversarial loss: how far the image discriminator is from taking the "
                     "generated glyphs for the brush font's (LSGAN)"),
    "skeleton_adv": PlainName("skeleton looks real (adversarial)",
                              "skeleton_adv: the skeleton discriminator's adversarial loss on the skeleton of the "
                              "generated glyph (SE-GAN)"),
    "skeleton_consistency": PlainName("skeleton matches the target",
                                      "skeleton_consistency: L_skeleton, the L1 distance between the skeleton GAN's "
                                      "skeletons of the generated and the target glyph (SE-GAN)"),
    "pixel": PlainName("pixels match the target", "pixel: L_pixel, the L1 distance to the target glyph"),
    "l1": PlainName("pixels match the target (L1)", "l1: the L1 distance to the target glyph"),
    "dice": PlainName("ink overlaps the target (Dice)", "dice: L_dice, 1 minus the Dice overlap of the ink"),
    "cycle": PlainName("round trip back to the source (cycle)",
                       "cycle: L_cycle, the cycle-consistency loss: source → brush → source (U-GAT-IT)"),
    "cam": PlainName("source/target attention (CAM)",
                     "cam: L_cls, the auxiliary classifier's loss behind the class activation maps (CAM) "
                     "that tell the source from the target (U-GAT-IT)"),
    "identity": PlainName("brush glyphs kept as they are (identity)",
                          "identity: L_identity, the L1 change when a brush glyph goes through its own generator"),
    "constancy": PlainName("content kept (constancy)",
                           "constancy: the zi2zi constancy loss, the encoding of the generated glyph against the "
                           "source's"),
    "category": PlainName("right style picked (category)", "category: the zi2zi category (style) classification loss"),
    "g_total": PlainName("generator total", "g_total: L_G, the generator's weighted sum of its losses"),
    "d_total": PlainName("discriminators total", "d_total: L_D, the discriminators' loss"),
    "loss": PlainName("classifier loss", "loss: the classifier's cross-entropy"),
}

RECIPES: dict[str, PlainName] = {
    "decoder": PlainName("Relearn the brush strokes only", "recipe decoder: the AdaLIN decoder learns"),
    "all-nocam": PlainName("Relearn the whole network", "recipe all-nocam: the whole generator learns, without L_cls"),
    "code": PlainName("Find your hand among the base's hands only",
                      "recipe code: the writer's style code (many-hands base)"),
    "code+adalin": PlainName("Find your hand, and relearn the stroke mapping",
                             "recipe code+adalin: the style code and its AdaLIN MLP (many-hands base)"),
    "base-recipe": PlainName("Train as the base style was trained", "recipe base-recipe: the base's own recipe"),
}


def metric_name(name: str) -> str:
    """The plain name of a logged metric (an unknown one keeps its own)."""
    entry = METRICS.get(name)
    return entry.plain if entry else name


def metric_term(name: str) -> str:
    """The technical name and the paper's term of a logged metric (for a tooltip)."""
    entry = METRICS.get(name)
    return entry.term if entry else name


def recipe_label(name: str) -> str:
    """The plain label of a fine-tuning recipe (an unknown one keeps its own name)."""
    entry = RECIPES.get(name)
    return entry.plain if entry else name


def recipe_term(name: str) -> str:
    entry = RECIPES.get(name)
    return entry.term if entry else f"recipe {name}"
