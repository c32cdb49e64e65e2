"""The dashboard's server side: the app is served without a token, works offline (no external
URL anywhere in its files), and its bootstrap routes (whoami, the site GeoJSON) need a token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.live import LiveServer

STATIC = Path(__file__).resolve().parents[2] / "api" / "static"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("state")) as s:
        yield s


@pytest.mark.parametrize(
    ("path", "ctype", "contains"),
    [
        ("/", "text/html", '<script type="module" src="/static/app.js">'),
        ("/static/app.js", "javascript", "WebSocket"),
        ("/static/map.js", "javascript", "class SiteMap"),
        ("/static/app.css", "text/css", "@media"),
    ],
)
def test_app_is_served_without_a_token(server: LiveServer, path: str, ctype: str, contains: str) -> None:
    with server.client(None) as c:
        r = c.get(path)
    assert r.status_code == 200 and ctype in r.headers["content-type"]
    assert contains in r.text


def test_dashboard_files_reference_nothing_off_the_server() -> None:
    files = [p for p in STATIC.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"index.html", "app.js", "map.js", "app.css"}
    for p in files:
        text = p.read_text(encoding="utf-8")
        # the only absolute URL allowed is the SVG namespace identifier (never fetched)
        urls = set(re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s\"'`)]*", text)) - {
            "http://www.w3.org/2000/svg"
        }
        assert not urls, f"{p.name} references {urls}"


@pytest.mark.parametrize(
    ("role", "status"), [(None, 401), ("patrol", 200), ("pilot", 200), ("trainer", 200), ("admin", 200)]
)
def test_site_geojson_needs_a_token_and_holds_the_map(
    server: LiveServer, role: str | None, status: int
) -> None:
    with server.client(role) as c:
        r = c.get("/site.geojson")
    assert r.status_code == status
    if status == 200:
        data = r.json()
        assert data["type"] == "FeatureCollection"
        roles = {f["properties"]["role"] for f in data["features"]}
        assert roles >= {"waterline", "land", "beach", "no_fly", "geofence", "launch_point", "patrol_unit"}


@pytest.mark.parametrize("role", ["patrol", "pilot", "trainer", "admin", "detector"])
def test_whoami_names_the_role(server: LiveServer, role: str) -> None:
    with server.client(role) as c:
        assert c.get("/dashboard/whoami").json() == {"name": f"demo-{role}", "role": role}
    with server.client(None) as c:
        assert c.get("/dashboard/whoami", params={"token": "sw_wrong"}).status_code == 401
