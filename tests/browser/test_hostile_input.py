"""Hostile text through an uploaded file, a source URL and the query string: shown literally, never run."""

from __future__ import annotations

from browser_helpers import screenshot, wait_for_map

HEADER = ("event_id,date,date_precision,place_ids,controller_before,controller_after,kind,title,description,"
          "source_ids,alt_dates,road_status\n")
SCRIPT_TITLE = "<script>window.__pwned = 1</script>"
IMG_DESCRIPTION = "<img src=x onerror=\"window.__pwned = 2\">"
LINK_URL = "https://example.org/?q=\"><img src=x onerror=window.__pwned=3>"


def hostile_csv() -> str:
    rows = [
        f'ev-19890601-hostile,1989-06-01,day,settlement-shusha,,,other,"{SCRIPT_TITLE}","{IMG_DESCRIPTION.replace(chr(34), chr(34) * 2)}",'
        f'"{LINK_URL.replace(chr(34), chr(34) * 2)}",,\n',
        "ev-19890602-jsurl,1989-06-02,day,settlement-shusha,,,other,Bad link,,javascript:alert(1),,\n",
        "ev-19890603-badplace,1989-06-03,day,settlement-atlantis,,,other,Unknown place,,src-unsc-822,,\n",
    ]
    return HEADER + "".join(rows)


def pwned(page) -> list:
    values = [page.evaluate("() => window.__pwned === undefined ? null : window.__pwned")]
    for frame in page.frames:
        try:
            values.append(frame.evaluate("() => window.__pwned === undefined ? null : window.__pwned"))
        except Exception:
            pass
    return [v for v in values if v is not None]


def test_uploaded_payloads_show_literally_and_never_run(app_url, page, tmp_path):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    upload = tmp_path / "hostile.csv"
    upload.write_text(hostile_csv(), encoding="utf-8")
    page.goto(f"{app_url}/?date=1989-06-05&place=Shusha")
    wait_for_map(page)
    page.get_by_text("Bring your own events (CSV)").click()
    page.locator('input[type="file"]').set_input_files(str(upload))
    # the two bad rows are listed with row, column and reason; the good row is shown
    page.get_by_text("2 problem(s) in hostile.csv").wait_for(timeout=60_000)
    panel = page.locator(".km-event", has_text="window.__pwned = 1")
    panel.first.wait_for(timeout=60_000)
    text = panel.first.inner_text()
    assert SCRIPT_TITLE in text and IMG_DESCRIPTION in text
    # the http(s) link is a link whose target is the escaped URL; the javascript: one is never linked
    link = panel.first.locator("a").first
    assert link.get_attribute("href") == LINK_URL
    assert page.locator('a[href^="javascript:"]').count() == 0
    page.wait_for_timeout(1500)
    assert pwned(page) == [] and dialogs == []
    screenshot(page, "hostile-upload")


def test_hostile_query_string_is_shown_literally(app_url, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{app_url}/?place=%3Cimg%20src%3Dx%20onerror%3Dwindow.__pwned%3D4%3E&date=%3Cscript%3Ewindow.__pwned%3D5%3C/script%3E")
    wait_for_map(page)
    alert = page.locator('[data-testid="stAlertContentWarning"]')
    alert.first.wait_for(timeout=60_000)
    notices = " ".join(alert.all_inner_texts())
    assert "Unknown place '<img src=x onerror=window.__pwned=4>'" in notices
    assert "Invalid date '<script>window.__pwned=5</script>'" in notices
    page.wait_for_timeout(1000)
    assert pwned(page) == [] and dialogs == []
