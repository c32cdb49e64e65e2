"""``shorewatch users``: add, list and remove API users (works while the server runs)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from api.settings import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("users", help="add, list or remove API users and their tokens")
    usub = p.add_subparsers(dest="users_command", metavar="ACTION")
    usub.required = True
    roles = ("pilot", "patrol", "trainer", "admin", "detector")
    a = usub.add_parser("add", help="create a user; prints its token once")
    a.add_argument("name", help="login name (letters, digits, _ . @ -)")
    a.add_argument("--role", required=True, choices=roles, help="what the user may do")
    usub.add_parser("list", help="list users and roles")
    r = usub.add_parser("remove", help="delete a user (revokes its token)")
    r.add_argument("name")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_run(args, settings))


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    import re
    import sys

    from api.auth import create_user
    from api.domain import Role
    from api.errors import ApiError
    from api.schemas import NAME_PATTERN
    from api.store import SqliteStore

    settings.ensure_state_dir()
    store = SqliteStore(settings.db_path)
    try:
        if args.users_command == "add":
            if not re.match(NAME_PATTERN, args.name):
                print(f"error: name must match {NAME_PATTERN}, got {args.name!r}", file=sys.stderr)
                return 2
            user, token = await create_user(store, args.name, Role(args.role))
            print(f"created {user.name} ({user.role.value}). Token (shown once, store it now):")
            print(token)
        elif args.users_command == "list":
            users = await store.list_users()
            if not users:
                print("no users; add one with: shorewatch users add NAME --role admin")
            for u in users:
                print(f"{u.name}\t{u.role.value}")
        elif args.users_command == "remove":
            await store.remove_user(args.name)
            print(f"removed {args.name}")
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    return 0
