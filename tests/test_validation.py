"""Every validation rule, each shown failing on a broken copy of the data with its exact message.

Each case breaks one thing in a copy of the bundled geodata and asserts (1) the exact problem
line (file, feature or row, field, reason), (2) that nothing else is reported, and (3) that no
file was changed by validating.
"""

from __future__ import annotations

import json
import re

import pytest

from karabakh_map.catalog import GEODATA_DIR, CatalogError
from karabakh_map.cli import main
from karabakh_map.validation import load_catalog, validate_directory

SOURCES_HEADER = "source_id,title,author,publisher,date,url,citation,perspective\n"
SOURCE_ROW = "src-test,A test source,Someone,Publisher,2020-01-01,https://example.org/a,,international_organisation\n"
EVENTS_HEADER = ("event_id,date,date_precision,place_ids,controller_before,controller_after,kind,title,"
                 "description,source_ids,alt_dates,road_status\n")
GOOD_EVENT = "ev-19920508-shusha,1992-05-08,day,settlement-shusha,azerbaijan,armenian_forces,capture,Shusha taken,,src-test,,\n"


def with_events(copy, *rows: str, sources: str = SOURCE_ROW) -> None:
    copy.write_text("sources.csv", SOURCES_HEADER + sources)
    copy.write_text("events.csv", EVENTS_HEADER + "".join(rows))


def first_ring(geometry: dict) -> list:
    return geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]


def break_json(copy):
    copy.write_text("regions.geojson", copy.text("regions.geojson")[:-20])


def break_not_collection(copy):
    copy.save("roads.geojson", {"type": "Feature", "features": []})


def break_empty(copy):
    copy.write_text("roads.geojson", "")


def break_encoding(copy):
    (copy.dir / "sources.csv").write_bytes(SOURCES_HEADER.encode() + "src-x,Caf\xe9,,,,https://a.org,,scholarly\n".encode("latin-1"))


def break_huge(copy):
    (copy.dir / "events.csv").write_bytes(b"x" * 20_000_001)


def break_missing_file(copy):
    (copy.dir / "settlements.geojson").unlink()


def break_duplicate_id(copy):
    data = copy.load("settlements.geojson")
    data["features"].append(json.loads(json.dumps(data["features"][0])))
    copy.save("settlements.geojson", data)


def break_bad_id(copy):
    data, feature = copy.feature("roads.geojson", "road-lachin-1992")
    feature["id"] = "Road Lachin"
    copy.save("roads.geojson", data)


def break_property_id(copy):
    data, feature = copy.feature("roads.geojson", "road-lachin-1992")
    feature["properties"]["id"] = "road-other"
    copy.save("roads.geojson", data)


def break_missing_name(copy):
    data, feature = copy.feature("settlements.geojson", "settlement-shusha")
    feature["properties"]["name_hy"] = ""
    copy.save("settlements.geojson", data)


def break_name_script(copy):
    data, feature = copy.feature("settlements.geojson", "settlement-shusha")
    feature["properties"]["name_ru"] = "Shusha"
    copy.save("settlements.geojson", data)


def break_swapped(copy):
    data, feature = copy.feature("settlements.geojson", "settlement-shusha")
    lon, lat = feature["geometry"]["coordinates"]
    feature["geometry"]["coordinates"] = [lat, lon]
    copy.save("settlements.geojson", data)


def break_not_wgs84(copy):
    data, feature = copy.feature("settlements.geojson", "settlement-shusha")
    feature["geometry"]["coordinates"] = [5175000.0, 4400000.0]
    copy.save("settlements.geojson", data)


def break_decimals(copy):
    data, feature = copy.feature("settlements.geojson", "settlement-shusha")
    feature["geometry"]["coordinates"] = [46.7498912, 39.76006]
    copy.save("settlements.geojson", data)


def break_outside_district(copy):
    data, feature = copy.feature("settlements.geojson", "settlement-shusha")
    feature["geometry"]["coordinates"] = [47.14529, 39.60094]  # Fuzuli town
    copy.save("settlements.geojson", data)


def break_unknown_district(copy):
    data, feature = copy.feature("settlements.geojson", "settlement-shusha")
    feature["properties"]["district_id"] = "district-atlantis"
    copy.save("settlements.geojson", data)


def break_hand_without_precision(copy):
    data = copy.load("settlements.geojson")
    feature = next(f for f in data["features"] if f["properties"]["coord_method"] == "hand")
    feature["properties"]["coord_precision_km"] = None
    copy.save("settlements.geojson", data)
    return feature["id"]


