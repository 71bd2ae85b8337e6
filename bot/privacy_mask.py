"""Masking of personal numbers before an owner's text goes into a log line."""
import re

# Full-width digits are common on Chinese keyboards; [０-９] covers them.
_D = "[0-9０-９]"
# 18-digit resident ID (last character may be X), not part of a longer number.
_ID = re.compile(rf"(?<!{_D})({_D}{{4}}){_D}{{10}}({_D}{{3}}[0-9０-９Xx])(?!{_D})")
# Mainland mobile: 1[3-9] and 9 more digits, optionally +86 and written 3-4-4
# with spaces or dashes, not part of a longer number.
_PHONE = re.compile(
    rf"(?<!{_D})((?:\+?86[ -]?)?[1１][3-9３-９]{_D})[ -]?{_D}{{4}}[ -]?({_D}{{4}})(?!{_D})"
)


def mask_pii(text: str) -> str:
    """`text` with ID numbers as 4401**********123X and mobiles as 138****5678."""
    if not text:
        return text
    text = _ID.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)
