"""A researcher's own events CSV, validated with the bundled data's rules and merged in memory.

The bundled files are never touched: the result is a new catalogue (and timeline).  The same
function serves the app's upload box and the CLI's ``--events FILE``.
"""

from __future__ import annotations

import dataclasses

from karabakh_map.catalog import Catalog, Event, Problem, Source
from karabakh_map.timeline import Timeline
from karabakh_map.validation import check_event_consistency, decode, parse_events


def merge_events(catalog: Catalog, filename: str, data: bytes, *, replace: bool = False
                 ) -> tuple[Catalog | None, list[Problem]]:
    """Validate an events file; return the catalogue with its valid rows, and every problem.

    Rows that fail a row-level check are dropped and listed.  If the remaining rows contradict
    the history they are added to, those conflicts are listed too and the rows still shown.
    A source may be an id from sources.csv or an http(s) URL.
    """
    problems: list[Problem] = []
    text = decode(data, filename, problems)
    if text is None:
        return None, problems
    row_problems, events = parse_events(text, filename, dict(catalog.places), dict(catalog.sources), origin=filename,
                                        url_sources=True)
    problems += row_problems
    if not replace and events:
        reused, events = _bundled_ids(catalog, events, filename)
        problems += reused
        if not events and not problems:
            return catalog, problems  # every row is a bundled event, unchanged: nothing to add
    if not events:
        if not problems:
            problems.append(Problem(filename, "-", "file", "no event rows"))
        return None, problems
    merged = catalog.with_events(tuple(events), replace=replace)
    cited_urls = {sid for e in events for sid in e.source_ids if sid not in catalog.sources}
    if cited_urls:
        extra = {url: Source(url, url, "", f"cited in {filename}", "", url, "", "uploaded") for url in cited_urls}
        merged = dataclasses.replace(merged, sources={**merged.sources, **extra})
    problems += check_event_consistency(merged, filename, events)
    return merged, problems


def _bundled_ids(catalog: Catalog, events: list[Event], filename: str) -> tuple[list[Problem], list[Event]]:
    """Added on top of the bundled history, an event may not reuse a bundled id: the merge would
    silently replace the bundled event (and its sources) with the upload's.  A row identical to
    the bundled event (a re-uploaded export) adds nothing and is skipped."""
    problems, kept = [], []
    for event in events:
        bundled = catalog.events_by_id.get(event.event_id)
        if bundled is None:
            kept.append(event)
        elif dataclasses.replace(event, row=0, origin="") != dataclasses.replace(bundled, row=0, origin=""):
            problems.append(Problem(filename, f"row {event.row}", "event_id",
                                    f"{event.event_id!r} is already the id of a bundled event ({bundled.title}); "
                                    "give your event its own id, or use your file instead of the bundled history"))
    return problems, kept


def merge_uploaded_events(base: Timeline, filename: str, data: bytes, *, replace: bool = False
                          ) -> tuple[Timeline | None, list[Problem]]:
    merged, problems = merge_events(base.catalog, filename, data, replace=replace)
    return (Timeline(merged) if merged is not None else None), problems
