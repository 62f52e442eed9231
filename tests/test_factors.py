"""Tests of fcad_lib.factors: one vocabulary, internally consistent."""

from __future__ import annotations

from fcad_lib import factors


def test_every_factor_has_one_unit_and_long_name():
    assert set(factors.FACTOR_UNITS) == set(factors.FACTOR_LONG_NAMES) == set(
        factors.FACTOR_ORDER)
    assert factors.FACTOR_UNITS["lithology"] == "class code"
    assert factors.ROLE_UNITS["dem"] == "m" and factors.ROLE_UNITS["optical_B8"] == "1"


def test_roles_yield_every_factor_once_in_canonical_order():
    yielded = [f for role in factors.ROLES if role in factors.ROLE_FACTORS
               for f in factors.ROLE_FACTORS[role]]
    assert yielded == list(factors.FACTOR_ORDER)
    assert set(factors.CATEGORICAL_ROLES) <= set(factors.ROLES)


def test_groups_partition_the_full_stack():
    g = factors.FACTOR_GROUPS
    assert g["RS-DR"] == factors.FACTOR_ORDER
    assert set(g["RS"]) == set(g["optical"]) | set(g["terrain"])
    assert set(g["RS-DR"]) - set(g["RS"]) == set(g["deformation"]) == {"deformation_rate"}
