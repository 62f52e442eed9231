"""Trace each architecture once: one compiled model per architecture, re-initialised per run.

On this project's 2-core CPU, TensorFlow takes 40-50 s to trace the train step of an
FC-DenseNet56 (and more for the evaluation and prediction steps), while a step itself takes
about 1 s. A notebook that trains the same architecture for three seeds and two splits would
spend most of a short budget tracing. :class:`ModelPool` keeps one model per architecture key;
for every later run the caller builds a fresh model with the run's seed (building is cheap, it
is the tracing that costs) and :meth:`ModelPool.adopt` copies its variables, the random-seed
state included, into the pooled model, whose traced functions are then reused.
:func:`fcad_lib.training.train.train_model` resets the optimizer of a model it compiled before
instead of compiling again, so a reused model starts each run as a fresh one would.
"""

from __future__ import annotations

from collections.abc import Hashable

import keras

__all__ = ["ModelPool", "copy_variables", "reset_optimizer"]


def copy_variables(source: keras.Model, target: keras.Model) -> None:
    """Assign every variable of ``source`` to the same-shaped variable of ``target``.

    ``model.variables`` holds the weights and the seed-generator states (dropout), in layer
    order, so two models built by the same code line up one to one.

    Raises
    ------
    ValueError
        When the two models do not have the same variables (not the same architecture).
    """
    src, dst = source.variables, target.variables
    if len(src) != len(dst) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(
            src, dst, strict=True)):
        raise ValueError(f"cannot copy {source.name} into {target.name}: the variables differ "
                         "(not the same architecture)")
    for a, b in zip(src, dst, strict=True):
        b.assign(a.value)


def reset_optimizer(optimizer: keras.optimizers.Optimizer,
                    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule,
                    ) -> None:
    """Put an optimizer back in the state of a new one: zero moments and steps, a new rate.

    A schedule restarts by itself with the step counter; an optimizer built with one keeps it
    (its rate cannot be set), so only a constant rate is assigned.
    """
    for v in optimizer.variables:
        v.assign(keras.ops.zeros(v.shape, dtype=v.dtype))
    if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        optimizer.learning_rate = learning_rate


class ModelPool:
    """One compiled model per architecture key, reused across seeds and splits.

    Examples
    --------
    >>> pool = ModelPool()
    >>> model = pool.adopt(("fcadensenet", "56-paper", 64, 12), build_model(...))  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._models: dict[Hashable, keras.Model] = {}

    def __len__(self) -> int:
        return len(self._models)

    def adopt(self, key: Hashable, fresh: keras.Model) -> keras.Model:
        """The model to train for this run.

        Parameters
        ----------
        key
            Everything that fixes the architecture and its input shape (model name, size
            preset, patch size, number of channels).
        fresh
            The run's newly built model: its initial weights (and dropout seeds) are the run's.

        Returns
        -------
        keras.Model
            ``fresh`` itself the first time a key is seen (it is kept); afterwards the kept model,
            holding a copy of ``fresh``'s variables.
        """
        kept = self._models.get(key)
        if kept is None:
            self._models[key] = fresh
            return fresh
        copy_variables(fresh, kept)
        return kept

    def clear(self) -> None:
        """Forget every kept model (frees their memory)."""
        self._models.clear()
