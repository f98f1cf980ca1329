"""The Streamlit page's logic through AppTest: URL state, what the map reports, panels, uploads.

The map itself runs in the browser (tests/browser); here ``from_map`` plays its part, sending
exactly what the map element sends Streamlit: state values ``date`` and ``view`` and the
trigger ``select`` (see src/karabakh_map/component.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.testing.v1 import AppTest

from helpers import ROOT, d
from karabakh_map.view import DEFAULT_DATE, markdown_literal, page_base, parse_view

APP = str(ROOT / "page.py")  # the page app.py serves (AppTest runs a page script)
HEADER = ("event_id,date,date_precision,place_ids,controller_before,controller_after,kind,title,description,"
          "source_ids,alt_dates,road_status\n")


def run_app(context: dict | None = None, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    if context:
        at.context = context
    at.run()
    assert not at.exception, at.exception
    return at


def element_of(at: AppTest, name: str):
    (element,) = [e for e in at.get("bidi_component") if e.proto.component_name == name]
    return element


def map_data(at: AppTest) -> dict:
    """What the page sent the map element on the last run."""
    return json.loads(element_of(at, "karabakh_map.host").proto.json)


def from_map(at: AppTest, **reports) -> AppTest:
    """Rerun as the map element does after the map said something: ``date="YYYY-MM-DD"``,
    ``view={"lat", "lon", "zoom"}`` (state values, kept) or ``select={"place_id": ...}`` (a trigger)."""
    element = element_of(at, "karabakh_map.host")
    reported = at.__dict__.setdefault("_map_reported", {})
    if "date" in reports:  # numbered, as the element does
        reported["date"] = {"date": reports["date"], "n": reported.get("date", {}).get("n", 0) + 1}
    if "view" in reports:
        reported["view"] = reports["view"]
    states = at._tree.get_widget_states()
    widget = states.widgets.add()
    widget.id, widget.json_value = element.proto.id, json.dumps(reported)
    triggers = [{"event": name, "value": reports[name]} for name in ("select", "need_page") if name in reports]
    if triggers:
        widget = states.widgets.add()
        widget.id, widget.json_trigger_value = _make_trigger_id(element.proto.id, "events"), json.dumps(triggers)
    at._run(states)
    assert not at.exception, at.exception
    return at


def param(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def panel(at: AppTest) -> str:
    return next((m.value for m in at.markdown if 'data-testid="place-controller"' in m.value), "")


def heading(at: AppTest) -> str:
    return next((m.value for m in at.markdown if m.value.startswith("### ")), "")


def share(at: AppTest) -> str:
    return json.loads(element_of(at, "karabakh_map.share").proto.json)["link"]


def test_shared_link_reproduces_date_place_and_view():
    at = run_app(date="1993-08-01", place="Aghdam", lat="39.9", lon="46.8", zoom="10")
    assert at.session_state.date == d("1993-08-01")
    assert "held by Armenian forces" in panel(at)
    assert param(at, "place") == "settlement-aghdam"
    sent = map_data(at)
    # the page is built for the link's view and told the same date and place
    assert sent["built_for"] == sent["set"] == {"date": "1993-08-01", "place_id": "settlement-aghdam", "names": "both"}
    assert (at.session_state.lat, at.session_state.lon, at.session_state.zoom) == (39.9, 46.8, 10)
    assert sent["page"]


def test_place_accepts_any_name_variant():
    at = run_app(date="2021-06-01", place="Shushi")
    assert "Şuşa" in heading(at)
    assert "held by Azerbaijan" in panel(at)


def test_no_parameters_gives_the_default_view():
    at = run_app()
    assert at.session_state.date == DEFAULT_DATE
    assert map_data(at)["set"]["date"] == DEFAULT_DATE.isoformat()
    assert not at.warning


def test_invalid_values_give_a_notice_and_the_default():
    at = run_app(date="1993-02-30", place="Atlantis", names="klingon", lat="91", lon="x", zoom="99")
    notices = " ".join(re.sub(r"\\(.)", r"\1", w.value) for w in at.warning)
    for fragment in ("Invalid date '1993-02-30'", "Unknown place 'Atlantis'", "Unknown names option 'klingon'",
                     "Invalid lat '91'", "Invalid lon 'x'", "Invalid zoom '99'"):
        assert fragment in notices
    assert at.session_state.date == DEFAULT_DATE
    assert at.radio(key="names").value == "both"


def test_notices_stay_until_the_reader_changes_the_view():
    at = run_app(place="Atlantis")
    at.run()
    assert at.warning
    from_map(at, date="1999-01-01")
    assert not at.warning


def test_a_date_from_the_map_updates_panel_url_chart_and_downloads():
    at = run_app(date="1993-08-01", place="Aghdam")
    assert not at.get("vega_lite_chart")  # the chart is drawn only when asked for
    at.toggle(key="show_chart").set_value(True).run()
    assert chart_rule(at) == ["1993-08-01"]
    from_map(at, date="2021-06-01")
    assert param(at, "date") == "2021-06-01"
    assert panel(at).startswith('<div data-testid="place-controller" class="km-controller">On 1 June 2021, held by Azerbaijan')
    assert "date=2021-06-01" in share(at)
    assert chart_rule(at) == ["2021-06-01"]


def chart_rule(at: AppTest) -> list[str]:
    """The dates of the area chart's one-row datasets: its date rule."""
    import pyarrow as pa

    (chart,) = at.get("vega_lite_chart")
    tables = [pa.ipc.open_stream(dataset.data.data).read_all() for dataset in chart.proto.datasets]
    return [str(t.column("date")[0].as_py())[:10] for t in tables if t.num_rows == 1]


