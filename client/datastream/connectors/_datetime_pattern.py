"""Java ``DateTimeFormatter`` patterns (``yyyy-MM-dd--HH``) for bucket names.

Supports the letters bucket paths use: ``y`` (year), ``M`` (month; ``MMM``
and ``MMMM`` for names), ``d``, ``H``, ``h``, ``m``, ``s``, ``S`` (fraction),
``a`` (AM/PM), ``E`` (day name), ``D`` (day of year); text in single quotes
is literal (``''`` is a quote). Other letters are rejected when the sink is
defined, not when the first record arrives.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

__all__ = ["compile_pattern"]

_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")


def _num(get: Callable[[datetime.datetime], int], width: int) -> Callable[[datetime.datetime], str]:
    return lambda dt: str(get(dt)).zfill(width)


def _field(letter: str, n: int) -> Callable[[datetime.datetime], str]:
    if letter == "y":
        if n == 2:
            return lambda dt: f"{dt.year % 100:02d}"
        return _num(lambda dt: dt.year, n)
    if letter == "M":
        if n == 3:
            return lambda dt: dt.strftime("%b")
        if n >= 4:
            return lambda dt: dt.strftime("%B")
        return _num(lambda dt: dt.month, n)
    if letter == "d":
        return _num(lambda dt: dt.day, n)
    if letter == "D":
        return _num(lambda dt: dt.timetuple().tm_yday, n)
    if letter == "H":
        return _num(lambda dt: dt.hour, n)
    if letter == "h":
        return _num(lambda dt: (dt.hour % 12) or 12, n)
    if letter == "m":
        return _num(lambda dt: dt.minute, n)
    if letter == "s":
        return _num(lambda dt: dt.second, n)
    if letter == "S":
        return lambda dt: f"{dt.microsecond:06d}"[:n].ljust(n, "0")
    if letter == "a":
        return lambda dt: "AM" if dt.hour < 12 else "PM"
    if letter == "E":
        return (lambda dt: dt.strftime("%A")) if n >= 4 else (lambda dt: dt.strftime("%a"))
    raise ValueError(f"unsupported letter '{letter}' in date-time pattern")


def compile_pattern(pattern: str) -> Callable[[datetime.datetime], str]:
    """A formatter for ``pattern``.

    Raises:
        ValueError: a letter the formatter does not support, or an open quote.
    """
    parts: list[Callable[[datetime.datetime], str]] = []
    pos = 0
    for m in _TOKEN.finditer(pattern):
        if m.start() != pos:
            break
        pos = m.end()
        tok = m.group(0)
        if tok.startswith("'"):
            literal = tok[1:-1].replace("''", "'") if tok != "''" else "'"
            parts.append(lambda dt, s=literal: s)
        elif tok[0].isalpha():
            try:
                parts.append(_field(tok[0], len(tok)))
            except ValueError as exc:
                raise ValueError(f"date-time pattern '{pattern}': {exc}") from None
        else:
            parts.append(lambda dt, s=tok: s)
    if pos != len(pattern):
        raise ValueError(f"date-time pattern '{pattern}': unterminated quote")
    return lambda dt: "".join(p(dt) for p in parts)
