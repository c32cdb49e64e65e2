"""`shorewatch plan` (issue #4)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("plan", help="(not yet available: issue #4)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    raise SystemExit("shorewatch plan: not available yet (issue #4)")
