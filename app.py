"""Karabakh control map: the Streamlit page.  Widgets, URL state and layout only; the work is in src/."""

from __future__ import annotations

import datetime as dt
import html
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # Community Cloud runs app.py uninstalled

import altair as alt
import pandas as pd
import streamlit as st
import streamlit.components.v1 as components
from streamlit_folium import st_folium

from karabakh_map import livemap, mapview, serialize
from karabakh_map.catalog import CONTROLLER_LABELS, CONTROLLERS, HISTORY_START, CatalogError, history_end
from karabakh_map.panel import history_entry_html, place_panel, previous_key_date
from karabakh_map.timeline import Timeline
from karabakh_map.uploads import merge_uploaded_events
from karabakh_map.validation import load_catalog
from karabakh_map.view import KEY_DATES, View, markdown_literal, parse_view, share_link, view_to_params

st.set_page_config(page_title="Karabakh control map, 1988-today", layout="wide")

# A naive page that rebuilds and remounts the whole map on every change: kept only so that
# benchmarks/ can measure what the prebuilt layers save.
NAIVE = os.environ.get("KARABAKH_NAIVE_MAP") == "1"
PUBLIC_URL = os.environ.get("KARABAKH_PUBLIC_URL", "https://karabakh-map.streamlit.app")


@st.cache_resource(show_spinner="Loading the geodata...")
def bundled_timeline() -> Timeline:
    return Timeline(load_catalog())


@st.cache_resource
def map_data(_timeline: Timeline, key: str) -> mapview.MapData:
    return mapview.MapData(_timeline)


@st.cache_resource
def live_data(_timeline: Timeline, key: str) -> livemap.LiveData:
    live = livemap.LiveData(map_data(_timeline, key))
    _ = live.payload_json  # build once, not on the first user's click
    return live


@st.cache_data
def area_frame(_timeline: Timeline, key: str) -> pd.DataFrame:
    rows = _timeline.area_series()
    frame = pd.DataFrame(rows, columns=["date", "controller", "km2"])
    frame["held by"] = frame["controller"].map(CONTROLLER_LABELS)
    return frame


try:
    base_timeline = bundled_timeline()
except CatalogError as exc:
    st.error("The bundled geodata failed validation; the map cannot be drawn.")
    st.code(str(exc))
    st.stop()

state = st.session_state

# ------------------------------------------------------------------ user-supplied events
with st.sidebar.expander("Bring your own events (CSV)"):
    upload = st.file_uploader("Events CSV in the format of geodata/events.csv", type=["csv"], key="upload")
    upload_mode = st.radio("Show", ["on top of the bundled history", "instead of the bundled history"], key="upload_mode")
timeline, timeline_key = base_timeline, "bundled"
if upload is not None:
    merged, problems = merge_uploaded_events(base_timeline, upload.name, upload.getvalue(),
                                             replace=upload_mode.startswith("instead"))
    if problems:
        st.sidebar.warning(f"{len(problems)} problem(s) in {upload.name}; the valid rows are shown.")
        st.sidebar.dataframe(pd.DataFrame([{"row": p.item, "column": p.field, "reason": p.message} for p in problems]),
                             hide_index=True)
    if merged is not None:
        timeline, timeline_key = merged, f"upload:{upload.name}:{len(upload.getvalue())}:{upload_mode}"
catalog = timeline.catalog

# ------------------------------------------------------------------ URL -> session state, once
if "view_loaded" not in state:
    view, notices = parse_view(st.query_params.to_dict(), catalog)
    state.update(date=view.date, place=view.place, names=view.names, lat=view.lat, lon=view.lon, zoom=view.zoom,
                 notices=notices, notice_view=(view.date, view.place, view.names), view_loaded=True, playing=False,
                 last_click=None, opening_view=(view.lat, view.lon, view.zoom))


def set_date(date: dt.date) -> None:
    state.date = min(max(date, HISTORY_START), history_end())


def step_event(direction: int) -> None:
    target = timeline.next_event_date(state.date) if direction > 0 else timeline.previous_event_date(state.date)
    if target:
        set_date(target)


