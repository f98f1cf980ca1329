"""A researcher's own events CSV, validated with the bundled data's rules and merged in memory.

The bundled files are never touched: the result is a new catalogue and timeline.
"""

from __future__ import annotations

from karabakh_map.catalog import Problem
from karabakh_map.timeline import Timeline
from karabakh_map.validation import check_event_consistency, decode, parse_events


def merge_uploaded_events(base: Timeline, filename: str, data: bytes, *, replace: bool = False
                          ) -> tuple[Timeline | None, list[Problem]]:
    """Validate an uploaded events file; return a timeline with its valid rows, and every problem.

    Rows that fail a row-level check are dropped and listed; if the remaining rows contradict
    the history they are added to, those conflicts are listed too and the rows still shown.
    """
    problems: list[Problem] = []
    text = decode(data, filename, problems)
    if text is None:
        return None, problems
    catalog = base.catalog
    row_problems, events = parse_events(text, filename, dict(catalog.places), dict(catalog.sources), origin=filename)
    problems += row_problems
    if not events:
        return None, problems
    merged = catalog.with_events(tuple(events), replace=replace)
    problems += check_event_consistency(merged, filename, events)
    return Timeline(merged), problems
