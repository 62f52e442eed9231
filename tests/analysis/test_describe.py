import numpy as np
import xarray as xr

from fcad_lib.analysis.describe import class_ratio, factor_table, grid_summary


def _stack():
    label = np.zeros((10, 10), np.uint8)
    label[2:4, 2:4] = 1  # 4 landslide pixels
    valid = np.ones((10, 10), bool)
    valid[0, :] = False  # 10 invalid pixels, none on the landslide
    slope = np.where(valid, 10.0, np.nan).astype("float32")
    ds = xr.Dataset(
        {
            "slope": (("y", "x"), slope, {"units": "degree"}),
            "label": (("y", "x"), label),
            "valid": (("y", "x"), valid),
        },
        coords={"y": np.arange(10)[::-1] * 12.5, "x": np.arange(10) * 12.5},
        attrs={"factors": ["slope"], "resolution_m": 12.5, "area": "t", "crs": "EPSG:32647"},
    )
    return ds


def test_class_ratio_counts_valid_pixels_only():
    r = class_ratio(_stack())
    assert r["landslide_px"] == 4
    assert r["background_px"] == 100 - 10 - 4
    assert r["background_per_landslide"] == 86 / 4


def test_factor_table_and_grid_summary():
    ds = _stack()
    t = factor_table(ds)
    assert t.loc["slope", "finite_fraction"] == 0.9
    assert t.loc["slope", "units"] == "degree"
    g = grid_summary(ds)
    assert g["shape"] == (10, 10)
    assert abs(g["extent_km2"] - 100 * 12.5**2 / 1e6) < 1e-12
    assert g["valid_fraction"] == 0.9
