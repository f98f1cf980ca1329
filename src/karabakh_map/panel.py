"""The place panel's content: names, control on the date, and the sourced history (no Streamlit).

    >>> panel = place_panel(timeline, "settlement-shusha", dt.date(1993, 8, 1))  # doctest: +SKIP
    >>> panel.summary
    'On 1 August 1993, held by Armenian forces (Armenia / NKR) since 8 May 1992 (...).'

The app (Streamlit) and the export (the map client, standalone) show the same words:

* ``state_sentence`` is the one place where a state becomes a sentence, controller-aware:
  "held by ...", "contested since ...", "claimed by ... on ...; not confirmed ...", "held in
  part: ...".  The map client stores it in every state of its tracks; ``control_summary`` only
  puts "On <date>, " before it.
* ``history_entry_html`` writes one event as escaped HTML that does not depend on the date read
  (``data-date`` on the entry).  ``history_html`` lists the place's own events first and folds the
  regional ones (its district, the former NKAO) away with a count; given a date it places the
  "now" marker itself, otherwise the map page does (``markNow``), from the same ``data-date``.

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
    history_html: str = ""  # own events first, regional folded, "now" marked at the date


def place_panel(timeline: Timeline, place_id: str, date: dt.date, names_mode: str = "both") -> Panel:
    catalog = timeline.catalog
    place = catalog.places[place_id]
    state = timeline.state(place_id, date)
    names = [(label, getattr(place.names, attr)) for attr, label in NAME_LABELS]
    events = list(catalog.events_for(place_id))
    nearest_ids = _nearest(events, date)
    history = [HistoryEntry(e, e.event_id in nearest_ids, e.date > date) for e in events]
    return Panel(place_id, place.names.label(names_mode), names, list(place.names.alt), state,
                 control_summary(timeline, state), history, history_html(timeline, place_id, date))


def _nearest(events: list[Event], date: dt.date, count: int = 2) -> set[str]:
    """The last event on or before the date and the first after it."""
    before = [e for e in events if e.date <= date]
    after = [e for e in events if e.date > date]
    chosen = before[-1:] + after[:1]
    return {e.event_id for e in chosen[:count]}


def long_date(date: dt.date) -> str:
    """``1 August 1993``: how the panel writes a day (the page's ``longDate`` is held to it)."""
    return f"{date.day} {date.strftime('%B %Y')}"


def state_sentence(timeline: Timeline, state: PlaceState) -> str:
    """What is known of the place in that state, without the date it is read on, starting in lower
    case: "held by Azerbaijan since 8 May 1992 (...)", "contested since ...", "claimed by ...".

    The map page stores this sentence in each state of its tracks and writes "On <date>, " before
    it, so the app's panel and the export's say the same words (see ``control_summary``)."""
    event = timeline.catalog.events_by_id.get(state.event_id or "")
    cause = f" ({event.title})" if event else ""
    label = CONTROLLER_LABELS[state.controller]
    status = getattr(state, "status", "confirmed")
    if state.share and state.partial:
        parts = [f"{CONTROLLER_LABELS[c]} {v:.0%}" for c, v in sorted(state.share.items(), key=lambda kv: -kv[1]) if v > 0]
        text = f"held in part: {', '.join(parts)} of its area"
        text += f", last changed on {long_date(state.since)}{cause}" if state.since else ""
    elif not state.since:
        text = ("contested" if state.controller == "contested" else f"held by {label}")
        text += ", unchanged since the start of the record (1988)"
    elif state.controller == "contested":
        text = f"contested since {long_date(state.since)}{cause}"
    elif status == "claimed":  # the claims rule's words first, then the event that made the claim
        text = f"claimed by {label} on {long_date(state.since)}{claim_text(state)}{cause}"
    else:
        text = f"held by {label} since {long_date(state.since)}{cause}"
    if not text.startswith("claimed by"):
        text += claim_text(state)
    if state.in_peacekeeping_zone:
        text += "; inside the Russian peacekeeping zone"
    if state.road_status:
        text += f"; road status: {state.road_status}"
    return text + "."


def control_summary(timeline: Timeline, state: PlaceState) -> str:
    """One plain sentence: who held the place on the date, since when, and by which event."""
    return f"On {long_date(state.date)}, {state_sentence(timeline, state)}"


def claim_text(state: PlaceState) -> str:
    """The claims rule in words (geodata/README.md): not yet confirmed, or claimed and confirmed on."""
    if getattr(state, "status", "confirmed") == "claimed":
        if state.share and state.partial:
            return "; part of it is held on a claim that no independent source, concession or agreement confirms yet"
        return ", not yet confirmed by an independent source, a concession or an agreement"
    confirmed_on = getattr(state, "confirmed_on", None)
    if confirmed_on and state.since and confirmed_on > state.since:
        return f"; claimed on {long_date(state.since)}, confirmed on {long_date(confirmed_on)}"
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


def history_entry_html(timeline: Timeline, entry: HistoryEntry | Event) -> str:
    """One event of a place's history as escaped HTML: date, title, change, description, other
    dates with who gives them, and the sources (linked only when http(s)).

    Date-independent: the entry carries ``data-date`` and ``data-event``; whoever shows it marks
    where the chosen date falls (``mark_now`` here, the map page's ``markNow`` in the export)."""
    e = entry.event if isinstance(entry, HistoryEntry) else entry
    sources = timeline.catalog.sources
    change = (f" — {CONTROLLER_LABELS[e.controller_before]} → {CONTROLLER_LABELS[e.controller_after]}"
              if e.changes_control else "")
    precision = "" if e.date_precision == "day" else f" ({e.date_precision} precision)"
    other_dates = "".join(f'<p class="km-alt"><em>Other date given: {a.date.isoformat()} by '
                          f'{html.escape(sources[a.source_id].title)}</em></p>'
                          for a in e.alt_dates if a.source_id in sources)
    return (f'<li class="km-event" data-date="{e.date.isoformat()}" data-event="{html.escape(e.event_id, quote=True)}">'
            f'<strong class="km-event-date">{e.date.isoformat()}</strong>{precision}: '
            f'{html.escape(e.title)}{html.escape(change)}<p class="km-description">{html.escape(e.description)}</p>'
            f'{other_dates}<p class="km-sources"><small>Sources: {sources_html(timeline, e)}</small></p></li>')


def own_and_regional_events(timeline: Timeline, place_id: str) -> tuple[list[Event], list[Event]]:
    """The events that name the place itself, and those that reach it through a region it lies in."""
    events = timeline.catalog.events_for(place_id)
    return [e for e in events if place_id in e.place_ids], [e for e in events if place_id not in e.place_ids]


def now_marker_html(date: dt.date) -> str:
    return f'<li class="km-now" aria-current="date">Now: {long_date(date)}</li>'


def _list_html(timeline: Timeline, events: list[Event], date: dt.date | None) -> str:
    items, placed = [], date is None
    for event in events:
        if not placed and event.date > date:
            items.append(now_marker_html(date))
            placed = True
        items.append(history_entry_html(timeline, event))
    if not placed:
        items.append(now_marker_html(date))
    return '<ol class="km-history">' + "".join(items) + "</ol>"


def history_html(timeline: Timeline, place_id: str, date: dt.date | None = None) -> str:
    """The place's history: its own events first, then the regional ones folded away with a count.
    With a date, the "now" marker is placed here; without, the map page places it (``markNow``)."""
    own, regional = own_and_regional_events(timeline, place_id)
    text = _list_html(timeline, own, date) if own else '<p class="km-caption">No recorded event names this place itself.</p>'
    if regional:
        noun = "event" if len(regional) == 1 else "events"
        text += (f'<details class="km-regional"><summary>{len(regional)} regional {noun} '
                 f"(its district or the former NKAO)</summary>{_list_html(timeline, regional, date)}</details>")
    return text


def previous_key_date(date: dt.date) -> dt.date:
    earlier = [d for d in KEY_DATES.values() if d < date]
    return max(earlier) if earlier else dt.date(1987, 12, 31)
