"""``shorewatch serve``: the API (alerts, push, dashboard) under uvicorn."""

from __future__ import annotations

import argparse
from typing import Any

from api.settings import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the API and dashboard (default 127.0.0.1:8000)")
    p.add_argument("--host", default=None, help="bind address (default: SHOREWATCH_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default: SHOREWATCH_PORT, 8000)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app

    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise SystemExit(f"shorewatch serve: --port must be in 0..65535, got {port}")
    settings = settings.model_copy(update={"host": host, "port": port})
    app = create_app(settings)
    if settings.demo_tokens:
        _print_demo_tokens_at_startup(app)
    print(f"shorewatch API on http://{host}:{port}  (docs: /docs, state: {settings.state_dir})", flush=True)
    from api.app import request_shutdown

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            request_shutdown(app)  # end SSE/WebSocket streams so Ctrl-C stops at once
            super().handle_exit(sig, frame)

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        ws_ping_interval=20.0,
        # alerts are ~1.5 kB: per-client deflate costs more CPU in a 1,000-client fan-out than it saves
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=5,
    )
    Server(config).run()
    return 0


def _print_demo_tokens_at_startup(app: Any) -> None:
    """SHOREWATCH_DEMO_TOKENS=1: print the demo users' tokens once the lifespan created them."""
    import contextlib

    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any) -> Any:
        async with inner(a) as state:
            print("demo tokens (one user per role):", flush=True)
            for role, token in a.state.demo_tokens.items():
                print(f"  {role:<9} {token}", flush=True)
            yield state

    app.router.lifespan_context = lifespan
