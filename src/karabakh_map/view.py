"""The shareable view: what the URL's query string says, validated (no Streamlit).

    >>> view, notices = parse_view({"date": "1993-08-01", "place": "Aghdam"}, catalog)

Every parameter is optional; an invalid one yields a short notice and its default, never an
exception.  ``view_to_params`` is the inverse, so a view survives a round trip through a link.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from karabakh_map.catalog import Catalog, UnknownPlace
from karabakh_map.names import NAME_MODES
from karabakh_map.parsing import ParseError, parse_date, parse_integer, parse_number, shown

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


def parse_view(params: Mapping[str, object], catalog: Catalog) -> tuple[View, list[str]]:
    view, notices = View(), []
    if "date" in params:
        try:
            view = replace(view, date=parse_date(_first(params["date"]), "date"))
        except ParseError as exc:
            notices.append(f"{exc}; showing {DEFAULT_DATE}.")
    if "place" in params:
        text = _first(params["place"]).strip()
        if text:
            try:
                if len(text) > MAX_PARAM_LENGTH:
                    raise UnknownPlace(text)
                view = replace(view, place=catalog.resolve(text, view.date).id)
                others = catalog.also_matches(text, view.date)
                if others:
                    listed = ", ".join(f"{p.names.en} ({p.id})" for p in others)
                    notices.append(f"{shown(text)!r} also matches {listed}; showing {view.place}.")
            except UnknownPlace:
                notices.append(f"Unknown place {shown(text)!r}; no place selected.")
    if "names" in params:
        text = _first(params["names"]).strip()
        if text in NAME_MODES:
            view = replace(view, names=text)
        else:
            notices.append(f"Unknown names option {shown(text)!r} (use both, az or hy); showing both.")
    for key, (low, high), default in (("lat", LAT_RANGE, DEFAULT_LAT), ("lon", LON_RANGE, DEFAULT_LON)):
        if key in params:
            try:
                view = replace(view, **{key: round(parse_number(_first(params[key]), key, low, high), 5)})
            except ParseError as exc:
                notices.append(f"{exc}; using {default}.")
    if "zoom" in params:
        try:
            view = replace(view, zoom=parse_integer(_first(params["zoom"]), "zoom", *ZOOM_RANGE))
        except ParseError as exc:
            notices.append(f"{exc}; using {DEFAULT_ZOOM}.")
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
