"""The maps' colours stay apart for colour-blind readers (simulated protanopia, deuteranopia and
tritanopia, Machado et al. 2009, severity 1; distance CIE ΔE*ab 1976)."""

from itertools import combinations

import numpy as np
import pytest

from maps import coverage, gaps, missing
from maps.layers import CATEGORY_COLORS

MACHADO = {
    "none": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                        [0.0193, 0.1192, 0.9505]])
D65 = np.array([0.95047, 1.0, 1.08883])


def lab(color: str, vision: str) -> np.ndarray:
    """CIE L*a*b* of a '#rrggbb' colour as seen with `vision`."""
    srgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    xyz = SRGB_TO_XYZ @ np.clip(MACHADO[vision] @ linear, 0, 1) / D65
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def distance(a: str, b: str, vision: str) -> float:
    """ΔE*ab between two colours as seen with `vision`."""
    return float(np.linalg.norm(lab(a, vision) - lab(b, vision)))


def test_distance_is_zero_for_one_colour_and_large_for_black_and_white():
    assert distance("#123456", "#123456", "deuteranopia") == 0
    assert distance("#000000", "#ffffff", "none") == pytest.approx(100, abs=0.1)


def test_red_against_green_collapses_for_deuteranopes():  # what the check catches
    assert distance("#c7e9c0", "#fee5d9", "deuteranopia") < 10  # the old served / gap pair


@pytest.mark.parametrize("vision", MACHADO)
def test_served_comuni_stand_apart_from_every_gap_class(vision):
    assert min(distance(gaps.SERVED_COLOR, c, vision) for c in gaps.PALETTE) >= 20


@pytest.mark.parametrize("vision", MACHADO)
@pytest.mark.parametrize("palette", [coverage.PALETTE, gaps.PALETTE, missing.PALETTE])
def test_sequential_classes_differ_step_by_step(palette, vision):
    assert min(distance(a, b, vision) for a, b in zip(palette, palette[1:], strict=False)) >= 7


@pytest.mark.parametrize("vision", MACHADO)
def test_category_colours_differ_pairwise(vision):
    assert min(distance(a, b, vision) for a, b in combinations(CATEGORY_COLORS, 2)) >= 10
