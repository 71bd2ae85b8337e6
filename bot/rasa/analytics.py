"""问需求：what owners ask, read from the bot's SQL tracker store (table `events`).

`load_events(engine, since)` reads the few event kinds we need; `build_report(events, ...)`
turns them into the admin console's figures: messages per day, intents, fallback and handoff
rates, the questions the bot could not answer (clustered), policies matched per family, and
expiring policies that many owners matched. No Rasa imports: rows come straight from SQL.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set

from sqlalchemy.engine import Engine

from bot import vocabulary
from bot.rasa import conversations
from policies_kb import clock, loader
from bot.rasa.privacy import mask_pii
from policies_kb.report_csv import CSV_TABLES, neutralise, to_csv  # noqa: F401 (the console's names)

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"
FALLBACK_ACTION = "action_fallback_options"
HANDOFF_ACTION = "action_handoff"
MATCHED_SLOT = "matched_policies"
EXPIRING_DAYS = 90



@dataclass
class EventRow:
    """One row of Rasa's `events` table, with `data` already parsed from JSON."""
    id: int
    sender_id: str
    type_name: str
    timestamp: float
    intent_name: Optional[str] = None
    action_name: Optional[str] = None
    data: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "EventRow":
        raw = row.get("data")
        try:
            data = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        except ValueError:
            # A malformed row must not hide a whole day of figures; note it and read on.
            logger.warning("events row %s: data is not JSON", row.get("id"))
            data = {}
        return cls(id=int(row.get("id") or 0), sender_id=str(row["sender_id"]), type_name=row["type_name"],
                   timestamp=float(row.get("timestamp") or 0.0), intent_name=row.get("intent_name"),
                   action_name=row.get("action_name"), data=data)


def load_events(engine: Engine, since: Optional[dt.datetime] = None) -> List[EventRow]:
    """User turns, fallback/handoff actions and `matched_policies` slots since `since`."""
    rows = conversations.event_rows(engine, since=since, actions=(FALLBACK_ACTION, HANDOFF_ACTION),
                                    slots=(MATCHED_SLOT,))
    return [EventRow.from_row(row) for row in rows]


# ---- turns ---------------------------------------------------------------------------------

@dataclass
class Turn:
    """One owner message and what the bot did about it (until the next message)."""
    sender_id: str
    at: dt.datetime
    text: str
    intent: Optional[str]
    fallback: bool = False
    handoff: bool = False
    matched: List[str] = field(default_factory=list)

    @property
    def unanswered(self) -> bool:
        return self.fallback or self.intent == OUT_OF_SCOPE_INTENT

    @property
    def typed(self) -> bool:
        """Typed by the owner (not a button payload such as "/ask_tax_relief")."""
        return bool(self.text) and not self.text.startswith("/")


def turns(events: Iterable[EventRow]) -> List[Turn]:
    out: List[Turn] = []
    current: Dict[str, Turn] = {}
    for event in sorted(events, key=lambda e: (e.sender_id, e.id, e.timestamp)):
        if event.type_name == "user":
            turn = Turn(sender_id=event.sender_id, at=dt.datetime.fromtimestamp(event.timestamp, clock.timezone()),
                        text=mask_pii((event.data.get("text") or "").strip()), intent=event.intent_name,
                        fallback=event.intent_name == FALLBACK_INTENT)
            current[event.sender_id] = turn
            out.append(turn)
            continue
        turn = current.get(event.sender_id)
        if turn is None:  # events before the first message of the period
            continue
        if event.type_name == "action" and event.action_name == FALLBACK_ACTION:
            turn.fallback = True
        elif event.type_name == "action" and event.action_name == HANDOFF_ACTION:
            turn.handoff = True
        elif event.type_name == "slot" and event.data.get("name") == MATCHED_SLOT:
            turn.matched = [str(p) for p in event.data.get("value") or []]
    return out


# ---- clustering the questions the bot could not answer -------------------------------------

def _normalize(text_: str) -> str:
    """Drop spaces, punctuation and symbols; fold full-width forms and case."""
    text_ = unicodedata.normalize("NFKC", text_).lower()
    return "".join(ch for ch in text_ if not unicodedata.category(ch).startswith(("P", "S", "Z", "C")))


def bigrams(text_: str) -> Set[str]:
    norm = _normalize(text_)
    if len(norm) < 2:
        return {norm} if norm else set()
    return {norm[i:i + 2] for i in range(len(norm) - 1)}


