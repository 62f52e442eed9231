"""JSON that every reader accepts: NaN and infinities become ``null``.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which strict JSON readers (browsers,
``jq``, most other languages) reject. Every JSON file this package writes goes through
:func:`dumps`, which replaces non-finite floats with ``None`` and then refuses any that remain.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps", "json_safe"]


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float (also numpy scalars) replaced by ``None``."""
    if isinstance(obj, Mapping):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "item") and getattr(obj, "ndim", None) == 0:  # numpy scalar
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` of :func:`json_safe` (``obj``) with ``allow_nan=False``."""
    return json.dumps(json_safe(obj), allow_nan=False, **kwargs)
