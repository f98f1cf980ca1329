"""The citable figure: what it shows, in PNG and SVG, from Python and from `karabakh-map figure`."""

from __future__ import annotations

import dataclasses
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import ARTIFACTS
from helpers import d

from karabakh_map import figure
from karabakh_map.catalog import CONTROLLER_LABELS
from karabakh_map.parsing import ParseError
from karabakh_map.style import CONTROLLER_COLOURS

SVG = "{http://www.w3.org/2000/svg}"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def svg_texts(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return [" ".join("".join(el.itertext()).split()) for el in root.iter(f"{SVG}text")]


def svg_ids(data: bytes) -> set[str]:
    return {el.get("id") for el in ET.fromstring(data).iter() if el.get("id")}


@pytest.fixture(scope="module")
def aghdam_png(timeline):
    data = figure.render(timeline, d("1993-08-01"), place="Aghdam", fmt="png")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "figure-1993-08-01-aghdam.png").write_bytes(data)
    return data


@pytest.fixture(scope="module")
def aghdam_svg(timeline):
    data = figure.render(timeline, "1993-08-01", place="Aghdam", fmt="svg")
    (ARTIFACTS / "figure-1993-08-01-aghdam.svg").write_bytes(data)
    return data


def test_png_is_print_quality(aghdam_png):
    width, height = png_size(aghdam_png)
    assert width >= 2000 and height >= 2000, (width, height)


def test_svg_keeps_title_legend_and_attribution_as_text(aghdam_svg):
    texts = svg_texts(aghdam_svg)
    assert "Territorial control on 1 August 1993" in texts
    assert "Legend" in texts
    for label in (CONTROLLER_LABELS["azerbaijan"], CONTROLLER_LABELS["armenian_forces"], "Selected place",
                  "Former NKAO (Nagorno-Karabakh Autonomous Oblast)", "Road: Open"):
        assert label in texts, label
    assert "50 km" in texts  # the scale bar


def test_legend_lists_only_what_the_date_shows(timeline):
    def labels(date):
        legend = figure.build_figure(timeline, d(date)).axes[0].get_legend()
        return [t.get_text() for t in legend.get_texts()]

    assert CONTROLLER_LABELS["russian_peacekeepers"] not in labels("1993-08-01")
    with_peacekeepers = labels("2021-06-01")
    assert CONTROLLER_LABELS["russian_peacekeepers"] in with_peacekeepers
    assert "Russian peacekeeping zone (2020-2024)" in with_peacekeepers
    assert "Road: Under Russian peacekeepers" in with_peacekeepers


def test_attribution_names_natural_earth_geonames_and_the_sources_of_the_change(timeline, aghdam_svg, catalog):
    text = " ".join(svg_texts(aghdam_svg))
    assert "Natural Earth" in text and "GeoNames" in text
    state = timeline.state("settlement-aghdam", d("1993-08-01"))
    sources = [catalog.sources[s] for s in catalog.events_by_id[state.event_id].source_ids]
    assert any((s.author or s.publisher)[:30] in text for s in sources), text


def test_attribution_abbreviates_many_sources_and_says_where_the_rest_are(timeline):
    content = figure.figure_content(timeline, d("2024-01-01"))
    assert len(content.event_ids) > 20
    line = figure.source_line(timeline, content, limit=3)
    assert re.search(r"; and \d+ more", line), line
    assert "karabakh-map events --to 2024-01-01" in line
    assert line.count(";") == 3


def test_before_any_change_the_attribution_says_so(timeline):
    content = figure.figure_content(timeline, d("1988-01-01"))
    assert content.event_ids == ()
    assert "no change of control is recorded before this date" in figure.source_line(timeline, content)


