"""
Go's text helpers, reproduced for names Vault folds or trims.

Vault lower-cases names with Go's ``strings.ToLower`` and trims them with
``strings.TrimSpace``; Python's ``str.lower`` and ``str.strip`` differ from
both on a few characters.  Every place that folds a name (alias keys, policy
names, derived IDs) uses these, so equal keys always derive equal IDs.
This module imports nothing from clientid.
"""

from __future__ import annotations

from typing import Final

__all__ = ["GO_WHITESPACE", "go_lower"]

#: What Go's ``strings.TrimSpace`` trims: the Unicode White_Space
#: characters.  Python's ``str.strip()`` with no argument also trims
#: U+001C..U+001F, which Go keeps, so the set is spelled out.
GO_WHITESPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

# Go's strings.ToLower maps rune by rune with Unicode's simple case mapping.
# Python's str.lower() uses the full mapping, which differs for U+0130 (it
# gains a combining dot) and, in context, for a final capital sigma.
_GO_LOWER_EXCEPTIONS: Final = {"\u0130": "i"}


def go_lower(text: str) -> str:
    """
    Lower-case *text* as Go's ``strings.ToLower`` does.

    Each character maps on its own with Unicode's simple case mapping, so
    U+0130 (capital I with dot above) becomes a plain ``i``, where
    :meth:`str.lower` adds a combining dot (U+0307) after it.
    """
    if text.isascii():
        return text.lower()
    return "".join(
        _GO_LOWER_EXCEPTIONS.get(char) or char.lower() for char in text
    )