def jump_key_date() -> None:
    label = state.get("key_date")
    if label in KEY_DATES:
        set_date(KEY_DATES[label])


def select_place(place_id: str | None, date: dt.date | None = None) -> None:
    state.place = place_id
    if date:
        set_date(date)


# Changes requested after the widgets were drawn (play, map clicks) are applied here, before
# the widgets that own these keys exist on this run.
for key, value in state.pop("pending", {}).items():
    state[key] = value

# The notices about a link's invalid values stay until the reader changes the view.
if state.get("notices") and state.notice_view == (state.date, state.place, state.names):
    for notice in state.notices:
        st.warning(markdown_literal(notice))
else:
    state.notices = []

# ------------------------------------------------------------------ sidebar: time, names, layers
sb = st.sidebar
sb.title("Karabakh control map")
sb.caption("Who controlled each place on the chosen day, 1988 to today, and according to which sources.")
sb.slider("Date", min_value=HISTORY_START, max_value=history_end(), step=dt.timedelta(days=1),
          format="YYYY-MM-DD", key="date")
c1, c2, c3 = sb.columns([1, 1, 1])
c1.button("◀ Prev", on_click=step_event, args=(-1,), width="stretch")
c2.button("Next ▶", on_click=step_event, args=(1,), width="stretch")
c3.toggle("Play", key="playing", help="Step through every recorded event")
sb.selectbox("Jump to", ["—", *KEY_DATES], key="key_date", on_change=jump_key_date)
sb.radio("Names", ["both", "az", "hy"], key="names", horizontal=True,
         format_func={"both": "Both", "az": "Azerbaijani", "hy": "Armenian"}.get)
layers = sb.multiselect("Layers", list(mapview.LAYER_NAMES), default=list(mapview.LAYER_NAMES),
                        format_func=mapview.LAYER_NAMES.get, key="layers")
tiles = sb.selectbox("Background", list(mapview.TILE_OPTIONS), key="tiles",
                     format_func={"plain": "Plain (works offline)", "osm": "OpenStreetMap", "light": "Light (CARTO)"}.get)

query = sb.text_input("Find a place", placeholder="Shusha, Şuşa, Shushi, Шуша...", key="search")
if query:
    matches = catalog.search(query, limit=8)
    if not matches:
        sb.caption(f"No place matches {query!r}.")
    for place in matches:
        sb.button(f"{place.names.label(state.names)} ({place.kind})", key=f"find-{place.id}",
                  on_click=select_place, args=(place.id,), width="stretch")

date: dt.date = state.date
names_mode: str = state.names
snapshot = timeline.snapshot(date)

# ------------------------------------------------------------------ the map
left, right = st.columns([3, 2], gap="medium")
with left:
    st.markdown(f"#### Control on {date.strftime('%-d %B %Y')}")
    if NAIVE:
        # the baseline: reload, revalidate and rebuild everything, and remount the map
        naive_data = mapview.MapData(Timeline(load_catalog()))
        m = mapview.full_map(naive_data, date, names_mode, set(layers), (state.lat, state.lon), state.zoom, tiles)
        result = st_folium(m, key=f"map-{date}-{names_mode}", height=620, use_container_width=True,
                           returned_objects=["last_active_drawing"])
    else:
        live = live_data(timeline, timeline_key)
        # Everything passed to st_folium stays the same while the reader scrubs (the centre and
        # zoom are the ones the page opened with; the map keeps the reader's own), so Streamlit
        # sends the map once; the date's colours go through the small state bridge below.
        m = livemap.live_base_map(live, tiles=tiles)
        result = st_folium(m, key=f"map-{timeline_key}-{tiles}", height=620, use_container_width=True,
                           center=list(state.opening_view[:2]), zoom=state.opening_view[2],
                           returned_objects=["last_active_drawing", "center", "zoom"])
        components.html(livemap.state_bridge_html(live, date, names_mode, set(layers), snapshot), height=0)
    result = result or {}
    clicked = (result.get("last_active_drawing") or {}).get("properties") or {}
    if clicked.get("id") and clicked.get("zone", clicked["id"]) != state.last_click:
        state.last_click = clicked.get("zone", clicked["id"])
        if clicked["id"] in catalog.places:
            state.place = clicked["id"]
    if result.get("center") and result.get("zoom"):
        state.lat = round(float(result["center"]["lat"]), 5)
        state.lon = round(float(result["center"]["lng"]), 5)
        state.zoom = int(result["zoom"])

