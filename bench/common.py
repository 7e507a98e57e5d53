"""Helpers shared by the benchmarks: machine description, a cpu-64-shaped model checkpoint, timing."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

import torch


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()[0]
    from segan_core.model.device import cpu_flags, resolve_bf16, thread_budget
    from segan_core.session_streams import stream_plan

    shown = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16") if f in cpu_flags()]
    sessions, each = stream_plan(thread_budget())
    return (
        f"{cpu}, {cores} cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"ONNX Runtime: {sessions} session(s) of {each} thread(s) a graph, "
        f"Python {platform.python_version()}, load average {load:.2f} at start\n"
        f"CPU flags: {' '.join(shown) or 'unknown'}; training default ({resolve_bf16('auto')[1]})"
    )


def cpu64_checkpoint(preset: str = "cpu-64", model_dir: str | None = None) -> Path:
    """A real model folder if given, else a freshly initialised generator of the preset's shape.

    Speed does not depend on the weights' values, so an untrained network of the right shape times
    inference exactly like a trained one.
    """
    if model_dir:
        return Path(model_dir)
    from segan_core.config import to_dict
    from segan_core.model.checkpoint import WEIGHTS_FILE, module_tensors, save_tensors_atomic, write_config
    from segan_core.model.segan import Generator
    from segan_core.training.presets import get_preset

    model, train = get_preset(preset)
    torch.manual_seed(0)
    folder = Path(tempfile.mkdtemp(prefix=f"segan-bench-{preset}-"))
    generator = Generator(model)
    save_tensors_atomic(folder / WEIGHTS_FILE, module_tensors("generator", generator, torch.float16))
    write_config(folder, "segan", {"model": to_dict(model), "train": to_dict(train), "data": {}})
    return folder


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start
