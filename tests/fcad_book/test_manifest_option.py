"""The book pipeline takes the manifest path (issue 10): notebook kernels inherit it."""

import os

from fcad_book import pipeline


def test_manifest_option_reaches_the_kernels(tmp_path, monkeypatch):
    monkeypatch.setenv("FCAD_MANIFEST", "")  # restored after the test
    manifest = tmp_path / "my_areas.yml"
    assert pipeline.main(["--profile", "quick", "--only", "none", "--no-book",
                          "--manifest", str(manifest)]) == 0
    assert os.environ["FCAD_MANIFEST"] == str(manifest.resolve())
