"""The ``shorewatch`` command.

Each subcommand lives in its own module under ``api/commands/`` and exposes
``register(subparsers) -> None``, which adds its parser and sets ``func(args, settings) -> int``.
Command modules import heavy libraries (torch, ultralytics, dronekit) inside ``func`` only, so
``shorewatch --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from api.settings import Settings

COMMANDS = (
    "demo",
    "serve",
    "sitl",
    "fly",
    "plan",
    "render",
    "synth",
    "train",
    "detect",
    "eval",
    "replay",
    "users",
    "journal",
    "tide",
    "doctor",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shorewatch",
        description="Drone shoreline surveillance: simulate or fly drones, detect boats launched "
        "from beaches, alert patrol units. Settings come from SHOREWATCH_* environment variables.",
    )
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING, ERROR (default: settings)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"api.commands.{name}").register(sub)
    return parser


def configure_logging(level: str) -> None:
    from rich.logging import RichHandler

    logging.basicConfig(
        level=level.upper(),
        format="%(name)s: %(message)s",
        datefmt="[%X]",
        handlers=[
            RichHandler(console=__import__("rich.console").console.Console(stderr=True), show_path=False)
        ],
        force=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(args.log_level or settings.log_level)
    try:
        return int(args.func(args, settings) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
