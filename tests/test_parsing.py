"""The one date parser and number parser: what they accept, what they reject, and in which words."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, strategies as st

from helpers import d
from karabakh_map.catalog import HISTORY_START, history_end
from karabakh_map.parsing import ParseError, parse_date, parse_integer, parse_number


@pytest.mark.parametrize("text", [
    "2020-W46-2",  # ISO week date: fromisoformat reads it as 2020-11-10
    "2020W462", "20201110", "2020-315", "2020-11-10T00:00", "2020-1-1", "١٩٩٢-٠٥-٠٨", "１９９２-05-08",
    "1992-05-08\x00", "1992_05_08", "", "   ", "1992-13-01", "1993-02-30", "+1992-05-08",
])
def test_only_yyyy_mm_dd_of_a_real_day_is_a_date(text):
    with pytest.raises(ParseError) as excinfo:
        parse_date(text)
    message = str(excinfo.value)
    assert message.startswith("Invalid date ") and "YYYY-MM-DD" in message, message


def test_a_date_is_read_with_surrounding_space_ignored():
    assert parse_date(" 1992-05-08 ") == d("1992-05-08")


def test_dates_outside_the_history_are_rejected_in_one_message():
    today = history_end()
    expected = f"(expected a date from 1988-01-01 to {today})"
    for outside in ("1987-12-31", (today + dt.timedelta(days=1)).isoformat(), "2999-01-01"):
        with pytest.raises(ParseError) as excinfo:
            parse_date(outside)
        assert str(excinfo.value) == f"Invalid date {outside!r} {expected}"
    assert parse_date("1988-01-01") == HISTORY_START and parse_date(today.isoformat()) == today
    assert parse_date("2999-01-01", in_history=False) == d("2999-01-01")


def test_the_message_names_the_parameter_and_shortens_the_value():
    with pytest.raises(ParseError) as excinfo:
        parse_date("x" * 10_000, "--from")
    assert str(excinfo.value) == f"Invalid --from '{'x' * 37}...' (expected YYYY-MM-DD)"


@pytest.mark.parametrize("text", ["4_0", "٤٦.5", "４０", "nan", "inf", "-inf", "1e309", "0x28", "40,5", "", "40.5.1",
                                  "4 0", "Infinity"])
def test_only_ascii_decimal_finite_numbers_are_numbers(text):
    with pytest.raises(ParseError) as excinfo:
        parse_number(text, "lat")
    assert str(excinfo.value).startswith("Invalid lat ")


def test_numbers_and_ranges():
    assert parse_number(" 39.5 ", "lat", 38.0, 42.0) == 39.5
    assert parse_number("-1.5e1", "x") == -15.0 and parse_number(".5", "x") == 0.5 and parse_number(7, "x") == 7.0
    with pytest.raises(ParseError, match=r"^Invalid lat '91' \(expected 38.0 to 42.0\)$"):
        parse_number("91", "lat", 38.0, 42.0)
    with pytest.raises(ParseError):
        parse_number(math.nan, "lat")
    with pytest.raises(ParseError):
        parse_number(True, "lat")


@pytest.mark.parametrize("text", ["1_0", "10.0", "1e1", "١٠", "", "ten", "9" * 400])
def test_an_integer_is_digits_only(text):
    with pytest.raises(ParseError, match=r"^Invalid zoom "):
        parse_integer(text, "zoom", 6, 14)


def test_integer_range():
    assert parse_integer("10", "zoom", 6, 14) == 10
    with pytest.raises(ParseError, match=r"\(expected 6 to 14\)$"):
        parse_integer("15", "zoom", 6, 14)


@given(st.dates(min_value=HISTORY_START, max_value=history_end()))
def test_every_day_of_the_history_round_trips(date):
    assert parse_date(date.isoformat()) == date


@given(st.one_of(st.text(max_size=30), st.binary(max_size=30).map(lambda b: b.decode("latin-1"))))
def test_any_text_is_a_value_or_one_parse_error(text):
    for parse in (lambda t: parse_date(t), lambda t: parse_number(t, "lat"), lambda t: parse_integer(t, "zoom")):
        try:
            value = parse(text)
        except ParseError as exc:
            assert str(exc).startswith("Invalid ") and "\n" not in str(exc)
        else:
            assert text.strip().isascii()
            if isinstance(value, float):
                assert math.isfinite(value)