def break_coord_method(copy):
    data, feature = copy.feature("settlements.geojson", "settlement-shusha")
    feature["properties"]["coord_method"] = "guess"
    copy.save("settlements.geojson", data)


def break_region_method(copy):
    data, feature = copy.feature("regions.geojson", "region-nkao")
    feature["properties"]["geometry_method"] = ""
    copy.save("regions.geojson", data)


def break_unclosed(copy):
    data, feature = copy.feature("regions.geojson", "district-aghdam")
    first_ring(feature["geometry"]).pop()
    copy.save("regions.geojson", data)


def break_clockwise(copy):
    data, feature = copy.feature("regions.geojson", "district-aghdam")
    first_ring(feature["geometry"]).reverse()
    copy.save("regions.geojson", data)


def break_self_intersection(copy):
    data, feature = copy.feature("regions.geojson", "district-aghdam")
    feature["geometry"] = {"type": "Polygon", "coordinates": [
        [[46.8, 39.9], [46.9, 39.9], [46.9, 40.0], [46.8, 40.0], [46.8, 39.9]],
        [[47.0, 39.9], [47.0, 40.0], [47.1, 40.0], [47.1, 39.9], [47.0, 39.9]]]}
    copy.save("regions.geojson", data)


def break_wrong_geometry_type(copy):
    data, feature = copy.feature("roads.geojson", "road-lachin-1992")
    feature["geometry"] = {"type": "Point", "coordinates": [46.7, 39.8]}
    copy.save("roads.geojson", data)


def break_road_dates(copy):
    data, feature = copy.feature("roads.geojson", "road-lachin-2022")
    feature["properties"]["valid_from"] = "26/08/2022"
    copy.save("roads.geojson", data)


def event_unknown_place(copy):
    with_events(copy, GOOD_EVENT.replace("settlement-shusha", "settlement-atlantis"))


def event_bad_date(copy):
    with_events(copy, GOOD_EVENT.replace("1992-05-08", "1992-13-08"))


def event_bad_precision(copy):
    with_events(copy, GOOD_EVENT.replace(",day,", ",week,"))


def event_unknown_controller(copy):
    with_events(copy, GOOD_EVENT.replace("armenian_forces", "nkr"))


def event_half_controller(copy):
    with_events(copy, GOOD_EVENT.replace("azerbaijan,armenian_forces", ",armenian_forces"))


def event_missing_source(copy):
    with_events(copy, GOOD_EVENT.replace("src-test", ""))


def event_unknown_source(copy):
    with_events(copy, GOOD_EVENT.replace("src-test", "src-nowhere"))


def event_duplicate_id(copy):
    with_events(copy, GOOD_EVENT, GOOD_EVENT)


def event_contradictory(copy):
    with_events(copy, GOOD_EVENT, GOOD_EVENT.replace("ev-19920508-shusha", "ev-19920508-shusha-b")
                .replace("azerbaijan,armenian_forces", "azerbaijan,contested"))


def event_wrong_before(copy):
    with_events(copy, GOOD_EVENT.replace("azerbaijan,armenian_forces", "armenian_forces,azerbaijan"))


def event_bad_kind(copy):
    with_events(copy, GOOD_EVENT.replace(",capture,", ",liberation,"))


def event_bad_alt_date(copy):
    with_events(copy, GOOD_EVENT.replace(",src-test,,", ",src-test,1992-05-09,"))


def event_missing_column(copy):
    copy.write_text("sources.csv", SOURCES_HEADER + SOURCE_ROW)
    copy.write_text("events.csv", EVENTS_HEADER.replace("kind,", "") + GOOD_EVENT)


def event_extra_field(copy):
    with_events(copy, GOOD_EVENT.rstrip("\n") + ",extra\n")


def event_month_precision_day(copy):
    with_events(copy, GOOD_EVENT.replace(",day,", ",month,"))


def event_repeated_place(copy):
    with_events(copy, GOOD_EVENT.replace(",settlement-shusha,", ",settlement-shusha;settlement-shusha,"))


def event_repeated_source(copy):
    with_events(copy, GOOD_EVENT.replace(",src-test,", ",src-test; src-test,"))


def event_week_date(copy):
    with_events(copy, GOOD_EVENT.replace(",1992-05-08,", ",1992-W19-5,"))


def event_huge_field(copy):
    with_events(copy, GOOD_EVENT.replace("Shusha taken", "x" * 131_073))


def source_javascript_url(copy):
    with_events(copy, GOOD_EVENT, sources=SOURCE_ROW.replace("https://example.org/a", "javascript:alert(1)"))


