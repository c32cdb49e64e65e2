"""Role x route matrix (no token 401, bad token 401, wrong role 403, right role 2xx), failed-attempt
rate limiting, user management over HTTP and with ``shorewatch users``."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.cli import main as cli_main
from api.store import SqliteStore
from tests.api.conftest import TINY_JPEG, Running, StartServer, make_event

ROLES = ("pilot", "patrol", "trainer", "admin", "detector")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {id} is replaced by a fresh alert's id, {name} by a fresh user's name
    allowed: tuple[str, ...]
    body: dict[str, Any] | None = None
    stream: bool = False


ALERT_BODY = {
    "event_id": "ext:1",
    "kind": "boat_at_sea",
    "severity": "warning",
    "timestamp_s": 1_795_934_479.3,
    "position": {"lat": 50.9, "lon": 1.62},
    "position_error_m": 40.0,
    "confidence": 0.7,
    "source": "thermal-3",
    "snapshot_jpeg_b64": base64.b64encode(TINY_JPEG).decode(),
}
READ = ("pilot", "patrol", "admin")
HANDLE = ("patrol", "admin")
MATRIX = [
    Route("GET", "/alerts", READ),
    Route("GET", "/alerts?replay_id=r1", (*READ, "trainer")),
    Route("POST", "/alerts", ("detector", "admin"), ALERT_BODY),
    Route("GET", "/alerts/{id}", READ),
    Route("GET", "/alerts/{id}/snapshot.jpg", READ),
    Route("GET", "/alerts/{id}/journal", HANDLE),
    Route("POST", "/alerts/{id}/acknowledge", HANDLE),
    Route("POST", "/alerts/{id}/resolve", HANDLE, {"reason": "false_alarm"}),
    Route("GET", "/alerts/stream", READ, stream=True),
    Route("GET", "/users", ("admin",)),
    Route("POST", "/users", ("admin",), {"name": "{name}", "role": "patrol"}),
    Route("DELETE", "/users/{name}", ("admin",)),
    Route("GET", "/users/me", ROLES),
    Route("GET", "/webhooks", ("admin",)),
    Route("POST", "/webhooks", ("admin",), {"unit": "p1", "url": "http://127.0.0.1:9/x"}),
    Route("GET", "/metrics", ("admin",)),
]


async def _call(running: Running, route: Route, headers: dict[str, str], n: int) -> int:
    alert = await running.service.ingest(make_event(n, snapshot_jpeg=TINY_JPEG))
    name = f"user{n}"
    if "{name}" in route.path:
        from api.auth import create_user
        from api.domain import Role

        await create_user(running.app.state.store, name, Role.PILOT)
    path = route.path.replace("{id}", str(alert.id)).replace("{name}", name)
    body = route.body
    if body is not None and body.get("name") == "{name}":
        body = {**body, "name": name}
    async with httpx.AsyncClient(base_url=running.url, headers=headers, timeout=10, trust_env=False) as c:
        if route.stream:
            async with c.stream(route.method, path) as r:
                return r.status_code
        r = await c.request(route.method, path, json=body)
        if r.status_code >= 400:
            assert r.json()["detail"], r.text  # every refusal says why
        return r.status_code


@pytest.mark.parametrize("route", MATRIX, ids=lambda r: f"{r.method} {r.path}")
async def test_role_route_matrix(running: Running, route: Route) -> None:
    callers = [("no token", {}), ("bad token", {"Authorization": "Bearer sw_nope"})]
    callers += [(role, running.auth(role)) for role in ROLES]
    results = {}
    for n, (who, headers) in enumerate(callers, start=1):
        results[who] = await _call(running, route, headers, n)
    got_ok = {role for role in ROLES if 200 <= results[role] < 300}
    assert results["no token"] == 401 and results["bad token"] == 401, results
    assert got_ok == set(route.allowed), results
    assert all(results[r] == 403 for r in ROLES if r not in route.allowed), results


async def test_health_needs_no_token(running: Running) -> None:
    async with running.client() as c:
        r = await c.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


async def test_token_in_query_works_for_http(running: Running) -> None:
    async with running.client() as c:
        r = await c.get("/users/me", params={"token": running.tokens["patrol"]})
    assert r.status_code == 200 and r.json()["role"] == "patrol"


async def test_failed_attempts_are_rate_limited(start_server: StartServer) -> None:
    running = await start_server(auth_max_failures=5, auth_window_s=60)
    async with running.client() as c:
        for _ in range(10):  # no token at all is refused but is not a guess: not counted
            assert (await c.get("/alerts")).status_code == 401
        codes = [
            (await c.get("/alerts", headers={"Authorization": f"Bearer sw_guess{i}"})).status_code
            for i in range(5)
        ]
        assert codes == [401] * 5
        r = await c.get("/alerts", headers=running.auth("patrol"))  # even a good token, from this client
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0 and "too many failed" in r.json()["detail"]
        assert (await c.get("/health")).status_code == 200  # /health is never limited


async def test_created_user_token_works_once_shown_and_is_stored_hashed(running: Running) -> None:
    async with running.client("admin") as admin:
        r = await admin.post("/users", json={"name": "patrol-wissant", "role": "patrol"})
        assert r.status_code == 201
        token = r.json()["token"]
        assert token.startswith("sw_") and len(token) > 40
        assert (
            await admin.post("/users", json={"name": "patrol-wissant", "role": "pilot"})
        ).status_code == 409
        listed = (await admin.get("/users")).json()
        assert "token" not in listed["data"][0]
        me = await admin.get("/users/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["name"] == "patrol-wissant"
        assert (await admin.delete("/users/patrol-wissant")).status_code == 204
        gone = await admin.get("/users/me", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401
    db = running.settings.db_path.read_bytes()
    assert token.encode() not in db


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "bad name!", "role": "patrol"}, "name"),
        ({"name": "x", "role": "king"}, "role"),
        ({"name": "x"}, "role"),
    ],
)
async def test_bad_user_bodies(running: Running, body: dict[str, Any], fragment: str) -> None:
    async with running.client("admin") as c:
        r = await c.post("/users", json=body)
    assert r.status_code == 422 and fragment in r.json()["detail"]


def test_cli_users_add_list_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHOREWATCH_STATE_DIR", str(tmp_path / "st"))
    assert cli_main(["users", "add", "alice", "--role", "patrol"]) == 0
    out = capsys.readouterr().out
    token = out.strip().splitlines()[-1]
    assert "shown once" in out and token.startswith("sw_")
    assert cli_main(["users", "add", "alice", "--role", "pilot"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert cli_main(["users", "list"]) == 0
    assert "alice\tpatrol" in capsys.readouterr().out
    import asyncio

    from api.auth import hash_token

    async def lookup() -> Any:
        s = SqliteStore(tmp_path / "st" / "shorewatch.db")
        try:
            return await s.user_by_token_hash(hash_token(token))
        finally:
            await s.close()

    assert asyncio.run(lookup()).name == "alice"
    assert cli_main(["users", "remove", "alice"]) == 0
    assert cli_main(["users", "remove", "alice"]) == 1
    with pytest.raises(SystemExit):
        cli_main(["users", "add", "bob", "--role", "emperor"])
