"""The map's visual vocabulary: one colour, opacity and line style per controller and road status.

Every view that draws control (the map client, the static export, the printed figure, the area
chart) takes its colours from here, so a reader sees the same Azerbaijan blue everywhere.
"""

from __future__ import annotations

# Fills chosen so that every pair, blended on white at its opacity, differs by CIEDE2000 ΔE >= 20
# for normal vision, under full protanopia, deuteranopia and tritanopia (Machado 2009), and in
# greyscale (tests/test_style.py computes it with colour-science).  Greyscale is the binding
# constraint: four fills need CIE L* of about 5, 37, 62 and 88, so the sides differ in lightness
# first (dark blue, mid green, pale orange) and `contested`, the rarest state, takes the darkest
# value and is also hatched on the map.
CONTROLLER_COLOURS = {
    "azerbaijan": "#224983",
    "armenian_forces": "#F9C27A",
    "russian_peacekeepers": "#397A57",
    "contested": "#1E0208",
}
CONTROLLER_OPACITY = {"azerbaijan": 0.91, "armenian_forces": 0.55, "russian_peacekeepers": 0.76, "contested": 0.95}
# The fills are designed for (and the legend is drawn on) this background.
MAP_BACKGROUND = "#ffffff"

# Outlines drawn over the fills.
PEACEKEEPING_STYLE = {"color": "#00A86B", "weight": 3, "dashArray": "8 6"}
NKAO_STYLE = {"color": "#C0007A", "weight": 3, "dashArray": "1 6"}

# Dated front lines (the line of contact of 1994, the 2020 edges, the pockets in Armenia): a solid
# deep purple line (figure.FRONT_LINE_COLOUR, the same in print) over a white casing, so it reads
# over every fill and apart from the dashed outlines.
FRONT_LINE_STYLE = {"color": "#4A148C", "weight": 3, "casing": "#ffffff", "casingWeight": 6}

# Road statuses differ by dash pattern and weight, not only by colour.
ROAD_STYLES = {
    "open": {"color": "#222222", "weight": 4, "dashArray": None},
    "peacekeepers": {"color": "#00A86B", "weight": 5, "dashArray": "10 6"},
    "blockaded": {"color": "#D55E00", "weight": 6, "dashArray": "2 6"},
    "checkpoint": {"color": "#CC79A7", "weight": 5, "dashArray": "12 4 2 4"},
    "closed": {"color": "#777777", "weight": 3, "dashArray": "4 8"},
}
ROAD_STATUS_LABELS = {
    "open": "Open",
    "peacekeepers": "Under Russian peacekeepers",
    "blockaded": "Blockaded",
    "checkpoint": "Azerbaijani checkpoint",
    "closed": "Closed",
}
