"""Assemble the many-hands corpus: the fonts the base model learns from, each with its licence and provenance.

    .venv/bin/python tools/build_corpus.py [--out ../corpus] [--shared ../shared/fonts]

Sources (issue 32; nothing else, so every model's licences are known):

- the six brush styles and the print fonts in ``../shared/fonts`` (read in place, licences beside them);
- Debian packages, fetched with ``apt-get download`` and unpacked with ``dpkg-deb -x`` (no install);
- npm ``@fontsource/*`` packages, fetched with ``npm pack``: a folder of WOFF2 subsets per font, which
  :class:`segan_core.glyphs.render.FontRenderer` reads by cmap.

Writes ``OUT/fonts/<id>/`` (the font file or subset folder, and its licence) and ``OUT/corpus.json``: per
font its id, family, role (``train`` or ``dev-hand``: the hands the base never trains on), kind, source
package and version, licence file, SHA-256 and GB2312 coverage. A package that fails to download or to
read is reported in ``corpus.json`` under ``failed`` and skipped. Re-running reuses what is there.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segan_core.charset import gb2312_hanzi  # noqa: E402
from segan_core.errors import FontError  # noqa: E402
from segan_core.glyphs.render import FontRenderer  # noqa: E402

CORPUS_FORMAT = "segan-corpus"


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # brush | running | cursive | pen | print | display
    origin: str  # shared | debian | npm
    package: str  # shared: the path under ../shared/fonts; debian/npm: the package name
    member: str = ""  # debian: the font file inside the package; npm: the subset file prefix
    role: str = "train"


# The registry packages' versions, pinned: the base's datasets (and so its resumable state) are tied to these files'
# hashes, so a newer release would stop `models/train.sh base` from resuming on a new machine. Checked 2026-12-06.
PINNED = {
    "fonts-kiloji": "1:2.1.0-25", "fonts-arphic-ukai": "0.2.20080216.2-5", "fonts-arphic-uming": "0.2.20080216.2-11",
    "fonts-cwtex-kai": "1.0-4", "fonts-cwtex-fs": "1.0-4", "fonts-hanazono": "20170904-2.1",
    "fonts-horai-umefont": "670-5", "fonts-konatu": "20121218-11", "fonts-wqy-zenhei": "0.9.45-8",
    "@fontsource/zcool-kuaile": "5.3.0", "@fontsource/zcool-qingke-huangyou": "5.3.0",
    "@fontsource/zen-kurenaido": "5.3.0", "@fontsource/yomogi": "5.3.0", "@fontsource/yusei-magic": "5.3.0",
    "@fontsource/kiwi-maru": "5.3.0", "@fontsource/kaisei-opti": "5.2.8", "@fontsource/zen-old-mincho": "5.3.0",
    "@fontsource/mochiy-pop-one": "5.3.0", "@fontsource/noto-serif-sc": "5.3.0",
}

# Dev hands (never in the base's training set): two brush, one running/cursive, one thin pen.
DEV_HANDS = ("long-cang", "zhi-mang-xing", "kouzan-mouhitsu-gyosho", "zen-kurenaido")

ENTRIES: tuple[Entry, ...] = (
    Entry("ma-shan-zheng", "brush", "shared", "brush/MaShanZheng-Regular.ttf"),
    Entry("zhi-mang-xing", "running", "shared", "brush/ZhiMangXing-Regular.ttf"),
    Entry("liu-jian-mao-cao", "cursive", "shared", "brush/LiuJianMaoCao-Regular.ttf"),
    Entry("long-cang", "brush", "shared", "brush/LongCang-Regular.ttf"),
    Entry("kouzan-mouhitsu", "brush", "shared", "brush/KouzanMouhitsu.ttf"),
    Entry("kouzan-mouhitsu-gyosho", "running", "shared", "brush/KouzanMouhitsu-Gyosho.ttf"),
    Entry("arpl-sungti", "print", "shared", "print/ARPL-SungtiL-GB.ttf"),
    Entry("lxgw-wenkai", "pen", "shared", "print/LXGWWenKai-Regular.ttf"),
    Entry("smiley-sans", "display", "shared", "print/SmileySans-Oblique.ttf"),
    Entry("wqy-microhei", "print", "shared", "print/WenQuanYiMicroHei.ttf"),
    Entry("zcool-xiaowei", "display", "shared", "print/ZCOOLXiaoWei-Regular.ttf"),
    Entry("kiloji", "pen", "debian", "fonts-kiloji", "usr/share/fonts/truetype/kiloji/kiloji.ttf"),
    Entry("arphic-ukai", "brush", "debian", "fonts-arphic-ukai", "usr/share/fonts/truetype/arphic/ukai.ttc"),
    Entry("arphic-uming", "print", "debian", "fonts-arphic-uming", "usr/share/fonts/truetype/arphic/uming.ttc"),
    Entry("cwtex-kai", "brush", "debian", "fonts-cwtex-kai", "usr/share/fonts/truetype/cwtex/cwkai.ttf"),
    Entry("cwtex-fangsong", "print", "debian", "fonts-cwtex-fs", "usr/share/fonts/truetype/cwtex/cwfs.ttf"),
    Entry("hanazono-mincho", "print", "debian", "fonts-hanazono", "usr/share/fonts/truetype/hanazono/HanaMinA.ttf"),
    Entry("ume-mincho", "print", "debian", "fonts-horai-umefont",
          "usr/share/fonts/truetype/horai-umefont/ume-tmo3.ttf"),
    Entry("konatu", "display", "debian", "fonts-konatu", "usr/share/fonts/truetype/konatu/Konatu.ttf"),
    Entry("wqy-zenhei", "print", "debian", "fonts-wqy-zenhei", "usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Entry("zcool-kuaile", "display", "npm", "@fontsource/zcool-kuaile", "zcool-kuaile"),
    Entry("zcool-qingke-huangyou", "display", "npm", "@fontsource/zcool-qingke-huangyou", "zcool-qingke-huangyou"),
    Entry("zen-kurenaido", "pen", "npm", "@fontsource/zen-kurenaido", "zen-kurenaido"),
    Entry("yomogi", "pen", "npm", "@fontsource/yomogi", "yomogi"),
    Entry("yusei-magic", "pen", "npm", "@fontsource/yusei-magic", "yusei-magic"),
    Entry("kiwi-maru", "display", "npm", "@fontsource/kiwi-maru", "kiwi-maru"),
    Entry("kaisei-opti", "print", "npm", "@fontsource/kaisei-opti", "kaisei-opti"),
    Entry("zen-old-mincho", "print", "npm", "@fontsource/zen-old-mincho", "zen-old-mincho"),
    Entry("mochiy-pop-one", "display", "npm", "@fontsource/mochiy-pop-one", "mochiy-pop-one"),
    Entry("noto-serif-sc", "print", "npm", "@fontsource/noto-serif-sc", "noto-serif-sc"),
)


def _run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {(done.stderr or done.stdout).strip()[-300:]}")
    return done.stdout


def _debian(entry: Entry, dest: Path, scratch: Path) -> dict:
    _run(["apt-get", "download", f"{entry.package}={PINNED[entry.package]}"], scratch)
    deb = next(scratch.glob(f"{entry.package}_*.deb"))
    version = _run(["dpkg-deb", "-f", str(deb), "Version"], scratch).strip()
    unpacked = scratch / "root"
    _run(["dpkg-deb", "-x", str(deb), str(unpacked)], scratch)
    font = unpacked / entry.member
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(font, dest / font.name)
    shutil.copy2(unpacked / "usr/share/doc" / entry.package / "copyright", dest / "LICENSE.txt")
    return {"version": version, "font": font.name}


def _npm(entry: Entry, dest: Path, scratch: Path) -> dict:
    pinned = f"{entry.package}@{PINNED[entry.package]}"
    tgz = _run(["npm", "pack", "--silent", pinned], scratch).strip().splitlines()[-1]
    version = tgz.rsplit("-", 1)[-1].removesuffix(".tgz")
    subsets = dest / "subsets"
    subsets.mkdir(parents=True, exist_ok=True)
    with tarfile.open(scratch / tgz) as archive:
        for member in archive.getmembers():
            name = Path(member.name).name
            # the regular weight's numbered subsets (one Unicode range each); no italics, no other weights
            wanted = name.startswith(f"{entry.member}-") and name.endswith("-400-normal.woff2")
            if member.isfile() and (wanted or name == "LICENSE"):
                data = archive.extractfile(member)
                if data is None:
                    continue
                target = dest / "LICENSE.txt" if name == "LICENSE" else subsets / name
                target.write_bytes(data.read())
    return {"version": version, "font": "subsets"}


def licence_name(text: str) -> str:
    """The licence's short name from its text (a Debian copyright file names it on a ``License:`` line)."""
    if "SIL Open Font License" in text:
        return "OFL-1.1"
    if "ARPHIC PUBLIC LICENSE" in text.upper():
        return "Arphic Public License"
    for line in text.splitlines():
        if line.startswith("License:") and line.split(":", 1)[1].strip():
            return line.split(":", 1)[1].strip()
    return "see the licence file"


