"""Territorial control in the Nagorno-Karabakh conflict, 1988 to today: data, engine and map.

    >>> import karabakh_map as km
    >>> km.control_at("1993-08-01").set_index("id").loc["settlement-aghdam", "controller"]
    'armenian_forces'

The public Python API lives in :mod:`karabakh_map.api`; its names are re-exported here on first
use, so ``import karabakh_map`` stays cheap for the app and the CLI, which never touch them.
"""

__version__ = "0.1.0"

_API = ("control_at", "control_zones", "area_held", "events", "history", "load_timeline", "KarabakhError",
        "CatalogError", "UnknownPlace", "ParseError")
_LOADING = ("load_catalog",)
__all__ = [*_API, *_LOADING, "__version__"]


def __getattr__(name: str):
    if name in _API:
        from karabakh_map import api
        return getattr(api, name)
    if name in _LOADING:
        from karabakh_map import validation
        return getattr(validation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
