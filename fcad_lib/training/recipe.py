"""Training recipes: the paper's, and one that learns rare, small landslides on a CPU budget.

The paper trains on a fixed grid of 128 px patches with binary cross-entropy, Adam at a constant
1e-4, and keeps the epoch of lowest validation loss. On an area where landslides cover 0.5 % of
the pixels, a few hundred such steps leave every network near chance (the default run of
commit 3bbc540: test AP of FCN and U-Net at the prevalence). The ``rare-foreground`` recipe
takes what nnU-Net (Isensee et al. 2021) does for rare foreground:

* **foreground-centred random crops** (:class:`fcad_lib.samples.crops.CropSampler`) instead of
  the fixed grid: half of every batch holds a landslide pixel;
* **BCE + Dice, 1 : 1** (:class:`fcad_lib.training.losses.BceDiceLoss`): the Dice term is a
  batch-wide overlap, so the rare class is not drowned by the background pixels;
* **warm-up, then polynomial decay** of the learning rate (:class:`WarmupPoly`);
* **model selection and early stopping on the validation AP**, not the loss.

The values were chosen by measurement on the generated area (``book/training_recipe.md``).
``paper`` keeps the paper's recipe, as a named option and the ``paper`` profile's setting.
"""

from __future__ import annotations

from typing import Any

import keras

__all__ = ["RECIPES", "WarmupPoly", "recipe_fields"]

#: ExperimentSpec fields set by each recipe (``learning_rate`` is the peak rate of a schedule).
RECIPES: dict[str, dict[str, Any]] = {
    "rare-foreground": {
        "loss": "bce_dice", "sampling": "foreground", "fg_fraction": 0.5,
        "lr_schedule": "warmup_poly", "monitor": "val_ap",
        "early_stopping_patience": 5, "reduce_lr_patience": None, "oversample": 1,
    },
    "paper": {
        "loss": "bce", "sampling": "grid", "fg_fraction": 0.0,
        "lr_schedule": "constant", "monitor": "val_loss",
        "early_stopping_patience": None, "reduce_lr_patience": None, "oversample": 2,
    },
}


def recipe_fields(name: str) -> dict[str, Any]:
    """The :class:`~fcad_lib.training.experiments.ExperimentSpec` fields of a named recipe."""
    if name not in RECIPES:
        raise ValueError(f"unknown training recipe {name!r}; choose one of {sorted(RECIPES)}")
    return dict(RECIPES[name])


@keras.saving.register_keras_serializable(package="fcad_lib")
class WarmupPoly(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to ``peak``, then nnU-Net's polynomial decay ``(1 - t)^0.9`` to 0.

    Parameters
    ----------
    peak
        Learning rate at the end of the warm-up.
    total_steps
        Steps of the whole run; the rate reaches ``floor * peak`` there.
    warmup_steps
        Steps of the linear warm-up from ``peak / warmup_steps``.
    power
        Exponent of the decay (nnU-Net: 0.9).
    floor
        Fraction of ``peak`` kept at the end, so late steps still move.
    """

    def __init__(self, peak: float, total_steps: int, warmup_steps: int = 0,
                 power: float = 0.9, floor: float = 0.02) -> None:
        self.peak, self.total_steps = float(peak), max(int(total_steps), 1)
        self.warmup_steps, self.power, self.floor = max(int(warmup_steps), 0), power, floor

    def __call__(self, step: Any) -> Any:
        step = keras.ops.cast(step, "float32")
        warm = float(max(self.warmup_steps, 1))
        rise = self.peak * keras.ops.minimum((step + 1.0) / warm, 1.0)
        span = float(max(self.total_steps - self.warmup_steps, 1))
        t = keras.ops.clip((step - self.warmup_steps) / span, 0.0, 1.0)
        decay = self.peak * (self.floor + (1.0 - self.floor) * (1.0 - t) ** self.power)
        return keras.ops.where(step < self.warmup_steps, rise, decay)

    def get_config(self) -> dict[str, Any]:
        return {"peak": self.peak, "total_steps": self.total_steps,
                "warmup_steps": self.warmup_steps, "power": self.power, "floor": self.floor}
