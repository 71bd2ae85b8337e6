"""The rasa_sdk action server, started the safe way: `python -m bot.action_server`.

`python -m rasa_sdk` listens on every interface, allows any CORS origin and answers anyone. Here
it listens on loopback unless ACTION_HOST says otherwise, allows no cross-origin calls, and when
ACTION_SERVER_TOKEN is set every call must carry it (Rasa sends endpoints.yml's `token` as the
`?token=` query parameter). Production (`ZCT_ENV=production`) refuses to start without a token.
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os
from typing import Optional, Sequence

from rasa_sdk import endpoint
from sanic import Sanic, response

from bot.settings import Settings, secret_problem

logger = logging.getLogger(__name__)

OPEN_PATHS = {"/health"}


def create_app(token: str = "") -> Sanic:
    app = endpoint.create_app("actions", cors_origins=None)

    if token:
        @app.middleware("request")
        async def require_token(request):
            if request.path in OPEN_PATHS:
                return None
            given = request.args.get("token", "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                return response.json({"error": "unauthorized"}, status=401)
            return None

    return app


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.action_server", description="政策通 action server")
    parser.add_argument("--host", default=os.environ.get("ACTION_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_PORT", "5055")))
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if settings.production and secret_problem(settings.action_token):
        raise SystemExit(f"政策通拒绝以生产模式启动 action server：ACTION_SERVER_TOKEN {secret_problem(settings.action_token)}")
    if not settings.action_token and args.host not in ("127.0.0.1", "::1", "localhost"):
        logger.warning("action server on %s without ACTION_SERVER_TOKEN: anyone who reaches it can run actions",
                       args.host)
    logging.basicConfig(level=logging.INFO)
    app = create_app(settings.action_token)
    app.run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
