"""Who held each place on any day: the timeline engine (pure; no Streamlit, no folium).

    >>> from karabakh_map.validation import load_catalog
    >>> from karabakh_map.timeline import Timeline
    >>> import datetime as dt
    >>> tl = Timeline(load_catalog())
    >>> tl.state("settlement-shusha", dt.date(1992, 5, 9)).controller
    'armenian_forces'

Model
-----
* A settlement's controller changes only through events that name it, or name a region it lies
  in (its district, the former NKAO).  The last such event on or before a date wins; on one day,
  a region-wide event comes first and a settlement-specific one overrides it.
* Regions are never painted as wholly held when they were not: each district is divided into
  *control zones*, the Voronoi cells of its settlements clipped to the district (one part of a
  district with no settlement in it follows the district's own events).  A region's ``share`` is
  the area fraction of its zones held by each controller, in km² on an equal-area projection.
* Where a dated front line (``catalog.front_lines``) divides a region, its zones follow the line:
  the region is cut into pieces along it, and each piece holds the Voronoi cells of the region's
  settlements on its side (a piece with none follows the nearest settlement on its side).  Such a
  region has one set of zones per line period (``Zone.valid_from``/``valid_to``), and the
  per-period area tables are precomputed, so a snapshot still costs one bisection per region.
* The index holds, for every place, its sorted change dates; ``state`` is a binary search, so a
  snapshot of every place costs microseconds per place, whatever the number of events.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Iterable, Mapping, NamedTuple

import numpy as np
import pyproj
import shapely
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

from karabakh_map.catalog import (
    CONTROLLERS, EQUAL_AREA_CRS, HISTORY_START, Catalog, Event, FrontLine, Place, event_order, history_end,
    initial_controller,
)
from karabakh_map.claims import ClaimStatus, claim_statuses

EQUAL_AREA = pyproj.Transformer.from_crs("EPSG:4326", EQUAL_AREA_CRS, always_xy=True)

# A piece of a region cut off by a front line smaller than this is a rounding artefact where the
# line follows the region's boundary, not a territory.
SLIVER_KM2 = 0.5

# Within this share of a region, the minority is a rounding artefact, not a front line.
WHOLE_REGION_TOLERANCE = 1e-9


def to_equal_area(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.column_stack(EQUAL_AREA.transform(xy[:, 0], xy[:, 1])))


def area_km2(geom: BaseGeometry) -> float:
    return to_equal_area(geom).area / 1e6


class PlaceState(NamedTuple):
    """A place on one day: who held it, since when, and the event that said so.

    A NamedTuple rather than a dataclass: a snapshot builds one per place, and tuples are several
    times cheaper to create (the snapshot budget is under a millisecond)."""

    place_id: str
    date: dt.date
    controller: str
    since: dt.date | None  # None: unchanged since the start of the record
    event_id: str | None
    share: Mapping[str, float] | None = None  # regions only: fraction held by each controller
    in_peacekeeping_zone: bool = False
    road_status: str | None = None  # roads only
    visible: bool = True  # roads: whether this route existed on the date
    # "confirmed", or "claimed" while the change rests only on the gaining side's word (see the
    # claims rule in geodata/README.md); confirmed_on is the day it stopped being only a claim.
    status: str = "confirmed"
    confirmed_on: dt.date | None = None

    @property
    def partial(self) -> bool:
        return bool(self.share) and max(self.share.values()) < 1 - WHOLE_REGION_TOLERANCE


@dataclass(frozen=True)
class Zone:
    """A part of a region whose control follows one settlement (or the region's own events).

    Where a front line divides a region, the region has one set of zones per line period:
    ``valid_from``/``valid_to`` (inclusive; None: open-ended) say on which days this zone is part
    of the map, and ``front_lines`` which lines shaped it.  Zones of the same region valid on one
    day tile the region; ``Zone.valid_on(date)`` / ``Timeline.map_zones(date)`` pick them."""

    zone_id: str
    region_id: str
    follows: str  # a settlement id, or the region id for a part with no settlement
    geometry: BaseGeometry = field(repr=False, compare=False)
    area_km2: float = 0.0
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    front_lines: tuple[str, ...] = ()

    def valid_on(self, date: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= date) and (self.valid_to is None or date <= self.valid_to)


@dataclass(frozen=True)
class Change:
    place_id: str
    before: str
    after: str


@dataclass(frozen=True)
class _Track:
    """One place's history: sorted dates, and the value and event from each date on."""

    dates: tuple[dt.date, ...]
    values: tuple[str, ...]
    event_ids: tuple[str, ...]
    initial: str

    def at(self, date: dt.date) -> tuple[str, dt.date | None, str | None]:
        if not self.dates:
            return self.initial, None, None
        index = bisect.bisect_right(self.dates, date) - 1
        if index < 0:
            return self.initial, None, None
        return self.values[index], self.dates[index], self.event_ids[index]


@dataclass(frozen=True)
class _ClaimTrack:
    """One place's claim status over time: from each date, (status, confirmed_on).  Built only for
    places that some unconfirmed-at-first claim touches; every other place is always confirmed."""

    dates: tuple[dt.date, ...]
    values: tuple[tuple[str, dt.date | None], ...]

    def at(self, date: dt.date) -> tuple[str, dt.date | None]:
        index = bisect.bisect_right(self.dates, date) - 1
        return self.values[index] if index >= 0 else CONFIRMED


CONFIRMED: tuple[str, dt.date | None] = ("confirmed", None)


def _claim_track(control: _Track, claims: Mapping[str, ClaimStatus]) -> _ClaimTrack | None:
    """Claimed from the claim's date, confirmed from its confirmation (if before the next change)."""
    dates: list[dt.date] = []
    values: list[tuple[str, dt.date | None]] = []
    for index, (date, event_id) in enumerate(zip(control.dates, control.event_ids)):
        claim = claims.get(event_id)
        dates.append(date)
        if claim is None or not claim.claimed:
            values.append(CONFIRMED)
            continue
        values.append(("claimed", None))
        following = control.dates[index + 1] if index + 1 < len(control.dates) else None
        if claim.confirmed_on is not None and (following is None or claim.confirmed_on < following):
            dates.append(claim.confirmed_on)
            values.append(("confirmed", claim.confirmed_on))
    if all(v == CONFIRMED for v in values):
        return None
    return _ClaimTrack(tuple(dates), tuple(values))


def _track(events: Iterable[Event], initial: str, value_of) -> _Track:
    entries: list[tuple[dt.date, str, str]] = []
    for event in sorted(events, key=event_order):
        value = value_of(event)
        if value is None:
            continue
        if entries and entries[-1][0] == event.date:
            entries.pop()  # several events on one day: the last in event order stands for the day
        previous = entries[-1][1] if entries else initial
        if value != previous:  # an event that leaves this place unchanged does not reset "since"
            entries.append((event.date, value, event.event_id))
    return _Track(tuple(e[0] for e in entries), tuple(e[1] for e in entries), tuple(e[2] for e in entries), initial)


class Timeline:
    """The prebuilt index over a catalogue.  Immutable: every method is a pure query."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._control: dict[str, _Track] = {}
        self._peacekeeping: dict[str, _Track] = {}
        self._road: dict[str, _Track] = {}
        for place in catalog.places.values():
            events = catalog.events_by_place.get(place.id, ())
            own = [e for e in events if place.layer != "region" or set(e.place_ids) & {place.id}]
            self._control[place.id] = _track(own, initial_controller(place), lambda e: e.controller_after)
            self._peacekeeping[place.id] = _track(own, "no", _peacekeeping_value)
            if place.layer == "road":
                self._road[place.id] = _track(own, "open", lambda e: e.road_status)
        # Only places some claim touches get a claim track, so the snapshot stays one bisect per place.
        claims = claim_statuses(catalog)
        self._claims: dict[str, _ClaimTrack] = {}
        for pid, track in self._control.items():
            claim_track = _claim_track(track, claims)
            if claim_track is not None:
                self._claims[pid] = claim_track
        self._dates = tuple(sorted({e.date for e in catalog.events}))

    # ------------------------------------------------------------ one place

    def state(self, place_id: str, date: dt.date) -> PlaceState:
        place = self.catalog.places[place_id]
        if place.layer == "region":
            return self._region_state(place_id, date, {})
        controller, since, event_id = self._control[place_id].at(date)
        peacekeeping = self._peacekeeping[place_id].at(date)[0] == "yes"
        if place.layer == "road":
            status, status_since, status_event = self._road[place_id].at(date)
            visible = (place.valid_from is None or place.valid_from <= date) and (place.valid_to is None or date <= place.valid_to)
            if status_since and (since is None or status_since >= since):
                since, event_id = status_since, status_event
            claim, confirmed_on = self._claims[place_id].at(date) if place_id in self._claims else CONFIRMED
            # a route no longer (or not yet) in use lies in no zone, whatever its last deployment said
            return PlaceState(place_id, date, controller, since, event_id, None, peacekeeping and visible, status, visible,
                              claim, confirmed_on)
        if place_id in self._claims:
            claim, confirmed_on = self._claims[place_id].at(date)
            return PlaceState(place_id, date, controller, since, event_id, None, peacekeeping, None, True,
                              claim, confirmed_on)
        return PlaceState(place_id, date, controller, since, event_id, None, peacekeeping)

    def share(self, region_id: str, date: dt.date) -> dict[str, float]:
        return dict(self._region_state(region_id, date, {}).share or {})

    # ------------------------------------------------------------ all places

    def snapshot(self, date: dt.date) -> dict[str, PlaceState]:
        """Every place on one day: one binary search per place, then regions from their zones."""
        result: dict[str, PlaceState] = {}
        control, peacekeeping, claims = self._control, self._peacekeeping, self._claims
        for pid in self._settlement_ids:
            controller, since, event_id = control[pid].at(date)
            if pid in claims:
                claim, confirmed_on = claims[pid].at(date)
                result[pid] = PlaceState(pid, date, controller, since, event_id, None,
                                         peacekeeping[pid].at(date)[0] == "yes", None, True, claim, confirmed_on)
            else:
                result[pid] = PlaceState(pid, date, controller, since, event_id, None,
                                         peacekeeping[pid].at(date)[0] == "yes")
        for pid in self._road_ids:
            result[pid] = self.state(pid, date)
        for rid in self._region_ids:
            result[rid] = self._region_state(rid, date, result)
        return result

    def _region_state(self, rid: str, date: dt.date, known: dict[str, PlaceState]) -> PlaceState:
        """A region's share by controller (zone areas), and its last change anywhere inside."""
        control, order = self._control, self._event_rank
        held: dict[str, float] = {}
        since, event_id = None, None
        # A region is "claimed" while any part of it is held only on a claim; confirmed_on follows
        # the latest change inside it.
        claimed, confirmed_on = False, None
        in_zone = self._peacekeeping[rid].at(date)[0] == "yes"
        period = bisect.bisect_right(self._period_starts, date) - 1
        for fid, area in self._region_follows[max(period, 0)][rid]:
            state = known.get(fid)
            if state is None:
                state = self.state(fid, date) if fid != rid else None
            if state is None:  # the part of the region with no settlement follows the region's own events
                controller, f_since, f_event = control[rid].at(date)
                f_status, f_confirmed = self._claims[rid].at(date) if rid in self._claims else CONFIRMED
            else:
                controller, f_since, f_event = state.controller, state.since, state.event_id
                f_status, f_confirmed = state.status, state.confirmed_on
                in_zone = in_zone or state.in_peacekeeping_zone
            held[controller] = held.get(controller, 0.0) + area
            claimed = claimed or f_status == "claimed"
            if f_since is not None and (since is None or (f_since, order[f_event]) > (since, order[event_id])):
                since, event_id, confirmed_on = f_since, f_event, f_confirmed
        status = "claimed" if claimed else "confirmed"
        total = sum(held.values())
        if total <= 0:
            controller, since, event_id = control[rid].at(date)
            status, confirmed_on = self._claims[rid].at(date) if rid in self._claims else CONFIRMED
            return PlaceState(rid, date, controller, since, event_id, {controller: 1.0}, in_zone, None, True,
                              status, confirmed_on)
        share = {c: round(held[c] / total, 6) for c in CONTROLLERS if c in held}
        controller = max(share, key=lambda c: (share[c], -CONTROLLERS.index(c)))
        return PlaceState(rid, date, controller, since, event_id, share, in_zone, None, True, status, confirmed_on)

    @cached_property
    def _event_rank(self) -> dict[str | None, int]:
        ranks: dict[str | None, int] = {e.event_id: i for i, e in enumerate(sorted(self.catalog.events, key=event_order))}
        ranks[None] = -1
        return ranks

    @cached_property
    def _settlement_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.catalog.settlements)

    @cached_property
    def _region_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.catalog.regions)

    @cached_property
    def _road_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.catalog.roads)

    @cached_property
    def _periods(self) -> tuple[tuple[dt.date, dt.date | None, tuple[FrontLine, ...]], ...]:
        """(first day, last day or None, lines valid) for each stretch of time with one set of
        front lines; the first starts at ``dt.date.min``."""
        lines = self.catalog.front_lines
        cuts = sorted({dt.date.min, *(line.valid_from for line in lines),
                       *(line.valid_to + dt.timedelta(days=1) for line in lines if line.valid_to)})
        periods = []
        for index, start in enumerate(cuts):
            end = cuts[index + 1] - dt.timedelta(days=1) if index + 1 < len(cuts) else None
            periods.append((start, end, tuple(line for line in lines if line.valid_on(start))))
        return tuple(periods)

    @cached_property
    def _period_starts(self) -> tuple[dt.date, ...]:
        return tuple(start for start, _, _ in self._periods)

    def zone_change_dates(self) -> tuple[dt.date, ...]:
        """The days on which the zone set changes (a front line starts or stops): a region's share
        can change on these days without any event, so state tracks must sample them too."""
        return self._period_starts[1:]

    @cached_property
    def _region_follows(self) -> tuple[dict[str, tuple[tuple[str, float], ...]], ...]:
        """Per line period, for each region, the zone area following each settlement (or the
        region itself): precomputed so that a snapshot stays a handful of binary searches."""
        result = []
        for start, _, _ in self._periods:
            by_region: dict[str, tuple[tuple[str, float], ...]] = {}
            for region in self.catalog.regions:
                areas: dict[str, float] = {}
                for zone in self.zones_by_region.get(region.id, ()):
                    if zone.valid_on(start):
                        areas[zone.follows] = areas.get(zone.follows, 0.0) + zone.area_km2
                by_region[region.id] = tuple(sorted(areas.items()))
            result.append(by_region)
        return tuple(result)

    def zone_controllers(self, date: dt.date) -> dict[str, str]:
        return {z.zone_id: self._control[z.follows].at(date)[0] for z in self.map_zones()}

    def zone_claimed(self, date: dt.date) -> dict[str, bool]:
        """For each map zone, whether it is held on an unconfirmed claim (the map hatches it)."""
        claims = self._claims
        return {z.zone_id: z.follows in claims and claims[z.follows].at(date)[0] == "claimed" for z in self.map_zones()}

    def claim_change_dates(self, place_id: str) -> tuple[dt.date, ...]:
        """The days on which the place's claim status changes (a claim, its confirmation)."""
        track = self._claims.get(place_id)
        if track is None:
            return ()
        changes, previous = [], CONFIRMED[0]
        for date, (status, _) in zip(track.dates, track.values):
            if status != previous:
                changes.append(date)
            previous = status
        return tuple(changes)

    def zone_peacekeeping(self, date: dt.date) -> dict[str, bool]:
        """Whether each map zone is in the peacekeeping zone; a zone not on the map that day is not."""
        return {z.zone_id: z.valid_on(date) and self._peacekeeping[z.follows].at(date)[0] == "yes"
                for z in self.map_zones()}

    def events_between(self, start: dt.date, end: dt.date, place_id: str | None = None) -> list[Event]:
        """Events with ``start < date <= end`` (all of them when start is before the record)."""
        events = self.catalog.events_by_place.get(place_id, ()) if place_id else self.catalog.events
        return [e for e in events if start < e.date <= end]

    def diff(self, start: dt.date, end: dt.date) -> list[Change]:
        """Places (settlements and roads) whose controller differs between two dates."""
        changes = []
        for pid, place in self.catalog.places.items():
            if place.layer == "region":
                continue
            a, b = self._control[pid].at(start)[0], self._control[pid].at(end)[0]
            if a != b:
                changes.append(Change(pid, a, b))
        return changes

    def change_dates(self) -> tuple[dt.date, ...]:
        """Every date on which some event happened, ascending."""
        return self._dates

    def previous_event_date(self, date: dt.date) -> dt.date | None:
        index = bisect.bisect_left(self._dates, date) - 1
        return self._dates[index] if index >= 0 else None

    def next_event_date(self, date: dt.date) -> dt.date | None:
        index = bisect.bisect_right(self._dates, date)
        return self._dates[index] if index < len(self._dates) else None

    # ------------------------------------------------------------ areas

    @cached_property
    def zones(self) -> tuple[Zone, ...]:
        """Every zone of every line period (see :class:`Zone`); the former NKAO's are the
        districts' zones cut to its outline."""
        zones: list[Zone] = []
        settlements = self.catalog.settlements
        for region in self.catalog.regions:
            if region.kind == "oblast":
                continue  # the NKAO outline overlaps the districts: its share comes from theirs
            own = [self.catalog.places[s] for s in self.catalog.members.get(region.id, ())
                   if self.catalog.places[s].district_id == region.id]
            # A held position (Lake Sev) has ground only inside its front line's pocket.
            unpocketed = [s for s in own if s.kind != "position"]
            segments = _region_segments(region.id, self._periods)
            if len(segments) == 1:
                zones.extend(_region_zones(region, unpocketed))
                continue
            for index, (start, end, lines) in enumerate(segments):
                suffix = "" if index == 0 else f"@{start.isoformat()}"
                valid_from = None if start == dt.date.min else start
                if lines:
                    pieces = _split_zones(region, own, lines, settlements, suffix)
                else:
                    pieces = [replace(z, zone_id=z.zone_id + suffix) for z in _region_zones(region, unpocketed)]
                zones.extend(replace(z, valid_from=valid_from, valid_to=end,
                                     front_lines=tuple(line.id for line in lines)) for z in pieces)
        nkao = self.catalog.places.get("region-nkao")
        if nkao is not None:
            for zone in list(zones):
                part = zone.geometry.intersection(nkao.geometry)
                if part.area > 0:
                    zones.append(replace(zone, zone_id=f"{zone.zone_id}@nkao", region_id="region-nkao",
                                         geometry=part, area_km2=area_km2(part)))
        return tuple(zones)

    @cached_property
    def zones_by_region(self) -> Mapping[str, tuple[Zone, ...]]:
        result: dict[str, list[Zone]] = {}
        for zone in self.zones:
            result.setdefault(zone.region_id, []).append(zone)
        return {rid: tuple(z) for rid, z in result.items()}

    @cached_property
    def _map_zones(self) -> tuple[Zone, ...]:
        return tuple(z for z in self.zones if z.region_id != "region-nkao"
                     and not (z.region_id.startswith("province-") and z.follows == z.region_id))

    def map_zones(self, date: dt.date | None = None) -> tuple[Zone, ...]:
        """The zones that tile the map: the districts, and in Armenia's provinces only the zones
        of settlements in the record (Artsvashen), not the rest of the province.

        Without a date: the zones of every line period (a client shows those whose
        ``valid_from``/``valid_to`` include the date it paints); with a date: that day's tiling."""
        if date is None:
            return self._map_zones
        return tuple(z for z in self._map_zones if z.valid_on(date))

    def area_by_controller(self, date: dt.date) -> dict[str, float]:
        """km² held by each controller across the districts (Armenia's provinces: only their settlements' zones)."""
        held = {c: 0.0 for c in CONTROLLERS}
        for zone in self.map_zones(date):
            held[self._control[zone.follows].at(date)[0]] += zone.area_km2
        return {c: round(v, 1) for c, v in held.items()}

    def area_series(self, dates: Iterable[dt.date] | None = None) -> list[tuple[dt.date, str, float]]:
        """(date, controller, km²) rows, by default at every change date and the record's ends."""
        if dates is None:
            dates = sorted({HISTORY_START, *self._dates, history_end()})
        rows = []
        for date in dates:
            for controller, km2 in self.area_by_controller(date).items():
                rows.append((date, controller, km2))
        return rows