def jaccard(a: Set[str], b: Set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass
class Cluster:
    text: str  # the most frequent wording
    count: int = 0
    owners: Set[str] = field(default_factory=set)
    examples: Counter = field(default_factory=Counter)
    grams: Set[str] = field(default_factory=set)

    def to_dict(self) -> Dict[str, Any]:
        return {"text": self.text, "count": self.count, "owners": len(self.owners),
                "examples": [t for t, _ in self.examples.most_common(5)]}


def cluster_questions(items: Sequence[tuple], threshold: float = 0.34) -> List[Cluster]:
    """Greedy clustering of (text, sender_id) pairs by character-bigram Jaccard similarity.

    Wordings are taken most frequent first, so each cluster is named by its most common
    wording and a rare variant joins the common question it resembles most.
    """
    by_text: Dict[str, List[str]] = defaultdict(list)
    for text_, sender in items:
        if _normalize(text_):
            by_text[text_].append(sender)
    clusters: List[Cluster] = []
    for text_ in sorted(by_text, key=lambda t: (-len(by_text[t]), t)):
        grams = bigrams(text_)
        best, best_score = None, 0.0
        for cluster in clusters:
            score = jaccard(grams, cluster.grams)
            if score > best_score:
                best, best_score = cluster, score
        if best is None or best_score < threshold:
            best = Cluster(text=text_, grams=grams)
            clusters.append(best)
        best.count += len(by_text[text_])
        best.owners.update(by_text[text_])
        best.examples[text_] += len(by_text[text_])
    clusters.sort(key=lambda c: (-c.count, -len(c.owners), c.text))
    return clusters


# ---- the report ----------------------------------------------------------------------------

def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def build_report(events: Iterable[EventRow], *, policies: Sequence[Mapping[str, Any]], today: dt.date,
                 days: int = 30, expiring_within: int = EXPIRING_DAYS, top: int = 20) -> Dict[str, Any]:
    """Figures for the `days` days ending `today` (北京时间). `policies` are live policy docs."""
    start = today - dt.timedelta(days=days - 1)
    all_turns = [t for t in turns(events) if start <= t.at.date() <= today]
    senders = {t.sender_id for t in all_turns}

    daily = {start + dt.timedelta(days=i): {"messages": 0, "owners": set(), "fallbacks": 0, "handoffs": 0}
             for i in range(days)}
    for t in all_turns:
        day = daily[t.at.date()]
        day["messages"] += 1
        day["owners"].add(t.sender_id)
        day["fallbacks"] += t.fallback
        day["handoffs"] += t.handoff

    intents = Counter(t.intent or "（无）" for t in all_turns)
    fallback_turns = sum(t.fallback for t in all_turns)
    handoff_owners = {t.sender_id for t in all_turns if t.handoff}
    unanswered = [(t.text, t.sender_id) for t in all_turns if t.unanswered and t.typed]

    by_id = {p["id"]: p for p in policies}
    owners_by_policy: Dict[str, Set[str]] = defaultdict(set)
    for t in all_turns:
        for pid in t.matched:
            owners_by_policy[pid].add(t.sender_id)
    families: Dict[str, Dict[str, Any]] = {}
    for pid, owners in owners_by_policy.items():
        family = (by_id.get(pid) or {}).get("family", "（已删除的政策）")
        entry = families.setdefault(family, {"family": family, "family_name": loader.FAMILIES.get(family, family),
                                             "owners": set(), "matches": 0})
        entry["owners"] |= owners
        entry["matches"] += len(owners)

    expiring = []
    for p in policies:
        end = loader._as_date(p.get("effective_to"))
        if p.get("status") == "published" and end and today <= end <= today + dt.timedelta(days=expiring_within):
            expiring.append({"policy_id": p["id"], "name": p["name"], "family": p["family"],
                             "family_name": loader.FAMILIES.get(p["family"], p["family"]),
                             "effective_to": end.isoformat(), "days_left": (end - today).days,
                             "continuation_unconfirmed": bool(p.get("continuation_unconfirmed")),
                             "owners": len(owners_by_policy.get(p["id"], ()))})
    expiring.sort(key=lambda e: (-e["owners"], e["effective_to"], e["policy_id"]))

    messages = len(all_turns)
    return {
        "since": start.isoformat(), "until": today.isoformat(), "days": days,
        "totals": {
            "messages": messages, "owners": len(senders),
            "fallback_turns": fallback_turns, "fallback_rate": _rate(fallback_turns, messages),
            "handoff_owners": len(handoff_owners), "handoff_rate": _rate(len(handoff_owners), len(senders)),
            "unanswered": len(unanswered),
        },
        "daily": [{"date": d.isoformat(), "messages": v["messages"], "owners": len(v["owners"]),
                   "fallbacks": v["fallbacks"], "handoffs": v["handoffs"]} for d, v in daily.items()],
        "intents": [{"intent": name, "label": vocabulary.intent_title(name), "count": n,
                     "share": _rate(n, messages)} for name, n in intents.most_common()],
        "unanswered": [c.to_dict() for c in cluster_questions(unanswered)[:top]],
        "families": sorted(({**f, "owners": len(f["owners"])} for f in families.values()),
                           key=lambda f: (-f["owners"], f["family"])),
        "policies": sorted(({"policy_id": pid, "name": (by_id.get(pid) or {}).get("name", pid),
                             "family": (by_id.get(pid) or {}).get("family", ""), "owners": len(owners)}
                            for pid, owners in owners_by_policy.items()),
                           key=lambda p: (-p["owners"], p["policy_id"]))[:top],
        "expiring": expiring,
    }
