"""bf16 autocast where the CPU computes it natively: detection, the --bf16 flag, and the choice in the config."""

import json

import pytest

from segan_core.cli import main as cli_main
from segan_core.errors import SeganError
from segan_core.model import device


@pytest.mark.parametrize(
    ("flags", "setting", "expected"),
    [
        ({"avx2", "avx512f", "avx512_bf16"}, "auto", True),
        ({"avx2", "amx_bf16", "amx_tile"}, "auto", True),
        ({"avx2", "fma"}, "auto", False),  # AVX2 only: bf16 is emulated and 12x slower, so off
        ({"avx2", "fma"}, "on", True),
        ({"avx512_bf16"}, "off", False),
        ({"avx512_bf16"}, None, True),  # unset = auto
        (set(), "auto", False),  # no /proc/cpuinfo: off
    ],
)
def test_auto_follows_the_cpu_flags(monkeypatch, flags, setting, expected):
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset(flags))
    use, why = device.resolve_bf16(setting)
    assert use is expected
    assert ("on" in why) is expected and "autocast" in why


def test_forcing_bf16_on_an_avx2_cpu_warns(monkeypatch):
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset({"avx2"}))
    assert "emulates bf16" in device.resolve_bf16("on")[1]
    with pytest.raises(SeganError, match="choose one of auto, on, off"):
        device.resolve_bf16("maybe")


@pytest.mark.parametrize(("flags", "argv", "expected"), [
    ({"avx512_bf16"}, [], True),
    ({"avx2"}, [], False),
    ({"avx2"}, ["--bf16"], True),
    ({"avx512_bf16"}, ["--bf16", "off"], False),
])
def test_train_style_records_the_choice(tiny_dataset, skeleton_gan, tmp_path, capsys, monkeypatch, flags, argv,
                                        expected):
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset(flags))
    out = tmp_path / "run"
    code = cli_main(["train", "style", "--data", str(tiny_dataset), "--skeleton", str(skeleton_gan), "--preset",
                     "tiny-32", "--max-steps", "1", "--threads", "1", "--out", str(out), *argv])
    assert code == 0
    assert "bf16 autocast " + ("on" if expected else "off") in capsys.readouterr().err
    assert json.loads((out / "config.json").read_text(encoding="utf-8"))["train"]["bf16"] is expected
