"""The Streamlit side of the map: a components-v2 element that hosts the map page and relays.

The map page (``mapclient.build_map(...)``, the same page the export saves) runs in an iframe
that this element creates once, from ``srcdoc``, only while its host element is empty: later
reruns never touch it, so the map never remounts and the reader's zoom survives.  The page and
the element speak the protocol of PROTOCOL.md over ``postMessage``:

    map -> host  {source:"karabakh-map", type:"ready"|"date"|"select"|"view", ...}
    host -> map  {source:"karabakh-host", type:"set", date?, place_id?, names?}

and the element turns what the map says into Streamlit values:

    date   -> setStateValue("date", {date, n})         (release, pause, step; never per frame;
                                                         n counts, so a repeated date still arrives)
    view   -> setStateValue("view", {lat, lon, zoom})
    select -> setTriggerValue("select", {place_id})    (a trigger, so the same place clicked
                                                         again after a clear still arrives)

Python -> map.  Each run passes ``data = {page, page_id, built_for, set, seq, server_paint}``.  ``set`` is what the
server wants shown (date, place, names); it is forwarded only when ``seq`` grew (the server
itself changed something: a jump to an event, a search hit, the names switch) and only the
fields that differ from what the map already shows.  Without ``seq`` every rerun caused by the
map's own message would repaint a date the reader has already left.  In the server-paint
baseline (``KARABAKH_SERVER_SCRUB=1``) the map paints only when told, so every date it reports
bumps ``seq``.

The page (about 850 KB) goes over the websocket once per session, not on every rerun: Python
sends it on the first run and again only when the element asks for it (``need_page``: its host
is empty yet it has no page, e.g. after Streamlit remounted it) or when the timeline changed (an
upload: a new ``page_id``, loaded into the same iframe).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Callable

import streamlit as st

from karabakh_map.catalog import HISTORY_START, history_end
from karabakh_map.parsing import ParseError, parse_date
from karabakh_map.view import LAT_RANGE, LON_RANGE, ZOOM_RANGE, View

COMPONENT_KEY = "karabakh_map_host"

_CSS = """
:host { display: block; }
/* the map fills the window beside the panel; on a phone it leaves the panel's top in view below */
iframe.km-map-frame { display: block; width: 100%; border: 0; height: calc(100vh - 5rem); min-height: 320px; }
@media (max-width: 640px) { iframe.km-map-frame { height: 72vh; } }
"""

_JS = r"""
export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const host = parentElement.__karabakhHost || (parentElement.__karabakhHost = {
    frame: null, ready: false, seq: -1, shown: {}, wanted: null, serverPaint: false,
  });
  // the latest callbacks: the message listener below is registered once and outlives renders
  host.setStateValue = setStateValue;
  host.setTriggerValue = setTriggerValue;
  host.serverPaint = !!data.server_paint;

  const post = (message) => host.frame.contentWindow.postMessage({ source: "karabakh-host", ...message }, "*");
  const flush = () => {
    if (!host.ready || !host.wanted) return;
    const change = {};
    for (const field of ["date", "place_id", "names"]) {
      if (field in host.wanted && host.wanted[field] !== host.shown[field]) change[field] = host.wanted[field];
    }
    host.wanted = null;
    if (Object.keys(change).length) {
      Object.assign(host.shown, change);
      post({ type: "set", ...change });
    }
  };

  if (!host.frame || host.pageId !== data.page_id) {
    if (!data.page) {  // an empty host (or an older page) and no page: ask Python for it
      setTriggerValue("need_page", true);
      return;
    }
    if (!host.frame) {
      const frame = document.createElement("iframe");
      frame.className = "km-map-frame";
      frame.title = "Map of control";
      frame.setAttribute("data-testid", "karabakh-map-frame");
      host.frame = frame;
      window.addEventListener("message", (event) => {
        if (event.source !== frame.contentWindow) return;
        const message = event.data;
        if (!message || message.source !== "karabakh-map") return;
        if (message.type === "ready") {
          host.ready = true;
          if (message.date) host.shown.date = message.date;
          flush();
        } else if (message.type === "date") {
          // in the server-paint baseline the map has not painted it yet: it waits for "set"
          if (!host.serverPaint) host.shown.date = message.date;
          // numbered: a date equal to the last one reported is still news after the server moved
          // the map elsewhere, and Streamlit reruns only for a changed state value
          host.reported = (host.reported || 0) + 1;
          host.setStateValue("date", { date: message.date, n: host.reported });
        } else if (message.type === "select") {
          host.shown.place_id = message.place_id ?? null;
          host.setTriggerValue("select", { place_id: message.place_id ?? null });
        } else if (message.type === "view") {
          host.setStateValue("view", { lat: message.lat, lon: message.lon, zoom: message.zoom });
        }
      });
      parentElement.appendChild(frame);
    }
    // a new page: only for a new timeline (an upload), never for a date, place or view
    host.ready = false;
    host.pageId = data.page_id;
    host.shown = { ...(data.built_for || {}) };
    host.seq = -1;
    host.frame.srcdoc = data.page;
  }
  if (data.seq > host.seq) {
    host.seq = data.seq;
    host.wanted = data.set || null;
    flush();
  }
}
"""

_mount = st.components.v2.component("karabakh_map.host", css=_CSS, js=_JS)


def clamp_date(date: dt.date) -> dt.date:
    """Any date from the map, the URL or an upload, brought into the history's range."""
    return min(max(date, HISTORY_START), history_end())


