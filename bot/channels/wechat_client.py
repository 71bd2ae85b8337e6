"""Small client for the WeChat official-account server API.

One per process (`shared_client()`): the WeChat channel delivers late answers with it and the
hotline's handoff queue sends operators' replies with it; `python -m bot wechat menu publish`
makes its own. The access_token lives in a wechatpy session storage — Redis when the WeChat
state store is Redis (several processes or hosts then share one token: every fetch of a new
token makes the old one expire, so each process fetching its own would undo the others), else
memory. Requests are ours rather than wechatpy's client: its retry on a rejected token recurses
without a bound and its token URL is fixed, so the fake WeChat API of the tests could not stand in.

Blocking `requests` underneath; async callers get `send_text` which runs the
call in a thread executor so Sanic's event loop never waits on the network.
"""
import asyncio
import json
import logging
import os
import threading
from typing import Any, Dict, Optional

import requests
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com"

# errcodes meaning "this access_token is no good, fetch a new one"
TOKEN_ERRORS = {40001, 40014, 42001}

# What an operator should know when the API refuses (logged with the code).
ERROR_HINTS = {
    -1: "微信系统繁忙，稍后重试",
    40003: "OpenID 无效（不是本公众号的用户）",
    40013: "AppID 无效",
    40125: "AppSecret 无效",
    40164: "调用方 IP 不在公众号后台的 IP 白名单中",
    45009: "接口调用超过每日限额",
    45015: "用户超过 48 小时未与公众号互动，客服消息窗口已关闭",
    45047: "客服消息下行条数超过上限（用户未回复前最多 5 条）",
    48001: "公众号没有该接口权限（需认证服务号）",
}

# Refresh this long before WeChat's stated expiry so a token never dies in flight.
EXPIRY_MARGIN = 300


class WeChatAPIError(Exception):
    def __init__(self, errcode: int, errmsg: str = "") -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        hint = ERROR_HINTS.get(errcode)
        text = f"WeChat API error {errcode}: {errmsg}"
        super().__init__(f"{text}（{hint}）" if hint else text)


class WeChatClient:
    def __init__(
        self,
        appid: str,
        secret: str,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 5.0,
        storage: Optional[SessionStorage] = None,
    ) -> None:
        if not appid or not secret:
            raise ValueError("WECHAT_APPID and WECHAT_SECRET are required for the WeChat API")
        self.appid = appid
        self._secret = secret
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        self._lock = threading.Lock()
        self.storage = storage or MemoryStorage()

    @classmethod
    def from_env(cls, env: Optional[Dict[str, str]] = None) -> "WeChatClient":
        env = os.environ if env is None else env
        return cls(
            env.get("WECHAT_APPID", ""),
            env.get("WECHAT_SECRET", ""),
            env.get("WECHAT_API_BASE") or DEFAULT_API_BASE,
            storage=token_storage(env),
        )

    @property
    def token_key(self) -> str:
        return f"{self.appid}_access_token"  # wechatpy's key: a wechatpy client could share it

    def __repr__(self) -> str:  # never show the secret or the token
        return f"WeChatClient(appid={self.appid!r}, api_base={self.api_base!r})"

    # -- access_token ---------------------------------------------------------

    def access_token(self, stale: Optional[str] = None) -> str:
        """Cached access_token; fetched by one thread at a time.

        `stale` is a token the API just rejected: only fetch again if nobody
        has replaced it meanwhile, so N failing callers cause one fetch, not N
        (each fetch also counts against a daily quota).
        """
        with self._lock:
            current = self.storage.get(self.token_key)
            if current and current != stale:
                return str(current)
            resp = self._session.get(
                f"{self.api_base}/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self._secret,
                },
                timeout=self.timeout,
            )
            data = self._json(resp)
            if "access_token" not in data:
                raise WeChatAPIError(int(data.get("errcode", -2)), str(data.get("errmsg", data)))
            token = str(data["access_token"])
            lifetime = int(data.get("expires_in", 7200))
            self.storage.set(self.token_key, token, ttl=int(max(lifetime - EXPIRY_MARGIN, lifetime / 2)))
            logger.info("wechat: fetched a new access_token (valid %ss)", lifetime)
            return token

    # -- calls ----------------------------------------------------------------

    @staticmethod
    def _json(resp: requests.Response) -> Dict[str, Any]:
        try:
            data = resp.json()
        except ValueError:
            raise WeChatAPIError(-2, f"HTTP {resp.status_code}, not JSON")
        if not isinstance(data, dict):
            raise WeChatAPIError(-2, f"HTTP {resp.status_code}, unexpected body")
        return data

    def post(self, path: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        """POST to an access_token-protected endpoint; refresh + retry once on
        an expired/invalid token; raise WeChatAPIError on any other errcode."""
        # ensure_ascii=False: WeChat shows "\u4f60" literally instead of "你".
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        token = self.access_token()
        for attempt in (1, 2):
            resp = self._session.post(
                f"{self.api_base}{path}",
                params={"access_token": token},
                data=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout,
            )
            data = self._json(resp)
            errcode = int(data.get("errcode", 0) or 0)
            if errcode in TOKEN_ERRORS and attempt == 1:
                logger.warning("wechat: access_token rejected (%s), fetching a new one", errcode)
                token = self.access_token(stale=token)
                continue
            if errcode != 0:
                raise WeChatAPIError(errcode, str(data.get("errmsg", "")))
            return data
        raise AssertionError("unreachable")

    def send_text_sync(self, openid: str, text: str) -> Dict[str, Any]:
        """Send a customer-service text message (blocking)."""
        return self.post(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": text}},
        )

    async def send_text(self, openid: str, text: str) -> Dict[str, Any]:
        """Send a customer-service text message without blocking the loop.

        Raises WeChatAPIError (e.g. 45015 when the 48-hour window is closed).
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.send_text_sync, openid, text)

    def create_menu(self, menu: Dict[str, Any]) -> Dict[str, Any]:
        return self.post("/cgi-bin/menu/create", menu)


def token_storage(env: Optional[Dict[str, str]] = None) -> SessionStorage:
    """Where access_tokens live: Redis when the WeChat state store is Redis, else this process."""
    env = os.environ if env is None else env
    if (env.get("WECHAT_DEDUP_STORE") or "").strip().lower() == "redis":
        import redis

        return RedisStorage(redis.Redis.from_url(env.get("REDIS_URL") or "redis://127.0.0.1:6379/0"),
                            prefix="zct:wechat")
    return MemoryStorage()


_shared: Dict[Any, WeChatClient] = {}
_shared_lock = threading.Lock()


def shared_client(env: Optional[Dict[str, str]] = None) -> Optional[WeChatClient]:
    """The process's one client for this AppID (None without WECHAT_APPID / WECHAT_SECRET)."""
    env = os.environ if env is None else env
    appid, secret = env.get("WECHAT_APPID", ""), env.get("WECHAT_SECRET", "")
    if not appid or not secret:
        return None
    key = (appid, env.get("WECHAT_API_BASE") or DEFAULT_API_BASE, env.get("WECHAT_DEDUP_STORE") or "")
    with _shared_lock:
        if key not in _shared:
            _shared[key] = WeChatClient.from_env(env)
        return _shared[key]
