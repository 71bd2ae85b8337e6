"""Mounts our web pages and JSON API on the Rasa server, as Rasa mounts its connectors.

Registered in credentials.yml as `bot.web.channel.ConsoleInput`; it receives no messages of
its own, it only contributes routes. Rasa joins "/webhooks/" with url_prefix(); "/" puts our
routes at the root, so they are written without a leading slash ("api/match" → /api/match).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from bot.settings import refuse_unsafe_production
from bot.web.db import migrate
from bot.web import admin, api, cors, hotline, login


class ConsoleInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "console"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ConsoleInput":
        # Every Rasa server of ours mounts the console, so this is where production refuses
        # to start with an open API or placeholder secrets.
        refuse_unsafe_production()
        # The consoles' tables are brought up to date here, at start-up, never inside a request.
        migrate()
        return cls()

    def url_prefix(self) -> Text:
        return "/"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("zct_web")
        for module in (api, login, hotline, admin):
            module.add_routes(bp)
        bp.add_route(cors.preflight, "api/match", methods=["OPTIONS"], name="api_match_preflight")
        bp.middleware("response")(cors.restrict)  # after sanic-cors, if Rasa runs with --cors
        return bp
