"""Hong Kong sample tables: BOM, class codes, DV fill values and malformed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fcad_lib.data.hongkong import (
    CONDITIONING,
    dv_fill_pattern,
    hongkong_path,
    insar_added,
    read_hongkong_samples,
)
from fcad_lib.errors import FcadDataError, MissingFileError, TableError

HEADER = ("land use,lithology,DEM,slope,curvature,aspect,NDVI,SPI,TWI,dis2road,dis2drainage,"
          "dis2catchment,dis2faults,DV,X,Y,label")
ROWS = [
    "2,3,120,6.4,8.3,63.4,7961,2.5,6.9,32.2,380.5,62.5,897.4,0.000001,814715,811725,0",
    "3,2,6,0.000001,0.000001,-1,4317,-5,6,9.0,875.9,6217.0,42.4,0.612532556,826923,840653,0",
    "1,1,200,30.0,10.0,120.0,6000,1.0,3.0,50.0,100.0,1000.0,500.0,-3.25,815000,812000,1",
    "1,3,250,35.0,12.0,200.0,6500,1.2,2.5,60.0,110.0,900.0,450.0,0,815100,812100,1",
]


def write_csv(path: Path, header: str = HEADER, rows: list[str] = ROWS, bom: bool = True) -> Path:
    text = "\n".join([header, *rows]) + "\n"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    return path


def test_reads_bom_codes_and_dv_fill(tmp_path):
    df = read_hongkong_samples(write_csv(tmp_path / "s.csv"))
    assert list(df.columns[:13]) == list(CONDITIONING)  # BOM stripped, "land use" renamed
    assert df["land_use"].dtype.kind == "i" and df["lithology"].tolist() == [3, 2, 1, 3]
    # 1e-6 and 0 are "no measurement"; the other two values are kept exactly
    assert df["DV"].isna().tolist() == [True, False, False, True]
    assert df["DV"].iloc[1] == pytest.approx(0.612532556)
    assert df["dv_measured"].tolist() == [False, True, True, False]
    assert df.attrs["n_dv_fill"] == 2
    # 1e-6 in another factor is a true (near) zero, not missing
    assert df["slope"].iloc[1] == pytest.approx(1e-6)
    assert df["label"].tolist() == [0, 0, 1, 1]


def test_without_bom_reads_the_same(tmp_path):
    a = read_hongkong_samples(write_csv(tmp_path / "a.csv"))
    b = read_hongkong_samples(write_csv(tmp_path / "b.csv", bom=False))
    pd.testing.assert_frame_equal(a, b)


def test_missing_column_is_one_line_error(tmp_path):
    header = HEADER.replace("dis2faults,", "")
    rows = [",".join(r.split(",")[:12] + r.split(",")[13:]) for r in ROWS]
    path = write_csv(tmp_path / "bad.csv", header, rows)
    with pytest.raises(TableError, match=r"bad\.csv: missing column\(s\) \['dis2faults'\]") as e:
        read_hongkong_samples(path)
    assert "\n" not in str(e.value)
    assert isinstance(e.value, FcadDataError)


def test_non_numeric_value_names_column_and_row(tmp_path):
    rows = [*ROWS[:2], ROWS[2].replace("-3.25", "n/a"), ROWS[3]]
    with pytest.raises(TableError, match=r"column 'DV' row 4: not a number: 'n/a'"):
        read_hongkong_samples(write_csv(tmp_path / "bad.csv", rows=rows))


def test_bad_label_and_missing_file(tmp_path):
    rows = [*ROWS[:3], ROWS[3][:-1] + "2"]
    with pytest.raises(TableError, match="label must be 0 or 1"):
        read_hongkong_samples(write_csv(tmp_path / "bad.csv", rows=rows))
    with pytest.raises(MissingFileError):
        read_hongkong_samples(tmp_path / "nope.csv")


def test_label_set_names_resolve_under_shared_data(monkeypatch, tmp_path):
    monkeypatch.setenv("FCAD_SHARED_DATA", str(tmp_path))
    assert hongkong_path("independent") == tmp_path / "hongkong_insar_samples" / \
        "samples_HK_noTS.csv"
    with pytest.raises(ValueError, match="unknown label set"):
        hongkong_path("other")


def test_insar_added_matches_on_position_and_label(tmp_path):
    ind = read_hongkong_samples(write_csv(tmp_path / "i.csv"))
    extra = "1,3,90,20.0,5.0,10.0,5000,0.5,2.0,5.0,50.0,500.0,100.0,-6.5,900000,900000,1"
    aug = read_hongkong_samples(write_csv(tmp_path / "a.csv", rows=[*ROWS, extra]))
    assert insar_added(aug, ind).tolist() == [False] * 4 + [True]


def test_dv_fill_pattern_counts():
    rng = np.random.default_rng(0)
    n = 400
    x = rng.uniform(0, 1000, n)
    fill = x < 300  # fill clustered in the west: neighbours agree far above chance
    df = pd.DataFrame({"X": x, "Y": rng.uniform(0, 1000, n), "NDVI": rng.uniform(0, 1, n),
                       "label": rng.integers(0, 2, n), "dv_measured": ~fill,
                       "DV": np.where(fill, np.nan, rng.normal(0, 2, n))})
    out = dv_fill_pattern(df, k=5)
    p = fill.mean()
    assert out["fill_fraction"] == pytest.approx(p)
    assert out["agreement_by_chance"] == pytest.approx(p**2 + (1 - p) ** 2)
    assert out["neighbour_agreement"] > 0.9
    assert out["measured_near_zero"] == int((np.abs(df["DV"]) < 0.01).sum())
    lab = df["label"].to_numpy() == 1
    assert out["fill_fraction_landslide"] == pytest.approx(fill[lab].mean())
