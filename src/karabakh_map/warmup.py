"""What a cold app server prepares before its first reader's page asks for it.

``streamlit run app.py`` starts the server through app.py's ``st.App``, whose lifespan calls
:func:`start` as the server starts.  In a background thread it imports the map's libraries
(geopandas with pandas, folium, shapely: about 0.8 s), loads and validates the bundled geodata,
and computes the map page's data (``mapclient.client_data``: every place's state track and the
control zones, about 0.3 s).  Meanwhile the first reader's browser is busy for a second
or more fetching and starting Streamlit's own bundle, so this work leaves the reader's path.

The page (page.py) takes the same objects from here: :func:`bundled_timeline` is one Timeline
per process, and ``client_data`` is cached per Timeline, so the first script run finds the data
ready and only renders the page for its opening view.  A run that arrives while the thread is
still working waits for it (both hold the same locks) instead of doing the work twice.

A failure here (a broken data file) is not reported here: the page meets the same error on its
first run and shows it to the reader, with the row and field, as it always did.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the imports themselves are part of the work, done in the thread
    from karabakh_map.timeline import Timeline

_timeline_lock = threading.Lock()


def bundled_timeline() -> "Timeline":
    """The engine over the bundled geodata, from the library's own cache (``api.load_timeline``):
    loaded, validated and indexed once per process.  The lock makes a second caller wait for the
    first instead of loading it again (the cache itself does not)."""
    from karabakh_map.api import load_timeline
    with _timeline_lock:
        return load_timeline()


def prepare() -> None:
    """Everything the first page run would otherwise do before it can send the map."""
    from karabakh_map import mapclient, sections  # noqa: F401  (sections: the panel's imports)
    mapclient.client_data(bundled_timeline())


def _prepare_quietly() -> None:
    # Meanwhile the server's event loop is sending Streamlit's bundle to the browser: let it take
    # the interpreter every 0.5 ms instead of Python's default 5 ms, or the bundle waits on us.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    try:
        prepare()
    except Exception:  # the page shows the same error to the reader; a server must still start
        pass
    finally:
        sys.setswitchinterval(interval)


def start() -> threading.Thread:
    """Run :func:`prepare` in a daemon thread and return at once (the server's start waits for nothing)."""
    thread = threading.Thread(target=_prepare_quietly, name="karabakh-warmup", daemon=True)
    thread.start()
    return thread