CASES = [
    (break_json, "geodata/regions.geojson: -: file: invalid JSON at line"),
    (break_not_collection, "geodata/roads.geojson: -: type: not a GeoJSON FeatureCollection"),
    (break_empty, "geodata/roads.geojson: -: file: file is empty"),
    (break_encoding, "geodata/sources.csv: -: file: not UTF-8: invalid byte 0xe9 at offset"),
    (break_huge, "geodata/events.csv: -: file: file is 20,000,001 bytes; the limit is 20,000,000"),
    (break_missing_file, "geodata/settlements.geojson: -: file: file not found"),
    (break_duplicate_id, "geodata/settlements.geojson: settlement-"),
    (break_bad_id, "geodata/roads.geojson: feature 0: id: 'Road Lachin' is not a slug id like 'district-aghdam'"),
    (break_property_id, "geodata/roads.geojson: road-lachin-1992: properties.id: 'road-other' differs from the feature id"),
    (break_missing_name, "geodata/settlements.geojson: settlement-shusha: name_hy: required name is missing"),
    (break_name_script, "geodata/settlements.geojson: settlement-shusha: name_ru: 'Shusha' is not in Cyrillic script"),
    (break_swapped, "geodata/settlements.geojson: settlement-shusha: geometry: position [39.76006, 46.74989] lies outside "
                    "the map's bounds (44.0, 38.5, 48.5, 41.8) (latitude and longitude swapped?)"),
    (break_not_wgs84, "geodata/settlements.geojson: settlement-shusha: geometry: position [5175000.0, 4400000.0] is not WGS84"),
    (break_decimals, "geodata/settlements.geojson: settlement-shusha: geometry: position [46.7498912, 39.76006] has more than 6 decimals"),
    (break_outside_district, "geodata/settlements.geojson: settlement-shusha: geometry: point (47.14529, 39.60094) lies "),
    (break_unknown_district, "geodata/settlements.geojson: settlement-shusha: district_id: 'district-atlantis' is not a region id"),
    (break_hand_without_precision, "coord_precision_km: must be a positive number of kilometres"),
    (break_coord_method, "geodata/settlements.geojson: settlement-shusha: coord_method: 'guess' is not one of geonames, hand"),
    (break_region_method, "geodata/regions.geojson: region-nkao: geometry_method: every feature records how its geometry was made"),
    (break_unclosed, "geodata/regions.geojson: district-aghdam: geometry: ring 0 is not closed"),
    (break_clockwise, "geodata/regions.geojson: district-aghdam: geometry: exterior ring is clockwise; RFC 7946 wants counter-clockwise"),
    (break_self_intersection, "geodata/regions.geojson: district-aghdam: geometry: invalid: Hole lies outside shell"),
    (break_wrong_geometry_type, "geodata/roads.geojson: road-lachin-1992: geometry: type 'Point'; expected LineString"),
    (break_road_dates, "geodata/roads.geojson: road-lachin-2022: valid_from: '26/08/2022' is not an ISO date (YYYY-MM-DD)"),
    (event_unknown_place, "geodata/events.csv: row 2: place_ids: unknown place 'settlement-atlantis'"),
    (event_bad_date, "geodata/events.csv: row 2: date: Invalid date '1992-13-08' (expected YYYY-MM-DD, a day that exists)"),
    (event_bad_precision, "geodata/events.csv: row 2: date_precision: 'week' is not one of day, month, year"),
    (event_unknown_controller, "geodata/events.csv: row 2: controller_after: 'nkr' is not one of azerbaijan, armenian_forces, russian_peacekeepers, contested"),
    (event_half_controller, "geodata/events.csv: row 2: controller_before: give both controllers for a change of control, or neither"),
    (event_missing_source, "geodata/events.csv: row 2: source_ids: every event needs at least one source"),
    (event_unknown_source, "geodata/events.csv: row 2: source_ids: unknown source 'src-nowhere'"),
    (event_duplicate_id, "geodata/events.csv: row 3: event_id: duplicate id 'ev-19920508-shusha'"),
    (event_contradictory, "geodata/events.csv: row 3: controller_after: ev-19920508-shusha-b gives settlement-shusha to contested on "
                          "1992-05-08, but ev-19920508-shusha gives it to armenian_forces the same day"),
    (event_wrong_before, "geodata/events.csv: row 2: controller_before: ev-19920508-shusha: settlement-shusha was held by azerbaijan "
                         "on 1992-05-08, not armenian_forces"),
    (event_bad_kind, "geodata/events.csv: row 2: kind: 'liberation' is not one of"),
    (event_bad_alt_date, "geodata/events.csv: row 2: alt_dates: '1992-05-09' is not 'YYYY-MM-DD@source-id'"),
    (event_missing_column, "geodata/events.csv: header: kind: required column missing"),
    (event_extra_field, "geodata/events.csv: row 2: -: 13 fields; the header has 12"),
    (event_month_precision_day, "geodata/events.csv: row 2: date_precision: a month-precision date is written as the 1st of the month"),
    (event_repeated_place, "geodata/events.csv: row 2: place_ids: 'settlement-shusha' is listed 2 times"),
    (event_repeated_source, "geodata/events.csv: row 2: source_ids: 'src-test' is listed 2 times"),
    (event_week_date, "geodata/events.csv: row 2: date: Invalid date '1992-W19-5' (expected YYYY-MM-DD)"),
    (event_huge_field, "geodata/events.csv: row 2: -: malformed CSV: a field is longer than 131,072 characters"),
    (source_javascript_url, "geodata/sources.csv: row 2: url: 'javascript:alert(1)': only http(s) links are allowed"),
]


