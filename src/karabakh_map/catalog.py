"""The in-memory catalogue: the typed places, events and sources, and where the data lives.

    >>> from karabakh_map.validation import load_catalog
    >>> catalog = load_catalog()
    >>> catalog.resolve("Shushi").id
    'settlement-shusha'

Flow of the code (nothing imports upward)::

    catalog     the data model (Place, Event, Source, Catalog), the vocabularies, where the
                bundled files are (GEODATA_DIR, STATIC_DIR); imports no other module of ours
                except names
    validation  reads every file and checks it; ``load_catalog`` (load and check, raising
                :class:`CatalogError`) lives there because checking needs the whole model
    timeline    the engine over a checked catalogue

``load_catalog`` raises :class:`CatalogError` listing every problem (file, feature or row,
field, reason) when a data file is broken; ``karabakh-map validate`` prints the same list.

The data ships inside the package: an installed wheel carries ``karabakh_map/geodata`` and
``karabakh_map/static`` (pyproject maps the checkout's top-level ``geodata/`` and ``static/``
onto them), and a source checkout uses those top-level folders directly, so they stay the one
editable copy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Mapping

from shapely.geometry.base import BaseGeometry

from karabakh_map.names import NameIndex, Names


def bundled_dir(name: str) -> Path:
    """A data folder shipped with the package (an installed wheel), else the checkout's own."""
    packaged = resources.files("karabakh_map") / name
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / name


GEODATA_DIR = bundled_dir("geodata")
STATIC_DIR = bundled_dir("static")

# Lambert azimuthal equal-area centred on the region: areas in km² and distances in km within a
# fraction of a percent across the map's extent.
EQUAL_AREA_CRS = "+proj=laea +lat_0=40 +lon_0=46.5 +datum=WGS84 +units=m"

CONTROLLERS = ("azerbaijan", "armenian_forces", "russian_peacekeepers", "contested")
CONTROLLER_LABELS = {
    "azerbaijan": "Azerbaijan",
    "armenian_forces": "Armenian forces (Armenia / NKR)",
    "russian_peacekeepers": "Russian peacekeepers",
    "contested": "Contested",
}
ROAD_STATUSES = ("open", "peacekeepers", "blockaded", "checkpoint", "closed")
EVENT_KINDS = (
    "capture", "handover", "ceasefire", "checkpoint", "blockade", "declaration", "dissolution",
    "withdrawal", "deployment", "referendum", "vote", "deportation", "reopening", "delimitation",
    "agreement", "other",
)
DATE_PRECISIONS = ("day", "month", "year")
# Which side each perspective belongs to, and the claims rule, live in claims.py.
PERSPECTIVES = (
    "official_azerbaijani", "official_armenian", "official_russian",
    "state_media_azerbaijani", "state_media_armenian", "state_media_turkish", "state_media_russian",
    "independent_media", "international_organisation", "scholarship", "encyclopedia",
)

# The range the map covers: from the start of the Karabakh movement to today.
HISTORY_START = dt.date(1988, 1, 1)


def history_end() -> dt.date:
    return dt.date.today()


@dataclass(frozen=True)
class Place:
    id: str
    layer: str  # "region", "settlement" or "road"
    kind: str  # oblast, district, province, city, town, village, road
    names: Names
    geometry: BaseGeometry = field(repr=False, compare=False)
    properties: Mapping[str, object] = field(repr=False, compare=False)

    @property
    def district_id(self) -> str | None:
        return self.properties.get("district_id")  # type: ignore[return-value]

    @property
    def initial_controller(self) -> str:
        return str(self.properties.get("initial_controller") or "azerbaijan")

    @property
    def valid_from(self) -> dt.date | None:
        value = self.properties.get("valid_from")
        return dt.date.fromisoformat(str(value)) if value else None

    @property
    def valid_to(self) -> dt.date | None:
        value = self.properties.get("valid_to")
        return dt.date.fromisoformat(str(value)) if value else None


