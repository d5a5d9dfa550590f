"""Masked holder names: one masking for the app's display and the codes' name claim."""

from __future__ import annotations

from codes.kinds import MAX_NAME_BYTES


def fit_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of text (whole code points) that is at most max_bytes in UTF-8."""
    return text.encode()[:max_bytes].decode(errors="ignore")


def mask_name(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """Mask a name: 'Zhang San' -> 'Z**** S**', '张三丰' -> '张*丰', '张三' -> '张*'.

    Always fits max_bytes UTF-8 bytes (cut at a code point, never failing); an empty name
    gives '*'. Masking a masked name returns it unchanged.
    """
    name = " ".join(name.split())
    if " " in name:
        masked = " ".join(part[0] + "*" * (len(part) - 1) for part in name.split(" "))
    elif len(name) <= 1:
        masked = name
    elif len(name) == 2:
        masked = name[0] + "*"
    elif name.isascii():
        masked = name[0] + "*" * (len(name) - 1)
    else:
        masked = name[0] + "*" * (len(name) - 2) + name[-1]
    return fit_utf8(masked, max_bytes).rstrip() or "*"