def test_bundled_geodata_is_valid():
    catalog, problems = validate_directory(GEODATA_DIR)
    assert problems == []
    assert len(catalog.settlements) >= 80


@pytest.mark.parametrize("breaker, expected", CASES, ids=[c[0].__name__ for c in CASES])
def test_broken_input_is_reported_precisely(geodata_copy, breaker, expected):
    breaker(geodata_copy)
    before = geodata_copy.snapshot()
    bundled_before = {p.name: p.read_bytes() for p in GEODATA_DIR.glob("*.*")}
    _, problems = validate_directory(geodata_copy.dir)
    messages = [str(p) for p in problems]
    matching = [m for m in messages if m.startswith(expected) or expected in m]
    assert matching, f"expected {expected!r} in {messages}"
    # one broken thing gives one problem (a duplicate also trips its own copy's checks at most once)
    assert len(messages) == 1, messages
    assert geodata_copy.snapshot() == before, "validation must not change any file"
    assert {p.name: p.read_bytes() for p in GEODATA_DIR.glob("*.*")} == bundled_before
    with pytest.raises(CatalogError) as excinfo:
        load_catalog(geodata_copy.dir)
    assert expected.split(": ")[0] in str(excinfo.value)


def test_validate_command_names_file_feature_and_field_and_exits_nonzero(geodata_copy, capsys):
    break_missing_name(geodata_copy)
    assert main(["--data", str(geodata_copy.dir), "validate"]) == 1
    assert "geodata/settlements.geojson: settlement-shusha: name_hy: required name is missing" in capsys.readouterr().err


def test_validate_command_passes_on_bundled_data(capsys):
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and re.match(r"OK: 20 regions, \d+ settlements, 3 roads, \d+ events, \d+ sources", out)


@pytest.mark.parametrize("change, expected", [
    ({"coordinates": [47.5, 40.5]}, "geodata/settlements.geojson: settlement-shusha: geometry: point (47.5, 40.5) lies "),
    ({"in_nkao": False}, "geodata/settlements.geojson: settlement-shusha: in_nkao: says False but the point is inside region-nkao"),
    ({"district_id": "district-atlantis"}, "geodata/settlements.geojson: settlement-shusha: district_id: 'district-atlantis' is not a region id"),
])
def test_settlement_outside_its_district_or_the_nkao_is_reported(geodata_copy, change, expected):
    data, feature = geodata_copy.feature("settlements.geojson", "settlement-shusha")
    if "coordinates" in change:
        feature["geometry"]["coordinates"] = change["coordinates"]
    else:
        feature["properties"].update(change)
    geodata_copy.save("settlements.geojson", data)
    _, problems = validate_directory(geodata_copy.dir)
    messages = [str(p) for p in problems]
    assert len(messages) == 1 and messages[0].startswith(expected), messages
    if "coordinates" in change:  # measured on the equal-area projection, and more than the allowed precision
        off_km = float(messages[0].split(" lies ")[1].split(" km")[0])
        assert 50 < off_km < 150 and "(allowed: 3.5 km" in messages[0]


