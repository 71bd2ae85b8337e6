"""Start the real servers for integration tests: the rasa_sdk action server and `rasa run`.

Each server is a subprocess on a free loopback port with its own log file; `stop()` ends it.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Optional

import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "zct.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.update({"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1",
                "SANIC_REGISTER": "False"})
    env.update(extra or {})
    return env


class ServerProcess:
    def __init__(self, name: str, args, port: int, env: Dict[str, str], health_path: str, token: str = "",
                 cwd: Optional[Path] = None):
        self.name, self.port, self.token = name, port, token
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = Path(tempfile.mkstemp(prefix=f"zct-{name}-", suffix=".log")[1])
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(args, cwd=cwd or ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait(health_path)

    def _wait(self, health_path: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                if requests.get(self.url + health_path, params=self._auth(), timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.name} did not become healthy in {timeout}s:\n{self.log_tail()}")

    def _auth(self) -> Dict[str, str]:
        return {"token": self.token} if self.token else {}

    def api_get(self, path: str, **kwargs) -> requests.Response:
        """GET on Rasa's HTTP API with this server's token."""
        return requests.get(self.url + path, params={**self._auth(), **kwargs.pop("params", {})},
                            timeout=kwargs.pop("timeout", 30), **kwargs)

    def tracker(self, conversation_id: str) -> dict:
        resp = self.api_get(f"/conversations/{conversation_id}/tracker")
        resp.raise_for_status()
        return resp.json()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()


def start_action_server(port: Optional[int] = None, env: Optional[Dict[str, str]] = None) -> ServerProcess:
    """The action server as `make run` starts it (loopback; token from ACTION_SERVER_TOKEN if given)."""
    port = port or free_port()
    env = base_env(env)
    args = [str(VENV_BIN / "python"), "-m", "bot.action_server", "--port", str(port)]
    server = ServerProcess("actions", args, port, env, "/health")
    server.token = env.get("ACTION_SERVER_TOKEN", "")
    return server


def start_rasa_server(model_path: Path, *, action_url: str, credentials_path: Optional[Path] = None,
                      port: Optional[int] = None, env: Optional[Dict[str, str]] = None,
                      endpoints_path: Optional[Path] = None) -> ServerProcess:
    """`rasa run` as `make run` starts it: loopback, the HTTP API behind a token (`server.token`,
    `server.api_get`). The Rasa server applies ACTION_SERVER_URL / ACTION_SERVER_TOKEN / TRACKER_DB_URL
    from the environment over endpoints.yml's literal defaults (bot/rasa/action_endpoint.py, bot/rasa/tracker_store.py)."""
    port = port or free_port()
    env = base_env(env)
    env["ACTION_SERVER_URL"] = action_url
    env.setdefault("ACTION_SERVER_TOKEN", "")
    env.setdefault("TRACKER_DB_URL", f"sqlite:///{tempfile.mkdtemp(prefix='zct-tracker-')}/tracker.db")
    token = env.get("RASA_AUTH_TOKEN") or secrets.token_hex(24)  # hex: a token starting with "-" reads as an option
    args = [str(VENV_BIN / "rasa"), "run", "-m", str(model_path), "--enable-api", "--auth-token", token,
            "--port", str(port), "-i", "127.0.0.1",
            "--credentials", str(credentials_path or ROOT / "credentials.yml"),
            "--endpoints", str(endpoints_path or ROOT / "endpoints.yml")]
    return ServerProcess("rasa", args, port, env, "/status", token=token)


def ensure_model() -> Path:
    """The project's model; trained here only when `make model` has not produced it."""
    if not MODEL.exists():
        subprocess.run([str(VENV_BIN / "rasa"), "train", "--fixed-model-name", "zct", "--out", "models",
                        "--data", "data/nlu", "data/rules"],
                       cwd=ROOT, env=base_env(), check=True)
    return MODEL
