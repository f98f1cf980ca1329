"""Karabakh control map: the Streamlit app.  ``streamlit run app.py`` (Community Cloud's main file).

This file only starts the server; the page itself, layout only, is page.py, which Streamlit runs
for each reader's visit and after each interaction.  As the server starts, its lifespan hands the
slow part of the first visit (imports, loading the geodata, the map's state tracks) to a
background thread (karabakh_map/warmup.py), so it is done while the reader's browser is still
loading Streamlit itself.  ``st.App`` is Streamlit's documented hook for work at server start.
"""

from __future__ import annotations

import sys
from contextlib import asynccontextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # Community Cloud runs app.py uninstalled

import streamlit as st

from karabakh_map import warmup


@asynccontextmanager
async def prepare_while_the_browser_loads(_app):
    warmup.start()
    yield


app = st.App("page.py", lifespan=prepare_while_the_browser_loads)
