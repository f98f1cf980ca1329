"""Claims and confirmation: which changes of control rest only on the gaining side's word.

    >>> from karabakh_map.validation import load_catalog
    >>> statuses = claim_statuses(load_catalog())
    >>> s = statuses["ev-20201004-dejal"]      # announced only by Azerbaijani state media
    >>> s.claimed, s.confirmed_on.isoformat(), s.basis
    (True, '2020-11-10', 'agreement')

The rule (written out for readers in geodata/README.md, "Claims and confirmation")
--------------------------------------------------------------------------------
Every source in ``geodata/sources.csv`` has a ``perspective`` from ``catalog.PERSPECTIVES``. Seven
of them belong to a *side* of the conflict (:data:`PERSPECTIVE_SIDE`); the others
(independent media, international organisations, scholarship, encyclopedias) belong to none.
Turkish state media count with the Azerbaijani side: in this conflict they relay Baku's
announcements.

A change of control (an event with ``controller_after``) *gained* by a side (the side of the
new controller, :data:`CONTROLLER_SIDE`) is a **claim** when every one of its sources is of that
side or an encyclopedia: an encyclopedia repeats whatever it was told and confirms nothing.
A change to ``contested`` is never a claim (nobody gains it), nor is a change whose sources
include one that is not the gaining side's and not an encyclopedia: that change is confirmed
from its own date.

A claim stays a claim until a row of ``geodata/confirmations.csv`` confirms it::

    event_id,date,basis,source_ids,note
    ev-20201004-dejal,2020-11-10,agreement,src-kremlin-20201110,"Point 1 of the statement ..."

``basis`` is one of

* ``independent``: a cited source belongs to no side and is not an encyclopedia;
* ``concession``: a cited source is of the *losing* side (the side of ``controller_before``);
  a biased source is strongest as evidence against its own side's interest;
* ``agreement``: a cited source (not an encyclopedia) is a source of an ``agreement`` or
  ``ceasefire`` event dated on or before the confirmation (the 10 Nov 2020 statement fixed the
  line of that day; the ceasefire of 12 May 1994 the line of 1994).

From the earliest valid confirmation's ``date`` on, the change is plain control; the engine
reports ``status="claimed"`` before it and ``confirmed_on`` from it (both dates stay visible).

Why a separate table, not a column of events.csv: a confirmation has its own date, basis and
sources, and several may exist for one event; events.csv keeps the changes themselves.

Sourcing rules checked here as well (each problem names the file, row and field):

* no control change rests on encyclopedias alone: its own sources include one that is not an
  encyclopedia (an encyclopedia may give a date; a confirmation row confirms a change, it does not source it);
* every source is *findable*: a URL whose path names a document (not a site's home page, a
  language root or a section index), or a ``citation`` giving the pages of a book or report;
* (warnings only, :func:`source_warnings`) no two rows of sources.csv are the same document
  (same URL), and every source is cited by an event, an alternative date, a confirmation or a
  front line.

A breach of the rules is a :class:`SourcingProblem`: ``karabakh-map validate`` fails on it, but
``load_catalog`` still returns the data, so the map stays usable while a citation is fixed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit

from karabakh_map.catalog import PERSPECTIVES, Catalog, Event, Problem, Source
from karabakh_map.parsing import ParseError, parse_date

PERSPECTIVE_SIDE: Mapping[str, str | None] = {
    "official_azerbaijani": "azerbaijani",
    "official_armenian": "armenian",  # Armenia and the NKR authorities
    "official_russian": "russian",
    "state_media_azerbaijani": "azerbaijani",
    "state_media_armenian": "armenian",
    "state_media_turkish": "azerbaijani",
    "state_media_russian": "russian",
    "independent_media": None,
    "international_organisation": None,  # UN, OSCE, ICRC, HRW, Amnesty, ICG ...
    "scholarship": None,
    "encyclopedia": None,  # Wikipedia in any language, Kiddle, Britannica, mirrors
}
assert set(PERSPECTIVE_SIDE) == set(PERSPECTIVES), "every perspective needs its side (or None)"
ENCYCLOPEDIA = "encyclopedia"
SIDES = ("azerbaijani", "armenian", "russian")
SIDE_LABELS = {"azerbaijani": "Azerbaijan", "armenian": "the Armenian side", "russian": "Russia"}
CONTROLLER_SIDE = {"azerbaijan": "azerbaijani", "armenian_forces": "armenian", "russian_peacekeepers": "russian"}

CONFIRMATION_BASES = ("independent", "concession", "agreement")
AGREEMENT_EVENT_KINDS = ("agreement", "ceasefire")
CONFIRMATION_COLUMNS = ("event_id", "date", "basis", "source_ids", "note")
CONFIRMATIONS_FILE = "geodata/confirmations.csv"


@dataclass(frozen=True)
class SourcingProblem(Problem):
    """A breach of the sourcing rules: ``karabakh-map validate`` fails on it, but the data still
    loads (the map stays usable while a citation is being fixed)."""


@dataclass(frozen=True)
class Confirmation:
    event_id: str
    date: dt.date
    basis: str
    source_ids: tuple[str, ...]
    note: str = ""
    row: int = 0


@dataclass(frozen=True)
class ClaimStatus:
    """How one change of control stands: claimed from its date, confirmed from ``confirmed_on``."""

    event_id: str
    gaining_side: str
    claimed: bool  # rests only on the gaining side (and encyclopedias)
    confirmed_on: dt.date | None  # None: confirmed by its own sources, or still only claimed
    basis: str | None  # "own sources", or the basis of the confirmation that counts

    @property
    def confirmed(self) -> bool:
        return not self.claimed or self.confirmed_on is not None


def side_of(source: Source | None) -> str | None:
    return PERSPECTIVE_SIDE.get(source.perspective) if source is not None else None


def gaining_side(event: Event) -> str | None:
    """The side that gains the place, or None (no change, or a change to ``contested``)."""
    if event.controller_after is None or event.controller_after == event.controller_before:
        return None
    return CONTROLLER_SIDE.get(event.controller_after)


def losing_side(event: Event) -> str | None:
    return CONTROLLER_SIDE.get(event.controller_before or "")


def is_claim(event: Event, sources: Mapping[str, Source]) -> bool:
    """Every source is the gaining side's or an encyclopedia.  A source not in the table (a URL
    in a researcher's upload) has no known perspective and so does not make the change a claim."""
    side = gaining_side(event)
    if side is None:
        return False
    for sid in event.source_ids:
        source = sources.get(sid)
        if source is None or (source.perspective != ENCYCLOPEDIA and side_of(source) != side):
            return False
    return True


