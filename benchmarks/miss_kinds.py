"""Which landslides does each learner find? Test recall by activity, networks against the GBT.

For one split, every learner flags its top ``--share`` of the valid test pixels (the same
number of pixels for each, so that no threshold choice enters). The script reports, for the
mapped landslides of the test tiles grouped by activity (``active``, ``partial``, ``dormant``:
``landslides.gpkg``), the share of their pixels flagged; the share of flagged pixels that lie on
no mapped landslide; and how many of those move faster than the threshold rule's -11.8 mm/yr.
Networks are the cached RS-DR runs of a default run; the pixel GBT is fitted again as the book
fits it, once on every channel and, with ``--gbt-groups``, once on each group of channels
(``pixel_gbt[optical]`` etc.), to see which cue finds which landslides.

Per landslide, each line also counts the landslides of each activity with at least a quarter of
their pixels flagged (``found_active`` of ``n_active``), and gives the test AP twice: over all
test pixels (``ap``) and without the pixels of the largest landslide in the test tiles
(``ap_without_largest``; ``largest_px`` of them). The second is a sensitivity check chosen after
seeing that one landslide holds a quarter of the positive test pixels on some splits; it is
reported beside the first, never instead of it.

    python benchmarks/miss_kinds.py blocked:0 blocked:1 blocked:2 --cache runs/default
    python benchmarks/miss_kinds.py blocked:0 --cache runs/default --gbt-groups
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jobs", nargs="+", help="SPLIT:SEED")
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--share", type=float, default=0.01,
                        help="share of the valid test pixels each learner flags")
    parser.add_argument("--gbt-groups", action="store_true",
                        help="also fit the pixel GBT on each group of channels")
    args = parser.parse_args()

    import geopandas as gpd
    import numpy as np
    from fit_gap import cached_model, cached_networks
    from rasterio import features

    from fcad_lib.analysis.largest_object import ap_without_largest, split_object_ids
    from fcad_lib.data.study_area import load_study_area
    from fcad_lib.evaluation import stats
    from fcad_lib.evaluation.baselines import fit_pixel_gbt, pixels
    from fcad_lib.factors import LITHOLOGY, OPTICAL, TERRAIN
    from fcad_lib.training.experiments import ExperimentSpec, prepare_data

    cache = args.cache.resolve()
    ds = load_study_area("generated", resolution_m=12.5)
    # the generated inventory, where the manifest puts it (paths relative to the project root)
    root = Path(__file__).resolve().parents[1]
    inventory = gpd.read_file(root / "data/generated/generated/landslides.gpkg")
    ids = features.rasterize(zip(inventory.geometry, inventory["id"], strict=True),
                             out_shape=ds["valid"].shape, transform=ds.rio.transform(), fill=0,
                             dtype="int32")
    activity = dict(zip(inventory["id"], inventory["activity"], strict=True))
    for job in args.jobs:
        split, seed = job.split(":")
        found = cached_networks(cache, split, seed)
        data = prepare_data(ds, ExperimentSpec.from_dict(next(iter(found.values()))["spec"]))
        # landslide id of every valid test pixel, in the order of pixels() / model_tile_scores
        pid = split_object_ids(data, ids)
        x_tr, y_tr, _ = pixels(data, "train")
        x_te, y_te, _ = pixels(data, "test")
        channels = list(data.preprocessing.channels)
        groups = {"": channels}
        if args.gbt_groups:
            groups.update({
                "optical": [c for c in channels if c in OPTICAL],
                "terrain": [c for c in channels if c in TERRAIN or c.startswith(LITHOLOGY)],
                "no deformation": [c for c in channels if c != "deformation_rate"],
                "deformation, slope": ["deformation_rate", "slope"]})
        scores = {}
        for group, cols in groups.items():
            idx = [channels.index(c) for c in cols]
            gbt = fit_pixel_gbt(x_tr[:, idx], y_tr, 50000, int(seed))
            scores[f"pixel_gbt[{group}]" if group else "pixel_gbt"] = (
                gbt.predict_proba(x_te[:, idx])[:, 1])
        for name, rec in sorted(found.items()):
            scored = stats.model_tile_scores(cached_model(cache, rec), data.arrays["test"],
                                             (0.5,), 64)
            scores[name] = scored["prob"]
        n_flag = int(round(args.share * len(pid)))
        in_test = [i for i in np.unique(pid) if i]
        rate = x_te[:, channels.index("deformation_rate")]
        for name, s in scores.items():
            flagged = np.zeros(len(s), dtype=bool)
            flagged[np.argsort(-s, kind="stable")[:n_flag]] = True
            line = {"benchmark": "miss_kinds", "learner": name, "split": split, "seed": int(seed),
                    "share": args.share, "label_recall": round(float(flagged[y_te].mean()), 4),
                    "flagged_off_inventory": round(float((pid[flagged] == 0).mean()), 4)}
            # the pixels flagged off the inventory: how many move fast (the threshold rule's
            # -11.8 mm/yr), i.e. a deformation confounder rather than a quiet slope
            off = flagged & (pid == 0)
            line["off_inventory_fast"] = round(float((rate[off] <= -11.8).mean()), 4)
            for kind in ("active", "partial", "dormant"):
                on = np.isin(pid, [i for i, a in activity.items() if a == kind])
                line[f"recall_{kind}"] = round(float(flagged[on].mean()), 4) if on.any() else None
                line[f"px_{kind}"] = int(on.sum())
                kind_ids = [i for i in in_test if activity[i] == kind]
                line[f"n_{kind}"] = len(kind_ids)
                line[f"found_{kind}"] = int(sum(flagged[pid == i].mean() >= 0.25 for i in kind_ids))
            weight = ap_without_largest(s, y_te, pid)
            largest = weight["largest_object"]
            line.update(
                ap=round(weight["ap"], 4),
                ap_without_largest=round(weight["ap_without_largest"], 4),
                largest_id=largest, largest_activity=activity[largest],
                largest_px=weight["largest_px"], positive_px=weight["positive_px"],
                largest_recall=round(float(flagged[pid == largest].mean()), 4))
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
