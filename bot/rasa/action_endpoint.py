"""The action server endpoint: endpoints.yml's literal default, the environment's when set.

Rasa 3.6 raises when endpoints.yml names an unset `${VAR}` and has no default syntax, so
endpoints.yml carries the embedded set-up literally (`http://127.0.0.1:5055/webhook`, no token)
and plain `rasa run`, `rasa shell` and `rasa test` work in the project folder. `make run`, the
test harness and production give ACTION_SERVER_URL / ACTION_SERVER_TOKEN in the environment;
a non-empty value replaces the file's on the agent's action endpoint (the other settings of the
file, e.g. `enable_selective_domain`, stay).

`install()` is called by `bot.rasa.tracker_store.ConversationStore`, the tracker store endpoints.yml
names: Rasa builds it before the agent, in every `rasa run` / `rasa shell` started with the
project's endpoints.yml. (`rasa test` builds no tracker store: it uses the file as written.)
The production checks (`bot.settings`) still refuse a server without ACTION_SERVER_TOKEN.
"""
from __future__ import annotations

import copy
import logging
import os
from typing import Any, Mapping, Optional

import rasa
from rasa.core.agent import Agent
from rasa.utils.endpoints import EndpointConfig

from bot.rasa import guards

logger = logging.getLogger(__name__)

URL_VAR, TOKEN_VAR = "ACTION_SERVER_URL", "ACTION_SERVER_TOKEN"


def from_env(endpoint: Optional[EndpointConfig], env: Optional[Mapping[str, str]] = None) -> Optional[EndpointConfig]:
    """`endpoint` with a non-empty ACTION_SERVER_URL / ACTION_SERVER_TOKEN of `env` applied (a copy)."""
    env = os.environ if env is None else env
    url = (env.get(URL_VAR) or "").strip()
    token = (env.get(TOKEN_VAR) or "").strip()
    if endpoint is None:
        return EndpointConfig(url=url, token=token or None) if url else None
    if not url and not token:
        return endpoint
    endpoint = copy.copy(endpoint)
    if url:
        endpoint.url = url
    if token:
        endpoint.token = token
    return endpoint


_rasa_agent_init = Agent.__init__
_installed = False


def _agent_init(self: Agent, *args: Any, **kwargs: Any) -> None:
    _rasa_agent_init(self, *args, **kwargs)
    endpoint = from_env(self.action_endpoint)
    if endpoint is not self.action_endpoint:
        logger.info("action server: %s (from the environment%s)", endpoint.url,
                    ", with ACTION_SERVER_TOKEN" if endpoint.token else "")
    self.action_endpoint = endpoint


def install() -> bool:
    """Make every agent of this process apply the environment to its action endpoint (once);
    False (and a warning) on a Rasa version this was not written for."""
    global _installed
    if _installed:
        return True
    if not rasa.__version__.startswith(guards.SUPPORTED_RASA):
        logger.warning("bot.rasa.action_endpoint: Rasa %s is not %sx; ACTION_SERVER_URL/_TOKEN NOT applied",
                       rasa.__version__, guards.SUPPORTED_RASA)
        return False
    Agent.__init__ = _agent_init
    _installed = True
    return True
