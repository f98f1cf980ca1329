"""The palette as a number: every pair of controller fills stays apart for every reader.

Each fill is blended on the map's white at its opacity, then simulated for full protanopia,
deuteranopia and tritanopia (Machado et al. 2009, as colour-science implements it) and in
greyscale (CIE luminance kept, hue dropped); CIEDE2000 ΔE between every pair must be >= 20.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from karabakh_map.catalog import CONTROLLERS
from karabakh_map.style import CONTROLLER_COLOURS, CONTROLLER_OPACITY, MAP_BACKGROUND, ROAD_STYLES

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # colour-science warns that matplotlib is absent: only plots need it
    import colour  # colour-science, in the test extra: pip install -e ".[test]"

MINIMUM_DELTA_E = 20
DEFICIENCIES = {"protanopia": "Protanomaly", "deuteranopia": "Deuteranomaly", "tritanopia": "Tritanomaly"}


def srgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])


def blended(controller: str) -> np.ndarray:
    alpha = CONTROLLER_OPACITY[controller]
    return alpha * srgb(CONTROLLER_COLOURS[controller]) + (1 - alpha) * srgb(MAP_BACKGROUND)


def seen_as(rgb: np.ndarray, vision: str) -> np.ndarray:
    linear = colour.cctf_decoding(rgb, function="sRGB")
    if vision == "normal":
        return rgb
    if vision == "greyscale":
        luminance = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
        return colour.cctf_encoding(np.full(3, luminance), function="sRGB")
    matrix = colour.blindness.matrix_cvd_Machado2009(DEFICIENCIES[vision], 1.0)
    return colour.cctf_encoding(np.clip(linear @ matrix.T, 0, 1), function="sRGB")


def delta_e(a: np.ndarray, b: np.ndarray) -> float:
    lab = [colour.XYZ_to_Lab(colour.sRGB_to_XYZ(x)) for x in (a, b)]
    return float(colour.delta_E(lab[0], lab[1], method="CIE 2000"))


@pytest.mark.parametrize("vision", ["normal", *DEFICIENCIES, "greyscale"])
def test_every_pair_of_fills_differs_by_at_least_delta_e_20(vision):
    for a, b in itertools.combinations(CONTROLLERS, 2):
        difference = delta_e(seen_as(blended(a), vision), seen_as(blended(b), vision))
        assert difference >= MINIMUM_DELTA_E, f"{a} vs {b} under {vision}: ΔE2000 {difference:.1f}"


def test_the_check_would_catch_the_old_palette():
    """The first palette (Okabe-Ito at varied opacity) was weak in greyscale: the measure must say so."""
    old = {"azerbaijan": ("#0072B2", 0.6), "russian_peacekeepers": ("#009E73", 0.95)}
    a, b = ((alpha * srgb(c) + 1 - alpha) for c, alpha in old.values())
    assert delta_e(seen_as(a, "greyscale"), seen_as(b, "greyscale")) < MINIMUM_DELTA_E


def test_road_statuses_differ_by_dash_pattern_not_only_colour():
    patterns = [(s["dashArray"], s["weight"]) for s in ROAD_STYLES.values()]
    assert len(set(patterns)) == len(patterns)