def test_selected_place_is_ringed_around_it(timeline, aghdam_svg):
    import geopandas

    assert {"selected-place-ring", "selected-place-label"} <= svg_ids(aghdam_svg)
    fig = figure.build_figure(timeline, d("1993-08-01"), timeline.catalog.resolve("Aghdam"))
    rings = [line for line in fig.axes[0].get_lines() if line.get_gid() == "selected-place-ring"]
    assert len(rings) == 1
    centre = geopandas.GeoSeries([timeline.catalog.places["settlement-aghdam"].geometry], crs="EPSG:4326") \
        .to_crs(figure.FIGURE_CRS).iloc[0]
    xs, ys = rings[0].get_data()
    distances = ((xs - centre.x) ** 2 + (ys - centre.y) ** 2) ** 0.5
    assert distances.min() == pytest.approx(figure.RING_RADIUS_M, rel=0.02)
    assert distances.max() == pytest.approx(figure.RING_RADIUS_M, rel=0.02)


def test_no_ring_without_a_place(timeline):
    fig = figure.build_figure(timeline, d("1993-08-01"))
    assert not [line for line in fig.axes[0].get_lines() if line.get_gid() == "selected-place-ring"]


def test_a_region_is_ringed_by_its_outline(timeline):
    svg = figure.render(timeline, "2020-11-10", place="district-lachin", fmt="svg")
    assert "selected-place-ring" in svg_ids(svg)
    assert any(t.startswith("Laçın") for t in svg_texts(svg))


def test_contested_zones_are_hatched(timeline):
    fig = figure.build_figure(timeline, d("2016-04-03"), timeline.catalog.resolve("Talish"))
    legend = fig.axes[0].get_legend()
    entries = dict(zip((t.get_text() for t in legend.get_texts()), legend.legend_handles))
    assert entries[CONTROLLER_LABELS["contested"]].get_hatch() == figure.CONTESTED_HATCH
    hatched = [c for c in fig.axes[0].collections if c.get_hatch() == figure.CONTESTED_HATCH]
    assert hatched, "no contested zone drawn hatched"


def test_claimed_zones_are_hatched_in_the_claimants_colour(timeline, monkeypatch):
    real = figure.figure_content

    def with_a_claim(tl, date, place=None):
        content = real(tl, date, place)
        aghdam = {z.zone_id for z in tl.map_zones(date) if z.follows == "settlement-aghdam"}
        assert aghdam
        status = {z: ("claimed" if z in aghdam else s) for z, s in content.zone_status.items()}
        return dataclasses.replace(content, zone_status=status)

    monkeypatch.setattr(figure, "figure_content", with_a_claim)
    fig = figure.build_figure(timeline, d("1993-08-01"))
    label = f"Claimed by {CONTROLLER_LABELS['armenian_forces']}, not yet confirmed"
    legend = fig.axes[0].get_legend()
    entries = dict(zip((t.get_text() for t in legend.get_texts()), legend.legend_handles))
    assert entries[label].get_hatch() == figure.CLAIMED_HATCH
    from matplotlib.colors import to_rgba

    claimed = [c for c in fig.axes[0].collections if c.get_hatch() == figure.CLAIMED_HATCH]
    assert claimed and tuple(claimed[0].get_edgecolor()[0]) == to_rgba(CONTROLLER_COLOURS["armenian_forces"])


def test_render_rejects_a_bad_format_and_a_date_outside_the_record(timeline):
    with pytest.raises(figure.FigureError, match="unknown figure format 'jpg'"):
        figure.render(timeline, "1993-08-01", fmt="jpg")
    with pytest.raises(ParseError, match="expected a date from 1988-01-01"):
        figure.render(timeline, "1950-01-01")
    with pytest.raises(ParseError, match=r"Invalid date '1993-8-1' \(expected YYYY-MM-DD\)"):
        figure.render(timeline, "1993-8-1")


def test_key_dates_for_the_static_export_stay_within_budget(timeline, tmp_path):
    written = figure.render_key_dates(timeline, tmp_path, {"1994 ceasefire": d("1994-05-12")})
    [(label, date, path)] = written
    assert path.name == "karabakh-control-1994-05-12.png"
    data = path.read_bytes()
    assert png_size(data)[0] == 1100 and len(data) < 450_000, len(data)


