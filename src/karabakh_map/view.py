"""The shareable view: what the URL's query string says, validated (no Streamlit).

    >>> view, notices = parse_view({"date": "1993-08-01", "place": "Aghdam"}, catalog)

Every parameter is optional; an invalid one yields a short notice and its default, never an
exception.  ``view_to_params`` is the inverse, so a view survives a round trip through a link.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from karabakh_map.catalog import HISTORY_START, Catalog, UnknownPlace, history_end
from karabakh_map.names import NAME_MODES

DEFAULT_DATE = dt.date(2020, 11, 10)
DEFAULT_LAT, DEFAULT_LON, DEFAULT_ZOOM = 39.85, 46.55, 8
LAT_RANGE, LON_RANGE, ZOOM_RANGE = (38.0, 42.0), (43.5, 49.0), (6, 14)
MAX_PARAM_LENGTH = 200

KEY_DATES = {
    "Soviet era (1 Jan 1988)": dt.date(1988, 1, 1),
    "Before the war (1 Dec 1991)": dt.date(1991, 12, 1),
    "1994 ceasefire (12 May 1994)": dt.date(1994, 5, 12),
    "April 2016 fighting (5 Apr 2016)": dt.date(2016, 4, 5),
    "2020 war begins (27 Sep 2020)": dt.date(2020, 9, 27),
    "2020 ceasefire (10 Nov 2020)": dt.date(2020, 11, 10),
    "Lachin handed over (26 Aug 2022)": dt.date(2022, 8, 26),
    "September 2023 (20 Sep 2023)": dt.date(2023, 9, 20),
    "NKR dissolved (1 Jan 2024)": dt.date(2024, 1, 1),
}


@dataclass(frozen=True)
class View:
    date: dt.date = DEFAULT_DATE
    place: str | None = None  # a place id
    names: str = "both"
    lat: float = DEFAULT_LAT
    lon: float = DEFAULT_LON
    zoom: int = DEFAULT_ZOOM


def _first(value) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return str(value)


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


def parse_view(params: Mapping[str, object], catalog: Catalog) -> tuple[View, list[str]]:
    view, notices = View(), []
    if "date" in params:
        text = _first(params["date"]).strip()
        try:
            if len(text) != 10:
                raise ValueError
            date = dt.date.fromisoformat(text)
            if not HISTORY_START <= date <= history_end():
                notices.append(f"Date {text} is outside {HISTORY_START} to {history_end()}; showing {DEFAULT_DATE}.")
            else:
                view = replace(view, date=date)
        except ValueError:
            notices.append(f"Unrecognised date {_shown(text)!r} (use YYYY-MM-DD); showing {DEFAULT_DATE}.")
    if "place" in params:
        text = _first(params["place"]).strip()
        if text:
            try:
                if len(text) > MAX_PARAM_LENGTH:
                    raise UnknownPlace(text)
                view = replace(view, place=catalog.resolve(text).id)
            except UnknownPlace:
                notices.append(f"Unknown place {_shown(text)!r}; no place selected.")
    if "names" in params:
        text = _first(params["names"]).strip()
        if text in NAME_MODES:
            view = replace(view, names=text)
        else:
            notices.append(f"Unknown names option {_shown(text)!r} (use both, az or hy); showing both.")
    for key, low_high, default in (("lat", LAT_RANGE, DEFAULT_LAT), ("lon", LON_RANGE, DEFAULT_LON)):
        if key in params:
            text = _first(params[key]).strip()
            try:
                value = float(text)
                if not math.isfinite(value) or not low_high[0] <= value <= low_high[1]:
                    raise ValueError
                view = replace(view, **{key: round(value, 5)})
            except ValueError:
                notices.append(f"Invalid {key} {_shown(text)!r} (expected {low_high[0]} to {low_high[1]}); using {default}.")
    if "zoom" in params:
        text = _first(params["zoom"]).strip()
        try:
            value = int(text)
            if not ZOOM_RANGE[0] <= value <= ZOOM_RANGE[1]:
                raise ValueError
            view = replace(view, zoom=value)
        except ValueError:
            notices.append(f"Invalid zoom {_shown(text)!r} (expected {ZOOM_RANGE[0]} to {ZOOM_RANGE[1]}); using {DEFAULT_ZOOM}.")
    return view, notices


# Characters that Streamlit's markdown could turn into formatting, links, HTML, maths or icons.
_MARKDOWN_SPECIAL = set("\\`*_{}[]()#!|<>~$:")


def markdown_literal(text: str) -> str:
    """Escape text so that Streamlit's markdown shows it exactly as typed (no formatting, no HTML)."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def view_to_params(view: View) -> dict[str, str]:
    params = {"date": view.date.isoformat()}
    if view.place:
        params["place"] = view.place
    if view.names != "both":
        params["names"] = view.names
    if (view.lat, view.lon, view.zoom) != (DEFAULT_LAT, DEFAULT_LON, DEFAULT_ZOOM):
        params.update(lat=f"{view.lat:.5f}".rstrip("0").rstrip("."), lon=f"{view.lon:.5f}".rstrip("0").rstrip("."),
                      zoom=str(view.zoom))
    return params


def share_link(base_url: str, view: View) -> str:
    return f"{base_url.rstrip('/')}/?{urlencode(view_to_params(view))}"


def page_base(page_url: str | None, host: str | None = None) -> str:
    """The address the reader is on, without its query string: the base of a share link.

    ``page_url`` is the browser's own address (``st.context.url``); failing that, the request's
    Host header.  A link built from either works wherever the app is served (localhost, a
    company proxy, Community Cloud); only with neither is it a path-only link.
    """
    if page_url:
        parts = urlsplit(page_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    if host and all(ch.isalnum() or ch in ".-:[]" for ch in host):
        scheme = "http" if host.split(":")[0] in ("localhost", "127.0.0.1") else "https"
        return f"{scheme}://{host}"
    return ""
