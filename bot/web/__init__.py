"""Web pages and JSON API served by the Rasa server (one Sanic stack)."""
