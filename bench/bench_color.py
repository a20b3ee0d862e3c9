"""Benchmark colour conversion inside the pass (issue 14) against the same call without a colour
and against what users chain today: the peer's conversion (cv2.cvtColor, Pillow's convert,
torchvision's rgb_to_grayscale) followed by pixnorm.preprocess.

Cases (one thread everywhere; uint8 RGB input, random values, fixed seed; evaluation style,
``size=256, crop=224``, ImageNet-like mean/std, every output into a preallocated ``out``):
- pixnorm's own convention: ``color=None`` (the RGB reference), ``"bgr"``, ``"gray"``,
  ``"ycbcr"``, ``"yuv"``, and the chains ``cv2.cvtColor(RGB2GRAY / RGB2YUV)`` then
  ``preprocess``, at 500x375 and 1920x1080;
- the named conventions, each checked bit for bit against its chain first: ``"opencv"``
  (gray, YCrCb, YUV: ``cv2.cvtColor`` then ``preprocess(convention="opencv")``), ``"pillow"``
  (gray, YCbCr: ``Image.convert`` then ``preprocess(convention="pillow")``), ``"torch"`` (gray:
  ``rgb_to_grayscale`` then ``preprocess(convention="torch")``), at 500x375.

Method: rounds of every candidate in a rotated order; each round times a block of calls per
candidate; a row is the median over rounds of the median call. Read the ratios: the machine may
be shared (the load average is printed). Timings are printed, never asserted.

Usage::

    python bench/bench_color.py            # full run (about a minute)
    python bench/bench_color.py --quick    # smoke run
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
    from PIL import Image
except ImportError:  # depends on the environment
    Image = None
try:
    import torch
    import torchvision.transforms.v2.functional as F2
except ImportError:  # depends on the environment
    torch = F2 = None

MEAN, STD = 0.45, 0.225
EVAL: dict[str, Any] = {"size": 256, "crop": 224, "mean": MEAN, "std": STD}
Candidates = list[tuple[str, Callable[[], Any]]]


def default_cases(img: np.ndarray, name: str) -> tuple[str, Candidates]:
    """pixnorm's own convention: each colour and the peer chains, against the RGB call."""
    o3 = np.empty((3, 224, 224), np.float32)
    o1 = np.empty((1, 224, 224), np.float32)
    cands: Candidates = [
        ("preprocess (RGB, no colour)", lambda: pixnorm.preprocess(img, out=o3, **EVAL))
    ]
    for color in ("bgr", "gray", "ycbcr", "yuv"):
        out = o1 if color == "gray" else o3

        def fused(color: str = color, out: np.ndarray = out) -> Any:
            return pixnorm.preprocess(img, color=color, out=out, **EVAL)

        cands.append((f"preprocess(color='{color}')", fused))
    if cv2 is not None:
        cands.append(
            (
                "cv2.cvtColor(RGB2GRAY) + preprocess",
                lambda: pixnorm.preprocess(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), out=o1, **EVAL),
            )
        )
        cands.append(
            (
                "cv2.cvtColor(RGB2YUV) + preprocess",
                lambda: pixnorm.preprocess(cv2.cvtColor(img, cv2.COLOR_RGB2YUV), out=o3, **EVAL),
            )
        )
    return f"pixnorm's convention, {name} -> 224x224", cands


