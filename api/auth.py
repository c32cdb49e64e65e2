"""Users, roles and bearer tokens.

A token is 32 random bytes (URL-safe base64) shown once when the user is created; the store keeps
only its SHA-256 (tokens are high-entropy, so a slow password hash adds nothing). Failed attempts
(wrong tokens; a missing token is refused but not counted) are counted per client address: past ``max_failures`` within ``window_s`` that client gets 429
until the window has passed, even with a good token.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import deque
from collections.abc import Iterable

from api.domain import Role, User
from api.errors import AuthError, ForbiddenError, RateLimited
from api.store import Store

TOKEN_BYTES = 32


def new_token() -> str:
    return "sw_" + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_user(store: Store, name: str, role: Role) -> tuple[User, str]:
    """Create a user; returns it and its token (the only time the token exists in clear)."""
    token = new_token()
    user = await store.add_user(name, role, hash_token(token))
    return user, token


class FailedAuthLimiter:
    """Sliding window of failed authentication attempts per client address."""

    def __init__(self, max_failures: int = 20, window_s: float = 60.0) -> None:
        if max_failures < 1 or window_s <= 0:
            raise ValueError(f"need max_failures >= 1 and window_s > 0, got {max_failures}, {window_s}")
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def _prune(self, client: str, now: float) -> deque[float]:
        q = self._failures.setdefault(client, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        if not q:
            del self._failures[client]
            return deque()
        return q

    def check(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        q = self._prune(client, now)
        if len(q) >= self.max_failures:
            raise RateLimited(max(1.0, q[0] + self.window_s - now))

    def fail(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._failures.setdefault(client, deque()).append(now)
        if len(self._failures) > 100_000:  # bound memory under a spray of addresses
            self._failures.pop(next(iter(self._failures)))


class Authenticator:
    def __init__(self, store: Store, limiter: FailedAuthLimiter) -> None:
        self.store = store
        self.limiter = limiter

    async def authenticate(self, token: str | None, client: str) -> User:
        self.limiter.check(client)
        if not token:  # not a guess: not counted against the client
            raise AuthError("missing token: send 'Authorization: Bearer <token>' (or ?token= for browsers)")
        user = await self.store.user_by_token_hash(hash_token(token))
        if user is None:
            self.limiter.fail(client)
            raise AuthError("unknown or revoked token")
        return user


def check_role(user: User, allowed: Iterable[Role]) -> User:
    allowed = tuple(allowed)
    if user.role not in allowed:
        raise ForbiddenError(
            f"role '{user.role.value}' may not use this route; allowed: {', '.join(r.value for r in allowed)}"
        )
    return user
