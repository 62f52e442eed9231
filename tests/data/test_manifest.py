"""Manifest parsing, path resolution, checksums and generated areas."""

from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path

import pytest
import yaml

from fcad_lib.data.generated import ensure_generated
from fcad_lib.data.manifest import (
    CHECKSUM_FILE,
    find_manifest,
    get_area,
    load_manifest,
    sha256_file,
    shared_data_dir,
    verify_area,
    verify_layer,
)
from fcad_lib.errors import ChecksumError, ManifestError, MissingFileError

# the tests may know the checkout (the library may not): they run from its root
REPO_MANIFEST = Path(__file__).resolve().parents[2] / "data_manifest.yml"


def _one_layer_manifest(tmp_path: Path, layer: dict, **area: object) -> Path:
    base = {"crs": "EPSG:32647", "resolution_m": 10, "layers": [layer], **area}
    path = tmp_path / "m.yml"
    path.write_text(yaml.safe_dump({"version": 1, "areas": {"a": base}}))
    return path


def _layer(path: str, sha: str | None, **extra: object) -> dict:
    return {"name": "x", "role": "dem", "path": path, "format": "GTiff", "sha256": sha, **extra}


def test_repo_manifest_declares_four_areas() -> None:
    manifest = load_manifest()
    assert manifest.path == REPO_MANIFEST
    assert manifest.names == ["generated", "generated_quick", "balakot", "cadia_insar"]
    gen = manifest["generated"]
    assert gen.crs == "EPSG:32647" and gen.resolution_m == 12.5
    assert gen.generator.function == "fcad_lib.data.generator:generate_study_area"
    assert gen.generator.params["size_px"] == 2048
    assert manifest["generated_quick"].generator.params["landslide_ratio"] == 0.02
    assert {layer.path.parent.name for layer in gen.layers} == {"generated"}
    assert all(layer.sha256 is None for layer in gen.layers)
    balakot = manifest["balakot"]
    assert balakot.roles == ("dem", "lithology", "landcover", "inventory")
    assert not balakot.has("deformation_rate")
    assert balakot.layer("lithology").resampling == "nearest"
    assert manifest["cadia_insar"].layer("deformation_rate").format == "MintPy-HDF5"
    for area in manifest.areas.values():
        for layer in area.layers:
            assert layer.source and layer.licence, f"{area.name}/{layer.name} lacks provenance"


def test_shared_paths_follow_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_data: Path
) -> None:
    monkeypatch.setenv("FCAD_SHARED_DATA", str(tmp_path / "elsewhere"))
    dem = get_area("balakot").layer("dem")
    assert dem.path == (tmp_path / "elsewhere" / "balakot" / "AW3D30.tif").resolve()
    monkeypatch.delenv("FCAD_SHARED_DATA")
    assert get_area("balakot").layer("dem").path == (shared_data / "balakot/AW3D30.tif").resolve()


def test_relative_paths_and_env_manifest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _one_layer_manifest(tmp_path, _layer("sub/dem.tif", None))
    monkeypatch.setenv("FCAD_MANIFEST", str(path))
    area = get_area("a")
    assert area.layer("dem").path == tmp_path / "sub" / "dem.tif"
    assert area.manifest_path == path


def test_manifest_found_from_cwd_not_from_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # a copy of the checkout's manifest far from the package: everything follows the copy
    home = tmp_path / "project"
    (home / "notebooks").mkdir(parents=True)
    shutil.copy(REPO_MANIFEST, home / "data_manifest.yml")
    monkeypatch.delenv("FCAD_MANIFEST", raising=False)
    monkeypatch.delenv("FCAD_SHARED_DATA", raising=False)
    monkeypatch.chdir(home / "notebooks")  # as a notebook opened in Jupyter runs
    manifest = load_manifest()
    assert manifest.path == home / "data_manifest.yml"
    assert find_manifest() == home / "data_manifest.yml"
    generated = manifest["generated"].layer("dem").path
    assert generated == home / "data" / "generated" / "generated" / "dem.tif"
    assert shared_data_dir() == tmp_path / "shared" / "data"
    dem = manifest["balakot"].layer("dem").path
    assert dem == tmp_path / "shared" / "data" / "balakot" / "AW3D30.tif"
    monkeypatch.chdir(home)  # as papermill, the tests and the command lines run
    assert load_manifest().path == home / "data_manifest.yml"


def test_no_manifest_names_the_three_ways(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("FCAD_MANIFEST", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MissingFileError, match="no data manifest") as info:
        load_manifest()
    for way in ("manifest=", "--manifest", "$FCAD_MANIFEST", "data_manifest.yml"):
        assert way in str(info.value)
    assert str(tmp_path.resolve()) in str(info.value)


def test_real_checksums_match(shared_data: Path, sha256_of) -> None:
    hashes = verify_area(get_area("balakot"))
    assert hashes["AW3D30"] == sha256_of(shared_data / "balakot/AW3D30.tif")


@pytest.mark.parametrize(
    "layer, message",
    [
        (_layer("d.tif", None, role="slope"), "unknown role"),
        (_layer("d.tif", None, format="NetCDF"), "unknown format"),
        (_layer("d.tif", None, resampling="cubic"), "resampling"),
        (_layer("d.tif", None, colour="red"), "unknown keys"),
        ({"name": "x", "role": "dem"}, "lacks keys"),
        (_layer("d.tif", None, role="inventory"), "cannot be a GTiff"),
    ],
)
def test_bad_schema_raises(tmp_path: Path, layer: dict, message: str) -> None:
    path = _one_layer_manifest(tmp_path, layer)
    with pytest.raises(ManifestError, match=message) as info:
        load_manifest(path)
    assert str(path) in str(info.value)


def test_unknown_area_and_role(tmp_path: Path) -> None:
    manifest = load_manifest(_one_layer_manifest(tmp_path, _layer("d.tif", None)))
    with pytest.raises(ManifestError, match="unknown study area 'nowhere'"):
        get_area("nowhere", manifest)
    area = manifest["a"]
    with pytest.raises(ManifestError, match="unknown role"):
        area.layer("slope")
    with pytest.raises(ManifestError, match="no layer with role 'lithology'"):
        area.layer("lithology")


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="nope.yml"):
        load_manifest(tmp_path / "nope.yml")


