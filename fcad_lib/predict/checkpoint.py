"""Checkpoint and resume of the sequential predictor.

``out_dir/.partial/checkpoint.json`` names the number of finished tile rows and the file of the
accumulator rows carried over to the next one; both are written atomically (carry first), and a
fingerprint of the model weights, the stack file's content and the tiling parameters refuses to
resume a different run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from fcad_lib.data.checksums import sha256_file
from fcad_lib.data.geotiff import atomic_path


def fingerprint(model: Any, stack_path: Path, **params: Any) -> str:
    """Hash of everything that determines the output, to refuse resuming a different run.

    The stack enters by its content (sha256 of the file), not by its path or modification time:
    a stack rewritten with the same content, copied or touched still resumes, and one with other
    content never does.
    """
    h = hashlib.sha256()
    h.update(json.dumps([sha256_file(stack_path), params], sort_keys=True,
                        default=str).encode())
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()


def load_checkpoint(partial: Path, fingerprint: str) -> tuple[int, np.ndarray | None]:
    """Next tile row to process and the carried accumulator rows; restart if anything mismatches."""
    ckpt = partial / "checkpoint.json"
    try:
        state = json.loads(ckpt.read_text())
        if state["fingerprint"] != fingerprint or not (partial / "probability.tif").exists():
            raise ValueError("different run")
        done = int(state["strips_done"])
        carry = np.load(partial / state["carry"]) if state.get("carry") else None
        return done, carry
    except (OSError, ValueError, KeyError):
        shutil.rmtree(partial, ignore_errors=True)
        return 0, None


def save_checkpoint(partial: Path, fingerprint: str, done: int, carry: np.ndarray) -> None:
    """Save carry under a per-strip name, then point the JSON at it (both atomic)."""
    name = f"carry_{done:06d}.npy"
    with atomic_path(partial / name) as tmp:
        np.save(tmp, carry)
    with atomic_path(partial / "checkpoint.json") as tmp:
        tmp.write_text(json.dumps({"fingerprint": fingerprint, "strips_done": done,
                                   "carry": name}))
    for old in partial.glob("carry_*.npy"):
        if old.name != name:
            old.unlink(missing_ok=True)
