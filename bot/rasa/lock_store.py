"""Rasa's conversation locks, with a waiting message looking again every 20 ms, not every second.

Rasa handles one message per conversation at a time. In 3.6 a message that finds its
conversation busy sleeps a whole second before it looks at the lock again, so an owner who sends
two lines in quick succession (common on WeChat) waits up to a second longer than the bot needs.
Same ticket locks, same order; only the retry interval differs.

endpoints.yml: `lock_store: {type: bot.rasa.lock_store.ConversationLockStore}` (one Rasa process, the
default), or `type: bot.rasa.lock_store.RedisConversationLockStore` with `url`/`port`/`db` when several
Rasa processes share conversations.
"""
from __future__ import annotations

from typing import Any, Optional, Text

from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

RETRY_SECONDS = 0.02


class _PromptRetry:
    def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
             wait_time_in_seconds: float = RETRY_SECONDS) -> Any:
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)  # type: ignore[misc]


class ConversationLockStore(_PromptRetry, InMemoryLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        super().__init__()


class RedisConversationLockStore(_PromptRetry, RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)
