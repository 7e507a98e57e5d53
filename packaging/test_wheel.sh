#!/usr/bin/env bash
# The wheel works without the source tree: build it from the checkout's tracked files, install it into a
# fresh venv (CPU torch first, as bootstrap.sh does; the rest from the package index), and run the
# installed `segan` and `segan-studio` from another folder with nothing of the checkout importable.
#   bash packaging/test_wheel.sh            # .ci/run runs it after the test suite
# Prints each stage's wall time. Needs the Debian packages bootstrap.sh installs (Qt offscreen, potrace).
set -euo pipefail
cd "$(dirname "$0")/.."
src="$(pwd)"
PY="${PYTHON:-python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/segan-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT
t0=$SECONDS
stage() { echo "[wheel] $1 ($((SECONDS - t0)) s so far)"; }

stage "copying the tracked files to $work/src"
mkdir "$work/src"
git ls-files -z | (cd "$src" && xargs -0 cp --parents -t "$work/src")

stage "creating a fresh venv"
"$PY" -m venv "$work/venv"
VPY="$work/venv/bin/python"
bash packaging/install-torch.sh "$VPY" cpu

stage "building the wheel"
"$VPY" -m pip wheel -q --no-deps -w "$work/dist" "$work/src"
wheel="$(ls "$work"/dist/segan_studio-*.whl)"
echo "[wheel] $(basename "$wheel"): $(du -k "$wheel" | cut -f1) KB"

stage "installing it with its dependencies"
"$VPY" -m pip install -q "$wheel"

stage "running it from another folder"
mkdir "$work/elsewhere" "$work/home"
cd "$work/elsewhere"
export SEGAN_STUDIO_HOME="$work/home" QT_QPA_PLATFORM=offscreen
unset PYTHONPATH SEGAN_MODELS_DIR SEGAN_FONT_PATH
bin="$work/venv/bin"
where="$("$VPY" -c 'import segan_core, segan_core.resources as r; print(segan_core.__file__, r.IN_CHECKOUT)')"
case "$where" in
  "$work/venv/"*" False") echo "[wheel] segan_core: $where" ;;
  *) echo "[wheel] FAIL: segan_core is not the installed one: $where" >&2; exit 1 ;;
esac
"$bin/segan" --version
[ "$("$bin/segan" --version)" = "$("$bin/segan-studio" --version)" ] || { echo "[wheel] FAIL: --version differs" >&2; exit 1; }
"$bin/segan" styles list | tee "$work/styles.txt"
for style in ma-shan-zheng zhi-mang-xing; do
  grep -q "^$style .* models/$style " "$work/styles.txt" || { echo "[wheel] FAIL: no bundled model for $style" >&2; exit 1; }
done
"$bin/segan" generate --style ma-shan-zheng --text 永字 --out "$work/out" --quiet
for f in glyphs/永.png glyphs/字.png heatmaps/永-cam.png contact-sheet.png generate.json; do
  [ -s "$work/out/$f" ] || { echo "[wheel] FAIL: segan generate wrote no $f" >&2; exit 1; }
done
"$VPY" -c 'from segan_core.resources import MANUAL as m; assert m.is_file() and (m.parent / "img/gui-generate.png").is_file(), m' \
  || { echo "[wheel] FAIL: the Help manual (docs/gui.md and its screenshots) is not in the wheel" >&2; exit 1; }
"$bin/segan-studio" --self-test
stage "passed"
