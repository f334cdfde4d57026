"""Java ``DateTimeFormatter`` patterns (``yyyy-MM-dd--HH``) for bucket names.

Supports the letters bucket paths use: ``y`` (year), ``M`` (month; ``MMM``
and ``MMMM`` for names), ``d``, ``H``, ``h``, ``m``, ``s``, ``S`` (fraction),
``a`` (AM/PM), ``E`` (day name), ``D`` (day of year); text in single quotes
is literal (``''`` is a quote). Other letters are rejected when the sink is
defined, not when the first record arrives.

:func:`java_zone` reads a ``java.time.ZoneId`` string (``Europe/Paris``,
``UTC+8``, ``GMT-08:00``, ``+05:30``, ``Z``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

__all__ = ["compile_pattern", "java_zone"]

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


_REGION_ID = re.compile(r"[A-Za-z][A-Za-z0-9~/._+-]+")


def _offset_seconds(text: str) -> int:
    """``ZoneOffset.of(text)``: ``Z``, ``±h``, ``±hh``, ``±hh:mm``, ``±hhmm``, ``±hh:mm:ss``, ``±hhmmss``.

    Raises:
        ValueError: with Java's ``DateTimeException`` message.
    """
    if text == "Z":
        return 0
    if len(text) == 2:
        text = text[0] + "0" + text[1]
    # (position of each two-digit field, whether a ':' must precede it) per length
    layout = {3: ((1, False),), 5: ((1, False), (3, False)), 6: ((1, False), (4, True)),
              7: ((1, False), (3, False), (5, False)),
              9: ((1, False), (4, True), (7, True))}.get(len(text))
    if layout is None:
        raise ValueError(f"Invalid ID for ZoneOffset, invalid format: {text}")
    fields = []
    for pos, colon in layout:
        digits = text[pos:pos + 2]
        if (colon and text[pos - 1] != ":") or not (len(digits) == 2 and digits.isascii()
                                                   and digits.isdigit()):
            raise ValueError(f"Invalid ID for ZoneOffset, non numeric characters found: {text}")
        fields.append(int(digits))
    hours, minutes, seconds = (fields + [0, 0])[:3]
    if text[0] not in "+-":
        raise ValueError(f"Invalid ID for ZoneOffset, plus/minus not found when expected: {text}")
    if hours > 18:
        raise ValueError(f"Zone offset hours not in valid range: value {hours} is not in the "
                         "range -18 to 18")
    if minutes > 59:
        raise ValueError(f"Zone offset minutes not in valid range: value {minutes} is not in "
                         "the range -59 to 59")
    if seconds > 59:
        raise ValueError(f"Zone offset seconds not in valid range: value {seconds} is not in "
                         "the range -59 to 59")
    if hours == 18 and (minutes or seconds):
        raise ValueError("Zone offset not in valid range: -18:00 to +18:00")
    total = hours * 3600 + minutes * 60 + seconds
    return -total if text[0] == "-" else total


def _region(zone_id: str) -> datetime.tzinfo:
    import zoneinfo

    if not _REGION_ID.fullmatch(zone_id):
        raise ValueError(f"Invalid ID for region-based ZoneId, invalid format: {zone_id}")
    try:
        return zoneinfo.ZoneInfo(zone_id)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"Unknown time-zone ID: {zone_id}") from None


def java_zone(zone_id: str) -> datetime.tzinfo:
    """The time zone ``java.time.ZoneId.of(zone_id)`` names.

    Region ids (``Europe/Paris``) come from the IANA database (``zoneinfo``);
    ``Z``, ``+hh:mm``-style offsets, and ``UTC``/``GMT``/``UT`` alone or followed
    by such an offset (``UTC+8``, ``GMT-08:00``) are fixed offsets.

    Raises:
        ValueError: ``zone_id`` is no ZoneId (Java's ``DateTimeException`` message).
    """
    if len(zone_id) <= 1 or zone_id.startswith(("+", "-")):
        seconds = _offset_seconds(zone_id)
    elif zone_id.startswith(("UTC", "GMT", "UT")):
        prefix = 2 if zone_id.startswith("UT") and not zone_id.startswith("UTC") else 3
        if len(zone_id) == prefix:
            return datetime.timezone.utc
        if zone_id[prefix] not in "+-":
            return _region(zone_id)
        try:
            seconds = _offset_seconds(zone_id[prefix:])
        except ValueError as exc:
            raise ValueError(f"Invalid ID for offset-based ZoneId: {zone_id} ({exc})") from None
    else:
        return _region(zone_id)
    return datetime.timezone(datetime.timedelta(seconds=seconds))
