"""The folium map: layers, styles, legend and tooltips built from a snapshot (no Streamlit).

The base map (``base_map``) never changes with the date, so st_folium keeps the user's zoom and
does not remount; everything that depends on the date is in ``date_layers``.  Display geometry
is simplified and rounded once (``MapData``), then each date only swaps colours.

Leaflet is served by the app itself (``static/leaflet``): folium's defaults point at public
CDNs, and with no internet the map would be blank.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from functools import cached_property

import folium
import shapely
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import mapping

from karabakh_map.catalog import CONTROLLER_LABELS, CONTROLLERS, ROAD_STATUSES
from karabakh_map.timeline import PlaceState, Timeline

from karabakh_map.style import CONTROLLER_COLOURS, CONTROLLER_OPACITY, ROAD_STATUS_LABELS, ROAD_STYLES  # noqa: F401

DEFAULT_CENTER = (39.85, 46.55)
DEFAULT_ZOOM = 8
DISPLAY_TOLERANCE_DEG = 0.002  # ~200 m: invisible at the zoom levels the map offers (7-12)
DISPLAY_DECIMALS = 4  # ~10 m

TILE_OPTIONS = {
    "plain": None,
    "osm": "OpenStreetMap",
    "light": "CartoDB positron",
}

LAYER_NAMES = {
    "zones": "Control areas",
    "districts": "Districts",
    "nkao": "Former NKAO (1923-1991)",
    "peacekeeping": "Peacekeeping zone (2020-2024)",
    "road": "Lachin road",
    "settlements": "Settlements",
    "labels": "Town labels",
}


def _display(geom) -> dict:
    simplified = shapely.simplify(geom, DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    simplified = shapely.set_precision(simplified, 10 ** -DISPLAY_DECIMALS)
    return mapping(simplified)


@dataclass(frozen=True)
class MapData:
    """Display geometry for every layer, prepared once per catalogue."""

    timeline: Timeline

    @cached_property
    def zone_geometry(self) -> dict[str, dict]:
        return {z.zone_id: _display(z.geometry) for z in self.timeline.map_zones()}

    @cached_property
    def zone_region(self) -> dict[str, str]:
        return {z.zone_id: z.region_id for z in self.timeline.map_zones()}

    @cached_property
    def region_geometry(self) -> dict[str, dict]:
        return {r.id: _display(r.geometry) for r in self.timeline.catalog.regions}

    @cached_property
    def road_geometry(self) -> dict[str, dict]:
        return {r.id: mapping(r.geometry) for r in self.timeline.catalog.roads}

    @cached_property
    def settlement_geometry(self) -> dict[str, dict]:
        return {s.id: mapping(s.geometry) for s in self.timeline.catalog.settlements}


class LocalAssets:
    """Replace folium's CDN links with files the app serves itself."""

    def __init__(self, prefix: str):
        self.js = [("leaflet", f"{prefix}/leaflet/leaflet.js")]
        self.css = [("leaflet_css", f"{prefix}/leaflet/leaflet.css"), ("karabakh_css", f"{prefix}/map.css")]

    def apply(self, element) -> None:
        stack = [element]
        while stack:
            el = stack.pop()
            if hasattr(el, "default_js"):
                el.default_js = self.js if isinstance(el, folium.Map) else []
            if hasattr(el, "default_css"):
                el.default_css = self.css if isinstance(el, folium.Map) else []
            stack.extend(getattr(el, "_children", {}).values())


