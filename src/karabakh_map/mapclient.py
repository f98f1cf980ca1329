"""STAND-IN for the one map client (branch `mapclient` owns this file; replaced wholesale at merge).

A minimal folium page that speaks the host protocol of PROTOCOL.md (ready/date/select/view out,
set in), carries ``data-painted-date`` on the map container and one ``role="slider"`` date
control, so that the app's host side can be built and tested before the real client lands.
It paints nothing but the date and a ring on the selected settlement.
"""

from __future__ import annotations

import json

import folium
from branca.element import MacroElement
from jinja2 import Template

from karabakh_map.catalog import HISTORY_START, history_end
from karabakh_map.mapview import LocalAssets
from karabakh_map.timeline import Timeline
from karabakh_map.view import View


class _StandInControl(MacroElement):
    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  window.map = map;
  var cfg = {{ this.config }};
  var container = map.getContainer();
  var start = Date.parse(cfg.min), day = 86400000;
  var toDate = function (i) { return new Date(start + i * day).toISOString().slice(0, 10); };
  var toIndex = function (d) { return Math.round((Date.parse(d) - start) / day); };
  var embedded = window.parent !== window;
  var send = function (m) { if (embedded) window.parent.postMessage(Object.assign({source: "karabakh-map"}, m), "*"); };
  var box = L.DomUtil.create("div", "km-standin", container);
  box.style.cssText = "position:absolute;bottom:8px;left:8px;right:8px;z-index:1000;background:#fff;padding:6px";
  var slider = L.DomUtil.create("input", "", box);
  slider.type = "range"; slider.min = 0; slider.max = toIndex(cfg.max); slider.style.width = "70%";
  slider.setAttribute("role", "slider"); slider.setAttribute("aria-label", "Date");
  var label = L.DomUtil.create("span", "km-date-label", box);
  var clear = L.DomUtil.create("button", "", box); clear.textContent = "Clear";
  L.DomEvent.disableClickPropagation(box);
  var paint = function (d) {
    slider.value = toIndex(d);
    slider.setAttribute("aria-valuenow", slider.value); slider.setAttribute("aria-valuetext", d);
    label.textContent = " " + d;
    requestAnimationFrame(function () { container.setAttribute("data-painted-date", d); });
  };
  var current = cfg.date, selected = null, rings = {};
  slider.addEventListener("input", function () { current = toDate(+slider.value); if (!cfg.server_paint) paint(current); });
  slider.addEventListener("keydown", function (e) {
    if (e.key !== "PageUp" && e.key !== "PageDown") return;
    e.preventDefault();
    var d = new Date(Date.parse(toDate(+slider.value)));
    d.setUTCMonth(d.getUTCMonth() + (e.key === "PageUp" ? 1 : -1));
    slider.value = Math.max(0, Math.min(+slider.max, toIndex(d.toISOString().slice(0, 10))));
    slider.dispatchEvent(new Event("input")); slider.dispatchEvent(new Event("change"));
  });
  slider.addEventListener("change", function () { send({type: "date", date: toDate(+slider.value), reason: "release"}); });
  var select = function (id, tell) {
    if (selected && rings[selected]) rings[selected].setStyle({weight: 1});
    selected = id;
    if (id && rings[id]) { rings[id].setStyle({weight: 5}); map.panInside(rings[id].getLatLng()); }
    if (tell) send({type: "select", place_id: id});
  };
  cfg.places.forEach(function (p) {
    rings[p.id] = L.circleMarker([p.lat, p.lon], {radius: 6, weight: 1, className: "km-place km-place-" + p.id})
      .addTo(map).on("click", function () { select(p.id, true); });
  });
  clear.addEventListener("click", function () { select(null, true); });
  var viewTimer = null;
  map.on("moveend", function () {
    clearTimeout(viewTimer);
    viewTimer = setTimeout(function () {
      var c = map.getCenter(); send({type: "view", lat: c.lat, lon: c.lng, zoom: map.getZoom()});
    }, 300);
  });
  window.addEventListener("message", function (e) {
    var m = e.data;
    if (!m || m.source !== "karabakh-host" || m.type !== "set") return;
    if (m.date) { current = m.date; paint(m.date); }
    if ("place_id" in m) select(m.place_id, false);
  });
  paint(current); select(cfg.place, false);
  send({type: "ready", date: current});
})();
{% endmacro %}
""")

    def __init__(self, config: dict):
        super().__init__()
        self._name = "KarabakhStandIn"
        self.config = json.dumps(config).replace("<", "\\u003c")


def build_map(timeline: Timeline, *, view: View | None = None, server_paint: bool = False,
              asset_prefix: str = "/app/static") -> folium.Map:
    view = view or View()
    m = folium.Map(location=[view.lat, view.lon], zoom_start=view.zoom, tiles=None, min_zoom=6, max_zoom=14)
    places = [{"id": s.id, "lat": s.geometry.y, "lon": s.geometry.x} for s in timeline.catalog.settlements]
    _StandInControl({"min": HISTORY_START.isoformat(), "max": history_end().isoformat(), "date": view.date.isoformat(),
                     "place": view.place, "places": places, "server_paint": server_paint}).add_to(m)
    LocalAssets(asset_prefix).apply(m)
    return m


def page_html(m: folium.Map) -> str:
    return m.get_root().render()

