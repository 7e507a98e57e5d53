"""The checks that a model may be evaluated on a dataset split (EvaluationError: segan_core.errors)."""

from __future__ import annotations

from collections.abc import Sequence

from segan_core.data.split import split_of
from segan_core.errors import EvaluationError


def check_compatible(
    name: str,
    model_size: int,
    training_data: dict | None,
    dataset_size: int,
    dataset_hash: str,
    dataset_folder: str,
    split: str,
    split_chars: Sequence[str],
    cross_dataset: bool = False,
) -> None:
    """Raise :class:`EvaluationError` if model ``name`` cannot be fairly evaluated on this split.

    ``training_data`` is the ``"data"`` object of the model's config.json (``size``,
    ``manifest_sha256``, ``splits``); ``None`` (a real font) skips the data checks. ``cross_dataset``
    allows a dataset of another target (a base style scored against a new writer's glyphs); the characters
    the model trained on are still refused.
    """
    if model_size != dataset_size:
        raise EvaluationError(
            f"model {name} makes {model_size} px glyphs but dataset {dataset_folder} is {dataset_size} px"
        )
    if not training_data:
        return
    trained_size = training_data.get("size")
    if trained_size is not None and int(trained_size) != dataset_size:
        raise EvaluationError(
            f"model {name} was trained on {trained_size} px glyphs but dataset {dataset_folder} is {dataset_size} px"
        )
    trained_hash = training_data.get("manifest_sha256")
    parts = [d.get("manifest_sha256") for d in training_data.get("datasets") or [] if isinstance(d, dict)]
    if cross_dataset:
        pass
    elif parts:  # trained on several datasets at once: the evaluated one must be among them
        if dataset_hash not in parts:
            raise EvaluationError(
                f"model {name} was trained on {len(parts)} other datasets, not on {dataset_folder} "
                f"(manifest {dataset_hash[:12]})"
            )
    elif trained_hash and trained_hash != dataset_hash:
        raise EvaluationError(
            f"model {name} was trained on another dataset (manifest {trained_hash[:12]}) than "
            f"{dataset_folder} (manifest {dataset_hash[:12]})"
        )
    splits = training_data.get("splits")
    if isinstance(splits, dict):
        trained_chars = set(splits.get("train", ""))
        overlap = [c for c in split_chars if c in trained_chars]
    else:  # no split listing: the split of a character is a stable hash, the same in every dataset
        overlap = [c for c in split_chars if split_of(c) == "train"]
    if overlap:
        shown = "".join(overlap[:10])
        raise EvaluationError(
            f"model {name} was trained on {len(overlap)} characters of the {split} split of {dataset_folder} "
            f"(e.g. {shown}); evaluate it on a split it never saw"
        )
