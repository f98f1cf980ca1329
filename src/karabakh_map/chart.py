"""The area chart: km² held by each side over the whole history, with the chosen date as a rule.

    >>> frame = area_frame(timeline)            # date, controller, km2, "held by"
    >>> chart = area_chart(frame, date)         # an Altair layer chart

The series comes from ``Timeline.area_series()`` (equal-area projection, the seven districts,
the former NKAO and the neighbouring units).  Lines step after each change, since control holds
until the next event.  Colours are the map's (``style.CONTROLLER_COLOURS``), so a reader sees the
same Azerbaijan blue in both.  The frame is the costly part; build it once per timeline and
only the one-row rule per date.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from karabakh_map.catalog import CONTROLLER_LABELS, CONTROLLERS
from karabakh_map.style import CONTROLLER_COLOURS
from karabakh_map.timeline import Timeline

# contested areas are small slivers and would flatten the scale; the map shows them
CHARTED = ("azerbaijan", "armenian_forces", "russian_peacekeepers")


def area_frame(timeline: Timeline) -> pd.DataFrame:
    frame = pd.DataFrame(timeline.area_series(), columns=["date", "controller", "km2"])
    frame["held by"] = frame["controller"].map(CONTROLLER_LABELS)
    return frame


def area_chart(frame: pd.DataFrame, date: dt.date) -> alt.LayerChart:
    charted = frame[frame["controller"].isin(CHARTED)]
    colour = alt.Color("held by:N", title=None, legend=alt.Legend(orient="bottom"),
                       scale=alt.Scale(domain=[CONTROLLER_LABELS[c] for c in CONTROLLERS],
                                       range=[CONTROLLER_COLOURS[c] for c in CONTROLLERS]))
    lines = alt.Chart(charted).mark_line(interpolate="step-after").encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("km2:Q", title="Area held (km²)", scale=alt.Scale(zero=True)),
        color=colour, tooltip=["date:T", "held by:N", alt.Tooltip("km2:Q", format=",.0f")])
    rule = alt.Chart(pd.DataFrame({"date": [pd.Timestamp(date)]})).mark_rule(
        color="black", strokeDash=[4, 2]).encode(x="date:T")
    return lines + rule


def rule_date(chart: alt.LayerChart) -> dt.date:
    """The date the chart marks (its rule's single row)."""
    return chart.layer[1].data["date"].iloc[0].date()
