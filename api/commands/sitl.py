"""`shorewatch sitl` (issue #3)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("sitl", help="(not yet available: issue #3)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    raise SystemExit("shorewatch sitl: not available yet (issue #3)")
