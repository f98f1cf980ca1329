"""Karabakh control map: the Streamlit page (served by app.py).  Layout only; the map, panel, chart
and rules live in src/.

The map (with its date control, play and clicks) runs in the browser; this page hears the date on
release, pause or a step, a click and the map's view, and then updates the panel, the URL, the
chart's date rule and the downloads.  See src/karabakh_map/component.py for the protocol.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # Community Cloud runs app.py uninstalled

import streamlit as st

from karabakh_map import sections, warmup
from karabakh_map.catalog import CatalogError
from karabakh_map.component import COMPONENT_KEY, MapHost, clamp_date
from karabakh_map.timeline import Timeline
from karabakh_map.view import View, markdown_literal, page_base, parse_view, view_to_params

st.set_page_config(page_title="Karabakh control map, 1988-today", layout="wide", initial_sidebar_state="collapsed")
# The old behaviour, kept only for benchmarks/: the map paints a date only when the server says so.
SERVER_PAINT = os.environ.get("KARABAKH_SERVER_SCRUB") == "1"


@st.cache_resource(show_spinner="Loading the geodata...")
def bundled_timeline() -> Timeline:
    return warmup.bundled_timeline()  # the one the server prepared as it started (app.py)


@st.cache_resource(max_entries=8, show_spinner="Checking your events...")
def uploaded_timeline(content_key: str, filename: str, data: bytes, replace: bool):
    """Keyed on the file's content hash and mode (never its name or size); at most 8 kept."""
    from karabakh_map.uploads import merge_uploaded_events
    return merge_uploaded_events(bundled_timeline(), filename, data, replace=replace)


@st.cache_resource(max_entries=16, show_spinner="Drawing the map...")
def map_page(timeline_key: str, opening: View, server_paint: bool, _timeline: Timeline) -> str:
    from karabakh_map.mapclient import build_map, page_html
    return page_html(build_map(_timeline, view=opening, server_paint=server_paint))


@st.cache_data(max_entries=8)
def area_frame(timeline_key: str, _timeline: Timeline):
    from karabakh_map.chart import area_frame as frame
    return frame(_timeline)


try:
    base_timeline = bundled_timeline()
except CatalogError as exc:
    st.error("The bundled geodata failed validation; the map cannot be drawn.")
    st.code(str(exc))
    st.stop()

state = st.session_state
# Wide screens: the map stays in view (sticky) while the panel scrolls; phones: the map, then the
# panel as a sheet below it.
# (found by the map element's key: the panel holds components of its own, the share box)
MAP_COLUMN = f"[data-testid=stColumn]:has(.st-key-{COMPONENT_KEY})"
st.html("<style>[data-testid=stMainBlockContainer]{padding:4rem 1rem 1rem 1rem}"
        f"@media (min-width:640px){{{MAP_COLUMN}{{position:sticky;top:4rem;align-self:flex-start}}}}"
        f"@media (max-width:639px){{{MAP_COLUMN} + [data-testid=stColumn]"
        "{border-radius:14px 14px 0 0;box-shadow:0 -3px 10px rgba(0,0,0,.15);padding:.5rem .75rem;margin-top:-1rem}}"
        "</style>")
notice_box = st.container()  # a fixed slot: a notice never shifts the map (which would remount it)

map_column, panel_column = st.columns([5, 3], gap="small")
with panel_column:  # the panel's parts are filled below, in this order on the page
    panel_box = st.container()
    upload_box = st.expander("Bring your own events (CSV)")

# ------------------------------------------------------------------ user-supplied events
with upload_box:
    upload = st.file_uploader("Events CSV in the format of geodata/events.csv", type=["csv"], key="upload")
    replace = st.radio("Show", ["on top of the bundled history", "instead of the bundled history"],
                       key="upload_mode").startswith("instead")
timeline, timeline_key = base_timeline, "bundled"
if upload is not None:
    content = upload.getvalue()
    content_key = f"{hashlib.sha256(content).hexdigest()}:{'replace' if replace else 'add'}"
    merged, problems = uploaded_timeline(content_key, upload.name, content, replace)
    if problems:
        upload_box.warning(f"{len(problems)} problem(s) in {upload.name}; the valid rows are shown.")
        upload_box.dataframe([{"row": p.item, "column": p.field, "reason": p.message} for p in problems])
    if merged is not None:
        timeline, timeline_key = merged, f"upload:{content_key}"
catalog = timeline.catalog

# ------------------------------------------------------------------ URL -> session state, once
if "opening" not in state:
    view, notices = parse_view(st.query_params.to_dict(), catalog)
    state.update(date=view.date, place=view.place, names=view.names, lat=view.lat, lon=view.lon, zoom=view.zoom,
                 opening=view, notices=notices, notice_view=(view.date, view.place, view.names))
state.date = clamp_date(state.date)  # an upload's future event or a stale session never leaves the range


def set_date(date) -> None:
    state.date = clamp_date(date)


def set_place(place_id: str | None) -> None:
    if place_id is None or place_id in catalog.places:
        state.place = place_id


def set_view(lat: float, lon: float, zoom: int) -> None:
    state.lat, state.lon, state.zoom = lat, lon, zoom


host = MapHost(on_date=set_date, on_select=set_place, on_view=set_view, server_paint=SERVER_PAINT)


def jump(place_id: str | None, date=None) -> None:
    """A change the server makes (search, event list, clear): the map is told to show it."""
    state.place = place_id
    if date is not None:
        set_date(date)
    host.request_set()


if state.get("notices") and state.notice_view == (state.date, state.place, state.names):
    for notice in state.notices:
        notice_box.warning(markdown_literal(notice))
else:
    state.notices = []

# The address bar first: it follows the view before the rest of the page is redrawn.
view = View(date=state.date, place=state.place, names=state.names, lat=state.lat, lon=state.lon, zoom=state.zoom)
st.query_params.from_dict(view_to_params(view))

# ------------------------------------------------------------------ the map and the panel
with map_column:
    host.mount(lambda: map_page(timeline_key, state.opening, SERVER_PAINT, timeline), page_id=timeline_key,
               shown=View(state.date, state.place, state.names), built_for=state.opening)

date, names_mode = state.date, state.names
with panel_box:
    st.markdown("**Karabakh control map, 1988 to today**")
    sections.place_section(timeline, state.place, date, names_mode, on_pick=jump)
    sections.search_section(catalog, names_mode, on_pick=jump)
    st.radio("Names", ["both", "az", "hy"], key="names", horizontal=True, on_change=host.request_set,
             format_func={"both": "Both", "az": "Azerbaijani", "hy": "Armenian"}.get)
    sections.changes_section(timeline, date, on_pick=jump, expanded=not state.place)
    # opt-in: the chart costs a second on a cold server and a redraw on every date
    if st.toggle("Area held by each side over time (chart)", key="show_chart"):
        from karabakh_map.chart import area_chart
        st.caption("The seven districts, the former NKAO and the neighbouring units, in km² on an equal-area projection.")
        st.altair_chart(area_chart(area_frame(timeline_key, timeline), date), width="stretch", key="area_chart")
    sections.share_section(timeline, view, page_base(st.context.url, st.context.headers.get("Host")))
    st.caption("Boundaries: Natural Earth (public domain). Settlements: GeoNames (CC BY 4.0) and hand placement. "
               "Events: see each event's sources; claims are attributed to those who make them.")
