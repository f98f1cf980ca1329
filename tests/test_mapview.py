"""The map's styling and layers, without a browser."""

from __future__ import annotations

import itertools

from helpers import d
from karabakh_map.catalog import CONTROLLERS
from karabakh_map.mapview import (CONTROLLER_COLOURS, CONTROLLER_OPACITY, ROAD_STYLES, LAYER_NAMES, MapData,
                                  base_map, date_layers, full_map)


def grey(colour: str, opacity: float = 1.0) -> float:
    """Relative luminance of a colour blended onto white."""
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    r, g, b = (opacity * x + 1 - opacity for x in (r, g, b))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_area_fills_are_distinguishable_in_greyscale():
    greys = {c: grey(CONTROLLER_COLOURS[c], CONTROLLER_OPACITY[c]) for c in CONTROLLERS}
    for a, b in itertools.combinations(CONTROLLERS, 2):
        assert abs(greys[a] - greys[b]) >= 0.1, (a, b, greys)


def test_settlement_markers_are_distinguishable_in_greyscale():
    greys = {c: grey(CONTROLLER_COLOURS[c]) for c in CONTROLLERS}
    for a, b in itertools.combinations(CONTROLLERS, 2):
        assert abs(greys[a] - greys[b]) >= 0.07, (a, b, greys)


def test_road_statuses_differ_by_dash_pattern_not_only_colour():
    patterns = [(s["dashArray"], s["weight"]) for s in ROAD_STYLES.values()]
    assert len(set(patterns)) == len(patterns)


def test_map_html_uses_only_local_assets(timeline):
    html = full_map(MapData(timeline), d("1994-05-12")).get_root().render()
    assert "/app/static/leaflet/leaflet.js" in html
    for cdn in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "netdna.bootstrapcdn.com"):
        assert cdn not in html


def test_only_the_route_valid_on_the_date_is_drawn(timeline):
    data = MapData(timeline)
    for date, expected in (("2021-01-01", "road-lachin-1992"), ("2023-01-01", "road-lachin-2022")):
        groups = date_layers(data, d(date), visible={"road"})
        html = _render(groups)
        assert expected in html
        other = {"road-lachin-1992", "road-lachin-2022"} - {expected}
        assert other.pop() not in html


def test_each_layer_can_be_switched_off(timeline):
    data = MapData(timeline)
    assert len(date_layers(data, d("2021-01-01"))) == len(LAYER_NAMES)
    assert len(date_layers(data, d("2021-01-01"), visible={"settlements"})) == 1


def test_tooltips_and_labels_escape_names(catalog):
    import dataclasses

    from karabakh_map.catalog import Catalog
    from karabakh_map.timeline import Timeline

    payload = "<img src=x onerror=alert(1)>"
    shusha = catalog.places["settlement-shusha"]
    hostile = dataclasses.replace(shusha, names=dataclasses.replace(shusha.names, az=payload, hy_latn=payload))
    places = {**catalog.places, shusha.id: hostile}
    timeline = Timeline(Catalog(places=places, events=catalog.events, sources=catalog.sources))
    html = _render(date_layers(MapData(timeline), d("2021-01-01"), visible={"settlements", "labels"}))
    assert payload not in html
    # the escaped text is embedded (JSON-encoded) in the page's script
    assert html.count("\\u0026lt;img src=x onerror=alert(1)\\u0026gt;") >= 2


def _render(groups) -> str:
    m = base_map()
    for group in groups:
        group.add_to(m)
    return m.get_root().render()


def test_live_map_state_is_compact_and_matches_the_engine(timeline):
    from karabakh_map.catalog import CONTROLLERS
    from karabakh_map.livemap import LiveData

    live = LiveData(MapData(timeline))
    date = d("2021-06-01")
    snapshot = timeline.snapshot(date)
    state = live.state(date, "both", set(LAYER_NAMES), snapshot)
    assert len(state["zones"]) == len(live.zone_ids)
    shusha = live.settlement_ids.index("settlement-shusha")
    assert CONTROLLERS[int(state["settlements"][shusha])] == "azerbaijan"
    assert state["roads"]["road-lachin-1992"] == [1, "peacekeepers"]
    assert state["peacekeeping"] >= 0  # the 2020-2024 zone is shown
    assert len(__import__("json").dumps(state)) < 15_000


def test_live_map_script_data_cannot_break_out_of_its_script(catalog):
    import dataclasses

    from karabakh_map.catalog import Catalog
    from karabakh_map.livemap import LiveData, live_base_map, state_bridge_html
    from karabakh_map.timeline import Timeline

    payload = "</script><script>alert(1)</script>"
    shusha = catalog.places["settlement-shusha"]
    hostile = dataclasses.replace(shusha, names=dataclasses.replace(shusha.names, az=payload))
    timeline = Timeline(Catalog(places={**catalog.places, shusha.id: hostile}, events=catalog.events,
                                sources=catalog.sources))
    live = LiveData(MapData(timeline))
    html = live_base_map(live).get_root().render()
    assert payload not in html and "\\u003c/script\\u003e" in html
    bridge = state_bridge_html(live, d("2000-01-01"), "az", {"zones"}, timeline.snapshot(d("2000-01-01")))
    assert bridge.count("<script>") == 1