def initial_controller(place: Place) -> str:
    """Who held a place when the record starts (1988): Armenia's provinces Armenia, the rest
    Azerbaijan, unless a settlement says otherwise."""
    if place.layer == "settlement":
        return place.initial_controller
    return "armenian_forces" if place.id.startswith("province-") else "azerbaijan"


@dataclass(frozen=True)
class AlternativeDate:
    date: dt.date
    source_id: str


@dataclass(frozen=True)
class Event:
    event_id: str
    date: dt.date
    date_precision: str
    place_ids: tuple[str, ...]
    controller_before: str | None
    controller_after: str | None
    kind: str
    title: str
    description: str
    source_ids: tuple[str, ...]
    alt_dates: tuple[AlternativeDate, ...] = ()
    road_status: str | None = None
    row: int = 0  # line in the CSV file, for messages
    origin: str = "bundled"  # "bundled" or the name of an uploaded file

    @property
    def changes_control(self) -> bool:
        return self.controller_after is not None


@dataclass(frozen=True)
class Source:
    source_id: str
    title: str
    author: str
    publisher: str
    date: str
    url: str
    citation: str
    perspective: str
    row: int = 0  # line in sources.csv, for messages

    @property
    def safe_url(self) -> str | None:
        """The URL if it is http(s); anything else (``javascript:``...) is never linked."""
        url = self.url.strip()
        return url if url.lower().startswith(("http://", "https://")) else None