def confirmation_problem(confirmation: Confirmation, catalog: Catalog) -> tuple[str, str] | None:
    """(field, message) when the row does not confirm its event; None when it does."""
    event = catalog.events_by_id.get(confirmation.event_id)
    if event is None:
        return "event_id", f"unknown event {confirmation.event_id!r}"
    side = gaining_side(event)
    if side is None:
        return "event_id", f"{event.event_id} is not a change of control gained by a side; nothing to confirm"
    if confirmation.date < event.date:
        return "date", f"{confirmation.date} is before the event itself ({event.date})"
    if confirmation.basis not in CONFIRMATION_BASES:
        return "basis", f"{confirmation.basis!r} is not one of {', '.join(CONFIRMATION_BASES)}"
    if not confirmation.source_ids:
        return "source_ids", "a confirmation cites at least one source"
    unknown = [s for s in confirmation.source_ids if s not in catalog.sources]
    if unknown:
        return "source_ids", f"unknown source {unknown[0]!r}"
    cited = [catalog.sources[s] for s in confirmation.source_ids]
    if confirmation.basis == "independent":
        if not any(side_of(s) is None and s.perspective != ENCYCLOPEDIA for s in cited):
            return "source_ids", (f"basis 'independent' needs a source of no side that is not an encyclopedia; "
                                  f"{_perspectives(cited)}")
    elif confirmation.basis == "concession":
        loser = losing_side(event)
        if loser is None:
            return "basis", f"{event.event_id} was taken from {event.controller_before}: no side can concede it"
        if not any(side_of(s) == loser for s in cited):
            return "source_ids", (f"basis 'concession' needs a source of the losing side ({loser}); "
                                  f"{_perspectives(cited)}")
    else:
        agreements = _agreement_sources(catalog)
        backing = [agreements[s.source_id] for s in cited if s.source_id in agreements]
        if not backing:
            return "source_ids", ("basis 'agreement' needs a source of an agreement or ceasefire event; "
                                  f"none of {', '.join(confirmation.source_ids)} is one")
        if min(backing) > confirmation.date:
            return "date", f"{confirmation.date} is before the agreement it cites ({min(backing)})"
    return None