def test_checksum_ok_mismatch_and_missing(tmp_path: Path, sha256_of) -> None:
    sha256 = sha256_of
    data = tmp_path / "dem.tif"
    data.write_bytes(b"elevation")
    good = sha256(data)
    layer = load_manifest(_one_layer_manifest(tmp_path, _layer("dem.tif", good)))["a"].layer("dem")
    assert verify_layer(layer) == good == sha256_file(data)

    data.write_bytes(b"tampered")
    with pytest.raises(ChecksumError) as info:
        verify_layer(layer)
    text = str(info.value)
    assert str(data) in text and good in text and sha256(data) in text

    data.unlink()
    with pytest.raises(MissingFileError, match="dem.tif"):
        verify_layer(layer)


def test_null_sha_uses_generator_checksums(tmp_path: Path, sha256_of) -> None:
    sha256 = sha256_of
    data = tmp_path / "dem.tif"
    data.write_bytes(b"elevation")
    layer = load_manifest(_one_layer_manifest(tmp_path, _layer("dem.tif", None)))["a"].layer("dem")
    with pytest.raises(ChecksumError, match=CHECKSUM_FILE):
        verify_layer(layer)  # no checksum file
    sums = tmp_path / CHECKSUM_FILE
    sums.write_text(f"{sha256(data)}  other.tif\n")
    with pytest.raises(ChecksumError, match="no entry for 'dem.tif'"):
        verify_layer(layer)
    sums.write_text(f"{sha256(data)}  dem.tif\n")
    assert verify_layer(layer) == sha256(data)
    sums.write_text(f"{'0' * 64}  dem.tif\n")
    with pytest.raises(ChecksumError, match="mismatch"):
        verify_layer(layer)


def test_ensure_generated_runs_generator_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sha256_of
) -> None:
    sha256 = sha256_of
    calls: list[dict] = []

    def generate(out_dir: Path, seed: int = 0, overwrite: bool = False) -> dict[str, Path]:
        calls.append({"out_dir": Path(out_dir), "seed": seed, "overwrite": overwrite})
        path = Path(out_dir) / "dem.tif"
        path.write_bytes(f"dem {seed}".encode())
        (Path(out_dir) / CHECKSUM_FILE).write_text(f"{sha256(path)}  dem.tif\n")
        return {"dem": path}

    module = types.ModuleType("fake_generator")
    module.generate = generate
    monkeypatch.setitem(sys.modules, "fake_generator", module)
    path = _one_layer_manifest(
        tmp_path, _layer("gen/dem.tif", None),
        generator={"function": "fake_generator:generate", "params": {"seed": 5}},
    )
    area = load_manifest(path)["a"]
    assert ensure_generated(area) is True
    assert calls == [{"out_dir": tmp_path / "gen", "seed": 5, "overwrite": False}]
    assert verify_area(area) == {"x": sha256(tmp_path / "gen" / "dem.tif")}
    assert ensure_generated(area) is False
    assert len(calls) == 1
    # An incomplete set is regenerated with overwrite=True.
    (tmp_path / "gen" / CHECKSUM_FILE).unlink()
    assert ensure_generated(area) is True
    assert calls[-1]["overwrite"] is True
    # Files made with other parameters than the manifest's are stale: regenerated.
    stale = load_manifest(path)["a"]
    stale.generator.params["seed"] = 6
    assert ensure_generated(stale) is True
    assert calls[-1]["seed"] == 6 and calls[-1]["overwrite"] is True
    assert ensure_generated(stale) is False


def test_ensure_generated_bad_function(tmp_path: Path) -> None:
    path = _one_layer_manifest(
        tmp_path, _layer("gen/dem.tif", None),
        generator={"function": "fcad_lib.data.manifest:no_such_function", "params": {}},
    )
    with pytest.raises(ManifestError, match="no_such_function"):
        ensure_generated(load_manifest(path)["a"])


def test_reseed_moves_generated_files_and_keeps_the_manifest_area(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fcad_lib.data.generated import reseed

    path = _one_layer_manifest(
        tmp_path, _layer("gen/dem.tif", None),
        generator={"function": "fake_generator:generate", "params": {"seed": 5}},
    )
    area = load_manifest(path)["a"]
    other = reseed(area, 9)
    assert other.name == "a_seed9"
    assert other.generator.params["seed"] == 9
    assert other.layers[0].path == tmp_path / "gen_seed9" / "dem.tif"
    assert area.generator.params["seed"] == 5
    assert area.layers[0].path == tmp_path / "gen" / "dem.tif"
    assert reseed(area, 5) is area


def test_reseed_refuses_real_areas(tmp_path: Path) -> None:
    from fcad_lib.data.generated import reseed

    area = load_manifest(_one_layer_manifest(tmp_path, _layer("dem.tif", "0" * 64)))["a"]
    with pytest.raises(ManifestError, match="not generated"):
        reseed(area, 1)