def parse_reported_date(value: object) -> dt.date | None:
    """A date the browser reported (``{"date": "YYYY-MM-DD", "n": k}``), clamped into the history;
    None if it is anything else.  Spelled by the one date parser's rule (``parsing.parse_date``);
    a real day outside the history (an uploaded event after today) is clamped, not dropped."""
    if isinstance(value, dict):
        value = value.get("date")
    if not isinstance(value, str):
        return None
    try:
        return clamp_date(parse_date(value, in_history=False))
    except ParseError:
        return None


def parse_reported_view(value: object) -> tuple[float, float, int] | None:
    if not isinstance(value, dict):
        return None
    numbers = [value.get(name) for name in ("lat", "lon", "zoom")]
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) for n in numbers):
        return None
    # kept inside the ranges a link may carry, so the URL written from it always parses back
    lat = min(max(float(numbers[0]), LAT_RANGE[0]), LAT_RANGE[1])
    lon = min(max(float(numbers[1]), LON_RANGE[0]), LON_RANGE[1])
    zoom = min(max(int(round(numbers[2])), ZOOM_RANGE[0]), ZOOM_RANGE[1])
    return round(lat, 5), round(lon, 5), zoom


class MapHost:
    """The map element's Python half: session state in, callbacks out.

    ``on_date(date)``, ``on_select(place_id | None)`` and ``on_view(lat, lon, zoom)`` run as
    Streamlit callbacks, before the script body of the rerun the map caused.
    """

    def __init__(self, *, on_date: Callable[[dt.date], None], on_select: Callable[[str | None], None],
                 on_view: Callable[[float, float, int], None], server_paint: bool = False):
        self.on_date, self.on_select, self.on_view = on_date, on_select, on_view
        self.server_paint = server_paint

    @property
    def _state(self):
        return st.session_state

    def request_set(self) -> None:
        """The server changed what the map should show (not an echo of the map): forward it."""
        self._state["_km_seq"] = self._state.get("_km_seq", 0) + 1

    def _reported(self, name: str):
        value = self._state.get(COMPONENT_KEY)
        return value.get(name) if value is not None else None

    def _date_changed(self) -> None:
        date = parse_reported_date(self._reported("date"))
        if date is not None:
            self.on_date(date)
            if self.server_paint:
                self.request_set()

    def _select_changed(self) -> None:
        payload = self._reported("select")
        if isinstance(payload, dict):
            place = payload.get("place_id")
            self.on_select(place if isinstance(place, str) and place else None)

    def _view_changed(self) -> None:
        view = parse_reported_view(self._reported("view"))
        if view is not None:
            self.on_view(*view)

    def _page_requested(self) -> None:
        self._state["_km_page_sent"] = None

    def mount(self, page: Callable[[], str], page_id: str, shown: View, built_for: View) -> None:
        """Draw the element.  ``shown`` is what the server wants the map to show (its date, place
        and names), ``built_for`` the view the page was built with.  ``page()`` builds the page;
        it is called (and sent) only when this browser session has not received ``page_id`` yet."""
        state = self._state
        send_page = state.get("_km_page_sent") != page_id
        state["_km_page_sent"] = page_id
        data = {
            "page": page() if send_page else None,
            "page_id": page_id,
            "built_for": _shown_dict(built_for),
            "set": _shown_dict(shown),
            "seq": state.get("_km_seq", 0),
            "server_paint": self.server_paint,
        }
        _mount(key=COMPONENT_KEY, data=data, height="content",
               on_date_change=self._date_changed, on_select_change=self._select_changed,
               on_view_change=self._view_changed, on_need_page_change=self._page_requested)


def _shown_dict(view: View) -> dict:
    return {"date": view.date.isoformat(), "place_id": view.place, "names": view.names}
