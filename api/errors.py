"""The alert service's exceptions. Each maps to one HTTP status in ``api.app``.

ApiError
├── NotFoundError            404  an alert / user / webhook id that does not exist
├── ConflictError            409  a name already taken
│   └── InvalidTransition    409  a lifecycle change the alert's state does not allow
├── AuthError                401  missing or unknown token
│   └── RateLimited          429  too many failed attempts from one client
├── ForbiddenError           403  a valid token whose role may not use the route
└── StoreError               500  the database refused (schema too new, corrupt file...)
"""

from __future__ import annotations


class ApiError(Exception):
    """Base class of every error raised on purpose by ``api``."""

    status_code = 500


class NotFoundError(ApiError):
    status_code = 404


class ConflictError(ApiError):
    status_code = 409


class InvalidTransition(ConflictError):
    def __init__(self, current: str, target: str, allowed_from: tuple[str, ...]) -> None:
        self.current, self.target, self.allowed_from = current, target, allowed_from
        expected = ", ".join(allowed_from) or "nothing (terminal)"
        super().__init__(
            f"cannot move an alert from '{current}' to '{target}': '{target}' is reachable from {expected}"
        )


class AuthError(ApiError):
    status_code = 401


class RateLimited(AuthError):
    status_code = 429

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"too many failed authentication attempts; retry in {retry_after_s:.0f} s")


class ForbiddenError(ApiError):
    status_code = 403


class StoreError(ApiError):
    status_code = 500
