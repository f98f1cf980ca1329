"""The offline context layer: small, complete, and in the GeoJSON conventions of the other layers."""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import shape

from karabakh_map.context import (CONTEXT_KINDS, CONTEXT_STYLE, ContextLayerError, context_geojson, context_layer,
                                  context_path)

SIX = {"country-armenia", "country-azerbaijan", "country-iran", "country-georgia", "country-turkey", "exclave-nakhchivan"}


@pytest.fixture(scope="module")
def collection():
    return json.loads(context_path().read_text(encoding="utf-8"))


def test_context_file_stays_under_150_kb():
    assert context_path().stat().st_size < 150_000


def test_context_has_the_neighbours_nakhchivan_lake_sevan_and_the_araks(collection):
    ids = {f["id"] for f in collection["features"]}
    assert SIX | {"lake-sevan", "river-araks"} <= ids
    nakhchivan = next(f for f in collection["features"] if f["id"] == "exclave-nakhchivan")
    assert nakhchivan["properties"]["part_of"] == "country-azerbaijan"


def test_each_feature_follows_the_schema_and_rfc_7946(collection):
    for feature in collection["features"]:
        props, geometry = feature["properties"], shape(feature["geometry"])
        assert props["id"] == feature["id"] and props["kind"] in CONTEXT_KINDS and props["name"], feature["id"]
        assert "Natural Earth" in props["source"] and props["geometry_method"], feature["id"]
        assert geometry.is_valid and not geometry.is_empty, feature["id"]
        assert 43.8 <= geometry.bounds[0] and geometry.bounds[2] <= 48.9, feature["id"]
        for polygon in getattr(geometry, "geoms", [geometry]):
            if polygon.geom_type == "Polygon":
                assert polygon.exterior.is_ccw, f"{feature['id']}: exterior ring must be counter-clockwise"
        coords = shapely.get_coordinates(geometry)
        assert abs(coords - coords.round(6)).max() < 1e-12, f"{feature['id']}: more than 6 decimals"


def test_neighbours_do_not_overlap_and_nakhchivan_is_apart_from_armenia(collection):
    shapes = {f["id"]: shape(f["geometry"]) for f in collection["features"] if f["properties"]["kind"] != "river"}
    assert shapes["country-armenia"].intersection(shapes["country-azerbaijan"]).area < 1e-4
    assert shapes["exclave-nakhchivan"].intersection(shapes["country-armenia"]).area < 1e-4
    assert shapes["exclave-nakhchivan"].centroid.x < shapes["country-armenia"].bounds[2]
    assert shapes["lake-sevan"].within(shapes["country-armenia"].buffer(0.01))


def test_borders_are_real_boundaries_not_the_frames_cut_and_come_after_the_land(collection):
    ids = [f["id"] for f in collection["features"]]
    assert ids.index("borders-international") > max(ids.index(i) for i in SIX)
    borders = shape(collection["features"][ids.index("borders-international")]["geometry"])
    armenia = shape(collection["features"][ids.index("country-armenia")]["geometry"])
    azerbaijan = shape(collection["features"][ids.index("country-azerbaijan")]["geometry"])
    shared = armenia.boundary.intersection(azerbaijan.boundary)
    assert borders.buffer(1e-5).covers(shared)
    west_edge = shapely.LineString([(43.8, 38.5), (43.8, 41.5)])
    assert borders.intersection(west_edge.buffer(1e-4)).length < 1e-3


def test_the_araks_is_the_southern_border_and_stops_where_the_border_leaves_it(collection):
    araks = shape(next(f for f in collection["features"] if f["id"] == "river-araks")["geometry"])
    iran = shape(next(f for f in collection["features"] if f["id"] == "country-iran")["geometry"])
    assert araks.length > 2.5  # degrees: from the Turkish tripoint (44.8 E) to 47.96 E
    assert araks.bounds[2] <= 47.9589 + 1e-6
    assert iran.boundary.buffer(1e-5).covers(araks)


def test_context_layer_is_a_geodataframe_in_wgs84():
    layer = context_layer()
    assert str(layer.crs) == "EPSG:4326"
    assert SIX <= set(layer["id"])
    assert {"kind", "name", "label_lon", "label_lat"} <= set(layer.columns)


def test_a_missing_context_file_fails_with_a_clear_message(tmp_path):
    with pytest.raises(ContextLayerError, match="context.geojson: file not found"):
        context_layer(tmp_path)


def test_context_geojson_for_the_browser_is_smaller_and_styled_by_kind(collection):
    data = context_geojson()
    assert [f["id"] for f in data["features"]] == [f["id"] for f in collection["features"]]
    assert len(json.dumps(data, separators=(",", ":"))) < 0.85 * context_path().stat().st_size
    assert all(f["properties"]["kind"] in CONTEXT_STYLE for f in data["features"])
    coords = shapely.get_coordinates(shape(data["features"][0]["geometry"]))
    assert abs(coords - coords.round(4)).max() < 1e-12
