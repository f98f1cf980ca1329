"""The sources table: perspective vocabulary, findable citations, duplicates and unused rows."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from karabakh_map.catalog import PERSPECTIVES, Source
from karabakh_map.claims import PERSPECTIVE_SIDE, findability_problem, url_names_document
from karabakh_map.validation import validate_directory


def _rows(copy) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(copy.text("sources.csv"))))
    return rows[0], rows


def _edit_source(copy, source_id: str, **changes: str) -> int:
    """Change fields of one row; returns the row's line number as validation reports it."""
    header, rows = _rows(copy)
    index = next(i for i, r in enumerate(rows) if r and r[0] == source_id)
    for field, value in changes.items():
        rows[index][header.index(field)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    copy.write_text("sources.csv", out.getvalue())
    return index + 1


def _problems(copy) -> list[str]:
    return [str(p) for p in validate_directory(copy.dir)[1]]


# ---------------------------------------------------------------- perspectives

def test_the_vocabulary_and_its_sides():
    assert set(PERSPECTIVES) == {
        "official_azerbaijani", "official_armenian", "official_russian", "state_media_azerbaijani",
        "state_media_armenian", "state_media_turkish", "state_media_russian", "independent_media",
        "international_organisation", "scholarship", "encyclopedia"}
    assert PERSPECTIVE_SIDE["state_media_turkish"] == "azerbaijani"
    assert {p for p, side in PERSPECTIVE_SIDE.items() if side is None} == {
        "independent_media", "international_organisation", "scholarship", "encyclopedia"}


@pytest.mark.parametrize("source_id, perspective", [
    ("src-turan-20220324", "independent_media"),
    ("src-turan-karki-2024", "independent_media"),  # Turan was labelled two ways before
    ("src-apa-20191002", "state_media_azerbaijani"),
    ("src-azernews-20201109", "state_media_azerbaijani"),
    ("src-aa-ru-20201109-48villages", "state_media_turkish"),
    ("src-anews-20201109", "state_media_turkish"),
    ("src-dailysabah-20201017", "state_media_turkish"),
    ("src-armenpress-20201009", "state_media_armenian"),
    ("src-newsam-hakari", "independent_media"),
    ("src-civilnet-20220328", "independent_media"),
    ("src-reuters-20201109-shusha", "independent_media"),
    ("src-hrw-1994", "international_organisation"),
    ("src-unsc-822", "international_organisation"),
    ("src-dewaal-2003", "scholarship"),
    ("src-factsforkids-nk", "encyclopedia"),
    ("src-wiki-az-askipara", "encyclopedia"),  # Azerbaijani Wikipedia is still an encyclopedia
    ("src-mfa-az-2020", "official_azerbaijani"),
    ("src-kremlin-20201110", "official_russian"),
    ("src-tass-20240417", "state_media_russian"),
    ("src-sputnik-am-yeghtsahogh", "state_media_russian"),
])
def test_outlets_are_classified(catalog, source_id, perspective):
    assert catalog.sources[source_id].perspective == perspective


def test_every_wikipedia_or_kiddle_source_is_an_encyclopedia(catalog):
    hosts = ("wikipedia.org", "kiddle.co", "wikimapia.org", "wikisort.org")
    wrong = [s.source_id for s in catalog.sources.values()
             if any(h in s.url for h in hosts) and s.perspective != "encyclopedia"]
    assert wrong == []


def test_an_old_coarse_label_is_rejected_naming_row_and_field(geodata_copy):
    line = _edit_source(geodata_copy, "src-turan-20220324", perspective="journalistic")
    assert any(p.startswith(f"geodata/sources.csv: row {line}: perspective: 'journalistic' is not one of")
               for p in _problems(geodata_copy))


# ---------------------------------------------------------------- findable

@pytest.mark.parametrize("url, names_document", [
    ("https://aircenter.az/", False),
    ("https://mfa.gov.az/", False),
    ("https://mfa.gov.az/en", False),
    ("https://aircenter.az/en/commentaries", False),
    ("https://example.org/index.html", False),
    ("https://example.org/?lang=en", False),
    ("https://www.azatutyun.am/a/32174346.html", True),
    ("http://blog.mediamall.am/?id=32109", True),
    ("https://www.c-r.org/accord/nagorny-karabakh", True),
    ("https://en.kremlin.ru/events/president/news/64384", True),
])
def test_a_url_must_name_a_document(url, names_document):
    assert url_names_document(url) is names_document


def _source(url: str = "", citation: str = "") -> Source:
    return Source("src-x", "A title", "", "", "", url, citation, "scholarship")


def test_a_book_citation_needs_its_pages():
    assert findability_problem(_source(citation="de Waal, Black Garden (NYU Press 2003), pp. 184-190")) is None
    assert findability_problem(_source(citation="HRW report, p. 12")) is None
    assert findability_problem(_source(citation="de Waal, Black Garden, ch. 12"))[0] == "citation"
    assert findability_problem(_source(url="https://aircenter.az/", citation="see the home page"))[0] == "url"


def test_a_home_page_url_is_reported_naming_row_and_field(geodata_copy):
    line = _edit_source(geodata_copy, "src-bbc-20230920", url="https://www.bbc.com/news", citation="")
    assert (f"geodata/sources.csv: row {line}: url: src-bbc-20230920: 'https://www.bbc.com/news' is a site's home "
            "page or a section, not a document") in " | ".join(_problems(geodata_copy))


def test_the_bundled_citations_the_audit_flagged_are_fixed(catalog):
    assert catalog.sources["src-mfa-az-2020"].url != "https://mfa.gov.az/"
    assert findability_problem(catalog.sources["src-mfa-az-2020"]) is None
    assert findability_problem(catalog.sources["src-acnk-essay"]) is None
    assert "Reuters" not in catalog.sources["src-reuters-20240612"].publisher
    assert not [s.source_id for s in catalog.sources.values() if s.title.startswith("[")]  # no invented titles
    assert "src-ruwiki-gulistan-fortress" not in catalog.sources


# ---------------------------------------------------------------- duplicates and unused rows (warnings)

def test_duplicate_and_unused_sources_are_reported_by_validate(geodata_copy):
    header, rows = _rows(geodata_copy)
    rows.append(["src-unused-copy-of-bbc", "Copy", "", "BBC", "2023-09-20",
                 "https://www.bbc.com/news/world-europe-66863702/", "", "independent_media"])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    geodata_copy.write_text("sources.csv", out.getvalue())
    result = subprocess.run([sys.executable, "-m", "karabakh_map", "--data", str(geodata_copy.dir), "validate"],
                            capture_output=True, text=True)
    line = len(rows)
    assert (f"warning: geodata/sources.csv: row {line}: url: src-unused-copy-of-bbc is the same document as "
            "src-bbc-20230920") in result.stderr
    assert (f"warning: geodata/sources.csv: row {line}: source_id: src-unused-copy-of-bbc is cited by no event"
            in result.stderr)


def test_the_readme_counts_match_the_data():
    """geodata/README.md reports the counts; scripts/source_report.py regenerates them."""
    from helpers import ROOT

    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "source_report.py")], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    computed = {}
    for line in result.stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("|") and len(cells) == 2 and cells[1].isdigit():
            computed[cells[0]] = cells[1]
    readme = (ROOT / "geodata" / "README.md").read_text(encoding="utf-8")
    reported = {}
    for line in readme[readme.index("### Counts"):].splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and cells[2].isdigit():
            reported[cells[0]] = cells[2]
    assert computed and {k: v for k, v in computed.items() if v != "0"} == \
        {k: v for k, v in reported.items() if v != "0"}, "re-run scripts/source_report.py and update geodata/README.md"