class Legend(MacroElement):
    _template = Template("""
        {% macro html(this, kwargs) %}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: 'topright'});
            legend.onAdd = function () {
                var div = L.DomUtil.create('details', 'km-legend');
                div.open = true;
                div.innerHTML = {{ this.content | tojson }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "Legend"
        rows = []
        for controller in CONTROLLERS:
            rows.append(
                f'<div><span class="km-swatch" style="background:{CONTROLLER_COLOURS[controller]};'
                f'opacity:{CONTROLLER_OPACITY[controller] + 0.3}"></span>{html.escape(CONTROLLER_LABELS[controller])}</div>')
        rows.append('<div><span class="km-swatch km-pk"></span>Peacekeeping zone (dashed)</div>')
        rows.append('<div><span class="km-swatch km-partial"></span>District held in part (bold dashed outline)</div>')
        for status in ROAD_STATUSES:
            style = ROAD_STYLES[status]
            dash = f'stroke-dasharray="{style["dashArray"]}"' if style["dashArray"] else ""
            rows.append(f'<div><svg width="34" height="10"><line x1="0" y1="5" x2="34" y2="5" stroke="{style["color"]}" '
                        f'stroke-width="{min(style["weight"], 5)}" {dash}/></svg> Road: {ROAD_STATUS_LABELS[status]}</div>')
        self.content = '<summary class="km-legend-title">Legend</summary>' + "".join(rows)


def base_map(center=DEFAULT_CENTER, zoom=DEFAULT_ZOOM, tiles: str = "plain", asset_prefix: str = "/app/static",
             attribution_extra: str = "") -> folium.Map:
    tile_name = TILE_OPTIONS.get(tiles)
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=tile_name, control_scale=True,
                   min_zoom=6, max_zoom=14, prefer_canvas=False)
    Legend().add_to(m)
    LocalAssets(asset_prefix).apply(m)
    return m


def _label(names_mode: str, place) -> str:
    return place.names.label(names_mode)


def date_layers(data: MapData, date: dt.date, names_mode: str = "both", visible: set[str] | None = None,
                snapshot: dict[str, PlaceState] | None = None) -> list[folium.FeatureGroup]:
    """Every layer that depends on the date, as feature groups to add to the base map."""
    timeline = data.timeline
    catalog = timeline.catalog
    visible = set(LAYER_NAMES) if visible is None else visible
    snapshot = snapshot or timeline.snapshot(date)
    groups: list[folium.FeatureGroup] = []
    zone_controllers = timeline.zone_controllers(date)
    zone_peacekeeping = timeline.zone_peacekeeping(date)

    if "zones" in visible:
        features = []
        shown = {z.zone_id for z in timeline.map_zones(date)}  # this date's front-line period only
        for zone_id, geometry in data.zone_geometry.items():
            if zone_id not in shown:
                continue
            controller = zone_controllers[zone_id]
            region = catalog.places[data.zone_region[zone_id]]
            features.append({"type": "Feature", "geometry": geometry, "properties": {
                "id": region.id, "zone": zone_id, "controller": controller,
                "label": html.escape(_label(names_mode, region)),
                "held": html.escape(CONTROLLER_LABELS[controller]),
            }})
        group = folium.FeatureGroup(name=LAYER_NAMES["zones"])
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name="zones",
            style_function=_zone_style,
            highlight_function=lambda f: {"weight": 2, "color": "#000000"},
            tooltip=folium.GeoJsonTooltip(fields=["label", "held"], aliases=["", "Held by"], labels=True),
        ).add_to(group)
        groups.append(group)

    if "peacekeeping" in visible:
        features = [{"type": "Feature", "geometry": data.zone_geometry[z], "properties": {"zone": z}}
                    for z, inside in zone_peacekeeping.items() if inside]
        group = folium.FeatureGroup(name=LAYER_NAMES["peacekeeping"])
        if features:
            merged = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in features])
            folium.GeoJson(
                {"type": "Feature", "geometry": mapping(shapely.set_precision(merged, 1e-4)),
                 "properties": {"label": "Russian peacekeeping zone (per the statement of 10 Nov 2020)"}},
                name="peacekeeping",
                style_function=lambda f: {"color": "#009E73", "weight": 3, "dashArray": "8 6", "fill": False},
                tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            ).add_to(group)
        groups.append(group)

    if "districts" in visible:
        features = []
        for region in catalog.regions:
            if region.kind == "oblast":
                continue
            state = snapshot[region.id]
            features.append({"type": "Feature", "geometry": data.region_geometry[region.id], "properties": {
                "id": region.id, "label": html.escape(_label(names_mode, region)),
                "held": html.escape(share_text(state)), "partial": state.partial and region.kind == "district",
            }})
        group = folium.FeatureGroup(name=LAYER_NAMES["districts"])
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name="districts",
            style_function=lambda f: {"color": "#333333", "weight": 3 if f["properties"]["partial"] else 1,
                                      "dashArray": "6 4" if f["properties"]["partial"] else None,
                                      "fillOpacity": 0, "fill": True},
            tooltip=folium.GeoJsonTooltip(fields=["label", "held"], aliases=["", ""], labels=False),
        ).add_to(group)
        groups.append(group)

    if "nkao" in visible and "region-nkao" in catalog.places:
        nkao = catalog.places["region-nkao"]
        state = snapshot["region-nkao"]
        group = folium.FeatureGroup(name=LAYER_NAMES["nkao"])
        folium.GeoJson(
            {"type": "Feature", "geometry": data.region_geometry["region-nkao"], "properties": {
                "id": nkao.id, "label": html.escape(_label(names_mode, nkao)), "held": html.escape(share_text(state))}},
            name="nkao",
            style_function=lambda f: {"color": "#000000", "weight": 3.5, "dashArray": "1 7", "fill": False},
            tooltip=folium.GeoJsonTooltip(fields=["label", "held"], labels=False),
        ).add_to(group)
        groups.append(group)

    if "road" in visible:
        features = []
        for road in catalog.roads:
            state = snapshot[road.id]
            if not state.visible:
                continue
            features.append({"type": "Feature", "geometry": data.road_geometry[road.id], "properties": {
                "id": road.id, "status": state.road_status or "open",
                "label": html.escape(_label(names_mode, road)),
                "held": html.escape(ROAD_STATUS_LABELS[state.road_status or "open"]),
            }})
        group = folium.FeatureGroup(name=LAYER_NAMES["road"])
        if features:
            folium.GeoJson(
                {"type": "FeatureCollection", "features": features},
                name="roads",
                style_function=lambda f: {**ROAD_STYLES[f["properties"]["status"]], "opacity": 0.95},
                tooltip=folium.GeoJsonTooltip(fields=["label", "held"], labels=False),
            ).add_to(group)
        groups.append(group)

    if "settlements" in visible:
        features = []
        for settlement in catalog.settlements:
            state = snapshot[settlement.id]
            features.append({"type": "Feature", "geometry": data.settlement_geometry[settlement.id], "properties": {
                "id": settlement.id, "controller": state.controller, "kind": settlement.kind,
                "label": html.escape(_label(names_mode, settlement)),
                "held": html.escape(CONTROLLER_LABELS[state.controller]),
            }})
        group = folium.FeatureGroup(name=LAYER_NAMES["settlements"])
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name="settlements",
            marker=folium.CircleMarker(radius=5, weight=1.5, fill=True, fill_opacity=1),
            style_function=_settlement_style,
            tooltip=folium.GeoJsonTooltip(fields=["label", "held"], labels=False),
        ).add_to(group)
        groups.append(group)

    if "labels" in visible:
        group = folium.FeatureGroup(name=LAYER_NAMES["labels"])
        for settlement in catalog.settlements:
            if settlement.kind != "city":
                continue
            lon, lat = data.settlement_geometry[settlement.id]["coordinates"]
            folium.Marker(
                [lat, lon],
                icon=folium.DivIcon(html=f'<div class="km-label">{html.escape(_label(names_mode, settlement))}</div>',
                                    icon_size=(160, 16), icon_anchor=(-6, 8), class_name="km-label-icon"),
                interactive=False,
            ).add_to(group)
        groups.append(group)
    for group in groups:
        LocalAssets("").apply(group)  # no plugin here needs a CDN asset
    return groups


def _zone_style(feature) -> dict:
    controller = feature["properties"]["controller"]
    return {"fillColor": CONTROLLER_COLOURS[controller], "fillOpacity": CONTROLLER_OPACITY[controller],
            "color": CONTROLLER_COLOURS[controller], "weight": 0.4, "opacity": 0.6}


def _settlement_style(feature) -> dict:
    controller = feature["properties"]["controller"]
    radius = {"city": 7, "town": 6}.get(feature["properties"]["kind"], 4)
    return {"fillColor": CONTROLLER_COLOURS[controller], "color": "#111111", "radius": radius}


def share_text(state: PlaceState) -> str:
    if not state.share:
        return CONTROLLER_LABELS[state.controller]
    parts = [f"{CONTROLLER_LABELS[c]} {round(v * 100)}%" for c, v in sorted(state.share.items(), key=lambda kv: -kv[1]) if v > 0]
    return ", ".join(parts)


class DateStamp(MacroElement):
    """Marks the map's container with the date it shows (``data-km-date``), for tests and benchmarks."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.getContainer().setAttribute('data-km-date', {{ this.date | tojson }});
        {% endmacro %}
    """)

    def __init__(self, date: dt.date):
        super().__init__()
        self._name = "DateStamp"
        self.date = date.isoformat()


def full_map(data: MapData, date: dt.date, names_mode: str = "both", visible: set[str] | None = None,
             center=DEFAULT_CENTER, zoom=DEFAULT_ZOOM, tiles: str = "plain", asset_prefix: str = "/app/static") -> folium.Map:
    """The base map with the date's layers added: for a standalone HTML page."""
    m = base_map(center, zoom, tiles, asset_prefix)
    for group in date_layers(data, date, names_mode, visible):
        group.add_to(m)
    DateStamp(date).add_to(m)
    LocalAssets(asset_prefix).apply(m)
    return m