def _read_stamp(stamp: Path) -> dict | None:
    """What an earlier run fetched for this font (None: nothing, or a damaged stamp: fetch again)."""
    try:
        info = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("font"), str) else None


def _coverage(font: Path) -> tuple[str, str, int, str]:
    """(family, SHA-256, how many GB2312 Hanzi it really draws, those it lacks as one string)."""
    renderer = FontRenderer(font)
    lacking = "".join(c for c in gb2312_hanzi() if renderer.check(c) is not None)
    return renderer.family, renderer.sha256, len(gb2312_hanzi()) - len(lacking), lacking


def assemble(out: Path, shared: Path) -> dict:
    fonts, failed = [], []
    for entry in ENTRIES:
        dest = out / "fonts" / entry.id
        started = time.monotonic()
        try:
            if entry.origin == "shared":
                font, info = shared / entry.package, {"version": ""}
                licence = font.with_name(font.stem + ".LICENSE.txt")  # ../shared keeps it beside the font
                if not font.is_file():
                    raise FileNotFoundError(f"not found: {font}")
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy2(licence, dest / "LICENSE.txt")
                path = font
            else:
                stamp = dest / "source.json"
                info = _read_stamp(stamp)
                if info is None:
                    with tempfile.TemporaryDirectory() as tmp:
                        fetch = _debian if entry.origin == "debian" else _npm
                        info = fetch(entry, dest, Path(tmp))
                    stamp.write_text(json.dumps(info))
                path = dest / info["font"]
            family, sha, covered, lacking = _coverage(path)
        except (OSError, RuntimeError, FontError, StopIteration, KeyError, subprocess.TimeoutExpired) as exc:
            print(f"[corpus] {entry.id}: skipped ({exc})", flush=True)
            failed.append({"id": entry.id, "package": entry.package, "why": str(exc)})
            continue
        role = "dev-hand" if entry.id in DEV_HANDS else "train"
        print(f"[corpus] {entry.id}: {family}, {covered} GB2312 Hanzi, {role} ({time.monotonic() - started:.0f} s)",
              flush=True)
        fonts.append({
            "id": entry.id,
            "family": family,
            "role": role,
            "kind": entry.kind,
            "origin": entry.origin,
            "package": entry.package,
            "version": info.get("version", ""),
            "path": str(path.relative_to(shared) if entry.origin == "shared" else path.relative_to(out)),
            "licence": licence_name((dest / "LICENSE.txt").read_text(encoding="utf-8", errors="replace")),
            "licence_file": str((dest / "LICENSE.txt").relative_to(out)),
            "sha256": sha,
            "gb2312_covered": covered,
            "gb2312_lacking": lacking,
        })
    return {"format": CORPUS_FORMAT, "version": 1, "fonts": fonts, "failed": failed,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def markdown_table(manifest: dict) -> str:
    """The corpus as the table in docs/training.md."""
    origin = {"shared": "`../shared/fonts/{path}`", "debian": "Debian `{package}` {version}",
              "npm": "npm `{package}` {version}"}
    lines = ["| id | family | kind | role | source | licence | GB2312 Hanzi drawn | SHA-256 (first 12) |",
             "|---|---|---|---|---|---|---|---|"]
    for f in manifest["fonts"]:
        source = origin[f["origin"]].format(**f)
        lines.append(f"| {f['id']} | {f['family']} | {f['kind']} | {f['role']} | {source} | {f['licence']} | "
                     f"{f['gb2312_covered']:,} | `{f['sha256'][:12]}` |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT.parent / "corpus")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "fonts")
    parser.add_argument("--table", action="store_true", help="print OUT/corpus.json as a Markdown table and stop")
    args = parser.parse_args()
    if args.table:
        print(markdown_table(json.loads((args.out / "corpus.json").read_text(encoding="utf-8"))))
        return 0
    manifest = assemble(args.out, args.shared)
    manifest["shared"] = str(args.shared.resolve())
    (args.out / "corpus.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"[corpus] {len(manifest['fonts'])} fonts, {len(manifest['failed'])} failed -> {args.out / 'corpus.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
