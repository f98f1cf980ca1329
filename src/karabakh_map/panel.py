"""The place panel's content: names, control on the date, and the sourced history (no Streamlit).

Everything returned here is already HTML-escaped where it is meant for HTML, and source links
are only ever http(s).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from karabakh_map.catalog import CONTROLLER_LABELS, Event
from karabakh_map.timeline import PlaceState, Timeline
from karabakh_map.view import KEY_DATES

NAME_LABELS = (("az", "Azerbaijani"), ("hy", "Armenian"), ("hy_latn", "Armenian (Latin)"), ("ru", "Russian"),
               ("en", "English"))


@dataclass(frozen=True)
class HistoryEntry:
    event: Event
    nearest: bool  # among the events closest to the chosen date
    future: bool  # after the chosen date


@dataclass(frozen=True)
class Panel:
    place_id: str
    title: str
    names: list[tuple[str, str]]
    other_names: list[str]
    state: PlaceState
    summary: str
    history: list[HistoryEntry]


def place_panel(timeline: Timeline, place_id: str, date: dt.date, names_mode: str = "both") -> Panel:
    catalog = timeline.catalog
    place = catalog.places[place_id]
    state = timeline.state(place_id, date)
    names = [(label, getattr(place.names, attr)) for attr, label in NAME_LABELS]
    events = list(catalog.events_for(place_id))
    nearest_ids = _nearest(events, date)
    history = [HistoryEntry(e, e.event_id in nearest_ids, e.date > date) for e in events]
    return Panel(place_id, place.names.label(names_mode), names, list(place.names.alt), state,
                 control_summary(timeline, state), history)


def _nearest(events: list[Event], date: dt.date, count: int = 2) -> set[str]:
    """The last event on or before the date and the first after it."""
    before = [e for e in events if e.date <= date]
    after = [e for e in events if e.date > date]
    chosen = before[-1:] + after[:1]
    return {e.event_id for e in chosen[:count]}


def control_summary(timeline: Timeline, state: PlaceState) -> str:
    """One plain sentence: who held the place on the date, since when, and by which event."""
    date_text = state.date.strftime("%-d %B %Y")
    if state.share and state.partial:
        parts = [f"{CONTROLLER_LABELS[c]} {v:.0%}" for c, v in sorted(state.share.items(), key=lambda kv: -kv[1]) if v > 0]
        text = f"On {date_text}, held in part: {', '.join(parts)} of its area"
    else:
        text = f"On {date_text}, held by {CONTROLLER_LABELS[state.controller]}"
    if state.since:
        event = timeline.catalog.events_by_id.get(state.event_id or "")
        text += f", since {state.since.strftime('%-d %B %Y')}"
        if event:
            text += f" ({event.title})"
    else:
        text += ", unchanged since the start of the record (1988)"
    text += claim_text(state)
    if state.in_peacekeeping_zone:
        text += "; inside the Russian peacekeeping zone"
    if state.road_status:
        text += f"; road status: {state.road_status}"
    return text + "."


def claim_text(state: PlaceState) -> str:
    """The claims rule in words (geodata/README.md): claimed since, and confirmed on."""
    if state.status == "claimed":
        if state.share and state.partial:
            return "; part of it is held on a claim that no independent source, concession or agreement confirms yet"
        side = CONTROLLER_LABELS[state.controller]
        since = f" on {state.since.strftime('%-d %B %Y')}" if state.since else ""
        return f"; claimed by {side}{since}, not yet confirmed by an independent source, a concession or an agreement"
    if state.confirmed_on and state.since and state.confirmed_on > state.since:
        return (f"; claimed on {state.since.strftime('%-d %B %Y')}, "
                f"confirmed on {state.confirmed_on.strftime('%-d %B %Y')}")
    return ""


def sources_html(timeline: Timeline, event: Event) -> str:
    parts = []
    for sid in event.source_ids:
        source = timeline.catalog.sources.get(sid)
        if source is None:
            continue
        label = html.escape(source.title)
        who = html.escape(", ".join(x for x in (source.author, source.publisher, source.date) if x))
        if source.safe_url:
            label = f'<a href="{html.escape(source.safe_url, quote=True)}" target="_blank" rel="noopener noreferrer">{label}</a>'
        parts.append(f"{label}{' (' + who + ')' if who else ''}")
    return "; ".join(parts)


def history_entry_html(timeline: Timeline, entry: HistoryEntry) -> str:
    """One event of a place's history as escaped HTML: date, title, change, description, other
    dates with who gives them, and the sources (linked only when http(s))."""
    e = entry.event
    sources = timeline.catalog.sources
    change = (f" — {CONTROLLER_LABELS[e.controller_before]} → {CONTROLLER_LABELS[e.controller_after]}"
              if e.changes_control else "")
    marker = "▶ " if entry.nearest else ""
    style = "background:#fff3cd;padding:4px;border-left:4px solid #E69F00;" if entry.nearest else "padding:4px;"
    precision = "" if e.date_precision == "day" else f" ({e.date_precision} precision)"
    other_dates = "".join(f"<br><em>Other date given: {a.date.isoformat()} by {html.escape(sources[a.source_id].title)}</em>"
                          for a in e.alt_dates if a.source_id in sources)
    return (f'<div class="km-event" style="{style}"><strong>{marker}{e.date.isoformat()}</strong>{precision}: '
            f'{html.escape(e.title)}{html.escape(change)}<br>{html.escape(e.description)}{other_dates}'
            f'<br><small>Sources: {sources_html(timeline, e)}</small></div>')


def previous_key_date(date: dt.date) -> dt.date:
    earlier = [d for d in KEY_DATES.values() if d < date]
    return max(earlier) if earlier else dt.date(1987, 12, 31)
