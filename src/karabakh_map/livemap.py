"""The map that stays mounted while the user scrubs: geometry once, then only colours per date.

Rebuilding folium layers for every date would resend every polygon (hundreds of KB) and make
st_folium redraw them.  Instead the base map carries all geometry and a small script,
``kmApply(state)``.  Each date sends only a compact state (a digit per zone and settlement, the
district shares, the road status) through a tiny separate HTML component, the *state bridge*,
which hands it to the map's ``kmApply``.  The st_folium element itself is identical on every
rerun, so Streamlit sends it once (later runs reference its cached copy), st_folium never
remounts it, and the user's zoom survives scrubbing.

``mapview.full_map`` remains the straightforward page (every layer rebuilt per date): the static
HTML and the naive baseline in ``benchmarks/``.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cached_property

import folium
import shapely
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import mapping

from karabakh_map.catalog import CONTROLLER_LABELS, CONTROLLERS
from karabakh_map.mapview import (
    CONTROLLER_COLOURS, CONTROLLER_OPACITY, LAYER_NAMES, ROAD_STATUS_LABELS, ROAD_STYLES, Legend, LocalAssets,
    MapData, TILE_OPTIONS, DEFAULT_CENTER, DEFAULT_ZOOM, share_text,
)
from karabakh_map.names import NAME_MODES
from karabakh_map.timeline import PlaceState


def _labels(place) -> dict[str, str]:
    return {f"label_{mode}": place.names.label(mode) for mode in NAME_MODES}


def _json_for_script(value) -> str:
    """JSON that is safe inside a <script> element (no "</script>", no HTML comment openers)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c").replace(
        ">", "\\u003e").replace("&", "\\u0026")


class LiveData:
    """The constant part of the live map, prepared once per catalogue."""

    def __init__(self, data: MapData):
        self.data = data
        self.timeline = data.timeline
        self.catalog = data.timeline.catalog
        self.zone_ids = list(data.zone_geometry)
        self.settlement_ids = [s.id for s in self.catalog.settlements]
        self.district_ids = [r.id for r in self.catalog.regions if r.kind != "oblast"]
        self.road_ids = [r.id for r in self.catalog.roads]

    @cached_property
    def peacekeeping_variants(self) -> tuple[list[frozenset[str]], dict]:
        """Every distinct set of zones in the peacekeeping zone over the history, and its outline."""
        variants: list[frozenset[str]] = []
        for date in self.timeline.change_dates():
            inside = frozenset(z for z, flag in self.timeline.zone_peacekeeping(date).items() if flag)
            if inside and inside not in variants:
                variants.append(inside)
        features = []
        for index, zones in enumerate(variants):
            merged = shapely.union_all([shapely.geometry.shape(self.data.zone_geometry[z]) for z in sorted(zones)])
            merged = shapely.set_precision(shapely.simplify(merged, 0.001), 1e-4)
            features.append({"type": "Feature", "properties": {"variant": index}, "geometry": mapping(merged)})
        return variants, {"type": "FeatureCollection", "features": features}

    @cached_property
    def payload_json(self) -> str:
        catalog = self.catalog
        zones = [{"type": "Feature", "geometry": self.data.zone_geometry[z],
                  "properties": {"id": self.data.zone_region[z], "zone": z, **_labels(catalog.places[self.data.zone_region[z]])}}
                 for z in self.zone_ids]
        districts = [{"type": "Feature", "geometry": self.data.region_geometry[r],
                      "properties": {"id": r, **_labels(catalog.places[r])}} for r in self.district_ids]
        nkao = catalog.places.get("region-nkao")
        roads = [{"type": "Feature", "geometry": self.data.road_geometry[r],
                  "properties": {"id": r, **_labels(catalog.places[r])}} for r in self.road_ids]
        settlements = [{"type": "Feature", "geometry": self.data.settlement_geometry[s],
                        "properties": {"id": s, "kind": catalog.places[s].kind, **_labels(catalog.places[s])}}
                       for s in self.settlement_ids]
        payload = {
            "zones": {"type": "FeatureCollection", "features": zones},
            "districts": {"type": "FeatureCollection", "features": districts},
            "nkao": ({"type": "Feature", "geometry": self.data.region_geometry[nkao.id],
                      "properties": {"id": nkao.id, **_labels(nkao)}} if nkao else None),
            "roads": {"type": "FeatureCollection", "features": roads},
            "settlements": {"type": "FeatureCollection", "features": settlements},
            "peacekeeping": self.peacekeeping_variants[1],
            "controllers": [{"colour": CONTROLLER_COLOURS[c], "opacity": CONTROLLER_OPACITY[c],
                             "label": CONTROLLER_LABELS[c]} for c in CONTROLLERS],
            "roadStyles": {s: {**style, "label": ROAD_STATUS_LABELS[s]} for s, style in ROAD_STYLES.items()},
            "layers": list(LAYER_NAMES),
        }
        return _json_for_script(payload)

    def state(self, date: dt.date, names_mode: str, visible: set[str], snapshot: dict[str, PlaceState]) -> dict:
        """The compact per-date state ``kmApply`` takes: a controller digit per zone and settlement."""
        index = {c: str(i) for i, c in enumerate(CONTROLLERS)}
        zone_controllers = self.timeline.zone_controllers(date)
        shown = {z.zone_id for z in self.timeline.map_zones(date)}
        peacekeeping = frozenset(z for z, flag in self.timeline.zone_peacekeeping(date).items() if flag)
        variants = self.peacekeeping_variants[0]
        return {
            "date": date.isoformat(),
            "names": names_mode,
            "visible": sorted(visible),
            # "h": a zone of another front-line period, hidden on this date
            "zones": "".join(index[zone_controllers[z]] if z in shown else "h" for z in self.zone_ids),
            "settlements": "".join(index[snapshot[s].controller] for s in self.settlement_ids),
            "districts": {r: [int(snapshot[r].partial and self.catalog.places[r].kind == "district"), share_text(snapshot[r])]
                          for r in self.district_ids},
            "nkao": share_text(snapshot["region-nkao"]) if "region-nkao" in snapshot else "",
            "roads": {r: [int(snapshot[r].visible), snapshot[r].road_status or "open"] for r in self.road_ids},
            "peacekeeping": variants.index(peacekeeping) if peacekeeping in variants else -1,
        }


