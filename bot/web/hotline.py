"""Hotline console (热线坐席台): mounts the call assistant (bot/web/call.py), the 工单 records
(bot/web/tickets.py) and the handoff queue (bot/web/handoff.py); the login routes are
bot/web/login.py's. Conversations are read through bot/rasa/conversations.py."""
from __future__ import annotations

from sanic import Blueprint

from bot.web import call, handoff, tickets
from bot.web.body import JSON_LIMIT, add_route as bounded_route, json_error


def add_routes(bp: Blueprint) -> None:
    bounded_route(bp, call.call_page, "console/call", methods=["GET", "POST"])
    for handler, path in ((call.api_match, "console/api/call/match"), (call.api_parse, "console/api/call/parse"),
                          (call.api_search, "console/api/call/search"), (tickets.api_save, "console/api/tickets")):
        bounded_route(bp, handler, path, methods=["POST"], limit=JSON_LIMIT, on_error=json_error)
    bp.add_route(tickets.api_history, "console/api/tickets/history", methods=["GET"])
    bp.add_route(tickets.tickets_page, "console/tickets", methods=["GET"])
    bp.add_route(tickets.ticket_view, "console/tickets/view", methods=["GET"])
    bp.add_route(tickets.tickets_export, "console/tickets/export.csv", methods=["GET"])
    bp.add_route(handoff.handoff_queue, "console/handoff", methods=["GET"])
    bp.add_route(handoff.handoff_rows, "console/api/handoff/rows", methods=["GET"])
    bp.add_route(handoff.handoff_view, "console/handoff/view", methods=["GET"])
    bp.add_route(handoff.handoff_transcript, "console/api/handoff/transcript", methods=["GET"])
    for handler, path in ((handoff.handoff_claim, "claim"), (handoff.handoff_reply, "reply"),
                          (handoff.handoff_release, "release"), (handoff.handoff_notify, "notify")):
        bounded_route(bp, handler, f"console/handoff/{path}", methods=["POST"])