def test_the_map_page_is_sent_once_per_session_and_again_only_on_request():
    at = run_app(date="1993-08-01")
    assert map_data(at)["page"]
    from_map(at, date="1994-01-01")
    assert map_data(at)["page"] is None  # reruns carry only the few values, never the page again
    at.run()
    assert map_data(at)["page"] is None
    from_map(at, need_page=True)  # the element found its host empty (Streamlit remounted it)
    assert map_data(at)["page"]


def test_a_date_the_map_reported_is_not_sent_back_but_a_server_change_is():
    at = run_app(date="1993-08-01")
    seq = map_data(at)["seq"]
    from_map(at, date="1994-01-01")
    assert map_data(at)["seq"] == seq  # an echo: the map already shows it (and may have moved on)
    at.radio(key="names").set_value("hy").run()
    assert map_data(at)["seq"] == seq + 1 and map_data(at)["set"]["names"] == "hy"
    assert param(at, "names") == "hy"


def test_server_paint_baseline_answers_every_date(monkeypatch):
    """KARABAKH_SERVER_SCRUB=1 (benchmarks only): the map waits for the server's "set" each time."""
    monkeypatch.setenv("KARABAKH_SERVER_SCRUB", "1")
    at = run_app(date="1993-08-01")
    assert map_data(at)["server_paint"] is True
    from_map(at, date="1994-01-01")
    assert map_data(at)["seq"] == 1 and map_data(at)["set"]["date"] == "1994-01-01"


def test_the_same_date_reported_again_after_a_server_jump_arrives():
    at = run_app(date="1994-05-12")
    from_map(at, date="1992-05-09")
    next(b for b in at.button if (b.key or "").startswith("ev-")).click().run()  # the map jumps to an event
    assert at.session_state.date != d("1992-05-09")
    from_map(at, date="1992-05-09")  # and the reader goes back to the same day
    assert at.session_state.date == d("1992-05-09") and param(at, "date") == "1992-05-09"


def test_click_clear_and_click_the_same_place_again():
    at = run_app(date="1994-06-01")
    from_map(at, select={"place_id": "settlement-shusha"})
    assert "Şuşa" in heading(at) and param(at, "place") == "settlement-shusha"
    from_map(at, select={"place_id": None})
    assert "Click a place" in heading(at) and param(at, "place") is None
    from_map(at, select={"place_id": "settlement-shusha"})
    assert "Şuşa" in heading(at) and param(at, "place") == "settlement-shusha"