@dataclass(frozen=True)
class FrontLine:
    """A dated front line (geodata/front_lines.geojson): control zones are split along it while
    it is valid.  ``splits`` names the regions it divides; where it follows a region boundary or
    passes through a region held whole, it divides nothing.  A closed line encloses one side."""

    id: str
    title: str
    valid_from: dt.date
    valid_to: dt.date | None  # last day it stood; None: still standing
    splits: tuple[str, ...]
    geometry: BaseGeometry = field(repr=False, compare=False)
    properties: Mapping[str, object] = field(repr=False, compare=False, default_factory=dict)

    @property
    def closed(self) -> bool:
        coords = self.geometry.coords
        return len(coords) > 3 and coords[0] == coords[-1]

    def valid_on(self, date: dt.date) -> bool:
        return self.valid_from <= date and (self.valid_to is None or date <= self.valid_to)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, located precisely enough to fix it."""

    file: str
    item: str  # feature id, or "row N"
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: {self.field}: {self.message}"


class KarabakhError(Exception):
    """Base of every error this package reports to a user: its message is meant to be shown as is."""


class CatalogError(KarabakhError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the data:\n{shown}{more}")


class UnknownPlace(KarabakhError, LookupError):
    def __init__(self, query: str):
        self.query = query
        super().__init__(f"unknown place {query!r}")


@dataclass(frozen=True)
class Catalog:
    places: Mapping[str, Place]
    events: tuple[Event, ...]
    sources: Mapping[str, Source]
    # rows of confirmations.csv (claims.Confirmation; claims.py sits above this module)
    confirmations: tuple = ()
    front_lines: tuple[FrontLine, ...] = ()

    @cached_property
    def name_index(self) -> NameIndex:
        return NameIndex({pid: p.names for pid, p in self.places.items()})

    def place(self, place_id: str) -> Place:
        return self.places[place_id]

    def matches(self, query: str, date: dt.date | None = None) -> tuple[Place, ...]:
        """Every place an id or name variant can mean, the one :meth:`resolve` gives first.

        A settlement comes before the district of the same name ("Aghdam" is the town).  With a
        date, a road name shared by route variants ("Lachin corridor") puts the route in use on
        that date first (on a switch day, the newer route)."""
        query = (query or "").strip()
        if query in self.places:
            return (self.places[query],)
        found = [self.places[pid] for pid in self.name_index.lookup(query)]
        if date is not None and any(p.layer == "road" for p in found):
            def in_use(place: Place) -> tuple[int, int]:
                if place.layer != "road":
                    return (1, 0)
                start, end = place.valid_from or dt.date.min, place.valid_to or dt.date.max
                if start <= date <= end:
                    return (0, -start.toordinal())  # the newest route in use
                return (2, (start - date).days if date < start else (date - end).days)  # the nearest in time
            found.sort(key=in_use)
        return tuple(found)

    def resolve(self, query: str, date: dt.date | None = None) -> Place:
        """The place an id or any name variant refers to (on ``date``, for a road's route
        variants); raises :class:`UnknownPlace`.  :meth:`also_matches` lists the others."""
        found = self.matches(query, date)
        if not found:
            raise UnknownPlace((query or "").strip())
        return found[0]

    def also_matches(self, query: str, date: dt.date | None = None) -> tuple[Place, ...]:
        """The other places a name can mean besides the one :meth:`resolve` gives."""
        return self.matches(query, date)[1:]

    def search(self, query: str, limit: int = 20) -> list[Place]:
        return [self.places[pid] for pid in self.name_index.search(query, limit)]

    @cached_property
    def regions(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places.values() if p.layer == "region")

    @cached_property
    def settlements(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places.values() if p.layer == "settlement")

    @cached_property
    def roads(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places.values() if p.layer == "road")

    @cached_property
    def containing_regions(self) -> Mapping[str, tuple[str, ...]]:
        """For each settlement, the regions it lies in (its district, and the NKAO if inside)."""
        result = {}
        for s in self.settlements:
            regions = [s.district_id] if s.district_id else []
            if s.properties.get("in_nkao"):
                regions.append("region-nkao")
            result[s.id] = tuple(regions)
        return result

    @cached_property
    def members(self) -> Mapping[str, tuple[str, ...]]:
        """For each region, the settlements inside it."""
        result: dict[str, list[str]] = {r.id: [] for r in self.regions}
        for sid, regions in self.containing_regions.items():
            for rid in regions:
                result.setdefault(rid, []).append(sid)
        return {rid: tuple(sorted(ids)) for rid, ids in result.items()}

    @cached_property
    def events_by_id(self) -> Mapping[str, Event]:
        return {e.event_id: e for e in self.events}

    def events_for(self, place_id: str) -> tuple[Event, ...]:
        return self.events_by_place.get(place_id, ())

    @cached_property
    def events_by_place(self) -> Mapping[str, tuple[Event, ...]]:
        """Each place's events, including those on a region it lies in, in date order."""
        direct: dict[str, list[Event]] = {}
        for event in self.events:
            for pid in event.place_ids:
                direct.setdefault(pid, []).append(event)
        result: dict[str, tuple[Event, ...]] = {}
        for pid in self.places:
            related = list(direct.get(pid, []))
            for rid in self.containing_regions.get(pid, ()):
                related.extend(direct.get(rid, []))
            if self.places[pid].layer == "region":
                for sid in self.members.get(pid, ()):
                    related.extend(e for e in direct.get(sid, []) if e.changes_control)
            unique = {e.event_id: e for e in related}
            result[pid] = tuple(sorted(unique.values(), key=event_order))
        return result

    def with_events(self, events: tuple[Event, ...], *, replace: bool = False) -> "Catalog":
        """A new catalogue with extra (or, with ``replace``, only these) events."""
        combined = events if replace else (*self.events, *events)
        return Catalog(places=self.places, events=tuple(sorted(combined, key=event_order)),
                       sources=self.sources, confirmations=self.confirmations, front_lines=self.front_lines)


def event_order(event: Event) -> tuple:
    """Chronological; on one day, region-wide events before place-specific ones."""
    region_wide = any(not pid.startswith("settlement-") for pid in event.place_ids)
    return (event.date, 0 if region_wide else 1, event.event_id)


def __getattr__(name: str):
    # load_catalog moved to validation (loading checks the data, and checking needs this model):
    # say where it went rather than importing upward.
    if name == "load_catalog":
        raise ImportError("load_catalog now lives in karabakh_map.validation "
                          "(from karabakh_map.validation import load_catalog, or karabakh_map.load_catalog)")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
