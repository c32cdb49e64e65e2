"""``shorewatch journal verify``: re-check the audit journal's hash chain in the database file,
read only (an auditor's copy is not touched); exit 0 intact, 1 tampered, 2 unreadable."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

from api.settings import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("journal", help="check the audit journal's hash chain (tamper evidence)")
    jsub = p.add_subparsers(dest="journal_command", metavar="ACTION")
    jsub.required = True
    v = jsub.add_parser("verify", help="recompute every link; name the first entry that does not match")
    v.add_argument(
        "--db", type=Path, default=None, help="the database file (default: STATE_DIR/shorewatch.db)"
    )
    p.set_defaults(func=run)


def check(db: Path) -> tuple[int, str]:
    """(exit code, one line) for the journal in ``db``, opened read only: 0 intact, 1 tampered,
    2 missing, unreadable or not chained yet."""
    from api.store import verify_chain

    if not db.is_file():
        return 2, f"error: no database at {db}"
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        c.row_factory = sqlite3.Row
        try:
            if c.execute("SELECT 1 FROM sqlite_master WHERE name='journal_chain'").fetchone() is None:
                return (
                    2,
                    f"error: {db} has no hash chain yet (schema 1); `shorewatch serve` links it when it opens it",
                )
            v = verify_chain(c)
        finally:
            c.close()
    except sqlite3.DatabaseError as exc:
        return 2, f"error: {db}: not a readable shorewatch database: {exc}"
    if v.ok:
        return 0, f"ok: {v.entries} entries, chain intact; head seq {v.head_seq} hash {v.head_hash}"
    return 1, f"TAMPERED: entry seq {v.first_bad_seq}: {v.problem} ({v.entries} entries checked)"


def run(args: argparse.Namespace, settings: Settings) -> int:
    code, line = check(args.db or settings.db_path)
    print(line, file=sys.stderr if code == 2 else sys.stdout)
    return code