def test_clear_selection_button_tells_the_map():
    at = run_app(date="1994-06-01", place="Shusha")
    next(b for b in at.button if b.label == "Clear selection").click().run()
    assert "Click a place" in heading(at)
    assert map_data(at)["set"]["place_id"] is None and map_data(at)["seq"] == 1


def test_the_map_view_goes_into_the_url():
    at = run_app(date="1994-06-01")
    from_map(at, view={"lat": 39.71234567, "lon": 46.9, "zoom": 11})
    assert (param(at, "lat"), param(at, "lon"), param(at, "zoom")) == ("39.71235", "46.9", "11")
    from_map(at, view={"lat": 10.0, "lon": 46.9, "zoom": 30})  # panned far off: the link still parses
    assert (param(at, "lat"), param(at, "zoom")) == ("38", "14")


@pytest.mark.parametrize("report", [{"date": "2020-W46-2"}, {"date": "<script>"}, {"date": 5},
                                    {"view": {"lat": "x", "lon": 1, "zoom": 2}}, {"select": {"place_id": "nowhere"}},
                                    {"select": "settlement-shusha"}])
def test_malformed_reports_from_the_browser_change_nothing(report):
    at = run_app(date="1994-06-01", place="Aghdam")
    from_map(at, **report)
    assert at.session_state.date == d("1994-06-01") and param(at, "place") == "settlement-aghdam"
    assert param(at, "lat") is None


def test_names_switch_changes_panel_title_and_url():
    at = run_app(date="2000-01-01", place="Stepanakert")
    assert "Xankəndi / Stepanakert" in heading(at)
    at.radio(key="names").set_value("hy").run()
    assert heading(at) == "### Stepanakert"
    assert param(at, "names") == "hy"
    at.radio(key="names").set_value("az").run()
    assert heading(at) == "### Xankəndi"


def test_search_box_finds_a_place_by_any_name_and_tells_the_map():
    at = run_app(date="2000-01-01")
    at.text_input(key="search").set_value("Karvachar").run()
    found = [b for b in at.button if b.key == "find-settlement-kalbajar"]
    assert found
    found[0].click().run()
    assert "Kəlbəcər" in heading(at)
    assert map_data(at)["set"]["place_id"] == "settlement-kalbajar" and map_data(at)["seq"] == 1


def test_panel_lists_own_events_first_with_sources_and_a_now_marker():
    at = run_app(date="1992-05-09", place="Shusha")
    (history,) = [m.value for m in at.markdown if 'class="km-history"' in m.value]
    own = history.split('<details class="km-regional">')[0]
    assert 'data-date="1992-05-08"' in own and 'href="http' in own
    # the marker sits right after the last event on or before the date
    assert re.search(r'data-date="1992-05-08".*?</li><li class="km-now"[^>]*>Now: 9 May 1992</li>', own)
    assert re.search(r"<summary>\d+ regional events?", history)


def test_what_changed_lists_events_and_jumps_the_map_to_them():
    at = run_app(date="1994-05-12")
    buttons = [b for b in at.button if (b.key or "").startswith("ev-")]
    assert buttons
    target = buttons[0]
    target_date = d(target.label[:10])
    assert target_date <= d("1994-05-12")
    target.click().run()
    assert at.session_state.date == target_date
    assert map_data(at)["set"]["date"] == target_date.isoformat() and map_data(at)["seq"] == 1
    assert heading(at).startswith("### ") and "Click a place" not in heading(at)



def test_picking_the_same_event_again_tells_the_map_again():
    at = run_app(date="1994-05-12")
    key = next(b.key for b in at.button if (b.key or "").startswith("ev-"))
    at.button(key=key).click().run()
    from_map(at, date="1994-05-12")  # the reader scrubs away on the map
    at.button(key=key).click().run()  # and picks the same entry again
    assert map_data(at)["seq"] == 2 and at.session_state.date == d(at.button(key=key).label[:10])

def test_share_link_uses_the_host_the_reader_is_on():
    at = run_app(context={"url": "https://maps.example.org/karabakh/?date=1990-01-01#x"}, date="1993-08-01",
                 place="Aghdam")
    assert share(at) == "https://maps.example.org/karabakh/?date=1993-08-01&place=settlement-aghdam"


