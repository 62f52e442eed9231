"""Which device a notebook trained or predicted on, in one line for the page.

A number from a GPU and one from a 2-core CPU are not comparable in time, and a GPU install that
silently fell back to the CPU is a common surprise (book/gpu.md): every notebook that trains or
predicts prints this line.
"""

from __future__ import annotations

import os
import platform


def describe_devices(backend: str, version: str, gpus: list[str], cpu_count: int | None,
                     cuda_build: bool | None = None) -> str:
    """Format the device line from its parts (kept apart from the probing, for tests).

    Parameters
    ----------
    backend : str
        Keras backend (``tensorflow``, ``jax``, ``torch``).
    version : str
        Version of the backend library.
    gpus : list of str
        Names of the accelerators the backend sees; empty on a CPU.
    cpu_count : int or None
        Logical CPU cores.
    cuda_build : bool, optional
        Whether the backend was built with CUDA (None when unknown).

    Returns
    -------
    str
        Markdown, e.g. ``**Device:** GPU (1: NVIDIA H100) ...`` or ``**Device:** CPU only ...``.
    """
    where = (f"GPU ({len(gpus)}: {', '.join(gpus)})" if gpus
             else f"CPU only ({cpu_count or '?'} cores, {platform.machine()})")
    build = "" if cuda_build is None else (", built with CUDA" if cuda_build
                                           else ", CPU-only build")
    note = ""
    if not gpus and cuda_build:
        note = " A CUDA build that sees no GPU: check the driver (book/gpu.md)."
    return f"**Device:** {where}; Keras backend {backend} {version}{build}.{note}"


def device_summary() -> str:
    """One Markdown line naming the device that Keras computes on in this process.

    Returns
    -------
    str
        See :func:`describe_devices`.
    """
    import keras

    backend = keras.backend.backend()
    gpus: list[str] = []
    cuda_build = None
    version = "?"
    if backend == "tensorflow":
        import tensorflow as tf

        version = tf.__version__
        cuda_build = bool(tf.test.is_built_with_cuda())
        for dev in tf.config.list_physical_devices("GPU"):
            details = tf.config.experimental.get_device_details(dev)
            gpus.append(details.get("device_name", dev.name))
    elif backend == "jax":
        import jax

        version = jax.__version__
        gpus = [str(d.device_kind) for d in jax.devices() if d.platform != "cpu"]
    elif backend == "torch":
        import torch

        version = torch.__version__
        cuda_build = torch.version.cuda is not None
        gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return describe_devices(backend, version, gpus, os.cpu_count(), cuda_build)
