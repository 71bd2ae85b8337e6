"""WeChat's retries and its 5-second rule, for the WeChat channel.

Retries carry the same MsgId, and a retry must never run the bot again: the
first attempt's turn is shared (asyncio task in-process, a claim in the store
across processes). An answer later than the reply budget goes out through the
customer-service API, and every attempt answers "success".
"""
import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional

from bot.channels.wechat_client import WeChatAPIError, WeChatClient

logger = logging.getLogger(__name__)


def mask_openid(openid: str) -> str:
    return openid[:6] + "…" if len(openid) > 6 else openid


@dataclass
class _Turn:
    """One user message being answered; shared by WeChat's retries."""

    key: str
    task: "asyncio.Task[str]"
    openid: str
    push: bool = False  # answer goes out via the customer-service API instead


class Turns:
    def __init__(self, store: Any, dedup_ttl: float, client: Optional[WeChatClient], error_text: str) -> None:
        self.store = store
        self.dedup_ttl = dedup_ttl
        self.client = client
        self.error_text = error_text
        self._turns: Dict[str, _Turn] = {}
        self._background: set = set()  # strong refs to fire-and-forget tasks

    async def answer(
        self, key: str, openid: str, run: Callable[[], Awaitable[str]], deadline: float
    ) -> str:
        turn = self._turns.get(key)
        if turn is None:
            if not await self.store.claim(key, self.dedup_ttl):
                # Another process (Redis mode) is answering this message.
                return await self._poll_result(key, deadline)
            task = asyncio.ensure_future(self._run_turn(key, run))
            turn = _Turn(key=key, task=task, openid=openid)
            self._turns[key] = turn
            asyncio.get_running_loop().call_later(self.dedup_ttl, self._turns.pop, key, None)
        return await self._wait_turn(turn, deadline)

    async def _run_turn(self, key: str, run: Callable[[], Awaitable[str]]) -> str:
        try:
            reply = await run()
        except Exception:  # noqa: BLE001
            logger.exception("wechat: turn failed")
            reply = self.error_text
        turn = self._turns.get(key)
        pushed = bool(turn and turn.push)
        try:
            await self.store.set_json(
                f"result:{key}", {"pushed": True} if pushed else {"reply": reply}, self.dedup_ttl
            )
        except Exception:  # noqa: BLE001
            logger.exception("wechat: could not store the answer for retries")
        if pushed and turn is not None:
            self._spawn(self._push(turn.openid, reply))
        return reply

    async def _wait_turn(self, turn: _Turn, deadline: float) -> str:
        if turn.push:
            return ""
        if not turn.task.done() and deadline <= time.monotonic():
            self._delegate(turn)  # budget already spent (parsing, Redis): don't wait at all
            return ""
        try:
            # asyncio.wait doesn't cancel the turn on timeout: it goes on and
            # its answer is pushed instead.
            await asyncio.wait({turn.task}, timeout=max(0.0, deadline - time.monotonic()))
        except asyncio.CancelledError:  # WeChat hung up: still deliver the answer
            self._delegate(turn)
            raise
        if turn.task.done() and not turn.push and not turn.task.cancelled():
            return turn.task.result()
        self._delegate(turn)
        return ""

    def _delegate(self, turn: _Turn) -> None:
        """From now on this turn's answer goes out via the customer-service API,
        and every attempt (this one and later retries) answers "success"."""
        if turn.push:
            return
        turn.push = True
        logger.info("wechat: answer for %s exceeds the reply budget, will push it", mask_openid(turn.openid))
        self._spawn(self.store.set_json(f"result:{turn.key}", {"pushed": True}, self.dedup_ttl))
        if turn.task.done() and not turn.task.cancelled():
            # _run_turn has finished already, so nobody else will push it.
            self._spawn(self._push(turn.openid, turn.task.result()))

    async def _poll_result(self, key: str, deadline: float) -> str:
        while True:
            result = await self.store.get_json(f"result:{key}")
            if result is not None:
                return "" if result.get("pushed") else str(result.get("reply") or "")
            if time.monotonic() >= deadline:
                # The claiming process still works on it and will answer
                # (passively or by pushing); we must not run the bot too.
                return ""
            await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    async def _push(self, openid: str, text: str) -> None:
        if not text:
            return
        if self.client is None:
            logger.error("wechat: late answer for %s dropped: WECHAT_APPID/WECHAT_SECRET not set", mask_openid(openid))
            return
        try:
            await self.client.send_text(openid, text)
            logger.info("wechat: late answer delivered to %s via customer-service API", mask_openid(openid))
        except WeChatAPIError as exc:
            logger.error("wechat: could not deliver late answer to %s: %s", mask_openid(openid), exc)
        except Exception as exc:  # noqa: BLE001 - network errors etc.
            logger.error("wechat: could not deliver late answer to %s: %r", mask_openid(openid), exc)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