# ------------------------------------------------------------------ the place panel
with right:
    if state.place and state.place in catalog.places:
        panel = place_panel(timeline, state.place, date, names_mode)
        st.markdown(f"### {html.escape(panel.title)}")
        st.markdown(f'<div data-testid="place-controller" class="km-controller">{html.escape(panel.summary)}</div>',
                    unsafe_allow_html=True)
        st.markdown(" · ".join(f"**{label}:** {html.escape(name)}" for label, name in panel.names), unsafe_allow_html=True)
        if panel.other_names:
            st.caption("Also written: " + html.escape(", ".join(panel.other_names)))
        st.markdown("##### History")
        if not panel.history:
            st.caption("No recorded event names this place.")
        for entry in panel.history:
            st.markdown(history_entry_html(timeline, entry), unsafe_allow_html=True)
        st.button("Clear selection", on_click=select_place, args=(None,))
    else:
        st.markdown("### Click a place on the map")
        st.caption("or find it by any of its names in the sidebar.")

    since = previous_key_date(date)
    changes = timeline.events_between(since, date)
    st.markdown(f"##### What changed since {since.isoformat() if since.year >= 1988 else 'the start'}")
    if not changes:
        st.caption("No recorded event in this period.")
    for e in changes[-25:]:
        first_place = next((p for p in e.place_ids if p in catalog.places), None)
        st.button(f"{e.date.isoformat()} · {e.title}", key=f"ev-{e.event_id}", on_click=select_place,
                  args=(first_place, e.date), width="stretch")
    if len(changes) > 25:
        st.caption(f"... and {len(changes) - 25} earlier events in this period.")

# ------------------------------------------------------------------ area chart, downloads, share
frame = area_frame(timeline, timeline_key)
chart_frame = frame[frame["controller"].isin(["azerbaijan", "armenian_forces", "russian_peacekeepers"])]
colour = alt.Color("held by:N", scale=alt.Scale(domain=[CONTROLLER_LABELS[c] for c in CONTROLLERS],
                                               range=[mapview.CONTROLLER_COLOURS[c] for c in CONTROLLERS]))
area = alt.Chart(chart_frame).mark_line(interpolate="step-after").encode(
    x=alt.X("date:T", title=None), y=alt.Y("km2:Q", title="Area held (km²)", scale=alt.Scale(zero=True)), color=colour)
rule = alt.Chart(pd.DataFrame({"date": [pd.Timestamp(date)]})).mark_rule(color="black", strokeDash=[4, 2]).encode(x="date:T")
with st.expander("Area held by each side over time (chart)", expanded=False):
    st.caption("The seven districts, the former NKAO and the neighbouring units, in km² on an equal-area projection.")
    st.altair_chart(area + rule, width="stretch")

view = View(date=date, place=state.place, names=names_mode, lat=state.lat, lon=state.lon, zoom=state.zoom)
st.query_params.from_dict(view_to_params(view))
d1, d2, d3 = st.columns([2, 1, 1])
d1.text_input("Share this view", share_link(PUBLIC_URL, view), key=f"share-{hash(view)}")
d2.download_button("Snapshot (GeoJSON)", lambda: serialize.snapshot_geojson(timeline, date),
                   file_name=f"karabakh-control-{date}.geojson", mime="application/geo+json")
d3.download_button("Snapshot (CSV)", lambda: serialize.snapshot_csv(timeline, date),
                   file_name=f"karabakh-control-{date}.csv", mime="text/csv")
st.caption("Boundaries: Natural Earth (public domain). Settlements: GeoNames (CC BY 4.0) and hand placement. "
           "Events: see each event's sources; claims are attributed to those who make them.")

if state.playing:
    time.sleep(0.8)
    target = timeline.next_event_date(date)
    state.pending = {"playing": False} if target is None else {"date": target}
    st.rerun()