def _peacekeeping_value(event: Event) -> str | None:
    """A deployment puts its places in the peacekeeping zone; a withdrawal takes them out (for a
    place that was never in the zone, such as the 366th regiment's base in 1992, it changes nothing).
    A place the peacekeepers held themselves leaves the zone when they hand it over (Lachin, Sus and
    Zabukh on 26 Aug 2022, when the corridor moved to the bypass road)."""
    if event.controller_before == "russian_peacekeepers" and event.controller_after not in (None, "russian_peacekeepers"):
        return "no"
    return {"deployment": "yes", "withdrawal": "no"}.get(event.kind)


def _region_zones(region: Place, settlements: list[Place]) -> list[Zone]:
    """Voronoi cells of the region's settlements, clipped to the polygon part each lies in."""
    parts = list(getattr(region.geometry, "geoms", [region.geometry]))
    # A point may sit just outside its district's generalised boundary: it belongs to the nearest part.
    nearest_part = {s.id: min(range(len(parts)), key=lambda i: parts[i].distance(s.geometry)) for s in settlements}
    zones = []
    for index, part in enumerate(parts):
        inside = [s for s in settlements if nearest_part[s.id] == index]
        if not inside:
            zones.append(Zone(f"{region.id}#part{index}", region.id, region.id, part, area_km2(part)))
            continue
        if len(inside) == 1:
            cells = [part]
        else:
            points = MultiPoint([s.geometry for s in inside])
            diagram = shapely.voronoi_polygons(points, extend_to=part)
            cells = list(diagram.geoms)
        for settlement in inside:
            cell = next((c for c in cells if c.covers(settlement.geometry)), None)
            if cell is None:  # outside the part: take the cell nearest to it
                cell = min(cells, key=lambda c: c.distance(settlement.geometry))
            clipped = cell.intersection(part) if len(inside) > 1 else part
            clipped = shapely.make_valid(clipped)
            polys = [g for g in getattr(clipped, "geoms", [clipped]) if isinstance(g, Polygon) and g.area > 0]
            if not polys:
                continue
            geometry = shapely.union_all(polys)
            zones.append(Zone(f"zone-{settlement.id.removeprefix('settlement-')}", region.id, settlement.id,
                              geometry, area_km2(geometry)))
    return zones


