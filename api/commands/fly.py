"""`shorewatch fly` (issue #4)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("fly", help="(not yet available: issue #4)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    raise SystemExit("shorewatch fly: not available yet (issue #4)")
