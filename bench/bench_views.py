"""The cost of reading a view in place: normalize and preprocess on each kind of view the README
lists, as a ratio to the same call on a C-contiguous copy (medians of interleaved rounds).

Views of a 500x375 RGB uint8 image (float32 too for normalize): a crop (``img[8:-8, 8:-8]``
against a contiguous crop of the same size), rows reversed (``img[::-1]``), columns mirrored
(``img[:, ::-1]``), channels reversed (BGR, ``img[..., ::-1]``), both flips. Calls: ``normalize``
into a preallocated ``out``, and ``preprocess(size=256, crop=224)`` in the default and the
"torch" conventions. One thread.

Usage::

    python bench/bench_views.py            # about 20 seconds
    python bench/bench_views.py --quick
"""

from __future__ import annotations

import _quiet_blas  # noqa: F401  (first, before numpy: one OpenBLAS thread)

# isort: split
from _timing import block

# isort: split
import argparse
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np

import pixnorm

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def views(
    img: np.ndarray[Any, Any],
) -> dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """name -> (view, a contiguous array of the same values)."""
    out = {}
    for name, v in {
        "crop img[8:-8, 8:-8]": img[8:-8, 8:-8],
        "rows img[::-1]": img[::-1],
        "mirror img[:, ::-1]": img[:, ::-1],
        "BGR img[..., ::-1]": img[..., ::-1],
        "both flips img[::-1, ::-1]": img[::-1, ::-1],
    }.items():
        out[name] = (v, np.ascontiguousarray(v))
    return out


def calls(dtype: Any) -> dict[str, Callable[[np.ndarray[Any, Any]], object]]:
    out = np.empty((3, 375, 500), np.float32)
    res: dict[str, Callable[[np.ndarray[Any, Any]], object]] = {
        "normalize": lambda a: pixnorm.normalize(
            a, MEAN, STD, out=out if a.shape[:2] == (375, 500) else None
        ),
        "preprocess": lambda a: pixnorm.preprocess(a, size=256, crop=224, mean=MEAN, std=STD),
    }
    if dtype == np.uint8:
        res["preprocess torch"] = lambda a: pixnorm.preprocess(
            a, size=256, crop=224, mean=MEAN, std=STD, convention="torch"
        )
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rounds = 3 if args.quick else 30
    pixnorm.set_num_threads(1)
    rng = np.random.default_rng(0)
    print("| dtype | call | view | contiguous (us) | view (us) | view / contiguous |")
    print("|---|---|---|---:|---:|---:|")
    for dtype in (np.uint8, np.float32):
        img = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8).astype(dtype)
        if dtype == np.float32:
            img /= 255
        vs = views(img)
        for cname, call in calls(dtype).items():
            t: dict[tuple[str, int], list[float]] = {}
            for r in range(rounds):
                for name, pair in vs.items():
                    order = (0, 1) if r % 2 == 0 else (1, 0)
                    for k in order:
                        arr = pair[k]
                        ts = block(lambda c=call, a=arr: c(a), 5)  # type: ignore[misc]
                        t.setdefault((name, k), []).extend(ts)
            for name in vs:
                c, v = statistics.median(t[(name, 1)]), statistics.median(t[(name, 0)])
                print(
                    f"| {np.dtype(dtype).name} | {cname} | {name} | {c:.1f} | {v:.1f} "
                    f"| {v / c:.2f}x |"
                )


if __name__ == "__main__":
    main()
