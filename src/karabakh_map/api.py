"""The public Python API: who held what, when, as pandas and geopandas tables.

    >>> import karabakh_map as km
    >>> aug93 = km.control_at("1993-08-01")           # GeoDataFrame, EPSG:4326, one row per place
    >>> aug93.set_index("id").loc["settlement-aghdam", ["controller", "status"]].tolist()
    ['armenian_forces', 'confirmed']
    >>> zones = km.control_zones("2000-01-01")        # the areas as the map draws them
    >>> km.area_held("2000-01-01").columns.tolist()   # km² in an equal-area CRS
    ['region', 'controller', 'km2']
    >>> "ev-19920508-shusha" in set(km.events(place="Shusha", start="1992-01-01", end="1992-12-31").event_id)
    True
    >>> km.history("Aghdam").controller.tolist()
    ['armenian_forces', 'azerbaijan']

The API mirrors the command line, so a notebook and ``karabakh-map`` give the same answers:

=============================================  =====================================================
Python                                         command line
=============================================  =====================================================
``km.control_at(D)``                           ``karabakh-map state --date D --format csv``
``km.control_at(D, place="Shusha")``           ``karabakh-map state --date D --place Shusha``
``km.events(place=P, start=A, end=B)``         ``karabakh-map events --place P --from A --to B``
``km.control_at(D, events="mine.csv")``        ``karabakh-map state --date D --events mine.csv``
``events_only=True``                           ``--events-only``
``data="dir/"``                                ``--data dir/``
=============================================  =====================================================

* Dates are ``"YYYY-MM-DD"`` strings, :class:`datetime.date` or :class:`datetime.datetime`
  (also ``pandas.Timestamp``), from 1988-01-01 to today, read by the CLI's own parser
  (:mod:`karabakh_map.parsing`).
* Places are ids or any name variant, in any language, as in the CLI: ``"Shushi"``, ``"Şuşa"``,
  ``"Шуша"`` and ``"settlement-shusha"`` are one place.
* Every error is a :class:`KarabakhError` whose message is the CLI's one line (an unknown place,
  a malformed date, a missing file) or the CLI's list of data problems (:class:`CatalogError`,
  a subclass).

Catalogues are loaded, validated and indexed once per data folder and events file (and again
only when a file changes), so repeated calls in a notebook cost milliseconds.  The tables are
built by :mod:`karabakh_map.frames`; their columns are described there.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from karabakh_map import frames
from karabakh_map.catalog import GEODATA_DIR, CatalogError, KarabakhError, UnknownPlace
from karabakh_map.parsing import ParseError, parse_date
from karabakh_map.timeline import Timeline
from karabakh_map.validation import load_catalog

__all__ = ["control_at", "control_zones", "area_held", "events", "history", "load_timeline",
           "KarabakhError", "CatalogError", "UnknownPlace", "ParseError"]

PathLike = str | Path


def control_at(date, place: str | None = None, *, events: PathLike | None = None, events_only: bool = False,
               data: PathLike | None = None) -> gpd.GeoDataFrame:
    """Who held every place (or one ``place``) on ``date``: a GeoDataFrame in EPSG:4326.

    One row per region, settlement and road, with ``id, layer, kind``, the names (``name``,
    ``name_az``, ``name_hy``, ``name_hy_latn``, ``name_ru``), ``controller``, ``status``
    (``confirmed``, or ``claimed`` while only the gaining side says so), ``since``,
    ``event_id``, ``event_title``, ``source_ids``, ``partial`` and ``share`` (regions: the
    fraction their controller holds; ``share_<controller>`` for each side), and ``geometry``.

        >>> import karabakh_map as km
        >>> gdf = km.control_at("1993-08-01")
        >>> sorted(gdf.layer.unique())
        ['region', 'road', 'settlement']
        >>> km.control_at("1992-05-09", place="Shushi").controller.item()
        'armenian_forces'
    """
    tl = load_timeline(events=events, events_only=events_only, data=data)
    place_ids = [_resolve(tl, place)] if place is not None else None
    return frames.control_frame(tl, as_date(date), place_ids)


def control_zones(date, *, events: PathLike | None = None, events_only: bool = False,
                  data: PathLike | None = None) -> gpd.GeoDataFrame:
    """The control areas as the map draws them on ``date``: a GeoDataFrame in EPSG:4326.

    Each district is cut into the zones of its settlements (and along front lines where they
    are drawn); one row per zone: ``zone_id, region, follows`` (the settlement, or the region,
    whose control the zone follows), ``controller, status, in_peacekeeping_zone, area_km2``.

        >>> import karabakh_map as km
        >>> zones = km.control_zones("2000-01-01")
        >>> by_side = zones.dissolve(by="controller")          # one (multi)polygon per side
        >>> sorted(by_side.index)[:2]
        ['armenian_forces', 'azerbaijan']
    """
    return frames.zones_frame(load_timeline(events=events, events_only=events_only, data=data), as_date(date))


def area_held(date, *, events: PathLike | None = None, events_only: bool = False,
              data: PathLike | None = None) -> pd.DataFrame:
    """km² held by each controller in each region on ``date``: ``region, controller, km2``.

    Areas are measured after ``to_crs`` into an equal-area projection centred on the region.
    Summed over regions they give the map's totals (Armenia's provinces count only the zones of
    the settlements in the record; the NKAO outline overlaps the districts and is not a row).

        >>> import karabakh_map as km
        >>> held = km.area_held("2000-01-01")
        >>> totals = held.groupby("controller")["km2"].sum()
        >>> bool(totals["armenian_forces"] > 10_000)
        True
    """
    return frames.area_frame(load_timeline(events=events, events_only=events_only, data=data), as_date(date))


def events(place: str | None = None, start=None, end=None, *, events: PathLike | None = None,
           events_only: bool = False, data: PathLike | None = None) -> pd.DataFrame:
    """Events with their sources, optionally for one ``place`` and between ``start`` and ``end``
    (both inclusive), as ``karabakh-map events`` lists them.

    A place's events include those on a region it lies in (and, for a region, the changes of
    control of the settlements inside it).  Columns: ``event_id, date, date_precision,
    place_ids, controller_before, controller_after, kind, title, description, alt_dates,
    road_status, source_ids, sources`` (one citation per source), ``origin``.

        >>> import karabakh_map as km
        >>> shusha_1992 = km.events(place="Shusha", start="1992-01-01", end="1992-12-31")
        >>> "ev-19920508-shusha" in set(shusha_1992.event_id)
        True
    """
    tl = load_timeline(events=events, events_only=events_only, data=data)
    catalog = tl.catalog
    # as with the CLI's --from/--to: an uploaded scenario may hold events after today
    first = as_date(start, "start", in_history=False) if start is not None else dt.date.min
    last = as_date(end, "end", in_history=False) if end is not None else dt.date.max
    if first > last:
        raise KarabakhError(f"start {first} is after end {last}: no day lies between them")
    chosen = catalog.events_for(_resolve(tl, place)) if place is not None else catalog.events
    return frames.events_frame(catalog, [e for e in chosen if first <= e.date <= last])


def history(place: str, *, events: PathLike | None = None, events_only: bool = False,
            data: PathLike | None = None) -> pd.DataFrame:
    """One row per change of ``place``: the day, the controller before and after, the claim
    status, the share (regions), the peacekeeping zone, the event and its sources.

        >>> import karabakh_map as km
        >>> first = km.history("Aghdam").iloc[0]
        >>> str(first.date), first.controller_before, first.controller, first.event_id
        ('1993-07-23', 'azerbaijan', 'armenian_forces', 'ev-19930723-aghdam')
    """
    tl = load_timeline(events=events, events_only=events_only, data=data)
    return frames.history_frame(tl, _resolve(tl, place))


def load_timeline(*, events: PathLike | None = None, events_only: bool = False, data: PathLike | None = None) -> Timeline:
    """The engine over the bundled data (or ``data``), with an extra events file merged in (or,
    with ``events_only``, alone): loaded, validated and indexed once, then cached."""
    directory = Path(data) if data is not None else GEODATA_DIR
    if events_only and events is None:
        raise KarabakhError("events_only=True needs an events file (events=PATH)")
    events_key = None
    if events is not None:
        path = Path(events)
        if not path.is_file():
            raise KarabakhError(f"events file not found: {events}")
        events_key = (str(path.resolve()), path.stat().st_mtime_ns, path.stat().st_size)
    return _timeline(_directory_key(directory), events_key, events_only)


def _directory_key(directory: Path) -> tuple:
    stamps = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.*")))
    return str(directory.resolve()), stamps


@lru_cache(maxsize=8)
def _timeline(directory_key: tuple, events_key: tuple | None, events_only: bool) -> Timeline:
    catalog = load_catalog(Path(directory_key[0]))
    if events_key is not None:
        # uploads imports the timeline; the engine has no reason to know about API callers
        from karabakh_map.uploads import merge_events

        path = Path(events_key[0])
        merged, problems = merge_events(catalog, path.name, path.read_bytes(), replace=events_only)
        if problems:
            raise CatalogError(problems)
        assert merged is not None
        catalog = merged
    return Timeline(catalog)


def _resolve(tl: Timeline, place: str) -> str:
    if not str(place).strip():
        raise KarabakhError("place is empty: give a place id or name, or leave place out")
    return tl.catalog.resolve(place).id


def as_date(value, what: str = "date", *, in_history: bool = True) -> dt.date:
    """A date from ``"YYYY-MM-DD"``, a date, a datetime or a pandas Timestamp, within the
    record (1988-01-01 to today), read by the CLI's parser; else its :class:`ParseError`
    (a :class:`KarabakhError`) with the CLI's message."""
    if isinstance(value, dt.datetime):  # also pandas.Timestamp: the day it falls on
        value = value.date()
    return parse_date(value, what, in_history=in_history)