def test_a_point_just_outside_its_district_within_the_stated_precision_is_accepted(geodata_copy):
    from shapely.geometry import Point
    from shapely.ops import nearest_points

    data, feature = geodata_copy.feature("settlements.geojson", "settlement-shusha")
    catalog = load_catalog(geodata_copy.dir)
    boundary = catalog.places["district-shusha"].geometry.boundary
    here = Point(feature["geometry"]["coordinates"])
    edge = nearest_points(boundary, here)[0]
    # 0.01° (about 1 km) beyond the nearest boundary point, away from the district's inside
    dx, dy = edge.x - here.x, edge.y - here.y
    scale = 0.01 / max((dx * dx + dy * dy) ** 0.5, 1e-9)
    outside = [round(edge.x + dx * scale, 6), round(edge.y + dy * scale, 6)]
    assert not catalog.places["district-shusha"].geometry.covers(Point(outside))
    feature["geometry"]["coordinates"] = outside
    feature["properties"]["in_nkao"] = catalog.places["region-nkao"].geometry.covers(Point(outside))
    geodata_copy.save("settlements.geojson", data)
    _, problems = validate_directory(geodata_copy.dir)
    assert [str(p) for p in problems if "settlement-shusha" in str(p) and "district" in str(p)] == []


# ---------------------------------------------------------------- reading through GDAL

def test_the_bundled_layers_are_read_once_each_through_gdal_and_never_the_raw_way(monkeypatch):
    from karabakh_map import validation

    read = []
    real_read_layer = validation.read_layer

    def counting_read_layer(path):
        read.append(path.name)
        return real_read_layer(path)

    def no_raw_path(*args, **kwargs):
        raise AssertionError("the raw-JSON path is only for what GDAL cannot read")

    monkeypatch.setattr(validation, "read_layer", counting_read_layer)
    monkeypatch.setattr(validation, "parse_feature_collection", no_raw_path)
    catalog, problems = validate_directory(GEODATA_DIR)
    assert [p for p in problems if not str(p).startswith("geodata/sources.csv")] == []
    assert sorted(read) == ["front_lines.geojson", "regions.geojson", "roads.geojson", "settlements.geojson"]
    assert len(catalog.front_lines) >= 1


def test_places_hold_the_geometries_and_properties_gdal_read(catalog):
    from karabakh_map.validation import read_layer

    frame, records = read_layer(GEODATA_DIR / "settlements.geojson")
    assert frame.crs.to_epsg() == 4326
    assert list(frame["id"]) == [r["id"] for r in records]
    shusha = frame.index[frame["id"] == "settlement-shusha"][0]
    place = catalog.place("settlement-shusha")
    assert place.geometry.equals_exact(frame.geometry[shusha], 0)
    assert place.properties == records[shusha]
    # plain Python values, as the JSON had them: ints stay ints, lists lists, missing ones absent
    assert isinstance(place.properties["alt_names"], list)
    with_id = next(r for r in records if "geonameid" in r)
    assert type(with_id["geonameid"]) is int


def test_one_feature_with_text_for_a_number_is_reported_alone(geodata_copy):
    # GDAL turns the whole column to text; the raw JSON then names the one feature
    data, feature = geodata_copy.feature("settlements.geojson", "settlement-shusha")
    feature["properties"]["coord_precision_km"] = "3"
    geodata_copy.save("settlements.geojson", data)
    _, problems = validate_directory(geodata_copy.dir)
    assert [str(p) for p in problems] == [
        "geodata/settlements.geojson: settlement-shusha: coord_precision_km: must be a positive number of kilometres"]


def test_a_geometry_gdal_cannot_read_is_named_from_the_json(geodata_copy):
    data, feature = geodata_copy.feature("settlements.geojson", "settlement-shusha")
    feature["geometry"]["coordinates"] = ["46.7", 39.76]
    geodata_copy.save("settlements.geojson", data)
    _, problems = validate_directory(geodata_copy.dir)
    assert [str(p) for p in problems] == [
        "geodata/settlements.geojson: settlement-shusha: geometry: coordinates are not nested arrays of numbers"]


@pytest.mark.parametrize("breaker, expected", [
    (lambda copy: copy.write_text("front_lines.geojson", copy.text("front_lines.geojson")[:-30]),
     "geodata/front_lines.geojson: -: file: not a readable GeoJSON FeatureCollection ("),
    (lambda copy: copy.save("front_lines.geojson", {**copy.load("front_lines.geojson"), "features": [
        {**f, "geometry": {"type": "Point", "coordinates": [46.7, 39.8]}} if f["id"] == "front-1994" else f
        for f in copy.load("front_lines.geojson")["features"]]}),
     "geodata/front_lines.geojson: front-1994: geometry: must be a LineString of at least two positions"),
], ids=["broken_json", "point"])
def test_a_broken_front_line_file_is_named(geodata_copy, breaker, expected):
    import shutil

    shutil.copy(GEODATA_DIR / "front_lines.geojson", geodata_copy.dir / "front_lines.geojson")
    breaker(geodata_copy)
    _, problems = validate_directory(geodata_copy.dir)
    assert any(str(p).startswith(expected) for p in problems), [str(p) for p in problems]
