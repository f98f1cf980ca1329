"""The one date parser and the one number parser: every value a person types goes through here.

The CLI (``--date``, ``--from``, ``--to``, the rows of ``--queries``), the share link's query
string (``view.parse_view``), uploaded events files and the Python API all accept and reject
exactly the same texts, and say so in the same words::

    >>> parse_date("1993-08-01")
    datetime.date(1993, 8, 1)
    >>> parse_date("2020-W46-2")
    Traceback (most recent call last):
    ParseError: Invalid date '2020-W46-2' (expected YYYY-MM-DD)
    >>> parse_number("4_0", "lat", 38.0, 42.0)
    Traceback (most recent call last):
    ParseError: Invalid lat '4_0' (expected 38.0 to 42.0)

The rules, and why:

* **A date is exactly ``YYYY-MM-DD`` in ASCII digits, and a real calendar day.**  Python 3.11's
  ``date.fromisoformat`` also accepts ISO week dates (``2020-W46-2``), the basic format
  (``20201110``) and, through ``int``, other scripts' digits.  A reader who types one of those
  almost certainly meant something else, and a link or a script must mean the same day to every
  program that reads it (the static export's JavaScript included), so only the one spelling is
  accepted.
* **Dates asked about lie in the history the map covers**, ``HISTORY_START`` (1988-01-01) to
  today, inclusive.  ``parse_date(..., in_history=False)`` skips this check for dates that are
  data rather than questions (an event row in a file may describe a scenario after today).
* **A number is ASCII decimal notation** (``[+-]digits[.digits][e[+-]digits]``) **and finite.**
  ``float`` also accepts ``4_0``, ``٤٦.5``, ``nan``, ``inf`` and ``1e309`` (infinite), none of
  which a map coordinate can be.  An integer (``parse_integer``, e.g. a zoom level) is
  ``[+-]digits``.
* **Surrounding whitespace is ignored**; an empty value is invalid.
* **One message format**: ``Invalid <name> '<value>' (expected <what>)``.  ``<name>`` is the
  parameter or field the value came from (``date``, ``--from``, ``lat``...), ``<value>`` is what
  was given, shortened to 40 characters, so a huge or hostile value never floods a terminal or
  a page.  Callers add their consequence after it ("; showing 2020-11-10.").
"""

from __future__ import annotations

import datetime as dt
import math
import re

from karabakh_map.catalog import HISTORY_START, KarabakhError, history_end

DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NUMBER_PATTERN = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
INTEGER_PATTERN = re.compile(r"[+-]?[0-9]+")
SHOWN_LENGTH = 40


class ParseError(KarabakhError, ValueError):
    """A value that is not what its parameter or field needs; ``str()`` is the message to show."""

    def __init__(self, name: str, value: object, expected: str):
        self.name, self.value, self.expected = name, value, expected
        super().__init__(f"Invalid {name} {shown(value)!r} (expected {expected})")


def shown(value: object) -> str:
    """The value as it is quoted in a message: at most 40 characters."""
    text = str(value)
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH - 3] + "..."


def parse_date(value: object, name: str = "date", *, in_history: bool = True) -> dt.date:
    """``YYYY-MM-DD`` (a real day, and with ``in_history`` from 1988-01-01 to today) as a date."""
    if isinstance(value, str):
        value = value.strip()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        date = value
    else:
        text = value if isinstance(value, str) else ""
        if not DATE_PATTERN.fullmatch(text):
            raise ParseError(name, value, "YYYY-MM-DD")
        try:
            date = dt.date.fromisoformat(text)
        except ValueError:
            raise ParseError(name, value, "YYYY-MM-DD, a day that exists") from None
    if in_history and not HISTORY_START <= date <= history_end():
        raise ParseError(name, value, f"a date from {HISTORY_START} to {history_end()}")
    return date


def _range_words(low, high) -> str:
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"a number of at least {low}"
    if high is not None:
        return f"a number of at most {high}"
    return "a number"


def parse_number(value: object, name: str, low: float | None = None, high: float | None = None) -> float:
    """A finite decimal number, within ``low``..``high`` (inclusive) when given."""
    expected = _range_words(low, high)
    if isinstance(value, str):
        value = value.strip()
    if isinstance(value, bool):
        raise ParseError(name, value, expected)
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = value if isinstance(value, str) else ""
        if not NUMBER_PATTERN.fullmatch(text):
            raise ParseError(name, value, expected)
        number = float(text)
    if not math.isfinite(number) or (low is not None and number < low) or (high is not None and number > high):
        raise ParseError(name, value, expected)
    return number


def parse_integer(value: object, name: str, low: int | None = None, high: int | None = None) -> int:
    """A whole number written with digits only (no fraction, no exponent), within ``low``..``high``."""
    expected = _range_words(low, high).replace("a number", "a whole number")
    if isinstance(value, str):
        value = value.strip()
    if isinstance(value, bool) or isinstance(value, float):
        raise ParseError(name, value, expected)
    if isinstance(value, int):
        number = value
    else:
        text = value if isinstance(value, str) else ""
        if not INTEGER_PATTERN.fullmatch(text) or len(text) > 20:
            raise ParseError(name, value, expected)
        number = int(text)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ParseError(name, value, expected)
    return number