def _perspectives(sources: Iterable[Source]) -> str:
    return "cited: " + ", ".join(f"{s.source_id} ({s.perspective})" for s in sources)


def _agreement_sources(catalog: Catalog) -> dict[str, dt.date]:
    """Each source of an agreement or ceasefire event, with that agreement's earliest date."""
    result: dict[str, dt.date] = {}
    for event in catalog.events:
        if event.kind in AGREEMENT_EVENT_KINDS:
            for sid in event.source_ids:
                source = catalog.sources.get(sid)
                if source is not None and source.perspective != ENCYCLOPEDIA:  # an agreement's text, not a summary
                    result[sid] = min(result.get(sid, event.date), event.date)
    return result


def claim_statuses(catalog: Catalog) -> dict[str, ClaimStatus]:
    """Every change of control gained by a side, by event id."""
    earliest: dict[str, Confirmation] = {}
    for confirmation in getattr(catalog, "confirmations", ()):
        if confirmation_problem(confirmation, catalog) is not None:
            continue
        known = earliest.get(confirmation.event_id)
        if known is None or confirmation.date < known.date:
            earliest[confirmation.event_id] = confirmation
    result = {}
    for event in catalog.events:
        side = gaining_side(event)
        if side is None:
            continue
        if not is_claim(event, catalog.sources):
            result[event.event_id] = ClaimStatus(event.event_id, side, False, None, "own sources")
            continue
        confirmation = earliest.get(event.event_id)
        result[event.event_id] = ClaimStatus(event.event_id, side, True,
                                             confirmation.date if confirmation else None,
                                             confirmation.basis if confirmation else None)
    return result


# ---------------------------------------------------------------- reading confirmations.csv

def parse_confirmations(text: str, file: str = CONFIRMATIONS_FILE) -> tuple[list[Problem], list[Confirmation]]:
    """Rows of confirmations.csv; the basis is checked against the catalogue by :func:`check_claims`."""
    problems: list[Problem] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in CONFIRMATION_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [Problem(file, "header", ", ".join(missing), "required column missing")], []
    confirmations = []
    try:
        for row in reader:
            item = f"row {reader.line_num}"
            if None in row:
                problems.append(Problem(file, item, "-", "more fields than the header has"))
                continue
            row = {k: (v or "").strip() for k, v in row.items()}
            try:
                date = parse_date(row["date"], "date", in_history=False)
            except ParseError as exc:
                problems.append(Problem(file, item, "date", str(exc)))
                continue
            source_ids = tuple(s.strip() for s in row["source_ids"].split(";") if s.strip())
            confirmations.append(Confirmation(row["event_id"], date, row["basis"], source_ids, row["note"],
                                              reader.line_num))
    except csv.Error as exc:
        problems.append(Problem(file, f"row {reader.line_num}", "-", f"malformed CSV: {exc}"))
    return problems, confirmations


# ---------------------------------------------------------------- findable sources

# Path segments that name a section or a language, not a document.
SECTION_SEGMENTS = frozenset({
    "news", "article", "articles", "publications", "publication", "commentaries", "commentary", "analytics",
    "analysis", "category", "categories", "section", "sections", "tag", "tags", "archive", "archives", "blog",
    "search", "about", "home", "index", "main", "media", "press", "reports", "documents", "library", "events",
    "politics", "world", "latest", "en", "eng", "ru", "rus", "az", "aze", "hy", "arm", "fr", "de", "tr",
})
INDEX_PAGE = re.compile(r"^(index|default|home|main)\.(html?|php|aspx?)$", re.IGNORECASE)
NON_DOCUMENT_QUERY = re.compile(r"^(lang|language|locale|utm_\w+|amp)$", re.IGNORECASE)
PAGES = re.compile(r"\b(pp?\.|pages?)\s*([0-9]+|[ivxlc]+\b)", re.IGNORECASE)


