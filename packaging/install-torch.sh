#!/usr/bin/env bash
# Install PyTorch 2.13.0 into the environment of the given Python, before anything that requires torch:
# a plain `torch` requirement would pull a multi-GB CUDA build. A CUDA build where `nvidia-smi` sees a
# GPU (unless the second argument is `cpu`), else the CPU build (from /opt/wheels when it holds one).
#   bash packaging/install-torch.sh .venv/bin/python [auto|cpu]
set -euo pipefail
VPY="$1"; want="${2:-auto}"
TORCH="torch==2.13.0"
if "$VPY" -c "import torch" >/dev/null 2>&1; then
  exit 0
fi
if [ "$want" != cpu ] && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "[setup] GPU found: installing CUDA torch"
  "$VPY" -m pip install -q "$TORCH"
else
  echo "[setup] installing CPU torch"
  if ls /opt/wheels/torch-2.13.0+cpu-*.whl >/dev/null 2>&1; then
    "$VPY" -m pip install -q "$TORCH"
  else
    "$VPY" -m pip install -q "$TORCH" --index-url https://download.pytorch.org/whl/cpu
  fi
fi
