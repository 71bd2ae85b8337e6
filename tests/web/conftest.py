"""Fixtures for the console tests: accounts made with `python -m bot users add` against the
session's knowledge base, logged-in HTTP sessions, headless Chromium, and a Rasa server with
the WeChat channel configured against a fake WeChat API (for the handoff queue)."""
from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator

import pytest
import requests

from tests.support import servers

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# One account per purpose, so a lock-out test never locks the account another test logs in with.
USERS = {
    "staff1": ("staff", "staff1-pass-9x"),
    "staff2": ("staff", "staff2-pass-8q"),  # the second operator of the handoff claim tests
    "admin1": ("admin", "admin1-pass-7y"),
    "locked_http": ("staff", "locked-http-3z"),
    "locked_ui": ("staff", "locked-ui-5w"),
    "disable_me": ("staff", "disable-me-2v"),
}

# WeChat side of the handoff test (same shapes as tests/channels).
WECHAT_TOKEN = "zct_console_token_8c1d"
WECHAT_APPID = "wx00000000console01"
WECHAT_SECRET = "console-test-secret-never-real"
WECHAT_AES_KEY = base64.b64encode(bytes(range(1, 33))).decode()[:-1]


def users_cli(db_url: str, *args: str, password: str = "") -> subprocess.CompletedProcess:
    env = servers.base_env({"DATABASE_URL": db_url})
    return subprocess.run([sys.executable, "-m", "bot", "users", *args], cwd=ROOT, env=env, input=password + "\n",
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def console_users(session_kb_url) -> Dict[str, str]:
    """name → password, created through the real CLI (password on stdin)."""
    for name, (role, password) in USERS.items():
        done = users_cli(session_kb_url, "add", name, "--role", role, password=password)
        assert done.returncode == 0, done.stderr
    return {name: password for name, (_, password) in USERS.items()}


def login_form_token(session: requests.Session, base: str) -> str:
    page = session.get(f"{base}/console/login", timeout=10)
    return re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)


def http_login(base: str, username: str, password: str, next_path: str = "/console/call") -> requests.Session:
    session = requests.Session()
    token = login_form_token(session, base)
    resp = session.post(f"{base}/console/login", data={"login_csrf": token, "username": username,
                                                         "password": password, "next": next_path},
                        allow_redirects=False, timeout=30)
    assert resp.status_code == 303, resp.text[:500]
    return session


def page_csrf(session: requests.Session, base: str) -> str:
    page = session.get(f"{base}/console/call", timeout=30)
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


@pytest.fixture(scope="session")
def console(bot_server, console_users):
    """The real Rasa server (REST + console) with the test accounts in place."""
    return bot_server


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} missing: run `make browser-deps` (apt-get install -y chromium fonts-noto-cjk)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # two shared cores: the model and the matcher take a moment
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Factory: a fresh browser context (own cookies) at 1366×768, clipboard allowed."""
    contexts = []

    def make(base_url: str):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                      accept_downloads=True, base_url=base_url)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        context.set_default_timeout(20000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


def ui_login(page, username: str, password: str) -> None:
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator:
    from tests.channels.fake_wechat_api import FakeWeChatAPI

    api = FakeWeChatAPI(WECHAT_APPID, WECHAT_SECRET)
    yield api
    api.close()


@pytest.fixture(scope="session")
def wechat_console(trained_model, action_server, session_kb_url, console_users, fake_wechat):
    """The project's bot with REST, WeChat (pointed at the fake API) and the console."""
    env = {"DATABASE_URL": session_kb_url, "WECHAT_TOKEN": WECHAT_TOKEN, "WECHAT_APPID": WECHAT_APPID,
           "WECHAT_SECRET": WECHAT_SECRET, "WECHAT_AES_KEY": WECHAT_AES_KEY, "WECHAT_API_BASE": fake_wechat.url,
           "WECHAT_DEDUP_STORE": "memory"}
    server = servers.start_rasa_server(trained_model, action_url=f"{action_server.url}/webhook", env=env)
    yield server
    server.stop()


@pytest.fixture
def wechat_owner(wechat_console):
    from tests.channels.wechat_side import WeChatSide

    return WeChatSide(wechat_console.url, WECHAT_TOKEN, WECHAT_APPID, WECHAT_AES_KEY, "safe")


# ---- the admin console's accounts (tests/web/test_admin_*.py) --------------------------------

@pytest.fixture(scope="module")
def admin_accounts(session_kb_url):
    from tests.web import admin_helpers  # it imports this module

    return admin_helpers.create_accounts(session_kb_url)


@pytest.fixture(scope="module")
def author(console, admin_accounts):
    from tests.web import admin_helpers

    return admin_helpers.Console(console.url, "kb_author", admin_helpers.ADMINS["kb_author"])


@pytest.fixture(scope="module")
def reviewer(console, admin_accounts):
    from tests.web import admin_helpers

    return admin_helpers.Console(console.url, "kb_reviewer", admin_helpers.ADMINS["kb_reviewer"])


@pytest.fixture(scope="module")
def staff(console, admin_accounts):
    from tests.web import admin_helpers

    return admin_helpers.Console(console.url, "kb_staff", admin_helpers.STAFF["kb_staff"])
