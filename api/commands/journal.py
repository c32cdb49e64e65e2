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


def run(args: argparse.Namespace, settings: Settings) -> int:
    from api.store import verify_chain

    db = args.db or settings.db_path
    if not db.is_file():
        print(f"error: no database at {db}", file=sys.stderr)
        return 2
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        c.row_factory = sqlite3.Row
        try:
            if c.execute("SELECT 1 FROM sqlite_master WHERE name='journal_chain'").fetchone() is None:
                print(
                    f"error: {db} has no hash chain yet (schema 1); `shorewatch serve` links it when it opens it",
                    file=sys.stderr,
                )
                return 2
            v = verify_chain(c)
        finally:
            c.close()
    except sqlite3.DatabaseError as exc:
        print(f"error: {db}: not a readable shorewatch database: {exc}", file=sys.stderr)
        return 2
    if v.ok:
        print(f"ok: {v.entries} entries, chain intact; head seq {v.head_seq} hash {v.head_hash}")
        return 0
    print(f"TAMPERED: entry seq {v.first_bad_seq}: {v.problem} ({v.entries} entries checked)")
    return 1
