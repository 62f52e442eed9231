"""The model-domain check (fcad_lib.predict.domain): a stack unlike the training data is named."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from fcad_lib.bundle import Preprocessing
from fcad_lib.errors import FcadDataError
from fcad_lib.predict.domain import (
    DomainError,
    UnseenCodesAsNodata,
    check_domain,
    enforce,
)
from fcad_lib.samples.patches import lithology_channels

SHAPE = (60, 50)


def _stack(path: Path, bands: dict[str, np.ndarray]) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=SHAPE[1], height=SHAPE[0],
                       count=len(bands), dtype="float32", crs="EPSG:32647",
                       transform=Affine(10, 0, 500_000, 0, -10, 3_000_000), nodata=np.nan) as dst:
        for i, (name, values) in enumerate(bands.items(), start=1):
            dst.write(values.astype("float32"), i)
            dst.set_band_description(i, name)
    return path


def _optical(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"B2": rng.normal(0.05, 0.02, SHAPE), "B8": rng.normal(0.30, 0.05, SHAPE)}


def _prep(factors: list[str], mean: list[float], std: list[float],
          codes: list[int] = ()) -> Preprocessing:
    channels = lithology_channels(factors, "onehot", codes)
    return Preprocessing(channels=channels, factors=factors, lithology_encoding="onehot",
                         lithology_codes=list(codes), mean=mean, std=std, patch_size=16)


OPTICAL_PREP = _prep(["B2", "B8"], [0.05, 0.30], [0.02, 0.05])


def test_stack_like_the_training_data_passes(tmp_path):
    bands = _optical()
    report = check_domain(OPTICAL_PREP, _stack(tmp_path / "s.tif", bands))
    assert report.problems == []
    b2 = report.channels[0]
    assert b2.name == "B2"
    np.testing.assert_allclose(b2.stack_mean, bands["B2"].astype("float32").mean(), rtol=1e-5)
    np.testing.assert_allclose(b2.stack_std, bands["B2"].astype("float32").std(), rtol=1e-4)
    assert report.valid_fraction == 1.0


def test_swapped_bands_are_named_and_strict_stops(tmp_path):
    bands = _optical()
    swapped = {"B2": bands["B8"], "B8": bands["B2"]}  # blue and NIR swapped under their names
    report = check_domain(OPTICAL_PREP, _stack(tmp_path / "s.tif", swapped))
    assert [p.split(":")[0] for p in report.problems] == ["channel 'B2'", "channel 'B8'"]
    assert enforce(report) == report.problems  # warn only
    with pytest.raises(DomainError, match=r"s.tif: outside the model's training domain: "
                                          r"channel 'B2'.*\(and 1 more\)"):
        enforce(report, strict=True)


def test_wrong_spread_is_named(tmp_path):
    bands = _optical()
    bands["B8"] = 0.30 + 10 * (bands["B8"] - 0.30)  # same mean, ten times the spread
    report = check_domain(OPTICAL_PREP, _stack(tmp_path / "s.tif", bands))
    assert len(report.problems) == 1 and "channel 'B8': std" in report.problems[0]


def test_unseen_lithology_codes_become_nodata_and_are_counted(tmp_path):
    lith = np.where(np.arange(SHAPE[1]) < 20, 1.0, 2.0) * np.ones(SHAPE)
    lith[:30, 35:] = 7.0  # a unit the model never saw
    lith[0, 0] = np.nan
    prep = _prep(["lithology"], [0.0, 0.0], [1.0, 1.0], codes=[1, 2])
    report = check_domain(prep, _stack(tmp_path / "s.tif", {"lithology": lith}))
    assert report.unseen_codes == {7: 30 * 15}
    assert report.lithology_pixels == lith.size - 1
    assert "channel 'lithology'" in report.problems[0] and "7 (450 px)" in report.problems[0]

    x_raw, valid_raw = prep.encode({"lithology": lith})
    assert valid_raw[:30, 35:].all() and (x_raw[:30, 35:] == 0).all()  # the silent zeros
    x, valid = UnseenCodesAsNodata(prep).encode({"lithology": lith})
    assert not valid[:30, 35:].any()
    assert valid.sum() == lith.size - 1 - 450
    assert UnseenCodesAsNodata(prep).channels == prep.channels
    json.dumps(report.summary(), allow_nan=False)


def test_empty_layer_never_reaches_tiling(tmp_path):
    bands = {"deformation_rate": np.full(SHAPE, np.nan), **_optical()}
    prep = _prep(["deformation_rate", "B2", "B8"], [0.0, 0.05, 0.3], [5.0, 0.02, 0.05])
    with pytest.raises(DomainError, match=r"deformation_rate \(0.0%\) finite on fewer than 5%"):
        check_domain(prep, _stack(tmp_path / "s.tif", bands))


def test_disjoint_layers_leave_no_valid_pixel(tmp_path):
    bands = _optical()
    bands["B2"][:, :25] = np.nan
    bands["B8"][:, 25:] = np.nan
    with pytest.raises(DomainError, match="no pixel has every factor the model needs"):
        check_domain(OPTICAL_PREP, _stack(tmp_path / "s.tif", bands))


def test_truncated_stack_is_one_line_naming_it(tmp_path):
    path = tmp_path / "cut.tif"
    with rasterio.open(path, "w", driver="GTiff", width=300, height=300, count=2,
                       dtype="float32", crs="EPSG:32647",
                       transform=Affine(10, 0, 500_000, 0, -10, 3_000_000)) as dst:
        dst.write(np.random.default_rng(0).random((2, 300, 300), "float32"))
        dst.set_band_description(1, "B2")
        dst.set_band_description(2, "B8")
    os.truncate(path, path.stat().st_size // 2)
    with pytest.raises(FcadDataError, match="cut.tif: cannot (open|read) the stack"):
        check_domain(OPTICAL_PREP, path)