def named_cases(img: np.ndarray) -> list[tuple[str, Candidates]]:
    """The named conventions: pixnorm's fused call (first) against the library's conversion
    followed by today's preprocess in that convention (checked equal before timing)."""
    out: list[tuple[str, Candidates]] = []
    o3 = np.empty((3, 224, 224), np.float32)
    o1 = np.empty((1, 224, 224), np.float32)

    def fused(conv: str, color: str, aa: bool) -> Callable[[], Any]:
        o = o1 if color == "gray" else o3
        return lambda: pixnorm.preprocess(
            img, color=color, convention=conv, antialias=aa, out=o, **EVAL
        )

    def chained(convert: Callable[[], Any], conv: str, aa: bool, gray: bool) -> Callable[[], Any]:
        o = o1 if gray else o3
        return lambda: pixnorm.preprocess(convert(), convention=conv, antialias=aa, out=o, **EVAL)

    if cv2 is not None:
        for color, code, label in (
            ("gray", cv2.COLOR_RGB2GRAY, "RGB2GRAY"),
            ("ycbcr", cv2.COLOR_RGB2YCrCb, "RGB2YCrCb"),
            ("yuv", cv2.COLOR_RGB2YUV, "RGB2YUV"),
        ):

            def convert(code: int = code, color: str = color) -> Any:
                c = cv2.cvtColor(img, code)
                return c[..., [0, 2, 1]] if color == "ycbcr" else c  # Y, Cr, Cb -> Y, Cb, Cr

            gray = color == "gray"
            out.append(
                (
                    f"'opencv' {color}, 500x375 -> 224x224",
                    [
                        (f"color='{color}', 'opencv'", fused("opencv", color, False)),
                        (
                            f"cvtColor({label}) + preprocess",
                            chained(convert, "opencv", False, gray),
                        ),
                    ],
                )
            )
    if Image is not None:
        for color, mode in (("gray", "L"), ("ycbcr", "YCbCr")):

            def convert_pil(mode: str = mode) -> Any:
                return np.asarray(Image.fromarray(img).convert(mode))

            gray = color == "gray"
            out.append(
                (
                    f"'pillow' {color}, 500x375 -> 224x224",
                    [
                        (f"color='{color}', 'pillow'", fused("pillow", color, True)),
                        (
                            f"convert('{mode}') + preprocess",
                            chained(convert_pil, "pillow", True, gray),
                        ),
                    ],
                )
            )
    if torch is not None and F2 is not None:
        chw = torch.from_numpy(img).permute(2, 0, 1)

        def convert_tv() -> Any:
            return F2.rgb_to_grayscale(chw)[0].numpy()

        out.append(
            (
                "'torch' gray, 500x375 -> 224x224",
                [
                    ("color='gray', 'torch'", fused("torch", "gray", True)),
                    ("rgb_to_grayscale + preprocess", chained(convert_tv, "torch", True, True)),
                ],
            )
        )
    return out


def check(groups: list[tuple[str, Candidates]]) -> None:
    """The named conventions' fused call equals the chain, bit for bit, before timing."""
    for title, cands in groups:
        if title.startswith("pixnorm's"):
            continue
        want = np.array(cands[1][1](), copy=True)
        got = np.array(cands[0][1](), copy=True)
        if not np.array_equal(got, want):
            raise SystemExit(f"{title}: the fused call differs from the chain")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a few rounds (smoke run)")
    args = parser.parse_args()
    rounds, calls = (2, 3) if args.quick else (15, 20)
    pixnorm.set_num_threads(1)
    if cv2 is not None:
        cv2.setNumThreads(1)
    if torch is not None:
        torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)
    big = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    groups = [default_cases(small, "500x375"), default_cases(big, "1920x1080")]
    groups += named_cases(small)
    check(groups)
    flat = [(title, label, fn) for title, cands in groups for label, fn in cands]
    samples = rotated_rounds(flat, rounds, calls)
    info = pixnorm.build_info()
    print("# colour benchmark")
    print()
    print(
        f"- {cpu_model()}, {os.cpu_count()} logical CPUs, 1 thread; pixnorm {info['version']} "
        f"ISA {info['isa']}; cv2 {cv2.__version__ if cv2 else 'n/a'}, torch "
        f"{torch.__version__ if torch else 'n/a'}; {rounds} rounds x {calls} calls; load "
        f"average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print("- named conventions: the fused call was checked equal to the chain before timing")
    print()
    print("| case | candidate | median us | / first row |")
    print("|---|---|---:|---:|")
    for title, cands in groups:
        base = statistics.median(samples[(title, cands[0][0])])
        for label, _ in cands:
            m = statistics.median(samples[(title, label)])
            print(f"| {title} | {label} | {m:.0f} | {m / base:.2f}x |")


if __name__ == "__main__":
    main()