class LiveLayers(MacroElement):
    """Adds every layer's geometry to the map and defines ``window.kmApply``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var D = {{ this.payload_json }};
            var S = null;  // the current per-date state
            function pick(p) { return p['label_' + ((S && S.names) || 'both')]; }
            function tip(title, detail) {
                var el = document.createElement('div');
                var b = document.createElement('strong'); b.textContent = title; el.appendChild(b);
                if (detail) { el.appendChild(document.createElement('br')); el.appendChild(document.createTextNode(detail)); }
                return el;
            }
            function controllerOf(code) { return D.controllers[Number(code)] || D.controllers[0]; }
            var zoneIndex = {}, settlementIndex = {};
            D.zones.features.forEach(function (f, i) { zoneIndex[f.properties.zone] = i; });
            D.settlements.features.forEach(function (f, i) { settlementIndex[f.properties.id] = i; });

            var layers = {};
            layers.zones = L.geoJSON(D.zones, {
                style: function () { return {weight: 0.4, opacity: 0.6, fillOpacity: 0}; },
                onEachFeature: function (f, layer) {
                    layer.bindTooltip(function () {
                        var code = S ? S.zones[zoneIndex[f.properties.zone]] : 'h';
                        var c = code === 'h' ? null : controllerOf(code);
                        return tip(pick(f.properties), c ? 'This area: ' + c.label : '');
                    }, {sticky: true});
                }
            });
            layers.peacekeeping = L.geoJSON(D.peacekeeping, {
                style: function () { return {color: '#009E73', weight: 3, dashArray: '8 6', fill: false, opacity: 0}; },
                interactive: false
            });
            layers.districts = L.geoJSON(D.districts, {
                style: function () { return {color: '#333333', weight: 1, fillOpacity: 0, fill: true}; },
                onEachFeature: function (f, layer) {
                    layer.bindTooltip(function () {
                        var d = S && S.districts[f.properties.id];
                        return tip(pick(f.properties), d ? d[1] : '');
                    }, {sticky: true});
                }
            });
            layers.nkao = D.nkao ? L.geoJSON(D.nkao, {
                style: function () { return {color: '#000000', weight: 3.5, dashArray: '1 7', fill: false}; },
                onEachFeature: function (f, layer) {
                    layer.bindTooltip(function () { return tip(pick(f.properties), S ? S.nkao : ''); }, {sticky: true});
                }
            }) : L.layerGroup();
            layers.road = L.geoJSON(D.roads, {
                style: function () { return {opacity: 0}; },
                onEachFeature: function (f, layer) {
                    layer.bindTooltip(function () {
                        var r = S && S.roads[f.properties.id];
                        return tip(pick(f.properties), r ? D.roadStyles[r[1]].label : '');
                    }, {sticky: true});
                }
            });
            layers.settlements = L.geoJSON(D.settlements, {
                pointToLayer: function (f, latlng) {
                    var radius = {city: 7, town: 6}[f.properties.kind] || 4;
                    return L.circleMarker(latlng, {radius: radius, weight: 1.5, color: '#111111', fillOpacity: 1});
                },
                onEachFeature: function (f, layer) {
                    layer.bindTooltip(function () {
                        var c = S ? controllerOf(S.settlements[settlementIndex[f.properties.id]]) : null;
                        return tip(pick(f.properties), c ? c.label : '');
                    });
                }
            });
            layers.labels = L.layerGroup();
            D.settlements.features.forEach(function (f) {
                if (f.properties.kind !== 'city') return;
                var c = f.geometry.coordinates;
                var marker = L.marker([c[1], c[0]], {interactive: false, keyboard: false, icon: L.divIcon({
                    className: 'km-label-icon', iconSize: [160, 16], iconAnchor: [-6, 8],
                    html: '<div class="km-label"></div>'})});
                marker.feature = f;
                layers.labels.addLayer(marker);
            });
            ['zones', 'peacekeeping', 'districts', 'nkao', 'road', 'settlements', 'labels'].forEach(function (name) {
                layers[name].addTo(map);
            });

            window.kmApply = function (state) {
                S = state;
                D.layers.forEach(function (name) {
                    var on = state.visible.indexOf(name) >= 0;
                    if (on && !map.hasLayer(layers[name])) layers[name].addTo(map);
                    if (!on && map.hasLayer(layers[name])) map.removeLayer(layers[name]);
                });
                layers.zones.eachLayer(function (layer) {
                    var code = state.zones[zoneIndex[layer.feature.properties.zone]];
                    if (code === 'h') { layer.setStyle({fillOpacity: 0, opacity: 0}); return; }
                    var c = controllerOf(code);
                    layer.setStyle({fillColor: c.colour, fillOpacity: c.opacity, color: c.colour, opacity: 0.6});
                });
                layers.settlements.eachLayer(function (layer) {
                    layer.setStyle({fillColor: controllerOf(state.settlements[settlementIndex[layer.feature.properties.id]]).colour});
                });
                layers.districts.eachLayer(function (layer) {
                    var partial = state.districts[layer.feature.properties.id][0] === 1;
                    layer.setStyle({weight: partial ? 3 : 1, dashArray: partial ? '6 4' : null});
                });
                layers.road.eachLayer(function (layer) {
                    var r = state.roads[layer.feature.properties.id];
                    var style = D.roadStyles[r[1]];
                    layer.setStyle({color: style.color, weight: style.weight, dashArray: style.dashArray, opacity: r[0] ? 0.95 : 0});
                    var el = layer.getElement && layer.getElement();
                    if (el) el.style.display = r[0] ? '' : 'none';
                });
                layers.peacekeeping.eachLayer(function (layer) {
                    var shown = layer.feature.properties.variant === state.peacekeeping;
                    layer.setStyle({opacity: shown ? 1 : 0});
                });
                layers.labels.eachLayer(function (marker) {
                    var el = marker.getElement && marker.getElement();
                    if (el) el.querySelector('.km-label').textContent = pick(marker.feature.properties);
                });
                if (map.getContainer()) map.getContainer().setAttribute('data-km-date', state.date);
            };
            // a state that arrived before this map was (re)mounted
            try { if (window.parent.kmLatestState) window.kmApply(window.parent.kmLatestState); } catch (e) {}
        })();
        {% endmacro %}
    """)

    def __init__(self, live: LiveData):
        super().__init__()
        self._name = "LiveLayers"
        self.payload_json = live.payload_json


