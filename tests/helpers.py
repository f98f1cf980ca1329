"""Small helpers shared by the tests (import as `from helpers import ...`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
