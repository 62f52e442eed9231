"""Local zooms on single landslides (the paper's Figures 10-12): which ones, and what each model
predicts over them.

:func:`pick_examples` chooses a medium and a small mapped landslide among one split's patches;
:func:`predict_zooms` runs each saved model over their patches. The figure,
:func:`fcad_lib.plots.plot_prediction_zooms`, only draws what these return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fcad_lib.bundle import load_bundle
from fcad_lib.evaluation.inference import predict_patches
from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.samples.prepared import PreparedData

__all__ = ["ZoomPrediction", "patch_at", "pick_examples", "predict_zooms"]


def pick_examples(data: PreparedData, split: str = "test", margin: int = 6) -> list[dict[str, Any]]:
    """Choose a medium and a small mapped landslide in one split's patches (Figures 10-11).

    Parameters
    ----------
    data : fcad_lib.samples.prepared.PreparedData
        Patches and splits.
    split : str
        Which split's patches to search.
    margin : int
        Pixels of context around the landslide's bounding box.

    Returns
    -------
    list of dict
        ``{"name", "origin", "size_px", "bbox"}`` with ``bbox = (r0, r1, c0, c1)`` inside the
        patch; fewer than two entries when the split holds fewer landslides.
    """
    from scipy import ndimage

    patches = data.patches
    size_px = patches.X.shape[1]
    found, cut = [], []
    for i in data.splits[split]:
        lab = (patches.y[i, ..., 0] > 0) & patches.valid[i, ..., 0]
        comp, _ = ndimage.label(lab)
        for j, sl in enumerate(ndimage.find_objects(comp), start=1):
            size = int((comp[sl] == j).sum())
            # landslides cut by the patch edge show only part of themselves: used last
            edge = sl[0].start == 0 or sl[1].start == 0 or sl[0].stop == size_px \
                or sl[1].stop == size_px
            (cut if edge else found).append((size, int(i), sl))
    found = found or cut
    if not found:
        return []
    found.sort(key=lambda t: t[0])
    sizes = np.array([f[0] for f in found])
    picks = {"medium": int(np.argmin(np.abs(sizes - np.percentile(sizes, 75)))),
             "small": int(np.argmin(np.abs(sizes - max(4, np.percentile(sizes, 10)))))}
    out = []
    for name, idx in picks.items():
        size, i, sl = found[idx]
        r0, r1 = max(0, sl[0].start - margin), min(size_px, sl[0].stop + margin)
        c0, c1 = max(0, sl[1].start - margin), min(size_px, sl[1].stop + margin)
        out.append({"name": name, "origin": tuple(int(v) for v in patches.origins[i]),
                    "size_px": size, "bbox": (r0, r1, c0, c1)})
    if len(found) == 1:
        out = out[:1]
    return out


def patch_at(patches: Any, origin: tuple[int, int]) -> int:
    """Index of the patch whose top-left corner is ``origin`` (row, col) in ``patches``."""
    hit = np.flatnonzero((patches.origins == np.asarray(origin)).all(axis=1))
    if hit.size == 0:
        raise KeyError(f"no patch with origin {origin}")
    return int(hit[0])


@dataclass(frozen=True)
class ZoomPrediction:
    """One model's probability over each example's patch, and the threshold it maps with.

    Attributes
    ----------
    probability : numpy.ndarray
        ``(n_examples, H, W)`` float32, in the order of the examples; whole patches (the figure
        crops each example's ``bbox``).
    threshold : float
        The model's validation-chosen threshold.
    """

    probability: np.ndarray
    threshold: float


def predict_zooms(
    data: PreparedData,
    examples: Sequence[dict[str, Any]],
    results: Mapping[str, ExperimentResult],
    prepared_by_name: Mapping[str, Any] | None = None,
) -> dict[str, ZoomPrediction]:
    """Each saved model's probability over the patches of ``examples``.

    Parameters
    ----------
    data : fcad_lib.samples.prepared.PreparedData
        Patches the examples were picked from.
    examples : sequence of dict
        From :func:`pick_examples`.
    results : mapping
        Column title -> network result (``bundle_dir`` and ``threshold`` are used).
    prepared_by_name : mapping, optional
        Column title -> PreparedData with that model's channels (ablations); default ``data``.

    Returns
    -------
    dict
        Column title -> :class:`ZoomPrediction`, in the order of ``results``.
    """
    prepared_by_name = prepared_by_name or {}
    out = {}
    for name, result in results.items():
        if result.bundle_dir is None or result.threshold is None:
            raise ValueError(f"{name}: result {result.slug} has no saved model and threshold")
        model, prep = load_bundle(result.bundle_dir)
        own = prepared_by_name.get(name, data).patches
        # one patch per pass, as the figure always drew them
        prob = predict_patches(model, prep.normalizer, own,
                               [patch_at(own, ex["origin"]) for ex in examples], batch_size=1)
        out[name] = ZoomPrediction(prob, result.threshold)
    return out
