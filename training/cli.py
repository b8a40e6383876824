"""The ``smartbot`` command line: one sub-command per job.

Each job lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; this file only wires them together and turns expected
errors into one-line messages.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

__all__ = ["main", "JOBS"]

#: sub-command -> (module, one-line help)
JOBS: dict[str, tuple[str, str]] = {
    "demo": ("training.demo", "the main job end to end: drive, record, summarise"),
    "bench": ("training.bench", "print simulator, env and training throughput"),
    "collect": ("training.collect", "collect a labelled dataset by vectorised rollouts"),
    "train-perception": ("training.train_perception", "train a perception network (supervised)"),
    "train": ("training.train", "train a policy with stable-baselines3"),
    "evaluate": ("training.evaluate", "evaluate policies headless on test maps"),
    "watch": ("training.watch", "watch a policy drive in the pygame viewer"),
}


class UserError(Exception):
    """An error caused by the user's input: printed as one line, exit status 2."""


def _available_jobs() -> dict[str, tuple[str, str]]:
    from importlib.util import find_spec

    return {name: job for name, job in JOBS.items() if find_spec(job[0]) is not None}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available job as a sub-command."""
    parser = argparse.ArgumentParser(prog="smartbot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="job", required=True, metavar="JOB")
    for name, (module_name, help_text) in _available_jobs().items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=module.__doc__)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``smartbot`` console script."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    args = build_parser().parse_args(argv)
    try:
        return int(args._module.run(args) or 0)
    except UserError as err:
        print(f"smartbot {args.job}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"smartbot {args.job}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Re-import so that UserError raised by the jobs is this module's class, not __main__'s.
    from training.cli import main as _main

    sys.exit(_main())
