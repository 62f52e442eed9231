"""What each landslide does, and what the inventory says about it.

Activity (active, partially moving, dormant), speed and motion direction; which real bodies the
inventory misses (small ones, and active slopes nobody mapped); and the offset of the mapped
polygons. Sources and choices: ``book/generated_area.md`` (sections *Activity* and *Labels*).
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely import affinity

from fcad_lib.data.generator.landslides import Landslide
from fcad_lib.data.generator.params import GeneratorParams


def assign_activity(
    rng: np.random.Generator, slides: list[Landslide], p: GeneratorParams
) -> None:
    """Draw activity, speed, moving part and motion azimuth of every body (in place)."""
    lo, hi = p.velocity_range_mm_per_yr
    for ls in slides:
        ls.velocity = float(np.clip(
            np.exp(rng.normal(np.log(p.velocity_median_mm_per_yr), p.velocity_sigma)), lo, hi))
        ls.motion_azimuth = ls.azimuth + np.radians(rng.normal(0.0, p.direction_spread_deg))
        u = rng.random()
        if u < p.dormant_fraction:
            ls.activity, ls.velocity = "dormant", 0.0
        elif u < p.dormant_fraction + (1 - p.dormant_fraction) * p.partial_fraction:
            ls.activity = "partial"
            extent = 2.0 * rng.uniform(*p.partial_extent)
            start = rng.uniform(-1.0, 1.0 - extent)
            ls.moving = (start, start + extent)


def select_unmapped(
    rng: np.random.Generator, slides: list[Landslide], label_px: int, p: GeneratorParams
) -> None:
    """Leave landslides out of the inventory (in place) until it holds about ``label_px``.

    First ``unmapped_small_fraction`` of the bodies under ``small_area_px`` pixels, then active
    bodies at random: these are the "false detections" a model can make on real, unmapped
    landslides.
    """
    for ls in slides:
        if ls.n_px < p.small_area_px and rng.random() < p.unmapped_small_fraction:
            ls.mapped = False
    mapped_px = sum(ls.n_px for ls in slides if ls.mapped)
    for i in rng.permutation(len(slides)):
        ls = slides[i]
        if mapped_px - ls.n_px < label_px:
            continue
        if ls.mapped and ls.activity != "dormant":
            ls.mapped = False
            mapped_px -= ls.n_px


def shift_labels(
    rng: np.random.Generator, slides: list[Landslide], res: float, p: GeneratorParams
) -> list[shapely.Polygon]:
    """The inventory's polygons: each true outline moved by up to ``label_shift_px`` pixels.

    An offset of this size is what separates imagery of different sources and dates
    (orthorectification and co-registration errors of 5-25 m).
    """
    polygons = []
    for ls in slides:
        dist = rng.uniform(0.0, p.label_shift_px) * res
        theta = rng.uniform(0.0, 2 * np.pi)
        ls.shift_m = (dist * np.sin(theta), dist * np.cos(theta))
        polygons.append(affinity.translate(ls.polygon, *ls.shift_m))
    return polygons
