"""Text from outside, read with bounds and printed escaped.

`loads` is written here because the standard parser has no bound on nesting (a deep document
is a RecursionError) and refuses a long integer with a bare ValueError only after reading it;
callers need one error that says what was wrong, for a 4xx or a CLI message.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32  # no document the ledger accepts nests deeper than a handful of levels
MAX_DIGITS = 20  # every integer the ledger takes fits in 64 bits
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same class for pydantic (Rust regex syntax): text with no control character at all.
NO_CONTROL = r"^[^\x00-\x1f\x7f-\x9f]*$"


class Unreadable(ValueError):
    """Not JSON the ledger reads; the message says why."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise Unreadable(f"an integer of {len(text)} digits (at most {MAX_DIGITS})")
    return int(text)


def _constant(text: str) -> Any:
    raise Unreadable(f"{text} is not a number JSON allows")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise Unreadable(f"a number out of range ({text[:20]})")
    return value


def _depth(value: Any) -> int:
    deepest, todo = 0, [(value, 1)]
    while todo:
        node, depth = todo.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            todo.extend((child, depth + 1) for child in children)
    return deepest


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """JSON with integers of at most MAX_DIGITS digits, nested at most `max_depth` deep."""
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise Unreadable(f"nested deeper than {max_depth} levels") from None
    except Unreadable:
        raise
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError, an overlong float's text
        raise Unreadable(f"not JSON: {e}") from None
    if _depth(value) > max_depth:
        raise Unreadable(f"nested deeper than {max_depth} levels")
    return value


def printable(text: object) -> str:
    """`text` with control characters escaped (\\x1b, \\x00...), safe for a terminal or a log."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
