"""`shorewatch render` (issue #5)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("render", help="(not yet available: issue #5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    raise SystemExit("shorewatch render: not available yet (issue #5)")
