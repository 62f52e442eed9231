"""Procedurally generated default study area (a Baihetan-like reservoir valley).

The paper's data are private, so the default study area is generated: a deep, incised river
valley partly flooded by a reservoir, with slow-moving landslides and the things that look like
them, written as the same file types a real area uses. ``book/generated_area.md`` gives every
choice and its source.

Modules: :mod:`~.params` (the confounders' parameters), :mod:`~.fields` (random fields),
:mod:`~.relief` (DEM, reservoir, lithology), :mod:`~.landslides` and :mod:`~.activity`
(inventory, motion, labels), :mod:`~.sources` (deformation that is not a landslide),
:mod:`~.insar` and :mod:`~.optical` / :mod:`~.surfaces` (the sensors), :mod:`~.scene`
(assembly), :mod:`~.writer` (files, command line), :mod:`~.area` (an area in a folder of
one's choosing), :mod:`~.difficulty` (how far one factor alone goes) and :mod:`~.figure`.
"""

from fcad_lib.data.generator.area import generated_area
from fcad_lib.data.generator.difficulty import (
    DEFAULT_TARGET_F1,
    meets_target,
    threshold_rule_difficulty,
    worst_case,
)
from fcad_lib.data.generator.insar import HEADING_DEG, INCIDENCE_DEG, LOS_UNIT_ENU
from fcad_lib.data.generator.landslides import sample_areas_m2
from fcad_lib.data.generator.params import GeneratorParams, step_rate_mm_per_yr
from fcad_lib.data.generator.relief import LITHOLOGY_UNITS, WATER_LEVEL_M
from fcad_lib.data.generator.scene import Scene, generate_arrays, generate_scene
from fcad_lib.data.generator.writer import generate_study_area, main

__all__ = [
    "generate_study_area",
    "generate_scene",
    "generate_arrays",
    "generated_area",
    "main",
    "GeneratorParams",
    "Scene",
    "threshold_rule_difficulty",
    "worst_case",
    "meets_target",
    "DEFAULT_TARGET_F1",
    "sample_areas_m2",
    "step_rate_mm_per_yr",
    "LITHOLOGY_UNITS",
    "LOS_UNIT_ENU",
    "INCIDENCE_DEG",
    "HEADING_DEG",
    "WATER_LEVEL_M",
]