@pytest.mark.parametrize("url, host, base", [
    ("http://127.0.0.1:8501/?date=1", None, "http://127.0.0.1:8501"),
    (None, "karabakh.example.org", "https://karabakh.example.org"),
    (None, "localhost:8501", "http://localhost:8501"),
    ("javascript:alert(1)", "evil.example/<script>", ""),
    (None, None, ""),
])
def test_page_base(url, host, base):
    assert page_base(url, host) == base


# ------------------------------------------------------------------ uploads (issue 13, defects 1 and 4)

def upload(at: AppTest, data: bytes, name: str = "mine.csv") -> AppTest:
    at.file_uploader(key="upload").set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def test_a_reupload_with_the_same_name_and_size_shows_the_new_content():
    first = (HEADER + "ev-19950101-mine,1995-01-01,day,settlement-aghdam,armenian_forces,contested,other,Mine,,"
             "src-unsc-822,,\n").encode()
    second = (HEADER + "ev-19950101-mine,1995-01-01,day,settlement-aghdam,armenian_forces,azerbaijan,other,Min,,"
              "src-unsc-822,,\n").encode()
    assert len(first) == len(second)
    at = run_app(date="1996-01-01", place="Aghdam")
    upload(at, first)
    assert "held by Contested" in panel(at) or "contested" in panel(at).lower()
    first_page = map_data(at)
    upload(at, second)
    assert "held by Azerbaijan" in panel(at)
    second_page = map_data(at)
    # a new page (built from the new content), not the cached one of the first file
    assert second_page["page_id"] != first_page["page_id"] and second_page["page"]


def test_a_future_dated_upload_never_puts_the_date_past_today():
    future = (HEADER + "ev-20300101-mine,2030-01-01,day,settlement-shusha,azerbaijan,contested,other,Future,,"
              "src-unsc-822,,\n").encode()
    at = run_app(date="2025-12-01")
    upload(at, future)
    from_map(at, date="2030-01-01")  # the map's Next/Play reaching the uploaded event
    today = dt.date.today()
    assert at.session_state.date == today and param(at, "date") == today.isoformat()
    assert not at.exception


def test_downloads_are_offered():
    at = run_app(date="1994-05-12")
    labels = [element.proto.label for element in at.get("download_button")]
    assert {"Snapshot (GeoJSON)", "Snapshot (CSV)", "Snapshot (GeoPackage)", "Figure (PNG)"} <= set(labels)


def test_the_figure_download_draws_the_chosen_day_and_place(timeline):
    from karabakh_map import sections

    place = timeline.catalog.places["settlement-aghdam"]
    png = sections._figure_png(timeline, d("1993-08-01"), place)
    assert png.startswith(b"\x89PNG") and sections._figure_name(d("1993-08-01"), place) == \
        "karabakh-control-1993-08-01-aghdam.png"


# ------------------------------------------------------------------ hostile query strings
# The rules are properties of parse_view (tests/test_view.py); here a few hostile links check the
# page's wiring: no exception, each notice shown literally, the widgets set to the parsed view.

HOSTILE_LINKS = [
    {"date": "<script>alert(1)</script>", "place": "<img src=x onerror=alert(1)>", "names": "javascript:alert(1)"},
    {"date": "2020-W46-2", "lat": "4_0", "lon": "٤٦.5", "zoom": "1_0"},
    {"date": "1987-12-31", "place": "0" * 500, "lat": "1e309", "lon": "nan", "zoom": "-inf"},
    {"date": "1993-08-01", "place": "Şuşa", "names": "hy", "lat": "39.9", "lon": "46.7", "zoom": "10", "other": "x"},
    {"date": "*bold* [link](http://x) $x$ :smile:", "names": "\u202e"},
]


@pytest.mark.parametrize("params", HOSTILE_LINKS)
def test_hostile_query_strings_never_break_the_page(catalog, params):
    at = run_app(**params)
    view, expected_notices = parse_view(params, catalog)
    assert [w.value for w in at.warning] == [markdown_literal(n) for n in expected_notices]
    assert at.session_state.date == view.date
    assert at.radio(key="names").value == view.names
