"""A many-hands base's style codes side by side: the Kai source, then the same characters in several fonts' codes.

    .venv/bin/python docs/make_base_codes.py RUN_OR_MODEL_DIR OUT.png [--codes 0 1 3 ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from segan_core.inference import StyleModel

CHARS = "永和九年岁在癸丑暮春"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--codes", type=int, nargs="+", default=[0, 1, 3, 4, 5, 10, 12, 19, 20, 22, 24])
    args = parser.parse_args()
    config = json.loads((args.run / "config.json").read_text(encoding="utf-8"))
    names = [d["target"]["name"] for d in config["data"]["datasets"]]
    models = [StyleModel.load(args.run, backend="eager", category=code) for code in args.codes]
    rows = [models[0].source_glyphs(CHARS), *(model.generate(CHARS) for model in models)]
    Image.fromarray(np.concatenate([255 - np.concatenate(list(row), axis=1) for row in rows], axis=0)).save(args.out)
    print(f"step {config['step']}: rows = Kai source, " + ", ".join(names[c] for c in args.codes))


if __name__ == "__main__":
    main()
