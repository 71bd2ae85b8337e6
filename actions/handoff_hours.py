"""When a person can answer a 转人工, and what the owner reads (data/hotline/handoff.yml)."""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

from policies_kb import clock

MESSAGES_FILE = Path(__file__).resolve().parent.parent / "data" / "hotline" / "handoff.yml"


@lru_cache(maxsize=1)
def settings() -> Dict[str, Any]:
    data = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8")) or {}
    for key in ("in_hours", "out_of_hours", "no_answer"):
        if not str(data.get(key) or "").strip():
            raise ValueError(f"{MESSAGES_FILE.name}: 缺少 {key}（转人工时对经营者说的话）")
    return data


def _minutes(text: str) -> int:
    hours, minutes = str(text).split(":")
    return int(hours) * 60 + int(minutes)


def in_service(now: Optional[dt.datetime] = None) -> bool:
    """Whether operators are on duty now (the product's time zone)."""
    hours = settings().get("hours") or {}
    local = (now or dt.datetime.now(dt.timezone.utc)).astimezone(clock.timezone())
    if local.isoweekday() not in (hours.get("weekdays") or [1, 2, 3, 4, 5]):
        return False
    at = local.hour * 60 + local.minute
    return _minutes(hours.get("start", "09:00")) <= at < _minutes(hours.get("end", "17:00"))


def _text(key: str) -> str:
    # YAML folds a long line into spaces; Chinese has none between characters.
    return re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", str(settings()[key]).strip())


def handoff_message(now: Optional[dt.datetime] = None) -> str:
    return _text("in_hours" if in_service(now) else "out_of_hours")


def no_answer_message(minutes: float) -> str:
    return _text("no_answer").replace("{minutes}", f" {int(minutes)} ")
