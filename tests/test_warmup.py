"""The app's server prepares the first page as it starts (app.py's lifespan, karabakh_map/warmup.py)."""

from __future__ import annotations

import asyncio
import importlib.util
from concurrent.futures import ThreadPoolExecutor

import pytest
import streamlit as st

from helpers import ROOT
from karabakh_map import api, mapclient, warmup
from karabakh_map.catalog import CatalogError


def load_entry():
    spec = importlib.util.spec_from_file_location("karabakh_app_entry", ROOT / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_app_py_is_a_streamlit_app_that_serves_the_page():
    entry = load_entry()
    assert isinstance(entry.app, st.App)
    assert entry.app._script_path.name == "page.py" and (ROOT / "page.py").exists()


def test_starting_the_server_computes_the_map_data_in_the_background(monkeypatch):
    entry = load_entry()
    api._timeline.cache_clear()
    mapclient._DATA_CACHE.clear()
    threads = []
    real_start = warmup.start

    def recording_start():
        threads.append(real_start())
        return threads[-1]

    monkeypatch.setattr(warmup, "start", recording_start)

    async def serve():
        async with entry.prepare_while_the_browser_loads(entry.app):
            assert [t.name for t in threads] == ["karabakh-warmup"]  # started as the server starts, not awaited

    # in a thread of its own: a browser test before this one may have left an event loop running in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, serve()).result(timeout=60)
    threads[0].join(timeout=120)
    assert not threads[0].is_alive()
    assert api._timeline.cache_info().currsize == 1  # loaded once, by the thread
    timeline = warmup.bundled_timeline()
    assert timeline is warmup.bundled_timeline()  # one per process: the page gets this one
    assert timeline in mapclient._DATA_CACHE  # the page's data is ready before any page run asks


def test_a_warm_up_that_fails_leaves_the_error_to_the_page(monkeypatch):
    def broken():
        raise CatalogError([])

    monkeypatch.setattr(api, "load_timeline", broken)
    thread = warmup.start()
    thread.join(timeout=60)
    assert not thread.is_alive()  # the thread ended quietly; the server keeps running
    with pytest.raises(CatalogError):
        warmup.bundled_timeline()  # and the page meets the error itself, to show it
