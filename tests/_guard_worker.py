"""Runs every resize route of one convention on images flush against unreadable pages (see
guarded.py), on every ISA, and checks each result equals the same call on a normal copy.

Run as a subprocess by test_guard_pages.py: a read outside an image faults and ends this process,
which the test reports with the last case printed. Usage: python _guard_worker.py CONVENTION DTYPE
"""

from __future__ import annotations

import faulthandler
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import pixnorm
from guarded import guarded, views
from pixnorm import _core

# (source shape, output size): exact 2x (OpenCV's 2x2 mean), other down- and upscales, 1.5x,
# one-pixel sides, a single pixel.
CASES = [
    ((6, 8, 3), (3, 4)),
    ((8, 6, 1), (4, 3)),
    ((4, 20, 4), (2, 10)),
    ((100, 2, 1), (50, 1)),
    ((2, 100, 3), (1, 50)),
    ((5, 7, 3), (3, 4)),
    ((9, 9, 3), (6, 6)),
    ((7, 5, 4), (14, 10)),
    ((1, 9, 3), (1, 4)),
    ((9, 1, 3), (4, 1)),
    ((1, 1, 3), (2, 3)),
    ((33, 47, 3), (16, 23)),
]


def routes(convention: str | None) -> list[bool]:
    """The antialias settings the convention accepts."""
    return {None: [True, False], "pillow": [True], "torch": [True, False], "opencv": [False]}[
        convention
    ]


def calls(
    size: tuple[int, int], convention: str | None, antialias: bool
) -> dict[str, Callable[[np.ndarray[Any, Any]], Any]]:
    kw: dict[str, Any] = {"antialias": antialias, "convention": convention}
    out: dict[str, Callable[[np.ndarray[Any, Any]], Any]] = {
        "resize": lambda v: pixnorm.resize(v, size, **kw),
        "preprocess": lambda v: pixnorm.preprocess(v, size=size, mean=0.5, std=0.25, **kw),
        "preprocess_flip": lambda v: pixnorm.preprocess(v, size=size, flip=True, **kw),
        "batch": lambda v: pixnorm.preprocess_batch([v, v], size=size, flips=[False, True], **kw),
    }

    def boxed(v: np.ndarray[Any, Any], corner: int) -> Any:
        h, w = v.shape[:2]
        bh, bw = max(1, h - 1), max(1, w - 1)
        top, left = (h - bh, w - bw) if corner else (0, 0)
        return pixnorm.preprocess(v, size=size, box=(top, left, bh, bw), **kw)

    out["box_top_left"] = lambda v: boxed(v, 0)
    out["box_bottom_right"] = lambda v: boxed(v, 1)
    return out


def main() -> None:
    faulthandler.enable()
    convention = None if sys.argv[1] == "default" else sys.argv[1]
    dtype = np.dtype(sys.argv[2])
    rng = np.random.default_rng(0)
    n = 0
    for isa in _core._supported_isas():
        _core._set_isa(isa)
        for shape, size in CASES:
            if dtype == np.uint8:
                data = rng.integers(0, 256, shape, dtype=np.uint8)
            else:
                data = rng.random(shape, dtype=np.float32)
            for at in ("start", "end"):
                parent = guarded(shape, dtype, at)
                parent[...] = data
                for view_name, view in views(parent).items():
                    vsize = size if view_name != "transposed" else size[::-1]
                    for antialias in routes(convention):
                        for op, call in calls(vsize, convention, antialias).items():
                            case = f"{isa} {shape}->{vsize} {at} {view_name} aa={antialias} {op}"
                            print(case, flush=True)
                            got = call(view)
                            want = call(np.ascontiguousarray(view))
                            np.testing.assert_array_equal(got, want, err_msg=case)
                            n += 1
    print(f"ok {n}", flush=True)


if __name__ == "__main__":
    main()
