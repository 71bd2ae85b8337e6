"""Helpers for the admin console tests: extra admin accounts, logged-in HTTP sessions with the
page's CSRF token, conversations written through Rasa's own SQL tracker store, and a
knowledge-base guard that rolls back whatever a test published."""
from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Dict, Iterator, List, Sequence, Tuple

import requests

from bot.channels.rest import conversation_id
from policies_kb import workflow
from policies_kb.db import session_scope
from policies_kb.models import PolicyVersion
from tests.web.conftest import http_login, users_cli

# Two admins (author and reviewer: publishing needs a second person) and one staff member.
ADMINS = {"kb_author": "kb-author-pass-4q", "kb_reviewer": "kb-reviewer-pass-8r"}
STAFF = {"kb_staff": "kb-staff-pass-6t"}

# The policy the end-to-end tests edit (and roll back): its benefit text is in the bot's answers.
POLICY = "startup_guaranteed_loan"


def create_accounts(db_url: str) -> Dict[str, str]:
    """The accounts above, made with `python -m bot users add` (idempotent per database)."""
    for names, role in ((ADMINS, "admin"), (STAFF, "staff")):
        for name, password in names.items():
            done = users_cli(db_url, "add", name, "--role", role, password=password)
            assert done.returncode == 0 or "已存在" in done.stdout + done.stderr, done.stderr
    return {**ADMINS, **STAFF}


class Console:
    """A logged-in requests session that knows the page CSRF token."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.http: requests.Session = http_login(base, username, password, next_path="/console/admin/policies")
        self.csrf = self.token()

    def token(self) -> str:
        page = self.http.get(f"{self.base}/console/admin/policies", timeout=30)
        return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base + path, timeout=60, allow_redirects=False, **kwargs)

    def post(self, path: str, data=None, files=None, csrf: bool = True) -> requests.Response:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        return self.http.post(self.base + path, data=data, files=files, timeout=60, allow_redirects=False)


def edit_form(page_html: str) -> List[Tuple[str, str]]:
    """The editor's current field values, scraped from the page (what a browser would send)."""
    fields: List[Tuple[str, str]] = []
    form = page_html[page_html.index('id="policy-form"'):]
    for tag in re.finditer(r"<(input|textarea|select)\b([^>]*)>", form):
        kind, attrs = tag.group(1), tag.group(2)
        name = re.search(r'name="([^"]+)"', attrs)
        if not name or name.group(1).startswith("p_") or name.group(1) in ("csrf_token", "do"):
            continue
        if kind == "input":
            value = re.search(r'value="([^"]*)"', attrs)
            if re.search(r'type="checkbox"', attrs) and "checked" not in attrs:
                continue
            fields.append((name.group(1), _unescape(value.group(1) if value else "")))
        elif kind == "textarea":
            end = form.index("</textarea>", tag.end())
            fields.append((name.group(1), _unescape(form[tag.end():end])))
        else:
            end = form.index("</select>", tag.end())
            for option in re.finditer(r"<option([^>]*)>", form[tag.end():end]):
                if "selected" in option.group(1):
                    value = re.search(r'value="([^"]*)"', option.group(1))
                    fields.append((name.group(1), _unescape(value.group(1)) if value else ""))
    return fields


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def form_dict(fields: Sequence[Tuple[str, str]], **changes: str) -> Dict[str, object]:
    """Fields as a dict for requests (lists for repeated names), with `changes` applied."""
    data: Dict[str, object] = {}
    for name, value in fields:
        if name in data:
            previous = data[name]
            data[name] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            data[name] = value
    data.update(changes)
    return data


def published_version(db_url: str, policy_id: str = POLICY) -> int:
    from policies_kb.db import session_scope
    from policies_kb.models import Policy

    with session_scope(db_url) as session:
        return session.get(Policy, policy_id).version


@contextmanager
def restore_kb(db_url: str, policy_id: str = POLICY) -> Iterator[int]:
    """Whatever a test publishes for `policy_id`, put the version live before it back
    afterwards (other tests read the shared knowledge base)."""
    from policies_kb import workflow
    from policies_kb.db import session_scope
    from policies_kb.models import Policy

    before = published_version(db_url, policy_id)
    try:
        yield before
    finally:
        with session_scope(db_url) as session:
            if session.get(Policy, policy_id).version != before:
                workflow.rollback(session=session, policy_id=policy_id, actor="test-cleanup",
                                  why="测试结束，恢复原版本", to_version=before)


def write_conversations(tracker_url: str, conversations: Dict[str, list]) -> None:
    """Save trackers through Rasa's SQLTrackerStore, so the rows are exactly what the bot writes.
    `conversations`: sender → list of rasa.shared.core.events.Event."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_dict({"slots": {"matched_policies": {"type": "list", "influence_conversation": False,
                                                               "mappings": [{"type": "custom"}]}}})
    tracker_store = SQLTrackerStore(domain, host=tracker_url)

    async def save_all():
        for sender, events in conversations.items():
            await tracker_store.save(DialogueStateTracker.from_events(sender, events, slots=domain.slots))

    # A thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(save_all())).result()
    tracker_store.engine.dispose()


# ---- talking to the bot ------------------------------------------------------------------

def say(server, sender: str, text: str) -> str:
    reply = requests.post(f"{server.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    reply.raise_for_status()
    return "\n".join(m.get("text") or "" for m in reply.json())


# A family question the bot answers with a list (which sets `matched_policies`) after asking at
# most a couple of deciding questions; the replies cover whatever it asks.
LIST_QUESTION = "我是退伍军人，个体户，开面馆，有哪些扶持政策"
LIST_REPLIES = ("小规模", "没有雇人", "一个月3万", "以个人身份交的")


def converse_until_listed(server, sender: str) -> str:
    answer = say(server, sender, LIST_QUESTION)
    for reply in LIST_REPLIES:
        if "您符合" in answer:
            break
        answer = say(server, sender, reply)
    assert "您符合" in answer, answer
    return answer


def understood_as(server, sender: str) -> str:
    tracker = server.tracker(conversation_id(sender))
    return tracker["latest_message"]["intent"]["name"]


def kb_version(db_url):
    """The state a refused request must leave alone: live content and every saved version."""
    with session_scope(db_url) as session:
        return workflow.kb_version(session=session)[0], session.query(PolicyVersion).count()


PROFILE = {"entity_type": "个体工商户", "identities": ["退役军人"], "industry": "餐饮"}  # benefit_via_api


def benefit_via_api(server, policy_id=POLICY):
    reply = requests.post(f"{server.url}/api/match", json={"profile": PROFILE}, timeout=30)
    reply.raise_for_status()
    return next(r for r in reply.json()["results"] if r["policy_id"] == policy_id)["benefit"]


def errors_in(html):
    return re.findall(r'class="field-error"[^>]*>([^<]+)<', html)