def test_matplotlib_is_not_imported_until_a_figure_is_drawn():
    code = ("import sys, karabakh_map.cli, karabakh_map.figure, karabakh_map.context; "
            "print('matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


# ---------------------------------------------------------------- the command line


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "karabakh_map", "figure", *args], capture_output=True, text=True,
                          timeout=180)


def test_cli_writes_svg_and_png(tmp_path):
    out = tmp_path / "shusha.svg"
    result = run("--date", "2021-06-01", "--place", "Shushi", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out}")
    assert "Territorial control on 1 June 2021" in svg_texts(out.read_bytes())


@pytest.mark.parametrize("args, message", [
    (("--date", "1993-13-01"), "Invalid date '1993-13-01'"),
    (("--date", "1950-01-01"), "expected a date from 1988-01-01"),
    (("--date", "1993-08-01", "--place", "Atlantis"), "unknown place 'Atlantis'"),
    (("--date", "1993-08-01", "--out", "figure.jpg"), "ending in .png or .svg"),
    (("--date", "1993-08-01", "--out", "/no/such/folder/f.png"), "in an existing folder"),
])
def test_cli_bad_input_exits_2_with_one_line(args, message):
    result = run(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_town_labels_never_overlap_each_other_the_ring_or_the_legend(timeline):
    fig = figure.build_figure(timeline, d("1993-08-01"), timeline.catalog.resolve("Aghdam"))
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    labels = [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "town-label"]
    assert len(labels) >= 15
    obstacles = [ax.get_legend().get_window_extent(renderer)]
    obstacles += [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "selected-place-label"]
    obstacles += [line.get_window_extent(renderer) for line in ax.lines if line.get_gid() == "selected-place-ring"]
    for i, label in enumerate(labels):
        assert not any(label.overlaps(other) for other in labels[i + 1:] + obstacles)


def test_attribution_for_a_selected_place_points_to_its_own_events(timeline, catalog):
    content = figure.figure_content(timeline, d("1993-08-01"), catalog.resolve("Aghdam"))
    assert content.event_ids == (timeline.state("settlement-aghdam", d("1993-08-01")).event_id,)
    line = figure.source_line(timeline, content)
    assert line.startswith("Sources for the state of Ağdam")
    assert "karabakh-map events --place settlement-aghdam --to 1993-08-01" in line


def test_cli_a_file_that_cannot_be_written_exits_1_naming_it(tmp_path):
    target = tmp_path / "taken.png"
    target.mkdir()  # a folder where the file should go
    result = run("--date", "1993-08-01", "--out", str(target))
    assert result.returncode == 1
    assert result.stderr.strip() == f"karabakh-map: figure failed: cannot write {target}: Is a directory"


def test_only_the_days_zones_are_drawn_so_front_line_periods_never_overlap(timeline):
    date = d("2020-11-09")
    content = figure.figure_content(timeline, date)
    assert set(content.zone_controller) == {z.zone_id for z in timeline.map_zones(date)}
    assert len(timeline.map_zones()) > len(content.zone_controller)  # other periods exist and are left out
    claimed = {z for z, status in content.zone_status.items() if status == "claimed"}
    assert claimed == {z for z, c in timeline.zone_claimed(date).items() if c and z in content.zone_controller}
    assert content.claimants_shown == ("azerbaijan",)


def test_front_lines_are_drawn_only_while_they_stand(timeline):
    def front_lines(date):
        fig = figure.build_figure(timeline, d(date))
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        drawn = [line for line in fig.axes[0].get_lines() if line.get_gid() == "front-line"]
        return drawn, any(label.startswith("Front line") for label in labels)

    assert front_lines("1988-01-01") == ([], False)
    drawn, in_legend = front_lines("2016-04-03")
    assert drawn and in_legend
