"""The map's visual vocabulary: one colour, opacity and line style per controller and road status.

Every view that draws control (the map client, the static export, the printed figure, the area
chart) takes its colours from here, so a reader sees the same Azerbaijan blue everywhere.
"""

from __future__ import annotations

# Okabe-Ito colours (safe for the common colour-vision deficiencies), chosen to differ in
# lightness as well, so the sides stay apart in greyscale: dark blue, light orange, mid green.
CONTROLLER_COLOURS = {
    "azerbaijan": "#0072B2",
    "armenian_forces": "#E69F00",
    "russian_peacekeepers": "#009E73",
    "contested": "#CC79A7",
}
# Fill opacities spread the blended greys evenly (about 0.50, 0.62, 0.74, 0.86 relative luminance
# on a white background), so the four states also differ in greyscale print.
CONTROLLER_OPACITY = {"azerbaijan": 0.6, "armenian_forces": 0.39, "russian_peacekeepers": 0.95, "contested": 0.59}

# Road statuses differ by dash pattern and weight, not only by colour.
ROAD_STYLES = {
    "open": {"color": "#222222", "weight": 4, "dashArray": None},
    "peacekeepers": {"color": "#009E73", "weight": 5, "dashArray": "10 6"},
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
