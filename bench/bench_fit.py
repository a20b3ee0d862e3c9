"""Benchmark resizing by a factor and OpenCV DNN's cover / letterbox against the peers that define
them (issue 15), each checked equal to the peer first.

Cases (one thread everywhere; uint8 RGB input, random values, fixed seed):
- letterbox: 1920x1080 -> 640x640 float32 NCHW with scale 1/255, pixnorm
  ``preprocess(fit="contain", convention="opencv", antialias=False, scale=1/255)`` against
  ``cv2.dnn.blobFromImageWithParams(..., DNN_PMODE_LETTERBOX)`` (bit for bit: mean 0);
- cover: 500x375 -> 224x224, ``fit="cover"`` against ``cv2.dnn.blobFromImage(crop=True)``;
- resize by 0.39: ``resize(factor=0.39, convention="opencv")`` against ``cv2.resize(fx=fy=0.39)``
  and ``convention="torch"`` (antialias) against ``F.interpolate(scale_factor=0.39,
  antialias=True)`` on a uint8 tensor, 1920x1080.

Method: rounds of every candidate in a rotated order; each round times a block of calls per
candidate; a row is the median over rounds of the median call. Read the ratios: the machine may
be shared (the load average is printed). Timings are printed, never asserted.

Usage::

    python bench/bench_fit.py            # full run (about half a minute)
    python bench/bench_fit.py --quick    # smoke run
"""

from __future__ import annotations

import _quiet_blas  # noqa: F401  (first, before numpy: one OpenBLAS thread)

# isort: split
import argparse
import os
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np
from _timing import cpu_model, rotated_rounds

import pixnorm

try:
    import cv2
except ImportError:  # depends on the environment
    cv2 = None
try:
    import torch
except ImportError:  # depends on the environment
    torch = None


def cases(rng: np.random.Generator) -> list[tuple[str, list[tuple[str, Callable[[], Any]]]]]:
    big = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    small = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)
    out: list[tuple[str, list[tuple[str, Callable[[], Any]]]]] = []
    cv = {"convention": "opencv", "antialias": False}

    def px_letterbox() -> Any:
        return pixnorm.preprocess(big, size=640, fit="contain", scale=1 / 255, **cv)

    def px_cover() -> Any:
        return pixnorm.preprocess(small, size=224, fit="cover", scale=1 / 255, **cv)

    def px_factor_cv() -> Any:
        return pixnorm.resize(big, factor=0.39, **cv)

    def px_factor_torch() -> Any:
        return pixnorm.resize(big, factor=0.39, convention="torch")

    letterbox = [("pixnorm preprocess(fit='contain', 'opencv')", px_letterbox)]
    cover = [("pixnorm preprocess(fit='cover', 'opencv')", px_cover)]
    factor_cv = [("pixnorm resize(factor=0.39, 'opencv')", px_factor_cv)]
    factor_torch = [("pixnorm resize(factor=0.39, 'torch')", px_factor_torch)]
    if cv2 is not None:
        params = cv2.dnn.Image2BlobParams(
            scalefactor=(1 / 255,) * 4,
            size=(640, 640),
            mean=(0.0,) * 4,
            swapRB=False,
            ddepth=cv2.CV_32F,
            datalayout=cv2.DNN_LAYOUT_NCHW,
            mode=cv2.dnn.DNN_PMODE_LETTERBOX,
        )

        def cv_letterbox() -> Any:
            return cv2.dnn.blobFromImageWithParams(big, params)[0]

        def cv_cover() -> Any:
            return cv2.dnn.blobFromImage(small, 1 / 255, (224, 224), 0, False, crop=True)[0]

        def cv_factor() -> Any:
            return cv2.resize(big, (0, 0), fx=0.39, fy=0.39, interpolation=cv2.INTER_LINEAR)

        letterbox.append(("cv2.dnn.blobFromImageWithParams (letterbox)", cv_letterbox))
        cover.append(("cv2.dnn.blobFromImage(crop=True)", cv_cover))
        factor_cv.append(("cv2.resize(fx=fy=0.39)", cv_factor))
    if torch is not None:
        tensor = torch.from_numpy(big).permute(2, 0, 1)[None]

        def torch_factor() -> Any:
            return torch.nn.functional.interpolate(
                tensor, scale_factor=0.39, mode="bilinear", align_corners=False, antialias=True
            )

        factor_torch.append(
            ("F.interpolate(scale_factor=0.39, antialias=True), uint8", torch_factor)
        )
    out.append(("letterbox 1920x1080 -> 640x640, float32 NCHW / 255", letterbox))
    out.append(("cover 500x375 -> 224x224, float32 NCHW / 255", cover))
    out.append(("resize 1920x1080 by 0.39, uint8 (OpenCV's grid)", factor_cv))
    out.append(("resize 1920x1080 by 0.39, uint8 (torch's grid, antialias)", factor_torch))
    return out


def as_hwc(x: Any) -> np.ndarray:
    a = x.numpy() if hasattr(x, "numpy") else np.asarray(x)
    return a[0].transpose(1, 2, 0) if a.ndim == 4 else a


def check(groups: list[tuple[str, list[tuple[str, Callable[[], Any]]]]]) -> None:
    """Every peer's result equals pixnorm's (the bit-for-bit claims), before timing."""
    for title, cands in groups:
        ref = as_hwc(cands[0][1]())
        for label, fn in cands[1:]:
            if not np.array_equal(ref, as_hwc(fn())):
                raise SystemExit(f"{title}: {label} differs from pixnorm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a few rounds (smoke run)")
    args = parser.parse_args()
    rounds, calls = (2, 3) if args.quick else (15, 10)
    pixnorm.set_num_threads(1)
    if cv2 is not None:
        cv2.setNumThreads(1)
    if torch is not None:
        torch.set_num_threads(1)
    groups = cases(np.random.default_rng(0))
    check(groups)
    flat = [(title, label, fn) for title, cands in groups for label, fn in cands]
    samples = rotated_rounds(flat, rounds, calls)
    info = pixnorm.build_info()
    print("# factor, cover and letterbox benchmark")
    print()
    print(
        f"- {cpu_model()}, {os.cpu_count()} logical CPUs, 1 thread; pixnorm {info['version']} "
        f"ISA {info['isa']}; cv2 {cv2.__version__ if cv2 else 'n/a'}, torch "
        f"{torch.__version__ if torch else 'n/a'}; {rounds} rounds x {calls} calls; load "
        f"average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print("- every peer's result was checked equal to pixnorm's, bit for bit, before timing")
    print()
    print("| case | candidate | median us | peer / pixnorm |")
    print("|---|---|---:|---:|")
    for title, cands in groups:
        base = statistics.median(samples[(title, cands[0][0])])
        for label, _ in cands:
            m = statistics.median(samples[(title, label)])
            print(f"| {title} | {label} | {m:.0f} | {m / base:.2f}x |")


if __name__ == "__main__":
    main()
