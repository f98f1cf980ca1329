"""Territorial control in the Nagorno-Karabakh conflict, 1988 to today: data, engine and map."""

__version__ = "0.1.0"
