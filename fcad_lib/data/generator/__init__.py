"""Procedurally generated default study area (a Baihetan-like reservoir valley).

The paper's data are private, so the default study area is generated: a deep, incised river
valley partly flooded by a reservoir, with an inventory of slow-moving landslides, written as
the same file types a real area uses. ``book/generated_area.md`` gives every choice and source.

Modules: :mod:`~.fields` (random fields), :mod:`~.relief` (DEM, reservoir, lithology),
:mod:`~.landslides` (inventory), :mod:`~.insar` and :mod:`~.optical` (the sensors),
:mod:`~.scene` (assembly) and :mod:`~.writer` (files, command line).
"""

from fcad_lib.data.generator.insar import HEADING_DEG, INCIDENCE_DEG, LOS_UNIT_ENU
from fcad_lib.data.generator.landslides import sample_areas_m2
from fcad_lib.data.generator.relief import LITHOLOGY_UNITS, WATER_LEVEL_M
from fcad_lib.data.generator.scene import generate_arrays
from fcad_lib.data.generator.writer import generate_study_area, main

__all__ = [
    "generate_study_area",
    "generate_arrays",
    "main",
    "sample_areas_m2",
    "LITHOLOGY_UNITS",
    "LOS_UNIT_ENU",
    "INCIDENCE_DEG",
    "HEADING_DEG",
    "WATER_LEVEL_M",
]