def live_base_map(live: LiveData, center=DEFAULT_CENTER, zoom=DEFAULT_ZOOM, tiles: str = "plain",
                  asset_prefix: str = "/app/static") -> folium.Map:
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=TILE_OPTIONS.get(tiles), control_scale=True,
                   min_zoom=6, max_zoom=14)
    Legend().add_to(m)
    LiveLayers(live).add_to(m)
    LocalAssets(asset_prefix).apply(m)
    return m


MAP_IFRAME_SELECTOR = 'iframe[title="streamlit_folium.st_folium"]'


def state_bridge_html(live: LiveData, date: dt.date, names_mode: str, visible: set[str],
                      snapshot: dict[str, PlaceState]) -> str:
    """A tiny page (for ``st.components.v1.html``) that hands the date's state to the map.

    Both iframes are served by the app, so the bridge may reach the map's window; it keeps the
    state on the parent page too, for a map that mounts after it."""
    state = _json_for_script(live.state(date, names_mode, visible, snapshot))
    return f"""<script>
(function () {{
  var state = {state};
  var page = window.parent;
  page.kmLatestState = state;
  function apply(tries) {{
    var frames = page.document.querySelectorAll({json.dumps(MAP_IFRAME_SELECTOR)});
    for (var i = 0; i < frames.length; i++) {{
      var w = frames[i].contentWindow;
      if (w && w.kmApply) {{ w.kmApply(state); return; }}
    }}
    if (tries < 400) setTimeout(function () {{ apply(tries + 1); }}, 25);
  }}
  apply(0);
}})();
</script>"""
