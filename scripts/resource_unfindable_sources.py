"""One-off, for the lead at merge time (the claims branch may not edit events.csv rows).

Re-sources the events that cite the two AIR Center commentaries no reader can find
(src-pashayeva-2023, src-huseynov-2023: no online copy, see geodata/README.md), adding the
findable independent reports already in sources.csv where an event would otherwise lose its only
source; merges the duplicate Kiddle row into src-factsforkids-nk; then drops the three rows
from sources.csv.  Afterwards `karabakh-map validate` passes with no warnings.  Delete this
script once it has run.

    python scripts/resource_unfindable_sources.py geodata
"""
import csv, sys
from pathlib import Path
d = Path(sys.argv[1])
drop = {"src-pashayeva-2023", "src-huseynov-2023"}
rename = {"src-kiddle-nk-conflict": "src-factsforkids-nk"}
add = {"ev-20230921-yevlakh-talks": ["src-guardian-20230921-yevlakh"],
       "ev-20230928-nkr-dissolution-decree": ["src-reuters-20230928-decree"],
       "ev-20240101-nkr-ceases": ["src-reuters-20230928-decree"],
       "ev-20220803-saribaba-girkhgiz": ["src-rferl-20220804-saribaba"]}
text = (d / "events.csv").read_bytes().decode("utf-8")
rows = list(csv.DictReader(text.splitlines(True)))
fields = list(rows[0].keys())
for r in rows:
    ids = [rename.get(s.strip(), s.strip()) for s in r["source_ids"].split(";") if s.strip() and s.strip() not in drop]
    ids += add.get(r["event_id"], [])
    r["source_ids"] = ";".join(dict.fromkeys(ids))
newline = "\r\n" if "\r\n" in text else "\n"
with open(d / "events.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields, lineterminator=newline); w.writeheader(); w.writerows(rows)
stext = (d / "sources.csv").read_text(encoding="utf-8")
srows = [r for r in csv.DictReader(stext.splitlines(True)) if r["source_id"] not in drop | set(rename)]
with open(d / "sources.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(srows[0].keys()), lineterminator="\r\n"); w.writeheader(); w.writerows(srows)
