"""`shorewatch replay` (issue #9)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("replay", help="(not yet available: issue #9)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    raise SystemExit("shorewatch replay: not available yet (issue #9)")
