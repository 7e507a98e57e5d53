"""``segan``: the command-line client of segan_core.

Each command group lives in ``segan_core/commands/<group>.py`` and exposes ``register(subparsers)``;
this module only wires them up and turns a :class:`SeganError` into one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from segan_core import __version__
from segan_core.cli_args import SeganArgumentParser
from segan_core.errors import Cancelled, SeganError

COMMAND_MODULES = ("data", "styles", "train", "generate", "batch", "evaluate", "template", "scans")


def build_parser() -> argparse.ArgumentParser:
    parser = SeganArgumentParser(
        prog="segan", description="Segan Studio: Kai print font -> brush calligraphy fonts"
    )
    parser.add_argument("--version", action="version", version=f"segan-studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"segan_core.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)  # a usage error is a UsageError: one line, exit code 2
        return int(args.func(args) or 0)
    except Cancelled as exc:
        print(f"segan: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("segan: interrupted; nothing partial was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `segan styles list | head`: the reader left; not an error worth a traceback
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except SeganError as exc:
        print(f"segan: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
