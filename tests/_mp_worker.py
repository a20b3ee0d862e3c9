"""Worker functions for the multiprocessing tests (importable by spawn and forkserver children)."""

from __future__ import annotations

import numpy as np

import pixnorm


def image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (240, 320, 3), dtype=np.uint8)


def work(seed: int) -> tuple[bytes, int, bool]:
    out = pixnorm.normalize(image(seed), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    return out.tobytes(), pixnorm.get_num_threads(), pixnorm._core._fork_state()["forked"]
