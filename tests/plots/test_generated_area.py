"""The figure of book/generated_area.md, drawn from a small generated scene."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from fcad_lib.data.generator import generate_scene  # noqa: E402
from fcad_lib.plots.generated_area import confounder_figure, main  # noqa: E402


def test_confounder_figure_is_a_small_palette_png(tmp_path):
    scene = generate_scene(3, 128, 12.5, 0.05, "EPSG:32647")
    out = confounder_figure(scene, tmp_path / "sub" / "area.png", dpi=40)
    with Image.open(out) as img:
        # 12.6 x 11.5 inches at 40 dpi, quantised to a palette of at most 256 colours
        assert img.size == (round(12.6 * 40), round(11.5 * 40))
        assert img.mode == "P"
        assert 8 < len(np.unique(np.asarray(img))) <= 256


def test_command_line_draws_an_area_of_the_manifest(tmp_path, capsys, monkeypatch):
    import fcad_lib.plots.generated_area as figure

    drawn = []
    monkeypatch.setattr(figure, "confounder_figure", lambda scene, path: drawn.append(scene))
    monkeypatch.setattr(figure, "generate_scene",
                        lambda seed, size, *a: generate_scene(seed, 64, *a))
    main([str(tmp_path / "f.png"), "--area", "generated_quick"])
    assert drawn and drawn[0].layers["dem"].shape == (64, 64)