def _region_segments(region_id: str, periods) -> list[tuple[dt.date, dt.date | None, tuple[FrontLine, ...]]]:
    """The stretches of time in which one set of front lines divides this region."""
    segments: list[tuple[dt.date, dt.date | None, tuple[FrontLine, ...]]] = []
    for start, end, lines in periods:
        dividing = tuple(line for line in lines if region_id in line.splits)
        if segments and segments[-1][2] == dividing:
            segments[-1] = (segments[-1][0], end, dividing)
        else:
            segments.append((start, end, dividing))
    return segments


def _sides(line: FrontLine, points: list[Point]) -> list[bool]:
    """Which side of a line each point lies on: inside a closed line, or left of an open one
    (by the segment nearest to the point, in the direction the vertices run; on a tie, the first)."""
    if not points:
        return []
    if line.closed:
        return [bool(v) for v in shapely.contains(Polygon(line.geometry.coords), points)]
    coords = np.asarray(line.geometry.coords)[:, :2]
    starts, ends = coords[:-1], coords[1:]
    segments = shapely.linestrings(np.stack([starts, ends], axis=1))
    # one row per point, one column per segment: the nearest segment decides (as a loop would,
    # taking the first of equals)
    nearest = np.argmin(shapely.distance(segments[np.newaxis, :], np.asarray(points, dtype=object)[:, np.newaxis]), axis=1)
    xy = np.array([(p.x, p.y) for p in points])
    (x1, y1), (x2, y2) = starts[nearest].T, ends[nearest].T
    return [bool(v) for v in (x2 - x1) * (xy[:, 1] - y1) - (y2 - y1) * (xy[:, 0] - x1) > 0]


