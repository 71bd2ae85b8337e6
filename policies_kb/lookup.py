"""Find a policy by what an operator types: part of its name, a keyword, or its 文号 written
loosely ("财金2023 75" finds 财金〔2023〕75号)."""
from __future__ import annotations

import re
from typing import List, Sequence

from policies_kb.matcher import MatchResult

# Brackets, spaces and the words around a 文号 number carry nothing a caller reliably says.
_NOISE = re.compile(r"[\s〔〕\[\]【】()（）{}<>《》“”\"'、,，.。:：;；/\\\-—_第号]")
_PARTS = re.compile(r"[0-9]+|[A-Za-z]+|[^0-9A-Za-z]+")


def squeeze(text: str) -> str:
    return _NOISE.sub("", str(text or "")).lower()


def tokens(query: str) -> List[str]:
    """"财金2023 75" → ["财金", "2023", "75"]: digits and words apart, noise dropped."""
    return [p for p in _PARTS.findall(squeeze(query)) if p]


def search(results: Sequence[MatchResult], query: str, limit: int = 8) -> List[MatchResult]:
    """Results whose name, keywords or 文号 contain every token of `query`; name hits first."""
    wanted = tokens(query)
    if not wanted:
        return []
    hits = []
    for r in results:
        d = r.record.data
        name = squeeze(d.get("name", ""))
        hay = name + "|" + "|".join(squeeze(k) for k in d.get("keywords") or []) + "|" + \
            "|".join(squeeze(n) for n in d.get("doc_numbers") or []) + "|" + squeeze(r.policy_id)
        if all(t in hay for t in wanted):
            hits.append((0 if all(t in name for t in wanted) else 1, r))
    hits.sort(key=lambda h: h[0])
    return [r for _, r in hits[:limit]]
