"""A stand-in for api.weixin.qq.com on 127.0.0.1: records every call and can
be told to fail (40001, 42001, 45015, ...) or to be slow."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, urlparse


class FakeWeChatAPI:
    def __init__(self, appid: str, secret: str) -> None:
        self.appid = appid
        self.secret = secret
        self.calls: List[Dict[str, Any]] = []
        self.valid_tokens: set = set()
        self.script: Dict[str, List[int]] = {"send": [], "menu": [], "token": []}
        self.delay = 0.0
        self._issued = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                api._handle(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                api._handle(self, self.rfile.read(length))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    # -- control --------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.script = {"send": [], "menu": [], "token": []}
            self.delay = 0.0

    def fail_next(self, kind: str, *errcodes: int) -> None:
        """Answer the next calls of `kind` (send/menu/token) with these errcodes."""
        with self._lock:
            self.script[kind].extend(errcodes)

    def expire_tokens(self) -> None:
        """Every token issued so far becomes invalid (WeChat then says 40001)."""
        with self._lock:
            self.valid_tokens.clear()

    def calls_of(self, kind: str) -> List[Dict[str, Any]]:
        with self._lock:
            return [c for c in self.calls if c["kind"] == kind]

    def wait_for(self, kind: str, count: int, timeout: float = 10.0) -> List[Dict[str, Any]]:
        """Wait until at least `count` calls of `kind` arrived (pushes are async)."""
        end = time.monotonic() + timeout
        with self._cond:
            while len([c for c in self.calls if c["kind"] == kind]) < count:
                left = end - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return [c for c in self.calls if c["kind"] == kind]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- serving --------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, body: Optional[bytes]) -> None:
        url = urlparse(req.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        kind = {
            "/cgi-bin/token": "token",
            "/cgi-bin/message/custom/send": "send",
            "/cgi-bin/menu/create": "menu",
        }.get(url.path, "unknown")
        payload = None
        if body is not None:
            try:
                payload = json.loads(body.decode("utf-8"))
            except ValueError:
                payload = {"_raw": body.decode("utf-8", "replace")}
        if self.delay:
            time.sleep(self.delay)
        with self._cond:
            answer = self._answer(kind, query)
            self.calls.append(
                {
                    "kind": kind,
                    "query": query,
                    "json": payload,
                    "raw": body,
                    "content_type": req.headers.get("Content-Type"),
                    "answer": answer,
                }
            )
            self._cond.notify_all()
        data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        req.send_response(200)
        req.send_header("Content-Type", "application/json; charset=utf-8")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def _answer(self, kind: str, query: Dict[str, str]) -> Dict[str, Any]:
        if kind == "unknown":
            return {"errcode": 40066, "errmsg": "invalid url"}
        if self.script[kind]:
            code = self.script[kind].pop(0)
            return {"errcode": code, "errmsg": f"scripted error {code}"}
        if kind == "token":
            if query.get("appid") != self.appid or query.get("secret") != self.secret:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            self._issued += 1
            token = f"ACCESS_TOKEN_{self._issued}"
            self.valid_tokens.add(token)
            return {"access_token": token, "expires_in": 7200}
        if query.get("access_token") not in self.valid_tokens:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        return {"errcode": 0, "errmsg": "ok"}
