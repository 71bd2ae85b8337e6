"""The product's one time zone (ZCT_TIMEZONE, default Asia/Shanghai — 北京时间).

Stored times stay UTC; "today" for matching and every time shown to a person are in this zone,
whatever the server clock says (these machines run UTC: from 00:00 to 08:00 Beijing time the
server's date is still yesterday). bot/settings.py re-exports these for the web layer.
"""
from __future__ import annotations

import datetime as dt
import os
from typing import Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"


def timezone() -> ZoneInfo:
    name = (os.environ.get("ZCT_TIMEZONE") or DEFAULT_TIMEZONE).strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_time(value: Union[dt.datetime, float, int, None], fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC moment (naive UTC datetime as stored, aware datetime, or epoch seconds) as local text."""
    if value in (None, "", 0):
        return ""
    if isinstance(value, (int, float)):
        moment = dt.datetime.fromtimestamp(value, dt.timezone.utc)
    elif value.tzinfo is None:
        moment = value.replace(tzinfo=dt.timezone.utc)
    else:
        moment = value
    return moment.astimezone(timezone()).strftime(fmt)


def local_today(now: Optional[dt.datetime] = None) -> dt.date:
    """Today's date in the product's zone (`now`: an aware moment, for tests)."""
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(timezone()).date()
