"""Every check on the data files, each reporting the file, the feature or row, and the field.

The same rules serve the bundled geodata (``karabakh-map validate``), a researcher's uploaded
events CSV (the app's upload box, ``--events FILE``) and the test fixtures of broken files.

    >>> from karabakh_map.validation import load_catalog
    >>> load_catalog().resolve("Ağdam").id
    'settlement-aghdam'

This module sits between the data model and the engine: it imports :mod:`karabakh_map.catalog`
(and names) only, never the timeline.  The replay of events that checks each
``controller_before`` is therefore its own small loop here (:func:`replay_problems`), not the
engine's index, and ``load_catalog`` (read, check, raise :class:`CatalogError`) lives here
rather than in catalog, which would otherwise have to import upward.

Each GeoJSON layer is read once by GDAL (:func:`read_layer`: pyogrio over Arrow, the reader
QGIS and ``geopandas.read_file`` use) into a GeoDataFrame whose geometry column holds the shapely
geometries the engine keeps, and every property and geometry rule is checked on that frame, so a
fault is still named by feature and field.  GDAL cannot see everything a rule needs, so two
things stay with the raw JSON (:func:`parse_feature_collection`):

* the file-level envelope: GDAL reads ``properties.id`` and drops the Feature's own ``id`` when
  both are present, silently skips members that are not Features, and fills a Feature without
  ``properties`` from its ``id``.  Every layer's envelope (type, ids, properties present) is
  therefore checked on the parsed JSON; when it is irregular, the whole layer goes the raw way;
* input GDAL or GEOS refuse (broken JSON, an unclosed ring, a one-position line): the same raw
  checks give the JSON's line and column, or the feature and ring.

geopandas also does the spatial work: the settlement-in-district check is one ``sjoin``,
distances are measured after ``to_crs`` into the equal-area CRS.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import warnings
from pathlib import Path
from typing import Iterable

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.errors
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape

from karabakh_map.catalog import (
    CONTROLLERS, DATE_PRECISIONS, EQUAL_AREA_CRS, EVENT_KINDS, GEODATA_DIR, PERSPECTIVES, ROAD_STATUSES,
    AlternativeDate, Catalog, CatalogError, Event, FrontLine, Place, Problem, Source, event_order, initial_controller,
)
from karabakh_map.claims import CONFIRMATIONS_FILE, SourcingProblem, check_claims, parse_confirmations
from karabakh_map.names import Names
from karabakh_map.parsing import ParseError, parse_date

LAYER_FILES = {"region": "regions.geojson", "settlement": "settlements.geojson", "road": "roads.geojson"}
ID_PATTERN = re.compile(r"^(region|district|province|settlement|road)-[a-z0-9]+(-[a-z0-9]+)*$")
EVENT_ID_PATTERN = re.compile(r"^ev-\d{8}-[a-z0-9]+(-[a-z0-9]+)*$")
SOURCE_ID_PATTERN = re.compile(r"^src-[a-z0-9]+(-[a-z0-9]+)*$")
ARMENIAN_SCRIPT = re.compile(r"[\u0531-\u0587]")
CYRILLIC_SCRIPT = re.compile(r"[\u0400-\u04FF]")

# Everything we map lies in this box (lon, lat); a feature outside it has swapped or wrong
# coordinates.
BOUNDS = (44.0, 38.5, 48.5, 41.8)
MAX_DECIMALS = 6
MAX_FILE_BYTES = 20_000_000

REGION_KINDS = ("oblast", "district", "province")
SETTLEMENT_KINDS = ("city", "town", "village", "height", "position")  # height: a hill; position: held ground (Sev Lich)
COORD_METHODS = ("geonames", "hand")
NAME_FIELDS = ("name_en", "name_az", "name_hy", "name_hy_latn", "name_ru")

EVENT_COLUMNS = ("event_id", "date", "date_precision", "place_ids", "controller_before", "controller_after",
                 "kind", "title", "description", "source_ids", "alt_dates", "road_status")
SOURCE_COLUMNS = ("source_id", "title", "author", "publisher", "date", "url", "citation", "perspective")


# ---------------------------------------------------------------- reading files

def read_text(path: Path, label: str, problems: list[Problem]) -> str | None:
    if not path.exists():
        problems.append(Problem(label, "-", "file", "file not found"))
        return None
    data = path.read_bytes()
    return decode(data, label, problems)


def decode(data: bytes, label: str, problems: list[Problem]) -> str | None:
    if len(data) > MAX_FILE_BYTES:
        problems.append(Problem(label, "-", "file", f"file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}"))
        return None
    if not data.strip():
        problems.append(Problem(label, "-", "file", "file is empty"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(label, "-", "file", f"not UTF-8: invalid byte 0x{data[exc.start]:02x} at offset {exc.start}"))
        return None
    return text


# ---------------------------------------------------------------- geometry

def _positions(coords) -> Iterable[list]:
    if not isinstance(coords, list):  # a string would recurse forever, one character at a time
        raise TypeError("not an array")
    if coords and isinstance(coords[0], (int, float)):
        yield coords
    else:
        for c in coords:
            yield from _positions(c)


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text or "E" in text:
        return 99
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _ring_is_ccw(ring: list) -> bool:
    area2 = sum(x1 * y2 - x2 * y1 for (x1, y1, *_), (x2, y2, *_) in zip(ring, ring[1:]))
    return area2 > 0


EXPECTED_GEOMETRY = {"region": ("Polygon", "MultiPolygon"), "settlement": ("Point",), "road": ("LineString",)}


def check_geometry(geometry, layer: str, file: str, item: str) -> tuple[list[Problem], object]:
    problems: list[Problem] = []

    def bad(message: str) -> tuple[list[Problem], None]:
        problems.append(Problem(file, item, "geometry", message))
        return problems, None

    if not isinstance(geometry, dict) or "type" not in geometry or "coordinates" not in geometry:
        return bad("missing or not a GeoJSON geometry object")
    gtype = geometry["type"]
    if gtype not in EXPECTED_GEOMETRY[layer]:
        return bad(f"type {gtype!r}; expected {' or '.join(EXPECTED_GEOMETRY[layer])}")
    coords = geometry["coordinates"]
    try:
        positions = list(_positions(coords))
    except TypeError:
        return bad("coordinates are not nested arrays of numbers")
    if not positions:
        return bad("no coordinates")
    for pos in positions:
        if len(pos) < 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos):
            return bad(f"position {pos!r} is not [longitude, latitude]")
        lon, lat = pos[0], pos[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return bad(f"position {pos!r} is not WGS84 longitude, latitude")
        if not (BOUNDS[0] <= lon <= BOUNDS[2] and BOUNDS[1] <= lat <= BOUNDS[3]):
            hint = " (latitude and longitude swapped?)" if BOUNDS[0] <= lat <= BOUNDS[2] and BOUNDS[1] <= lon <= BOUNDS[3] else ""
            return bad(f"position [{lon}, {lat}] lies outside the map's bounds {BOUNDS}{hint}")
        if max(_decimals(lon), _decimals(lat)) > MAX_DECIMALS:
            return bad(f"position {pos!r} has more than {MAX_DECIMALS} decimals")
    if gtype in ("Polygon", "MultiPolygon"):
        polygons = [coords] if gtype == "Polygon" else coords
        for polygon in polygons:
            for index, ring in enumerate(polygon):
                if len(ring) < 4:
                    return bad(f"ring {index} has {len(ring)} positions; a ring needs at least 4")
                if ring[0] != ring[-1]:
                    return bad(f"ring {index} is not closed (first and last positions differ)")
                ccw = _ring_is_ccw(ring)
                if index == 0 and not ccw:
                    return bad("exterior ring is clockwise; RFC 7946 wants counter-clockwise")
                if index > 0 and ccw:
                    return bad(f"hole {index} is counter-clockwise; RFC 7946 wants clockwise")
    if gtype == "LineString" and len(coords) < 2:
        return bad("a LineString needs at least 2 positions")
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed input
        return bad(f"cannot be read: {exc}")
    if not geom.is_valid:
        return bad(f"invalid: {shapely.is_valid_reason(geom)}")
    return problems, geom


# ---------------------------------------------------------------- features

class LayerUnreadable(Exception):
    """GDAL (or GEOS, decoding its geometries) cannot read a layer."""


def read_layer(path: Path) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """A GeoJSON layer as GDAL reads it: the GeoDataFrame (geometry column ``geometry``, the
    file's CRS) and, row for row, each feature's properties as plain Python values (ints stay
    ints, lists lists; a property a feature lacks or sets to null is left out; dates stay ISO
    text).  Raises :class:`LayerUnreadable` when GDAL or GEOS refuse the file."""
    try:
        with warnings.catch_warnings():
            # GDAL warns of an unclosed ring before GEOS refuses it; the raw checks then name it
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, table = pyogrio.read_arrow(path, DATE_AS_STRING="YES")
            geometry_name = meta["geometry_name"] or "wkb_geometry"
            # renamed in Arrow: cheaper than GeoDataFrame.rename_geometry
            table = table.rename_columns(["geometry" if c == geometry_name else c for c in table.column_names])
            frame = gpd.GeoDataFrame.from_arrow(table)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, GEOSException, ValueError) as exc:
        raise LayerUnreadable(str(exc)) from exc
    records = table.drop_columns(["geometry"]).to_pylist()
    return frame, [{key: value for key, value in record.items() if value is not None} for record in records]


def _regular_envelope(data: object, count: int) -> bool:
    """Whether the parsed JSON is a FeatureCollection of ``count`` Features, each with a slug
    ``id`` equal to its ``properties.id`` and no id twice: what GDAL's frame cannot show."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        return False
    features = data["features"]
    ids = [f.get("id") if isinstance(f, dict) else None for f in features]
    return (len(features) == count and len(set(ids)) == count
            and all(isinstance(f, dict) and f.get("type") == "Feature" and isinstance(f.get("properties"), dict)
                    and isinstance(fid, str) and ID_PATTERN.match(fid) and f["properties"].get("id") == fid
                    for f, fid in zip(features, ids)))


# GDAL gives a field one type for the whole layer: one feature's text where a number belongs
# turns every feature's value into text.  Seeing a value of the wrong type, the raw JSON decides.
TYPED_FIELDS = {"precision_km": (int, float), "coord_precision_km": (int, float), "geonameid": (int,),
                "alt_names": (list,), "in_nkao": (bool,)}


def _typed_as_declared(records: list[dict]) -> bool:
    return all(isinstance(record[name], types) for record in records
               for name, types in TYPED_FIELDS.items() if name in record)


def read_feature_collection(path: Path, text: str, layer: str, file: str, rejected: set[str] | None = None
                            ) -> tuple[list[Problem], list[Place]]:
    """Check a layer and build its places from GDAL's frame; the raw JSON serves the envelope,
    and the whole layer when GDAL cannot read it or the envelope is irregular (see the module doc)."""
    rejected = set() if rejected is None else rejected
    try:
        frame, records = read_layer(path)
        data = json.loads(text)
    except (LayerUnreadable, json.JSONDecodeError):
        return parse_feature_collection(text, layer, file, rejected)
    if not _regular_envelope(data, len(frame)) or not _typed_as_declared(records):
        return parse_feature_collection(text, layer, file, rejected)
    problems: list[Problem] = []
    places = []
    suspect = _suspect_shapes(frame.geometry.array, layer)
    for index, (feature, geom, props) in enumerate(zip(data["features"], frame.geometry, records)):
        item = feature["id"]
        feature_problems = check_properties(props, layer, file, item)
        if geom is None:  # GDAL drops a geometry it cannot read: the JSON says why
            geom_problems, geom = check_geometry(feature.get("geometry"), layer, file, item)
        elif suspect[index]:
            geom_problems = check_shape(geom, layer, file, item)
        else:
            geom_problems = []
        feature_problems += geom_problems
        problems += feature_problems
        if feature_problems:
            rejected.add(item)
            continue
        places.append(place_from(item, layer, props, geom))
    return problems, places


def _suspect_shapes(geoms, layer: str) -> np.ndarray:
    """Which geometries :func:`check_shape` must look at one by one: the whole layer's
    coordinates, types and validity are tested at once, and every polygon has its rings'
    orientation checked, so a clean point layer costs a few array operations."""
    suspect = np.zeros(len(geoms), dtype=bool)
    present = ~shapely.is_missing(geoms)
    suspect[present] = ~np.isin(shapely.get_type_id(geoms[present]),
                                [GEOMETRY_TYPE_IDS[t] for t in EXPECTED_GEOMETRY[layer]])
    suspect[present] |= ~shapely.is_valid(geoms[present]) | shapely.is_empty(geoms[present])
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    lon, lat = coords[:, 0], coords[:, 1]
    off = ~((BOUNDS[0] <= lon) & (lon <= BOUNDS[2]) & (BOUNDS[1] <= lat) & (lat <= BOUNDS[3]))
    off |= (np.round(coords, MAX_DECIMALS) != coords).any(axis=1)
    suspect[owner[off]] = True
    if layer == "region":
        suspect[present] = True
    return suspect


GEOMETRY_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPolygon": 6}


def _position(xy) -> list[float]:
    return [float(v) for v in xy]


def check_shape(geom, layer: str, file: str, item: str) -> list[Problem]:
    """:func:`check_geometry`'s rules on a geometry GDAL has read, with the same messages."""

    def bad(message: str) -> list[Problem]:
        return [Problem(file, item, "geometry", message)]

    gtype = geom.geom_type
    if gtype not in EXPECTED_GEOMETRY[layer]:
        return bad(f"type {gtype!r}; expected {' or '.join(EXPECTED_GEOMETRY[layer])}")
    coords = shapely.get_coordinates(geom)
    if not len(coords):
        return bad("no coordinates")
    lon, lat = coords[:, 0], coords[:, 1]
    not_wgs84 = ~((-180 <= lon) & (lon <= 180) & (-90 <= lat) & (lat <= 90))
    outside = ~((BOUNDS[0] <= lon) & (lon <= BOUNDS[2]) & (BOUNDS[1] <= lat) & (lat <= BOUNDS[3]))
    # np.round finds the candidates; repr, as for the raw JSON, decides
    too_precise = (np.round(coords, MAX_DECIMALS) != coords).any(axis=1)
    for index in np.flatnonzero(not_wgs84 | outside | too_precise):
        pos = _position(coords[index])
        x, y = pos
        if not_wgs84[index]:
            return bad(f"position {pos!r} is not WGS84 longitude, latitude")
        if outside[index]:
            hint = " (latitude and longitude swapped?)" if BOUNDS[0] <= y <= BOUNDS[2] and BOUNDS[1] <= x <= BOUNDS[3] else ""
            return bad(f"position [{x}, {y}] lies outside the map's bounds {BOUNDS}{hint}")
        if max(_decimals(x), _decimals(y)) > MAX_DECIMALS:
            return bad(f"position {pos!r} has more than {MAX_DECIMALS} decimals")
    if gtype in ("Polygon", "MultiPolygon"):
        for polygon in (geom.geoms if gtype == "MultiPolygon" else (geom,)):
            for index, ring in enumerate((polygon.exterior, *polygon.interiors)):
                positions = len(ring.coords)
                if positions < 4:
                    return bad(f"ring {index} has {positions} positions; a ring needs at least 4")
                if index == 0 and not ring.is_ccw:
                    return bad("exterior ring is clockwise; RFC 7946 wants counter-clockwise")
                if index > 0 and ring.is_ccw:
                    return bad(f"hole {index} is counter-clockwise; RFC 7946 wants clockwise")
    if not geom.is_valid:
        return bad(f"invalid: {shapely.is_valid_reason(geom)}")
    return []



def parse_feature_collection(text: str, layer: str, file: str, rejected: set[str] | None = None
                             ) -> tuple[list[Problem], list[Place]]:
    """Parse a layer; ids of features that fail go into ``rejected`` so that references to
    them are not reported again (one root cause, one message)."""
    rejected = set() if rejected is None else rejected
    problems: list[Problem] = []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Problem(file, "-", "file", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")], []
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        return [Problem(file, "-", "type", "not a GeoJSON FeatureCollection")], []
    places = []
    seen: set[str] = set()
    for index, feature in enumerate(data["features"]):
        item = f"feature {index}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(Problem(file, item, "type", "not a GeoJSON Feature"))
            continue
        fid = feature.get("id")
        props = feature.get("properties")
        if not isinstance(props, dict):
            problems.append(Problem(file, item, "properties", "missing"))
            continue
        if not isinstance(fid, str) or not ID_PATTERN.match(fid):
            problems.append(Problem(file, item, "id", f"{fid!r} is not a slug id like 'district-aghdam'"))
            if isinstance(props.get("id"), str):
                rejected.add(props["id"])
            continue
        item = fid
        if fid in seen:
            problems.append(Problem(file, item, "id", "duplicate id"))
            continue
        seen.add(fid)
        if props.get("id") != fid:
            problems.append(Problem(file, item, "properties.id", f"{props.get('id')!r} differs from the feature id"))
        feature_problems = check_properties(props, layer, file, item)
        geom_problems, geom = check_geometry(feature.get("geometry"), layer, file, item)
        feature_problems += geom_problems
        problems += feature_problems
        if feature_problems:
            rejected.add(fid)
            continue
        places.append(place_from(fid, layer, props, geom))
    return problems, places


def place_from(place_id: str, layer: str, props: dict, geom) -> Place:
    """A checked feature as a catalogue place (the GDAL path and the raw-JSON path build the same)."""
    names = Names(props["name_en"], props["name_az"], props["name_hy"], props["name_hy_latn"], props["name_ru"],
                  tuple(props.get("alt_names") or ()))
    return Place(place_id, layer, props["kind"], names, geom, props)


def check_properties(props: dict, layer: str, file: str, item: str) -> list[Problem]:
    problems = []

    def bad(fieldname: str, message: str) -> None:
        problems.append(Problem(file, item, fieldname, message))

    for name_field in NAME_FIELDS:
        value = props.get(name_field)
        if not isinstance(value, str) or not value.strip():
            bad(name_field, "required name is missing")
    if isinstance(props.get("name_hy"), str) and props["name_hy"].strip() and not ARMENIAN_SCRIPT.search(props["name_hy"]):
        bad("name_hy", f"{props['name_hy']!r} is not in Armenian script")
    if isinstance(props.get("name_ru"), str) and props["name_ru"].strip() and not CYRILLIC_SCRIPT.search(props["name_ru"]):
        bad("name_ru", f"{props['name_ru']!r} is not in Cyrillic script")
    alt = props.get("alt_names", [])
    if not isinstance(alt, list) or not all(isinstance(a, str) for a in alt):
        bad("alt_names", "must be a list of strings")
    kind = props.get("kind")
    if layer == "region":
        if kind not in REGION_KINDS:
            bad("kind", f"{kind!r} is not one of {', '.join(REGION_KINDS)}")
        _check_method(props, "geometry_method", "precision_km", bad)
    elif layer == "settlement":
        if kind not in SETTLEMENT_KINDS:
            bad("kind", f"{kind!r} is not one of {', '.join(SETTLEMENT_KINDS)}")
        if not isinstance(props.get("district_id"), str) or not props["district_id"]:
            bad("district_id", "missing")
        method = props.get("coord_method")
        if method not in COORD_METHODS:
            bad("coord_method", f"{method!r} is not one of {', '.join(COORD_METHODS)}")
        elif method == "geonames" and not isinstance(props.get("geonameid"), int) and not props.get("geonames_name"):
            bad("geonameid", "a GeoNames coordinate needs its integer geonameid (or the geonames_name it was matched by)")
        precision = props.get("coord_precision_km")
        if not isinstance(precision, (int, float)) or isinstance(precision, bool) or precision <= 0:
            bad("coord_precision_km", "must be a positive number of kilometres")
        if props.get("initial_controller", "azerbaijan") not in CONTROLLERS:
            bad("initial_controller", f"{props.get('initial_controller')!r} is not a known controller")
    elif layer == "road":
        if kind != "road":
            bad("kind", f"{kind!r}; expected 'road'")
        _check_method(props, "geometry_method", "precision_km", bad)
        valid_from = _parse_date(props.get("valid_from"))
        if valid_from is None:
            bad("valid_from", f"{props.get('valid_from')!r} is not an ISO date (YYYY-MM-DD)")
        if props.get("valid_to") is not None:
            valid_to = _parse_date(props.get("valid_to"))
            if valid_to is None:
                bad("valid_to", f"{props.get('valid_to')!r} is not an ISO date (YYYY-MM-DD) or null")
            elif valid_from and valid_to < valid_from:
                bad("valid_to", f"{valid_to} is before valid_from {valid_from}")
    return problems


def _check_method(props: dict, method_field: str, precision_field: str, bad) -> None:
    method = props.get(method_field)
    if not isinstance(method, str) or not method.strip():
        bad(method_field, "every feature records how its geometry was made")
    precision = props.get(precision_field)
    if not isinstance(precision, (int, float)) or isinstance(precision, bool) or precision <= 0:
        bad(precision_field, "must be a positive number of kilometres")


def _parse_date(value) -> dt.date | None:
    """A date in data (not a question about the map), so any day, even after today."""
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value, in_history=False)
    except ParseError:
        return None


def check_settlements_in_districts(places: dict[str, Place], file: str, rejected: set[str] = frozenset()) -> list[Problem]:
    """Each settlement lies in the district it names, and ``in_nkao`` agrees with the NKAO outline.

    One spatial join of the settlements with the regions answers both; a settlement outside its
    district is measured in an equal-area CRS and allowed as far as the boundary's and the
    point's stated precision."""
    settlements = [p for p in places.values() if p.layer == "settlement"]
    regions = [p for p in places.values() if p.layer == "region"]
    if not settlements:
        return []
    points = gpd.GeoDataFrame({"settlement": [s.id for s in settlements]},
                              geometry=[s.geometry for s in settlements], crs="EPSG:4326")
    areas = gpd.GeoDataFrame({"region": [r.id for r in regions]},
                             geometry=[r.geometry for r in regions], crs="EPSG:4326")
    covering = gpd.sjoin(points, areas, how="inner", predicate="covered_by")
    inside = set(zip(covering["settlement"], covering["region"]))
    outside = [p for p in settlements if p.district_id not in rejected and p.district_id in places
               and places[p.district_id].layer == "region" and (p.id, p.district_id) not in inside]
    # how far each point outside its district lies: both sides projected once, distances in km
    districts = gpd.GeoSeries([places[p.district_id].geometry for p in outside], crs="EPSG:4326")
    points_outside = gpd.GeoSeries([p.geometry for p in outside], crs="EPSG:4326")
    distances = districts.to_crs(EQUAL_AREA_CRS).distance(points_outside.to_crs(EQUAL_AREA_CRS)) / 1000
    off_km = dict(zip((p.id for p in outside), distances))
    problems = []
    for place in settlements:
        district = places.get(place.district_id or "")
        if place.district_id in rejected:
            continue
        if district is None or district.layer != "region":
            problems.append(Problem(file, place.id, "district_id", f"{place.district_id!r} is not a region id"))
        elif place.id in off_km:
            allowed = float(district.properties.get("precision_km") or 0) + float(place.properties.get("coord_precision_km") or 0)
            if off_km[place.id] > allowed:
                problems.append(Problem(file, place.id, "geometry",
                                        f"point {list(place.geometry.coords)[0]} lies {off_km[place.id]:.1f} km outside its district "
                                        f"{district.id} (allowed: {allowed:g} km, the boundary's and the point's precision)"))
                continue
        if place.properties.get("in_nkao") is not None and "region-nkao" in places:
            in_nkao = (place.id, "region-nkao") in inside
            if bool(place.properties["in_nkao"]) != in_nkao:
                problems.append(Problem(file, place.id, "in_nkao", f"says {place.properties['in_nkao']} but the point is "
                                        f"{'inside' if in_nkao else 'outside'} region-nkao"))
    return problems


# ---------------------------------------------------------------- sources and events

def csv_error_message(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"malformed CSV: a field is longer than {csv.field_size_limit():,} characters"
    return f"malformed CSV: {exc}"


def _unneutralised(value: str) -> str:
    """Undo serialize's spreadsheet-formula guard: a quote before = + - @ (tab, CR) is ours."""
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@", "\t", "\r") and value[1:2]:
        return value[1:]
    return value


def read_csv_rows(text: str, file: str, columns: tuple[str, ...], problems: list[Problem]
                  ) -> list[tuple[int, dict]] | None:
    """The rows (line number, stripped values) of a CSV with the given columns.

    A missing column or an unreadable header gives a problem on item "header" and ``None``; a
    row with too many fields is skipped with a problem; a CSV error (a field over the ``csv``
    module's 131,072-character limit) stops the reading there with a problem naming the row.
    """
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        problems.append(Problem(file, "header", "-", csv_error_message(exc)))
        return None
    missing = [c for c in columns if c not in header]
    if missing:
        problems.append(Problem(file, "header", ", ".join(missing), "required column missing"))
        return None
    rows = []
    try:
        for row in reader:
            if None in row:
                problems.append(Problem(file, f"row {reader.line_num}", "-", f"{len(header) + len(row[None])} fields; the header has {len(header)}"))
                continue
            rows.append((reader.line_num, {k: _unneutralised((v or "").strip()) for k, v in row.items()}))
    except csv.Error as exc:
        # line_num counts the lines read before the record that failed
        problems.append(Problem(file, f"row {reader.line_num + 1}", "-", csv_error_message(exc)))
    return rows


# A row's value is quoted in its message; a huge uploaded field must not make a huge message.
MAX_MESSAGE_LENGTH = 300


def row_problem(file: str, item: str, fieldname: str, message: str) -> Problem:
    if len(message) > MAX_MESSAGE_LENGTH:
        message = message[:MAX_MESSAGE_LENGTH - 3] + "..."
    return Problem(file, item, fieldname, message)


def parse_sources(text: str, file: str, rejected: set[str] | None = None) -> tuple[list[Problem], dict[str, Source]]:
    rejected = set() if rejected is None else rejected
    problems: list[Problem] = []
    rows = read_csv_rows(text, file, SOURCE_COLUMNS, problems)
    sources: dict[str, Source] = {}
    for line, row in rows or []:
        item = f"row {line}"
        sid = row["source_id"]
        row_problems = []
        if not SOURCE_ID_PATTERN.match(sid):
            row_problems.append(row_problem(file, item, "source_id", f"{sid!r} is not an id like 'src-un-sc-822'"))
        elif sid in sources:
            row_problems.append(row_problem(file, item, "source_id", f"duplicate id {sid!r}"))
        if not row["title"]:
            row_problems.append(row_problem(file, item, "title", "missing"))
        if not (row["url"] or row["citation"]):
            row_problems.append(row_problem(file, item, "url", "a source needs a URL or a citation a reader can find"))
        if row["url"] and not row["url"].lower().startswith(("http://", "https://")):
            row_problems.append(row_problem(file, item, "url", f"{row['url']!r}: only http(s) links are allowed"))
        if row["perspective"] not in PERSPECTIVES:
            row_problems.append(row_problem(file, item, "perspective", f"{row['perspective']!r} is not one of {', '.join(PERSPECTIVES)}"))
        problems += row_problems
        if not row_problems:
            sources[sid] = Source(**{c: row[c] for c in SOURCE_COLUMNS}, row=line)
        else:
            rejected.add(sid)
    return problems, sources


def parse_events(text: str, file: str, places: dict[str, Place], sources: dict[str, Source],
                 origin: str = "bundled", rejected: set[str] = frozenset(), url_sources: bool = False
                 ) -> tuple[list[Problem], list[Event]]:
    """Parse and check an events CSV row by row; valid rows are returned even when others fail.

    References to ids in ``rejected`` (places or sources already reported broken) are not
    reported again.  With ``url_sources`` (a researcher's upload) a source may also be given as an
    http(s) URL instead of an id from sources.csv."""
    problems: list[Problem] = []
    rows = read_csv_rows(text, file, EVENT_COLUMNS, problems)
    events: list[Event] = []
    seen: set[str] = set()
    for line, row in rows or []:
        item = f"row {line}"
        row_problems: list[Problem] = []

        def bad(fieldname: str, message: str) -> None:
            row_problems.append(row_problem(file, item, fieldname, message))

        eid = row["event_id"]
        if not EVENT_ID_PATTERN.match(eid):
            bad("event_id", f"{eid!r} is not an id like 'ev-19920508-shusha'")
        elif eid in seen:
            bad("event_id", f"duplicate id {eid!r}")
        seen.add(eid)
        date = None
        try:
            date = parse_date(row["date"], "date", in_history=False)
        except ParseError as exc:
            bad("date", str(exc))
        if row["date_precision"] not in DATE_PRECISIONS:
            bad("date_precision", f"{row['date_precision']!r} is not one of {', '.join(DATE_PRECISIONS)}")
        elif date and row["date_precision"] == "month" and date.day != 1:
            bad("date_precision", "a month-precision date is written as the 1st of the month")
        elif date and row["date_precision"] == "year" and (date.month, date.day) != (1, 1):
            bad("date_precision", "a year-precision date is written as 1 January")
        place_ids = tuple(p.strip() for p in row["place_ids"].split(";") if p.strip())
        if not place_ids:
            bad("place_ids", "no place given")
        _check_repeats(place_ids, "place_ids", bad)
        for pid in place_ids:
            if pid not in places and pid not in rejected:
                bad("place_ids", f"unknown place {pid!r}")
        before, after = row["controller_before"] or None, row["controller_after"] or None
        for fieldname, value in (("controller_before", before), ("controller_after", after)):
            if value is not None and value not in CONTROLLERS:
                bad(fieldname, f"{value!r} is not one of {', '.join(CONTROLLERS)}")
        if (before is None) != (after is None):
            bad("controller_after" if after is None else "controller_before",
                "give both controllers for a change of control, or neither")
        if row["kind"] not in EVENT_KINDS:
            bad("kind", f"{row['kind']!r} is not one of {', '.join(EVENT_KINDS)}")
        if not row["title"]:
            bad("title", "missing")
        source_ids = tuple(s.strip() for s in row["source_ids"].split(";") if s.strip())
        if not source_ids:
            bad("source_ids", "every event needs at least one source")
        _check_repeats(source_ids, "source_ids", bad)
        for sid in source_ids:
            if url_sources and sid.lower().startswith(("http://", "https://")):
                continue
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", sid):
                bad("source_ids", f"{sid!r}: only http(s) links are allowed as sources")
            elif sid not in sources and sid not in rejected:
                bad("source_ids", f"unknown source {sid!r}")
        alt_dates = []
        for entry in (a.strip() for a in row["alt_dates"].split(";") if a.strip()):
            alt_text, _, alt_source = entry.partition("@")
            alt_date = _parse_date(alt_text.strip())
            if alt_date is None or not alt_source.strip():
                bad("alt_dates", f"{entry!r} is not 'YYYY-MM-DD@source-id'")
            elif alt_source.strip() not in sources:
                bad("alt_dates", f"unknown source {alt_source.strip()!r}")
            else:
                alt_dates.append(AlternativeDate(alt_date, alt_source.strip()))
        road_status = row["road_status"] or None
        if road_status is not None:
            if road_status not in ROAD_STATUSES:
                bad("road_status", f"{road_status!r} is not one of {', '.join(ROAD_STATUSES)}")
            elif not any(pid.startswith("road-") for pid in place_ids):
                bad("road_status", "a road status needs a road in place_ids")
        problems += row_problems
        if row_problems:
            continue
        assert date is not None
        events.append(Event(eid, date, row["date_precision"], place_ids, before, after, row["kind"], row["title"],
                            row["description"], source_ids, tuple(alt_dates), road_status, line, origin))
    return problems, events


def _check_repeats(ids: tuple[str, ...], fieldname: str, bad) -> None:
    for repeated in sorted({i for i in ids if ids.count(i) > 1}):
        bad(fieldname, f"{repeated!r} is listed {ids.count(repeated)} times")


def check_event_consistency(catalog: Catalog, file: str, events: Iterable[Event] | None = None) -> list[Problem]:
    """No contradictory events on one place and day; each "before" matches the derived state."""
    problems = []
    checked = list(events) if events is not None else list(catalog.events)
    contradictory: set[str] = set()
    by_place_day: dict[tuple[str, dt.date], Event] = {}
    for event in sorted(checked, key=event_order):
        if not event.changes_control:
            continue
        for pid in event.place_ids:
            other = by_place_day.get((pid, event.date))
            if other and other.controller_after != event.controller_after:
                contradictory.add(event.event_id)
                problems.append(Problem(file, f"row {event.row}", "controller_after",
                                        f"{event.event_id} gives {pid} to {event.controller_after} on {event.date}, "
                                        f"but {other.event_id} gives it to {other.controller_after} the same day"))
            by_place_day[(pid, event.date)] = event
    for event, place_id, expected in replay_problems(catalog):
        if (events is not None and event not in checked) or event.event_id in contradictory:
            continue
        problems.append(Problem(file, f"row {event.row}", "controller_before",
                                f"{event.event_id}: {place_id} was held by {expected} on {event.date}, "
                                f"not {event.controller_before}"))
    return problems


def replay_problems(catalog: Catalog) -> list[tuple[Event, str, str]]:
    """Events whose ``controller_before`` disagrees with the state that earlier events leave.

    For a settlement the prior controller must equal ``controller_before``: either the state
    just before the event, or the state at the start of its day (so that a same-day exception to
    a region-wide event, e.g. the Lachin corridor towns on the day Lachin district was handed
    over, states who really held the place that morning).  For a region the event may cover
    places already held by the new side, so each settlement inside it must have been held by
    either ``controller_before`` or ``controller_after``.
    """
    state = {pid: initial_controller(p) for pid, p in catalog.places.items()}
    day, day_start = None, dict(state)
    problems = []
    for event in sorted(catalog.events, key=event_order):
        if event.controller_after is None:
            continue
        if event.date != day:
            day, day_start = event.date, dict(state)
        for pid in event.place_ids:
            place = catalog.places[pid]
            if place.layer == "region":
                members = catalog.members.get(pid, ())
                for sid in members:
                    if state[sid] not in (event.controller_before, event.controller_after):
                        problems.append((event, sid, state[sid]))
                        break
                for sid in members:
                    state[sid] = event.controller_after
                state[pid] = event.controller_after
            else:
                if event.controller_before not in (state[pid], day_start[pid]):
                    problems.append((event, pid, state[pid]))
                state[pid] = event.controller_after
    return problems


# ---------------------------------------------------------------- the whole directory

def validate_directory(directory: Path) -> tuple[Catalog | None, list[Problem]]:
    """Check every file; a file that cannot be read at all is reported once, without the
    cascade of problems it would cause in the files that refer to it."""
    problems: list[Problem] = []
    places: dict[str, Place] = {}
    unreadable: set[str] = set()
    rejected: set[str] = set()
    for layer, filename in LAYER_FILES.items():
        label = f"geodata/{filename}"
        before = len(problems)
        text = read_text(directory / filename, label, problems)
        if text is not None:
            layer_problems, layer_places = read_feature_collection(directory / filename, text, layer, label, rejected)
            problems += layer_problems
            for place in layer_places:
                if place.id in places:
                    problems.append(Problem(label, place.id, "id", f"duplicate id (also in {LAYER_FILES[places[place.id].layer]})"))
                else:
                    places[place.id] = place
        if any(p.item in ("-", "header") for p in problems[before:]):
            unreadable.add(layer)
    if "region" not in unreadable and "settlement" not in unreadable:
        problems += check_settlements_in_districts(places, "geodata/settlements.geojson", rejected)

    sources: dict[str, Source] = {}
    before = len(problems)
    text = read_text(directory / "sources.csv", "geodata/sources.csv", problems)
    if text is not None:
        source_problems, sources = parse_sources(text, "geodata/sources.csv", rejected)
        problems += source_problems
    if any(p.item in ("-", "header") for p in problems[before:]):
        unreadable.add("sources")
    events: list[Event] = []
    if not unreadable:
        text = read_text(directory / "events.csv", "geodata/events.csv", problems)
        if text is not None:
            event_problems, events = parse_events(text, "geodata/events.csv", places, sources, rejected=rejected)
            problems += event_problems
    confirmations = []
    if (directory / "confirmations.csv").exists():
        text = read_text(directory / "confirmations.csv", CONFIRMATIONS_FILE, problems)
        if text is not None:
            confirmation_problems, confirmations = parse_confirmations(text)
            problems += confirmation_problems
    front_lines: tuple[FrontLine, ...] = ()
    if (directory / "front_lines.geojson").exists():
        line_problems, front_lines = parse_front_lines(directory / "front_lines.geojson", places, sources)
        problems += line_problems
    catalog = Catalog(places=places, events=tuple(sorted(events, key=event_order)), sources=sources,
                      confirmations=tuple(confirmations), front_lines=front_lines)
    if not problems:
        problems += check_event_consistency(catalog, "geodata/events.csv")
    if not problems:  # one root cause, one message: a rejected row would look unsourced here
        problems += check_claims(catalog)
    return catalog, problems


def load_catalog(directory: Path | str = GEODATA_DIR) -> Catalog:
    """Load and validate every geodata file; raise :class:`CatalogError` on any problem that
    makes the data unusable (the sourcing rules are enforced by ``karabakh-map validate``)."""
    catalog, problems = validate_directory(Path(directory))
    # A sourcing problem fails `karabakh-map validate` but does not stop the map from loading.
    blocking = [p for p in problems if not isinstance(p, SourcingProblem)]
    if blocking:
        raise CatalogError(blocking)
    assert catalog is not None
    return catalog


FRONT_LINE_ID = re.compile(r"^front-\d{4}(-\d{2}){0,2}[a-z0-9-]*$")


def parse_front_lines(path: Path, places: dict[str, Place], sources: dict[str, Source]
                      ) -> tuple[list[Problem], tuple[FrontLine, ...]]:
    """Dated front lines: LineStrings with ``valid_from``/``valid_to``, the regions they divide
    (``splits``) and their sources; each problem names the feature and field."""
    file = "geodata/front_lines.geojson"
    problems: list[Problem] = []
    try:
        frame, records = read_layer(path)
    except LayerUnreadable as exc:
        return [Problem(file, "-", "file", f"not a readable GeoJSON FeatureCollection ({exc})")], ()
    if "id" not in frame.columns:
        return [Problem(file, "-", "file", "not a readable GeoJSON FeatureCollection (no feature has an id)")], ()
    lines = []
    for index, (line, props) in enumerate(zip(frame.geometry, records)):
        fid = props.get("id")
        item = fid if isinstance(fid, str) else f"feature {index}"
        if not isinstance(fid, str) or not FRONT_LINE_ID.match(fid):
            problems.append(Problem(file, item, "id", f"{fid!r} is not an id like 'front-1994' (or properties are missing)"))
            continue
        if line is None or line.geom_type != "LineString" or len(line.coords) < 2:
            problems.append(Problem(file, item, "geometry", "must be a LineString of at least two positions"))
            continue
        try:
            valid_from = dt.date.fromisoformat(str(props.get("valid_from")))
            valid_to = dt.date.fromisoformat(str(props["valid_to"])) if props.get("valid_to") else None
        except ValueError:
            problems.append(Problem(file, item, "valid_from", "valid_from/valid_to must be ISO dates (YYYY-MM-DD)"))
            continue
        if valid_to is not None and valid_to < valid_from:
            problems.append(Problem(file, item, "valid_to", f"{valid_to} is before valid_from {valid_from}"))
        splits = tuple(props.get("splits") or ())
        for rid in splits:
            if rid not in places or places[rid].layer != "region":
                problems.append(Problem(file, item, "splits", f"{rid!r} is not a region"))
        for sid in props.get("source_ids") or ():
            if sid not in sources:
                problems.append(Problem(file, item, "source_ids", f"unknown source {sid!r}"))
        lines.append(FrontLine(fid, str(props.get("title", "")), valid_from, valid_to, splits, line, props))
    return problems, tuple(sorted(lines, key=lambda line: (line.valid_from, line.id)))
