"""Personal data in what owners type: masking for reports, and the conversation retention job.

Owners type phone numbers and 身份证号 into the chat ("我电话13812345678"). The analytics pages
and their CSV exports show typed questions, so they show them masked: a mainland mobile as
138****5678, an 18-character ID as 110105********002X. The retention job deletes tracker
events (Rasa's `events` table) older than ZCT_RETENTION_DAYS days (default 180).
"""
from __future__ import annotations

import datetime as dt
import os
import re
from typing import Optional

from sqlalchemy.engine import Engine

from bot.rasa import conversations

RETENTION_ENV = "ZCT_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 180

# \d also matches full-width digits (１３８…), which IMEs produce; a digit run longer than the
# number is something else (an order number) and is left alone. Separators: space or hyphen
# between the usual groups (138 1234 5678, 110105 19491231 002X).
_SEP = r"[ \-－]?"
_MOBILE = re.compile(rf"(?<!\d)([1１][3-9３-９]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?!\d)")
_ID = re.compile(rf"(?<![\dXxＸｘ])(\d{{6}}){_SEP}(\d{{8}}){_SEP}(\d{{3}}[\dXxＸｘ])(?![\dXxＸｘ])")


def mask_pii(text_: str) -> str:
    """The text with mobile numbers and ID numbers masked (IDs first: an ID contains 11-digit runs)."""
    if not text_:
        return text_
    masked = _ID.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text_)
    return _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), masked)


def retention_days(value: Optional[str] = None) -> int:
    """Days of conversations kept: `value`, else ZCT_RETENTION_DAYS, else 180 (ValueError if bad)."""
    raw = value if value is not None else os.environ.get(RETENTION_ENV) or str(DEFAULT_RETENTION_DAYS)
    try:
        days = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"保留天数应为正整数，收到 {raw!r}") from None
    if days < 1:
        raise ValueError(f"保留天数应为正整数，收到 {raw!r}")
    return days


def purge_events(engine: Engine, *, older_than: dt.datetime, dry_run: bool = False) -> int:
    """Delete tracker events stamped before `older_than` (aware datetime); returns how many
    (or would be, with dry_run). Nothing else is touched."""
    return conversations.purge_before(engine, older_than, dry_run=dry_run)