def _split_zones(region: Place, own: list[Place], lines: tuple[FrontLine, ...], settlements: tuple[Place, ...],
                 suffix: str) -> list[Zone]:
    """A region divided by front lines: each piece takes the Voronoi cells of the region's
    settlements on its side; a piece with none follows the nearest settlement on the same side
    (of the region if it has one there, else of any region the lines divide)."""
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(
        shapely.union_all([region.geometry.boundary, *(line.geometry for line in lines)]))))
    pieces = [f for f in faces if region.geometry.contains(f.representative_point())]
    # Where a line runs along a region boundary, rounding leaves slivers: they join a neighbour.
    for sliver in sorted((p for p in pieces if area_km2(p) < SLIVER_KM2), key=lambda p: p.area):
        others = [p for p in pieces if p is not sliver]
        if others:
            pieces = others
            target = max(range(len(pieces)), key=lambda i: (pieces[i].buffer(1e-7).intersection(sliver).area,
                                                              -pieces[i].distance(sliver)))
            pieces[target] = shapely.make_valid(shapely.union_all([pieces[target], sliver]))
    by_line = [_sides(line, [place.geometry for place in settlements]) for line in lines]
    side_of = {place.id: tuple(sides[i] for sides in by_line) for i, place in enumerate(settlements)}
    anchors = [p.representative_point() for p in pieces]
    by_line = [_sides(line, anchors) for line in lines]
    piece_side = [tuple(sides[i] for sides in by_line) for i in range(len(pieces))]
    members: list[list[Place]] = [[] for _ in pieces]
    for settlement in own:
        candidates = [i for i, side in enumerate(piece_side) if side == side_of[settlement.id]]
        if candidates:
            members[min(candidates, key=lambda i: pieces[i].distance(settlement.geometry))].append(settlement)
    divided = {rid for line in lines for rid in line.splits}
    zones: list[Zone] = []
    for index, piece in enumerate(pieces):
        if members[index]:
            for zone in _region_zones(replace(region, geometry=piece), members[index]):
                zones.append(replace(zone, zone_id=zone.zone_id + suffix))
            continue
        same_side = [s for s in own if side_of[s.id] == piece_side[index]] or \
                    [s for s in settlements if s.district_id in divided and side_of[s.id] == piece_side[index]]
        anchor = piece.representative_point()
        follows = min(same_side, key=lambda s: s.geometry.distance(anchor)).id if same_side else region.id
        zones.append(Zone(f"{region.id}#piece{index}{suffix}", region.id, follows, piece, area_km2(piece)))
    return zones


# ---------------------------------------------------------------- the naive reference

def naive_controller(catalog: Catalog, place_id: str, date: dt.date) -> str:
    """Replay every event in order: slow, obviously right; the reference for tests and benchmarks."""
    place = catalog.places[place_id]
    regions = set(catalog.containing_regions.get(place_id, ()))
    controller = initial_controller(place)
    for event in sorted(catalog.events, key=event_order):
        if event.date > date:
            break
        if event.controller_after is None:
            continue
        if place_id in event.place_ids or regions & set(event.place_ids):
            controller = event.controller_after
    return controller


def naive_snapshot(catalog: Catalog, date: dt.date) -> dict[str, str]:
    return {pid: naive_controller(catalog, pid, date) for pid, p in catalog.places.items() if p.layer != "region"}
