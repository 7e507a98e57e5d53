"""Fréchet distance between two sets of glyphs, in a feature space.

The default feature space is the project's own glyph classifier (:mod:`.classifier`, 128-d); the
numbers are meaningful for comparing models evaluated with the same classifier on the same split,
and are **not** comparable to Inception FID. ``inception_features`` computes pytorch-fid's
Inception-v3 pool features from a local weights file when pytorch-fid and torchvision are usable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segan_core.evaluation.checks import EvaluationError


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (rows are samples)."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"need at least 2 feature rows, got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_from_stats(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """|mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^1/2), computed with symmetric eigendecompositions.

    tr((S1 S2)^1/2) equals the sum of the square roots of the eigenvalues of S1^1/2 S2 S1^1/2, which is
    symmetric positive semi-definite, so no complex matrix square root is needed.
    """
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = float(np.sqrt(np.clip(eig, 0, None)).sum())
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)
    return max(0.0, value)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between the Gaussians fitted to two feature sets."""
    return frechet_from_stats(*gaussian_stats(features_a), *gaussian_stats(features_b))


def glyph_features(images: np.ndarray, classifier_dir: Path | str | None = None) -> np.ndarray:
    """Features of the project's glyph classifier (loaded once per process)."""
    from segan_core.evaluation.classifier import load_classifier

    return load_classifier(classifier_dir).features(images)


# --------------------------------------------------------------------------------- Inception (optional)

_INCEPTION: dict[Path, object] = {}


def load_inception(weights: Path | str):
    """pytorch-fid's FID Inception-v3 with weights from a local file (never downloaded)."""
    weights = Path(weights)
    if not weights.is_file():
        raise EvaluationError(f"Inception weights file not found: {weights}")
    key = weights.resolve()
    if key in _INCEPTION:
        return _INCEPTION[key]
    try:
        import torch
        import torchvision  # noqa: F401  (pytorch-fid builds on torchvision's Inception-v3)
        from pytorch_fid import inception as fid_inception
    except Exception as exc:  # ImportError, or a torchvision built for another torch raising on import
        raise EvaluationError(
            "Inception FID needs pytorch-fid and a torchvision built for the installed torch "
            f"({exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else 'not importable'}); "
            "on this install they are not available (torchvision for this torch is not on the package index), "
            "so use the glyph-classifier Fréchet distance"
        ) from None

    def local_weights(*_args, **_kwargs):
        try:
            return torch.load(str(weights), map_location="cpu", weights_only=True)
        except Exception as exc:
            raise EvaluationError(f"cannot read Inception weights {weights}: {exc}") from None

    original = fid_inception.load_state_dict_from_url
    fid_inception.load_state_dict_from_url = local_weights  # no download: the user's file instead
    try:
        model = fid_inception.InceptionV3([fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[2048]]).eval()
    finally:
        fid_inception.load_state_dict_from_url = original
    _INCEPTION[key] = model
    return model


def inception_features(images: np.ndarray, weights: Path | str, batch_size: int = 32) -> np.ndarray:
    """2048-d pool3 features of black-on-white glyphs, as pytorch-fid computes them (299 px RGB)."""
    import torch

    model = load_inception(weights)
    paper = (255.0 - np.asarray(images, np.float32)) / 255.0
    out = []
    with torch.inference_mode():
        for start in range(0, len(paper), batch_size):
            x = torch.from_numpy(paper[start:start + batch_size])[:, None].repeat(1, 3, 1, 1)
            feats = model(x)[0]  # pytorch-fid resizes to 299 and normalises itself
            out.append(feats.squeeze(-1).squeeze(-1).double().numpy())
    return np.concatenate(out) if out else np.zeros((0, 2048))
