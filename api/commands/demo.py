"""`shorewatch demo` (issue #9)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="(not yet available: issue #9)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    raise SystemExit("shorewatch demo: not available yet (issue #9)")