def url_names_document(url: str) -> bool:
    """Whether a URL's path (or query) identifies one document rather than a site or a section."""
    parts = urlsplit(url.strip())
    segments = [s for s in parts.path.split("/") if s and not INDEX_PAGE.match(s)]
    if any(s.lower() not in SECTION_SEGMENTS for s in segments):
        return True
    return any(not NON_DOCUMENT_QUERY.match(key) for key, _ in parse_qsl(parts.query))


def findability_problem(source: Source) -> tuple[str, str] | None:
    """(field, message) when a reader could not find the source from its row."""
    if source.url and url_names_document(source.url):
        return None
    if PAGES.search(source.citation):
        return None
    if source.url:
        return "url", (f"{source.url!r} is a site's home page or a section, not a document: give the document's "
                       "URL, or a citation with the book or report and its page(s)")
    return "citation", ("no URL, and the citation gives no page: give the document's URL, or the book or report "
                        "and its page(s)")


def _document_key(url: str) -> str:
    parts = urlsplit(url.strip().lower())
    host = parts.netloc.removeprefix("www.").removeprefix("m.")
    query = "&".join(f"{k}={v}" for k, v in parse_qsl(parts.query) if not NON_DOCUMENT_QUERY.match(k))
    return f"{host}{parts.path.rstrip('/')}?{query}"


# ---------------------------------------------------------------- every check

def _source_item(catalog: Catalog, sid: str) -> str:
    row = catalog.sources[sid].row
    return f"row {row}" if row else sid


def check_claims(catalog: Catalog, sources_file: str = "geodata/sources.csv", events_file: str = "geodata/events.csv",
                 confirmations_file: str = CONFIRMATIONS_FILE) -> list[Problem]:
    """The sourcing and claims rules over a whole catalogue (see the module docstring)."""
    problems: list[Problem] = []
    confirmations = catalog.confirmations
    for confirmation in confirmations:
        problem = confirmation_problem(confirmation, catalog)
        if problem is not None:
            problems.append(SourcingProblem(confirmations_file, f"row {confirmation.row}", problem[0],
                                    f"{confirmation.event_id}: {problem[1]}"))
    for sid, source in catalog.sources.items():
        problem = findability_problem(source)
        if problem is not None:
            problems.append(SourcingProblem(sources_file, _source_item(catalog, sid), problem[0], f"{sid}: {problem[1]}"))
    for event in catalog.events:
        if not event.changes_control:
            continue
        # The event's own sources: a confirmation (the 1994 ceasefire, the 2020 statement) confirms a
        # change that is sourced; it does not source it.
        own = set(event.source_ids)
        known = [catalog.sources[s] for s in own if s in catalog.sources]
        if known and len(known) == len(own) and all(s.perspective == ENCYCLOPEDIA for s in known):
            problems.append(SourcingProblem(events_file, f"row {event.row}", "source_ids",
                                    f"{event.event_id} changes control on encyclopedias alone "
                                    f"({'; '.join(event.source_ids)}): cite the sources they rely on"))
    return problems


def source_warnings(catalog: Catalog, sources_file: str = "geodata/sources.csv") -> list[Problem]:
    """Hygiene of the sources table, reported by ``karabakh-map validate`` without failing it:
    two rows for one document, and rows nothing cites.  (Merging two rows means editing the
    events that cite them, which is why these warn rather than block loading the data.)"""
    problems: list[Problem] = []
    first_with_url: dict[str, str] = {}
    for sid, source in catalog.sources.items():
        if not source.url:
            continue
        key = _document_key(source.url)
        if key in first_with_url:
            problems.append(Problem(sources_file, _source_item(catalog, sid), "url",
                                    f"{sid} is the same document as {first_with_url[key]}: keep one row"))
        else:
            first_with_url[key] = sid
    cited: set[str] = set()
    for event in catalog.events:
        cited.update(event.source_ids)
        cited.update(alt.source_id for alt in event.alt_dates)
    for confirmation in catalog.confirmations:
        cited.update(confirmation.source_ids)
    for line in getattr(catalog, "front_lines", ()):
        ids = line.properties.get("source_ids") or ()
        cited.update(ids.split(";") if isinstance(ids, str) else ids)
    for sid in catalog.sources:
        if sid not in cited:
            problems.append(Problem(sources_file, _source_item(catalog, sid), "source_id",
                                    f"{sid} is cited by no event, alternative date, confirmation or front line"))
    return problems
