"""Evaluation of glyph generators, as in the SE-GAN paper's Table 1.

- :mod:`.recognizer`: content accuracy with an independent OCR recognizer (PP-OCRv4, ONNX).
- :mod:`.frechet`: Fréchet distance in the feature space of the project's glyph classifier
  (:mod:`.classifier`), optionally Inception FID.
- :mod:`.paired`: L1, SSIM, ink IoU and skeleton distances against the ground-truth glyphs.
- :mod:`.report`: the evaluation job (``evaluate``) and the report files (``write_report``).
"""

from segan_core.evaluation.checks import EvaluationError

__all__ = ["EvaluationError"]
