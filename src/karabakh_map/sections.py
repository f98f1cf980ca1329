"""The app's panel sections as Streamlit calls: the place, the search, what changed, share and downloads.

page.py places them; the content comes from ``panel`` (no Streamlit there), the rules from the
timeline.  Every text that came from data or a reader is escaped before it reaches markdown.
Callbacks (``on_pick(place_id, date=None)``) are the page's: they change the session state and
tell the map.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Callable

import streamlit as st

from karabakh_map import serialize
from karabakh_map.catalog import Catalog
from karabakh_map.panel import history_html, place_panel, previous_key_date
from karabakh_map.timeline import Timeline
from karabakh_map.view import View, markdown_literal, share_link

MAX_CHANGES = 25


def place_section(timeline: Timeline, place_id: str | None, date: dt.date, names_mode: str,
                  on_pick: Callable) -> None:
    if place_id not in timeline.catalog.places:
        st.markdown("### Click a place on the map")
        st.caption("or find it by any of its names below.")
        return
    panel = place_panel(timeline, place_id, date, names_mode)
    st.markdown(f"### {html.escape(panel.title)}")
    st.markdown(f'<div data-testid="place-controller" class="km-controller">{html.escape(panel.summary)}</div>',
                unsafe_allow_html=True)
    st.markdown(" · ".join(f"**{label}:** {html.escape(name)}" for label, name in panel.names), unsafe_allow_html=True)
    if panel.other_names:
        st.caption("Also written: " + html.escape(", ".join(panel.other_names)))
    st.markdown("##### History")
    # its own events first with a "now" marker at the date, the regional ones folded with a count;
    # one element, not one per event, so a rerun sends and redraws less
    st.markdown(history_html(timeline, place_id, date), unsafe_allow_html=True)
    st.button("Clear selection", on_click=on_pick, args=(None,))


def search_section(catalog: Catalog, names_mode: str, on_pick: Callable) -> None:
    query = st.text_input("Find a place", placeholder="Shusha, Şuşa, Shushi, Шуша...", key="search")
    matches = catalog.search(query, limit=6) if query else []
    for place in matches:
        st.button(f"{place.names.label(names_mode)} ({place.kind})", key=f"find-{place.id}", on_click=on_pick,
                  args=(place.id,), width="stretch")
    if query and not matches:
        st.caption(f"No place matches {markdown_literal(query)}.")


def changes_section(timeline: Timeline, date: dt.date, on_pick: Callable, expanded: bool) -> None:
    since = previous_key_date(date)
    changes = timeline.events_between(since, date)
    label = since.isoformat() if since.year >= 1988 else "the start"
    with st.expander(f"What changed since {label} ({len(changes)})", expanded=expanded):
        for event in changes[-MAX_CHANGES:]:
            first_place = next((p for p in event.place_ids if p in timeline.catalog.places), None)
            st.button(f"{event.date.isoformat()} · {event.title}", key=f"ev-{event.event_id}", on_click=on_pick,
                      args=(first_place, event.date), width="stretch")
        if len(changes) > MAX_CHANGES:
            st.caption(f"... and {len(changes) - MAX_CHANGES} earlier events in this period.")


# The link and its copy button.  Not st.code: its syntax highlighter is the heaviest script the page
# would load (about 0.35 s of the browser's main thread on a cold start, shared with the map).
_SHARE_JS = r"""
export default function ({ data, parentElement }) {
  let box = parentElement.querySelector(".km-share");
  if (!box) {
    box = document.createElement("div");
    box.className = "km-share";
    box.innerHTML = '<input type="text" readonly aria-label="Link to this view" data-testid="share-link">' +
      '<button type="button">Copy link</button><span role="status" aria-live="polite"></span>';
    parentElement.appendChild(box);
    const [input, button, status] = box.children;
    input.addEventListener("focus", () => input.select());
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        status.textContent = "Copied";
      } catch (err) {  // no clipboard permission (an insecure origin): leave it selected to copy by hand
        input.focus();
        status.textContent = "Selected: press Ctrl+C (⌘C) to copy";
      }
    });
  }
  const [input, , status] = box.children;
  if (input.value !== data.link) { input.value = data.link; status.textContent = ""; }
}
"""
_SHARE_CSS = """
.km-share { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.km-share input { flex: 1 1 16rem; min-width: 0; font: .8rem "Source Code Pro", monospace; padding: .45rem .5rem;
  border: 1px solid rgba(49, 51, 63, .2); border-radius: .5rem; background: #f0f2f6; color: #262730; }
.km-share button { font: inherit; padding: .4rem .75rem; border: 1px solid rgba(49, 51, 63, .2);
  border-radius: .5rem; background: #fff; cursor: pointer; }
.km-share button:hover { border-color: #ff4b4b; color: #ff4b4b; }
.km-share span { font-size: .8rem; color: #555; }
"""
_share_box = st.components.v2.component("karabakh_map.share", js=_SHARE_JS, css=_SHARE_CSS)


def share_section(timeline: Timeline, view: View, base_url: str) -> None:
    """The link to this view (with a copy button) and the day's snapshot downloads."""
    st.markdown("**Share this view**")
    _share_box(key="share_link", data={"link": share_link(base_url, view)})
    left, right = st.columns(2)
    left.download_button("Snapshot (GeoJSON)", lambda: serialize.snapshot_geojson(timeline, view.date),
                         file_name=f"karabakh-control-{view.date}.geojson", mime="application/geo+json")
    right.download_button("Snapshot (CSV)", lambda: serialize.snapshot_csv(timeline, view.date),
                          file_name=f"karabakh-control-{view.date}.csv", mime="text/csv")
    left, right = st.columns(2)
    left.download_button("Snapshot (GeoPackage)", lambda: serialize.snapshot_gpkg(timeline, view.date),
                         file_name=f"karabakh-control-{view.date}.gpkg", mime="application/geopackage+sqlite3")
    place = timeline.catalog.places.get(view.place) if view.place else None
    # the figure is drawn only when asked for (about 1.5 s), and matplotlib is imported only then
    right.download_button("Figure (PNG)", lambda: _figure_png(timeline, view.date, place),
                          file_name=_figure_name(view.date, place), mime="image/png")


def _figure_png(timeline: Timeline, date, place) -> bytes:
    from karabakh_map import figure

    return figure.render(timeline, date, place, fmt="png")


def _figure_name(date, place) -> str:
    from karabakh_map.figure import figure_filename

    return figure_filename(date, place, "png")
