#!/usr/bin/env bash
# Build the one-folder desktop bundle with PyInstaller: dist/segan-studio/ holds the `segan-studio`
# executable with Python, CPU torch, ONNX Runtime, Qt and the bundled models inside (no Python needed
# on the machine), the .desktop file, the icon and install-desktop-entry.sh.
#   bash packaging/build.sh             # builds, then runs the bundle's --self-test with an empty environment
#   bash packaging/build.sh --no-test   # builds only
# The build environment is build/bundle-venv (CPU torch, this package installed as from a wheel, PyInstaller);
# a second run reuses it. Left out to keep the bundle small: see EXCLUDES below and docs/bundle.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
venv=build/bundle-venv
dist=dist/segan-studio
t0=$SECONDS

if [ ! -x "$venv/bin/python" ]; then
  echo "[bundle] creating $venv"
  "$PY" -m venv "$venv"
fi
VPY="$(pwd)/$venv/bin/python"  # absolute: PyInstaller runs from build/
bash packaging/install-torch.sh "$VPY" cpu  # the CPU wheel: no CUDA libraries to ship
echo "[bundle] installing segan-studio (not editable: resources/ and models/ as the wheel's data packages)"
"$VPY" -m pip install -q ".[bundle]"
"$VPY" -m pip install -q --no-deps --force-reinstall .  # this checkout's code, even at an unchanged version

EXCLUDES=(
  # Qt modules the app never uses (pyqtgraph falls back without them; it does import QtOpenGL and
  # QtOpenGLWidgets at start-up under Qt 6, so those two stay: the second build failed without them)
  PySide6.QtQml PySide6.QtQuick PySide6.QtQuickWidgets PySide6.QtQuickControls2 PySide6.QtQuickTest
  PySide6.QtSvg PySide6.QtSvgWidgets PySide6.QtTest
  PySide6.QtNetwork PySide6.QtSql PySide6.QtDesigner PySide6.QtUiTools PySide6.QtHelp PySide6.QtXml
  PySide6.QtConcurrent PySide6.QtPrintSupport PySide6.QtDBus
  PyQt5 PyQt6 PySide2 pyqtgraph.opengl
  # torch's developer tooling, never imported by inference, training or export (torch.testing._internal
  # is: the first bundle's self-test failed without it)
  torch.utils.tensorboard torch.utils.benchmark torch.utils.bottleneck
  torch.utils.cpp_extension torch.utils.hipify torch.ao.pruning torch.distributed.elastic
  # the rest of the Python world the dependency graph reaches for but the app does not run
  tkinter matplotlib IPython jupyter notebook pytest pandas scipy tensorboard
)
args=()
for module in "${EXCLUDES[@]}"; do args+=(--exclude-module "$module"); done

# the models, source font and registry as the wheel has them (namespace data packages, which
# --collect-data does not see)
# (-P and --workpath outside: the installed package, never this checkout's source tree, which has no _bundled)
bundled="$("$VPY" -P -c 'import pathlib, segan_core; print(pathlib.Path(segan_core.__file__).parent / "_bundled")')"
# the OpenType Sanitizer's executable, which the font validation runs (opentype-sanitizer ships it as a
# package file; PyInstaller's analysis sees only Python modules and shared libraries)
ots_bin="$("$VPY" -P -c 'import pathlib, ots; print(pathlib.Path(ots.__file__).parent / "ots-sanitize")')"

echo "[bundle] running PyInstaller (from build/, so the checkout's own segan_core is not on sys.path)"
root="$(pwd)"
mkdir -p build
cd build
"$VPY" -P -m PyInstaller --noconfirm --clean --log-level WARN --onedir --name segan-studio \
  --distpath "$root/dist" --workpath "$root/build/pyinstaller" --specpath "$root/build/pyinstaller" \
  --collect-data segan_core --collect-submodules segan_core --collect-submodules app --collect-submodules onnxruntime.quantization \
  --hidden-import _cffi_backend --add-data "$bundled:segan_core/_bundled" --add-binary "$ots_bin:ots" --icon "$root/resources/icons/segan-studio.png" \
  "${args[@]}" "$root/packaging/pyinstaller_entry.py"
cd "$root"

# the desktop entry and its icon beside the executable; install-desktop-entry.sh puts them in the menu
cp packaging/segan-studio.desktop resources/icons/segan-studio.png packaging/install-desktop-entry.sh "$dist/"
echo "[bundle] built $dist in $((SECONDS - t0)) s: $(du -sh "$dist" | cut -f1)"

if [ "${1:-}" != "--no-test" ]; then
  echo "[bundle] self-test with no Python on the PATH"
  t1=$SECONDS
  env -i PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen "$dist/segan-studio" --self-test
  echo "[bundle] self-test passed in $((SECONDS - t1)) s (build + test $((SECONDS - t0)) s)"
fi
